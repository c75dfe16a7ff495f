"""Damaged and random files never raise and never take long.

Each example is a committed fixture (tests/fixtures/documents: PDF, Word, HTML) damaged at the
byte level (bit flips, truncation, a chunk of another file spliced in, a byte range duplicated or
removed, a number in a PDF's structure changed), a Word file whose document.xml is so damaged and
zipped again (so that the XML and table readers see it, not only zipfile), or random bytes behind
a file signature. ``check_bytes`` must return a result for each, within ``SLOW`` seconds.

The examples run in forked children with an address-space limit, one per core, each example
derived from (``NIANBAO_FUZZ_SEED``, its index) alone: a failure names the example and how it was
made, and ``example(index)`` rebuilds it. ``NIANBAO_FUZZ_EXAMPLES`` sets how many run (default
300, about 10 s; 10,000 take about 4 minutes on two cores):

    NIANBAO_FUZZ_EXAMPLES=10000 .venv/bin/pytest -q tests/unit/test_fuzz_files.py
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import signal
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

import pytest

from nianbao.check import check_bytes
from nianbao.contract import report_dict

pytestmark = pytest.mark.unit

EXAMPLES = int(os.environ.get("NIANBAO_FUZZ_EXAMPLES", "300"))
SEED = int(os.environ.get("NIANBAO_FUZZ_SEED", "20240131"))
SLOW = 2.0  # seconds one example may take
MEMORY = 2 * 1024**3  # address space each child may add to what it starts with
DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
SEEDS = {p.name: p.read_bytes() for p in sorted(DOCUMENTS.iterdir()) if p.suffix in {".pdf", ".docx", ".html"}}
SIGNATURES = [b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0"]
_NUMBER = re.compile(rb"(?<![\w.])\d{1,10}(?![\w.])")


def _range(rng: random.Random, data: bytes) -> tuple[int, int]:
    start = rng.randrange(len(data) + 1)
    return start, min(len(data), start + int(rng.expovariate(1 / 200)) + 1)


def _flip(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    return "flip", bytes(damaged)


def _truncate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    return "truncate", data[: rng.randrange(len(data))]


def _splice(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    start, end = _range(rng, data)
    other = SEEDS[rng.choice(sorted(SEEDS))]
    at, until = _range(rng, other)
    return f"splice {start}:{end}", data[:start] + other[at:until] + data[end:]


def _duplicate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    start, end = _range(rng, data)
    at = rng.randrange(len(data) + 1)
    return f"duplicate {start}:{end} at {at}", data[:at] + data[start:end] + data[at:]


def _remove(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    start, end = _range(rng, data)
    return f"remove {start}:{end}", data[:start] + data[end:]


def _number(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """A number of the PDF's syntax (an offset, a length, a count, a width ...) changed."""
    numbers = list(_NUMBER.finditer(data[: 1 << 20]))
    if not numbers:
        return "no number", data
    match = rng.choice(numbers)
    value = rng.choice([0, 1, int(match.group()) + rng.choice([-1, 1]), 2**31, 10**9, rng.randrange(10**6)])
    return f"number at {match.start()}", data[: match.start()] + str(value).encode() + data[match.end() :]


def _mutate(rng: random.Random, data: bytes, *, pdf: bool) -> tuple[str, bytes]:
    """One byte-level damage of ``data``: (what was done, the result)."""
    if not data:
        return "empty", data
    mutators = [_flip, _truncate, _splice, _duplicate, _remove] + ([_number] * 2 if pdf else [])
    return rng.choice(mutators)(rng, data)


def _rezip(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """A Word file whose document.xml is damaged, the package written again correctly."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "word/document.xml":
                how, content = _mutate(rng, content, pdf=False)
            target.writestr(name, content)
    return f"document.xml {how}", out.getvalue()


def example(index: int) -> tuple[str, bytes]:
    """Example ``index`` of this seed: (how it was made, its bytes)."""
    rng = random.Random(f"{SEED}:{index}")
    if rng.random() < 0.1:
        signature = rng.choice(SIGNATURES)
        return f"random after {signature!r}", signature + rng.randbytes(rng.randrange(4096))
    name = rng.choice(sorted(SEEDS))
    data = SEEDS[name]
    if name.endswith(".docx") and rng.random() < 0.4:
        how, data = _rezip(rng, data)
        return f"{name}: {how}", data
    steps = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        how, data = _mutate(rng, data, pdf=name.endswith(".pdf"))
        steps.append(how)
    return f"{name}: {', '.join(steps)}", data


def _child(indices: list[int], out: int) -> None:
    # OCR off: a damaged scan is read as the zip function reads it (test_ocr.py damages scans for
    # OCR, at its own pace); the address space is counted from what the child starts with
    os.environ["NIANBAO_OCR"] = "off"
    limit = _vm_size() + MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for data in SEEDS.values():  # the readers' libraries are imported on first use: not part of any example's time
        check_bytes(data, "warm-up")
    slowest = (0.0, -1)
    with os.fdopen(out, "w") as report:
        for index in indices:
            how, data = example(index)
            report.write(json.dumps({"start": index}) + "\n")
            report.flush()
            started = time.perf_counter()
            error = None
            try:
                report_dict(check_bytes(data, f"fuzz-{index}"))
            except BaseException:
                error = traceback.format_exc(limit=-4)
            seconds = time.perf_counter() - started
            slowest = max(slowest, (seconds, index))
            if error or seconds > SLOW:
                report.write(json.dumps({"index": index, "how": how, "seconds": seconds, "error": error}) + "\n")
        report.write(json.dumps({"done": len(indices), "slowest": slowest}) + "\n")


def _vm_size() -> int:
    """This process's address space in bytes (a fork starts with its parent's)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))


def run(count: int, workers: int) -> tuple[list[dict[str, Any]], float, tuple[float, int]]:
    """Run examples 0..count-1 in ``workers`` children: (problems, seconds, (the slowest example's
    seconds, its index))."""
    started = time.monotonic()
    children = []
    for worker in range(workers):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _child(list(range(worker, count, workers)), write)
            finally:
                os._exit(0)
        os.close(write)
        children.append((pid, read))
    problems: list[dict[str, Any]] = []
    slowest = (0.0, -1)
    for pid, read in children:
        with os.fdopen(read) as lines:
            records = [json.loads(line) for line in lines]
        _, status = os.waitpid(pid, 0)
        problems.extend(r for r in records if "index" in r)
        slowest = max([slowest, *(tuple(r["slowest"]) for r in records if "done" in r)])
        if not any("done" in r for r in records):
            last = max((r["start"] for r in records if "start" in r), default=None)
            how = example(last)[0] if last is not None else "?"
            problems.append({"index": last, "how": how, "error": f"child died (wait status {status})"})
    return problems, time.monotonic() - started, slowest


def test_damaged_and_random_files_give_a_result_quickly():
    # Given thousands of damaged fixtures and random files / When each is checked
    problems, seconds, _ = run(EXAMPLES, min(2, os.cpu_count() or 1))
    # Then none raises, kills its process or takes longer than SLOW seconds
    assert problems == [], f"{len(problems)} of {EXAMPLES} examples (seed {SEED}, {seconds:.0f} s): {problems[:5]}"


def test_the_examples_are_what_they_say():
    how, data = example(0)
    assert (how, data) == example(0)  # the same index rebuilds the same file
    kinds = {example(i)[0].split(":")[0].split(" ")[0] for i in range(200)}
    assert {"random", *SEEDS} <= kinds
