"""Each check in a child process of its own: what the limits stop becomes a reason, what the work
raises becomes a defect with its traceback, and the parent survives all of it."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao.check import check_bytes
from nianbao.extract.limits import Limits
from nianbao.isolate import (
    ChildError,
    ChildFailure,
    Failure,
    Sandbox,
    check_isolated,
    failure_reason,
    run,
)
from nianbao.model import CheckResult, Status

pytestmark = pytest.mark.unit

MB = 1024 * 1024
EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "nianbao" / "examples" / "2023-clean.txt"
# quick limits: the margins the readers' own deadline would get are cut to seconds (the wall clock
# leaves the CPU limit room on a busy machine)
QUICK = Sandbox(memory_mb=1024, seconds=0, cpu_margin=1, wall_margin=8)


def rss() -> int:
    """This process's resident set, which a child shares from the start."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def hog() -> None:
    grown = []
    while True:
        grown.append(bytearray(32 * MB))


def spin() -> None:
    while True:
        pass


def stuck() -> None:
    time.sleep(60)


def deep() -> int:
    def down(n: int) -> int:
        return down(n + 1) + 1

    return down(0)


def crash() -> None:
    ctypes.string_at(0)  # a library reading where it must not: SIGSEGV


def defect() -> None:
    raise ZeroDivisionError("a bug of ours")


def test_the_work_runs_in_a_child_and_its_value_comes_back():
    done = run(lambda: (os.getpid(), [1, 2, 3]), QUICK)
    pid, value = done.value
    assert pid != os.getpid()
    assert value == [1, 2, 3]
    assert 0 < done.peak_rss < rss() + 64 * MB
    assert done.seconds < 5


@pytest.mark.parametrize(
    ("work", "failure"),
    [
        (hog, Failure.MEMORY),
        (spin, Failure.CPU),
        (stuck, Failure.WALL),
        (deep, Failure.NESTING),
        (crash, Failure.CRASH),
    ],
    ids=["memory", "cpu", "wall", "nesting", "crash"],
)
def test_a_child_stopped_by_a_limit_says_which_and_the_parent_goes_on(work, failure):
    started = time.monotonic()
    sandbox = Sandbox(memory_mb=1024, seconds=0, cpu_margin=1, wall_margin=2) if work is stuck else QUICK
    budget = sandbox.child_budget_mb()
    assert budget is not None
    shared = rss()
    with pytest.raises(ChildFailure) as stopped:
        run(work, sandbox)
    assert stopped.value.failure is failure
    # within its limits: what it added to the pages it shares within its budget, time under the
    # wall clock + slack
    assert stopped.value.peak_rss - shared < budget * MB
    assert time.monotonic() - started < QUICK.wall_seconds + 2
    assert run(lambda: "still here", QUICK).value == "still here"


# Run in a fresh interpreter: what the test process loaded before (the OCR engine's thread pools
# and arenas) would change what a child forked from it can still map, and this test is about the
# budget alone.
_BUDGET_PROBE = """
import json
from nianbao.isolate import ChildFailure, Sandbox, run
from tests.unit.test_isolate import MB, hog, rss
shared = rss()
small = Sandbox(memory_mb=shared // MB + 96 + 200, seconds=5)  # leaves the child 200 MB
try:
    run(hog, small)
except ChildFailure as stopped:
    print(json.dumps({"budget": small.child_budget_mb(), "failure": stopped.failure.value,
                      "peak": stopped.peak_rss, "shared": shared, "allowance": small.memory_mb * MB}))
"""


def test_the_childs_memory_is_bounded_by_what_the_parent_leaves_of_the_allowance():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'shared'}{os.pathsep}{root}"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _BUDGET_PROBE], capture_output=True, text=True, timeout=60, cwd=root, env=env, check=True
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["budget"] in range(190, 210)
    assert probe["failure"] == Failure.MEMORY.value
    # the child holds the parent's pages (shared) plus at most its budget: under the allowance
    assert probe["peak"] < probe["allowance"]
    assert probe["peak"] - probe["shared"] > 100 * MB  # and it did get its budget
    assert Sandbox(memory_mb=None, seconds=5).child_budget_mb() is None


def test_an_exception_in_the_work_is_a_defect_with_its_traceback():
    with pytest.raises(ChildError, match=r"ZeroDivisionError: a bug of ours"):
        run(defect, QUICK)


def test_a_value_that_cannot_be_sent_back_is_a_defect():
    with pytest.raises(ChildError, match="Can't pickle"):
        run(lambda: lambda: None, QUICK)  # a function does not pickle


def test_what_the_child_printed_is_not_printed_twice(capfd):
    print("before", flush=False)
    run(lambda: print("inside"), QUICK)
    sys.stdout.flush()
    out = capfd.readouterr().out
    assert out.count("before") == 1
    assert out.count("inside") == 1


def test_the_limits_come_from_the_functions_memory_setting():
    assert Sandbox.from_env(45, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}).memory_mb == 1769
    assert Sandbox.from_env(45, {"NIANBAO_MAX_MEMORY_MB": "512", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}) == (
        Sandbox(memory_mb=512, seconds=45)
    )
    assert Sandbox.from_env(45, {}).memory_mb == 1024
    sandbox = Sandbox(memory_mb=1024, seconds=45)
    assert (sandbox.cpu_seconds, sandbox.wall_seconds) == (48, 50)  # the readers' own deadline fires first


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (Failure.MEMORY, "内存（1024 MB）"),
        (Failure.CPU, "计算时间上限"),
        (Failure.WALL, "超过 45 秒"),
        (Failure.NESTING, "嵌套过深"),
        (Failure.CRASH, "异常终止（SIGSEGV）"),
    ],
)
def test_every_failure_reads_as_a_reason_an_official_understands(failure, words):
    sandbox = Sandbox(memory_mb=1024, seconds=45)
    assert words in failure_reason(ChildFailure(failure, "SIGSEGV at 10 MB", 0, 0.0), sandbox)


def test_a_report_checked_in_a_child_is_the_same_result_as_in_process():
    data = EXAMPLE.read_bytes()
    done = check_isolated(data, "clean.txt", Limits(), Sandbox(memory_mb=1024, seconds=30))
    assert done.value == check_bytes(data, "clean.txt", Limits())


def test_a_file_whose_check_is_killed_is_an_unreadable_result_saying_why():
    def bomb(data: bytes, source: str, limits: Limits) -> CheckResult:
        hog()
        raise AssertionError("unreachable")

    allowance = rss() // MB + 96 + 200
    done = check_isolated(b"x", "bomb.docx", Limits(), Sandbox(memory_mb=allowance, seconds=5), check=bomb)
    assert done.value.status is Status.UNREADABLE
    [finding] = done.value.findings
    assert finding.code == "INPUT_UNREADABLE"
    assert f"内存（{allowance} MB）" in finding.message
    assert done.peak_rss < allowance * MB


def test_the_child_ignores_nothing_it_should_not(monkeypatch):
    # a child that survives SIGXCPU (a handler installed by a library) is killed at the hard limit
    def stubborn() -> None:
        signal.signal(signal.SIGXCPU, lambda *_: None)
        spin()

    with pytest.raises(ChildFailure) as stopped:
        run(stubborn, Sandbox(memory_mb=1024, seconds=0, cpu_margin=1, wall_margin=15))
    assert stopped.value.failure is Failure.CPU
