"""Hostile files (tests/hostile.py) are refused early and cheaply, or read normally when they are
fine reports under the attack.

Every file is checked in a child process with an address-space limit (``LIMIT``): a regression
makes the case fail (MemoryError, a crash, or a peak RSS over ``MAX_RSS``) instead of taking the
machine down. The children are forked from one fresh interpreter (not from pytest, whose memory
they would inherit), two at a time.

To watch a case fail, loosen a bound in the children only, e.g.::

    NIANBAO_HOSTILE_OVERRIDE="nianbao.extract.docx:MAX_UNPACKED=10**12" \\
        .venv/bin/pytest -q tests/unit/test_hostile_files.py
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import HOSTILE, READABLE

pytestmark = pytest.mark.unit

LIMIT = 1024**3  # address space of each child
MAX_RSS = 512 * 1024**2  # peak resident memory of each child, the interpreter and its libraries included
MAX_SECONDS = 5.0  # for check_bytes on one file
ROOT = Path(__file__).resolve().parents[2]

# The unreadable ones: what the reason must name.
REFUSED = {
    "docx_zip_bomb": "解压后共",
    "docx_many_entries": "个条目",
    "docx_compression_ratio": "压缩比异常",
    "docx_bzip2_bomb": "压缩方式",
    "docx_gridspan_bomb": "表格展开后",
    "docx_renamed_root": "根元素",
    "docx_central_directory_damaged": "已损坏",
    "docx_central_directory_bad_method": "压缩方式",
    "html_span_bomb": "跨行跨列展开后",
    "html_huge_page": "MB 的上限",
    "pdf_flate_bomb": "数据流解压后超过",
    "pdf_font_bomb": "数据流解压后超过",
    "pdf_operator_bomb": "绘图指令超过",
    "pdf_xobject_fanout": "绘图指令超过",
    "pdf_predictor_columns": "/Columns",
    "pdf_no_loadable_page": "都无法载入",
    "text_huge": "MB 的上限",
}


def _override() -> None:
    """Apply ``NIANBAO_HOSTILE_OVERRIDE`` ("module:NAME=expression;...") in a child."""
    for item in filter(None, os.environ.get("NIANBAO_HOSTILE_OVERRIDE", "").split(";")):
        module, assignment = item.split(":", 1)
        name, expression = assignment.split("=", 1)
        setattr(importlib.import_module(module), name.strip(), eval(expression))  # noqa: S307 - a developer's own input


def _case(name: str, out: int) -> None:
    """In the child: check one hostile file and report what came of it."""
    from nianbao.check import check_bytes  # noqa: PLC0415
    from nianbao.contract import report_dict  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    _override()
    data = HOSTILE[name]()
    started = time.perf_counter()
    result = check_bytes(data, name)
    seconds = time.perf_counter() - started
    contract = report_dict(result)
    same = None
    if name in READABLE:
        same = contract == report_dict(check_bytes(READABLE[name](), name))
    report = {
        "status": str(result.status.value),
        "codes": [f.code for f in result.findings],
        "messages": [f.message for f in result.findings][:3],
        "seconds": seconds,
        "same_as_reference": same,
    }
    with os.fdopen(out, "w") as pipe:
        json.dump(report, pipe, ensure_ascii=False)


def serve(names: list[str]) -> None:
    """In a fresh interpreter: fork a child per file, two at a time; print one JSON line each."""
    import docx.oxml  # noqa: F401, PLC0415 - the readers' libraries, loaded once and shared by every child
    import lxml.html  # noqa: F401, PLC0415
    import pdfplumber  # noqa: F401, PLC0415
    import pypdfium2  # noqa: F401, PLC0415

    running: dict[int, tuple[str, int, float]] = {}
    pending = list(names)
    while pending or running:
        while pending and len(running) < 2:
            name = pending.pop(0)
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                os.close(read)
                try:
                    _case(name, write)
                except BaseException:
                    with os.fdopen(write, "w") as pipe:
                        json.dump({"error": traceback.format_exc(limit=-6)}, pipe)
                finally:
                    os._exit(0)
            os.close(write)
            running[pid] = (name, read, time.monotonic())
        pid, status, usage = os.wait4(-1, 0)
        name, read, started = running.pop(pid)
        with os.fdopen(read) as pipe:
            body = pipe.read()
        record: dict[str, Any] = json.loads(body) if body else {"error": f"the child died (wait status {status})"}
        record.update(name=name, rss=usage.ru_maxrss * 1024, wall=time.monotonic() - started)
        print(json.dumps(record, ensure_ascii=False), flush=True)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])}
    code = f"import sys; from tests.unit.test_hostile_files import serve; serve({sorted(HOSTILE)!r})"
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {record["name"]: record for record in map(json.loads, done.stdout.splitlines())}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_or_read_within_bounds(name, outcomes):
    # Given a hostile file / When it is checked in a child with 1 GB of address space
    outcome = outcomes[name]
    # Then the check ends normally, quickly and in little memory
    assert "error" not in outcome, outcome
    assert outcome["seconds"] < MAX_SECONDS, outcome
    assert outcome["rss"] < MAX_RSS, f"peak RSS {outcome['rss'] / 1024**2:.0f} MB: {outcome}"
    if name in REFUSED:
        # And it is unreadable, the reason naming the cause
        assert outcome["status"] == "unreadable", outcome
        assert outcome["codes"] == ["INPUT_UNREADABLE"], outcome
        assert REFUSED[name] in outcome["messages"][0], outcome
    else:
        # Or it is read exactly like the fine file it was made from
        assert outcome["status"] != "unreadable", outcome
        assert outcome["same_as_reference"] is True, outcome


def test_every_hostile_file_has_an_expectation():
    assert set(REFUSED) | set(READABLE) == set(HOSTILE)
    assert not set(REFUSED) & set(READABLE)
    assert all(HOSTILE[name].__doc__ for name in HOSTILE)
