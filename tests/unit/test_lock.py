"""The layer's lock (shared/requirements.lock, `make lock`) is what the functions run, and the OCR
image's (shared/requirements-ocr.lock) what OcrReport runs, so they are what the tests must run:
every entry pinned exactly and hashed, current with pyproject.toml, and installed here at the
locked version (`make install` takes both locks' pins as constraints)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "shared" / "requirements.lock"
OCR_LOCK = ROOT / "shared" / "requirements-ocr.lock"
PYPROJECT = ROOT / "pyproject.toml"
LAYER_EXTRAS = ("aws",)  # what the function adds to the runtime dependencies (Makefile: lock)
OCR_EXTRAS = ("aws", "ocr")  # and OcrReport's image
# The function's environment, for markers in pyproject (Lambda python3.12, x86_64).
LAMBDA = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "extra": "",
}
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


@dataclass(frozen=True)
class Entry:
    """One requirement of the lock, its continuation lines joined."""

    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def version(self) -> Version | None:
        """The exact pin, or None when the entry is not one."""
        specs = list(self.requirement.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            return None
        return Version(specs[0].version)


def parse_lock(text: str) -> list[Entry]:
    entries = []
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec = line.split(" --", 1)[0].strip()
        entries.append(Entry(Requirement(spec), tuple(_HASH.findall(line))))
    return entries


def pin_problems(entries: list[Entry]) -> list[str]:
    """(c) Each entry is `name==version` for one package, with at least one sha256 hash."""
    problems = [] if entries else ["the lock has no entries"]
    seen: set[str] = set()
    for entry in entries:
        if entry.version is None or entry.requirement.url or entry.requirement.marker:
            problems.append(f"not an exact pin: {entry.requirement}")
        if not entry.hashes:
            problems.append(f"no hash: {entry.requirement}")
        if entry.name in seen:
            problems.append(f"locked twice: {entry.name}")
        seen.add(entry.name)
    return problems


def layer_requirements(pyproject: dict[str, Any], extras: tuple[str, ...] = LAYER_EXTRAS) -> list[Requirement]:
    """What the layer (or an image) must hold: the runtime dependencies and its extras."""
    project = pyproject["project"]
    texts = list(project["dependencies"])
    for extra in extras:
        texts += project["optional-dependencies"][extra]
    own = canonicalize_name(project["name"])
    requirements = [Requirement(t) for t in texts]
    return [
        r for r in requirements if canonicalize_name(r.name) != own and (r.marker is None or r.marker.evaluate(LAMBDA))
    ]


def stale_problems(
    pyproject: dict[str, Any], entries: list[Entry], extras: tuple[str, ...] = LAYER_EXTRAS
) -> list[str]:
    """(b) Every requirement of the layer (or image) is locked, at a version pyproject allows."""
    locked = {e.name: e.version for e in entries}
    problems = []
    for requirement in layer_requirements(pyproject, extras):
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement} is not in the lock")
        elif (version := locked[name]) is None or not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} is locked at {version}")
    return problems


def installed_problems(entries: list[Entry]) -> list[str]:
    """(a) Every locked package is installed here at its locked version."""
    problems = []
    for entry in entries:
        try:
            installed = metadata.version(entry.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{entry.name} is locked at {entry.version} but not installed")
            continue
        if Version(installed) != entry.version:
            problems.append(f"{entry.name} is locked at {entry.version} but {installed} is installed")
    return problems


HOW = "run `make lock` (after changing pyproject.toml), then `make install`"


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_lock(LOCK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ocr_entries() -> list[Entry]:
    return parse_lock(OCR_LOCK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def test_the_lock_pins_every_package_exactly_with_its_hashes(entries, ocr_entries):
    assert pin_problems(entries) == [], HOW
    assert pin_problems(ocr_entries) == [], HOW


def test_the_lock_is_current_with_pyproject(pyproject, entries, ocr_entries):
    assert stale_problems(pyproject, entries) == [], HOW
    assert stale_problems(pyproject, ocr_entries, OCR_EXTRAS) == [], HOW


def test_the_tests_run_the_versions_the_layer_and_the_ocr_image_ship(entries, ocr_entries):
    assert installed_problems(entries) == [], HOW
    assert installed_problems(ocr_entries) == [], HOW


def test_the_ocr_image_runs_the_layers_versions_and_only_adds_the_ocr_libraries(entries, ocr_entries):
    layer = {e.name: e.version for e in entries}
    image = {e.name: e.version for e in ocr_entries}
    assert {name: image.get(name) for name in layer} == layer  # the same code on the same pins
    assert {"rapidocr-onnxruntime", "onnxruntime", "opencv-python", "numpy"} <= set(image) - set(layer)


def test_the_layer_holds_what_the_function_imports(entries):
    """boto3 too: the layer ships the SDK the tests ran, not the runtime's."""
    assert {"boto3", "botocore", "aws-lambda-powertools", "pydantic", "pdfplumber", "pypdfium2"} <= {
        e.name for e in entries
    }


# --- the checks themselves catch what they are for ---------------------------------------------

_SHA = "--hash=sha256:" + "0" * 64
_PYPROJECT = {
    "project": {
        "name": "nianbao",
        "dependencies": ["six>=1.16,<2", 'tomli>=2; python_version < "3.11"'],
        "optional-dependencies": {"aws": ["nianbao[cli]", "jmespath>=1"]},
    }
}


def test_the_lock_is_read_across_continuation_lines_and_comments():
    text = f"# header\nsix==1.17.0 \\\n    {_SHA} \\\n    {_SHA}\n    # via nianbao\njmespath==1.1.0 {_SHA}\n"
    parsed = parse_lock(text)
    assert [(e.name, str(e.version), len(e.hashes)) for e in parsed] == [("six", "1.17.0", 2), ("jmespath", "1.1.0", 1)]
    assert pin_problems(parsed) == []
    assert stale_problems(_PYPROJECT, parsed) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"six>=1.16 {_SHA}\n", "not an exact pin"),
        (f"six==1.* {_SHA}\n", "not an exact pin"),
        ("six==1.17.0\n", "no hash"),
        ("six==1.17.0 --hash=sha256:abc\n", "no hash"),
        (f"six==1.17.0 {_SHA}\nsix==1.16.0 {_SHA}\n", "locked twice"),
        ("", "no entries"),
    ],
)
def test_a_lock_without_a_pin_or_a_hash_fails(text, problem):
    assert any(problem in p for p in pin_problems(parse_lock(text)))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"six==1.17.0 {_SHA}\n", "jmespath>=1 is not in the lock"),  # an extra's requirement is missing
        (f"six==2.0.0 {_SHA}\njmespath==1.1.0 {_SHA}\n", "six<2,>=1.16 is locked at 2.0.0"),
        (f"six>=1.16 {_SHA}\njmespath==1.1.0 {_SHA}\n", "six<2,>=1.16 is locked at None"),
    ],
)
def test_a_lock_behind_pyproject_fails(text, problem):
    assert problem in stale_problems(_PYPROJECT, parse_lock(text))


def test_a_locked_package_installed_at_another_version_or_not_at_all_fails():
    pytest_version = metadata.version("pytest")
    text = f"pytest==0.0.1 {_SHA}\nnianbao-not-a-package==1.0 {_SHA}\npytest=={pytest_version} {_SHA}\n"
    problems = installed_problems(parse_lock(text))
    assert problems == [
        f"pytest is locked at 0.0.1 but {pytest_version} is installed",
        "nianbao-not-a-package is locked at 1.0 but not installed",
    ]
