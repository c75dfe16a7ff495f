"""Each file is checked in a child process of its own, with a memory, a CPU-time and a wall-clock
limit, so that a hostile or broken file can cost at most its own check: never the rest of a
Lambda batch, never the machine running the CLI.

The child is a bare ``os.fork`` made after every import, so it costs milliseconds and shares the
parent's pages until it writes them; its result comes back pickled through a pipe. Nothing here
needs ``/dev/shm`` (Lambda has none, so ``multiprocessing`` queues and pools fail there). Limits:

* memory: ``RLIMIT_AS`` in the child, set to its address space at the fork plus the budget, so
  the child can add at most ``memory_mb`` to what it shares with the parent;
* CPU time: ``RLIMIT_CPU`` (the kernel sends SIGXCPU, then SIGKILL);
* wall clock: the parent waits on the pipe and kills the child when the time is up.

A child that dies of any of them becomes a ``ChildFailure`` saying which; an exception raised by
the work itself (a defect of ours) comes back as ``ChildError`` with its traceback.
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import os
import pickle
import resource
import select
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from nianbao.extract.limits import Limits
    from nianbao.model import CheckResult

T = TypeVar("T")

_MB = 1024 * 1024
# What the parent (the handler with its imports, clients and the file's bytes) keeps for itself
# out of the function's memory before the child gets the rest.
_PARENT_RESERVE_MB = 96
_EXIT_MEMORY = 3  # the child caught a MemoryError: too large
_EXIT_RECURSION = 4  # the child caught a RecursionError: too deeply nested
_EXIT_UNPICKLABLE = 5  # the result could not be sent back (a defect of ours)


class Failure(StrEnum):
    MEMORY = "memory"  # ran out of its memory budget
    CPU = "cpu"  # used up its CPU time
    WALL = "wall"  # ran past the wall-clock limit
    NESTING = "nesting"  # nested too deeply for the interpreter
    CRASH = "crash"  # died of a signal no limit explains (a library crashed on the file)


class ChildFailure(Exception):  # noqa: N818 - an outcome, raised only to be mapped to a result
    """The child was killed or died; ``failure`` says of what."""

    def __init__(self, failure: Failure, detail: str, peak_rss: int, seconds: float) -> None:
        super().__init__(f"{failure.value}: {detail}")
        self.failure = failure
        self.detail = detail
        self.peak_rss = peak_rss
        self.seconds = seconds


class ChildError(RuntimeError):
    """The work raised an exception in the child: a defect of ours, with the child's traceback."""


class SandboxUnavailableError(RuntimeError):
    """No child could be made (out of processes or memory): a transient failure, worth a retry."""


@dataclass(frozen=True)
class Sandbox:
    """How much one check may take. The readers' own deadline (``seconds``) fires first; the hard
    limits leave it a margin, so they stop only what ignores it."""

    memory_mb: int | None  # what the whole process may use (the function's memory setting); None: no limit
    seconds: float
    cpu_margin: float = 3.0
    wall_margin: float = 5.0

    @property
    def cpu_seconds(self) -> float:
        return self.seconds + self.cpu_margin

    @property
    def wall_seconds(self) -> float:
        return self.seconds + self.wall_margin

    def child_budget_mb(self) -> int | None:
        """What a child forked now may add to the pages it shares with this process: the
        allowance less what this process holds (its imports, clients, the file's bytes) and a
        reserve for its own work after the check."""
        if self.memory_mb is None:
            return None
        return max(64, self.memory_mb - _status("VmRSS") // _MB - _PARENT_RESERVE_MB)

    @classmethod
    def from_env(cls, seconds: float, env: Mapping[str, str] | None = None, default_mb: int = 1024) -> Sandbox:
        """``NIANBAO_MAX_MEMORY_MB``, else the Lambda function's memory size, else ``default_mb``."""
        env = os.environ if env is None else env
        total = env.get("NIANBAO_MAX_MEMORY_MB") or env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or str(default_mb)
        return cls(memory_mb=int(total), seconds=seconds)


@dataclass(frozen=True)
class Completed(Generic[T]):
    value: T
    peak_rss: int  # bytes, the child's largest resident set
    seconds: float


def _status(name: str) -> int:
    """A field of /proc/self/status in bytes (0 where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def run(work: Callable[[], T], sandbox: Sandbox) -> Completed[T]:
    """Run ``work()`` in a child within ``sandbox``; its return value must pickle.

    Raises ``ChildFailure`` when a limit killed it (or it crashed), ``ChildError`` when it raised.
    """
    budget = sandbox.child_budget_mb()
    shared = _status("VmRSS")  # what the child holds from the start, shared with this process
    read_end, write_end = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # else both processes would write what is buffered
        with contextlib.suppress(Exception):
            stream.flush()
    started = time.monotonic()
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns when a process with threads forks (moto's server in the demo and
            # tests): the child only runs the checker, which takes no lock those threads hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError as error:
        os.close(read_end)
        os.close(write_end)
        raise SandboxUnavailableError(f"cannot fork: {error}") from error
    if pid == 0:  # pragma: no cover - the child; coverage of what it runs is measured in the work itself
        os.close(read_end)
        _child(work, sandbox, budget, write_end)
    os.close(write_end)
    payload, timed_out = _collect(read_end, pid, started + sandbox.wall_seconds)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - started
    peak = int(usage.ru_maxrss) * 1024  # kilobytes on Linux
    if timed_out:
        raise ChildFailure(Failure.WALL, f"killed after {sandbox.wall_seconds:g} s", peak, seconds)
    cpu = usage.ru_utime + usage.ru_stime
    grown = max(0, peak - shared)
    value: T = _outcome(payload, status, peak, seconds, sandbox=sandbox, budget=budget, cpu=cpu, grown=grown)
    return Completed(value, peak, seconds)


def _child(work: Callable[[], T], sandbox: Sandbox, budget: int | None, pipe: int) -> None:  # pragma: no cover
    code = 0
    faulthandler.disable()  # a crash is reported by the parent, as one structured line, not a dump
    try:
        _limit(sandbox, budget)
        try:
            message = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            code = _EXIT_MEMORY
        except RecursionError:
            code = _EXIT_RECURSION
        except Exception:  # a defect of ours: its traceback goes to the parent, which logs it
            message = pickle.dumps(("error", traceback.format_exc()))
        if code == 0:
            with os.fdopen(pipe, "wb") as out:
                out.write(message)
    except MemoryError:
        code = _EXIT_MEMORY
    except BaseException:  # whatever happens, the child must not return into the caller
        code = _EXIT_UNPICKLABLE
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _limit(sandbox: Sandbox, budget: int | None) -> None:  # pragma: no cover - runs in the child
    if budget is not None:
        ceiling = _status("VmSize") + budget * _MB
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    used = cpu.ru_utime + cpu.ru_stime  # ~0: a fork starts its own count
    soft = math.ceil(used + sandbox.cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 2))


def _collect(pipe: int, pid: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes, or (what came, True) when the deadline passed first (the child
    is killed then)."""
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                return b"".join(chunks), True
            ready, _, _ = select.select([pipe], [], [], left)
            if not ready:
                continue
            chunk = os.read(pipe, 1 << 16)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
    finally:
        os.close(pipe)


def _outcome(
    payload: bytes,
    status: int,
    peak: int,
    seconds: float,
    *,
    sandbox: Sandbox,
    budget: int | None,
    cpu: float,
    grown: int,
) -> Any:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        # SIGXCPU at the soft CPU limit; SIGKILL at the hard one (the child ignored the first)
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= sandbox.cpu_seconds):
            raise ChildFailure(Failure.CPU, f"{name} after {sandbox.cpu_seconds:g} s of CPU", peak, seconds)
        # a library that cannot allocate often aborts or faults rather than raising: near the
        # budget, that is running out of memory
        if budget is not None and grown >= budget * _MB * 0.8:
            raise ChildFailure(Failure.MEMORY, f"{name} at {peak // _MB} MB", peak, seconds)
        raise ChildFailure(Failure.CRASH, name, peak, seconds)
    code = os.WEXITSTATUS(status)
    if code == _EXIT_MEMORY:
        raise ChildFailure(Failure.MEMORY, f"MemoryError at {peak // _MB} MB", peak, seconds)
    if code == _EXIT_RECURSION:
        raise ChildFailure(Failure.NESTING, "RecursionError", peak, seconds)
    if code != 0 or not payload:
        raise ChildError(f"the child exited with code {code} and no result")
    kind, value = pickle.loads(payload)  # noqa: S301 - our own child wrote it, through our own pipe
    if kind == "error":
        raise ChildError(f"the check raised in its child process:\n{value}")
    return value


# --- checking a file ------------------------------------------------------------------------------

_REASONS = {
    Failure.MEMORY: "文件解压或展开后过大，超出核查可用的内存（{memory} MB），可能是压缩炸弹或已损坏的文件",
    Failure.CPU: "文件结构过于复杂，核查超出 {seconds:g} 秒的计算时间上限",
    Failure.WALL: "核查超时（超过 {seconds:g} 秒），文件可能过大或过于复杂",
    Failure.NESTING: "文件结构嵌套过深，无法读取",
    Failure.CRASH: "文件导致读取程序异常终止（{detail}），可能已损坏或展开后过大",
}


def failure_reason(error: ChildFailure, sandbox: Sandbox) -> str:
    """What an official reads when the check of a file was stopped."""
    return _REASONS[error.failure].format(
        memory=sandbox.memory_mb, seconds=sandbox.seconds, detail=error.detail.split(" ")[0]
    )


def check_isolated(
    data: bytes, source: str, limits: Limits, sandbox: Sandbox, check: Callable[..., CheckResult] | None = None
) -> Completed[CheckResult]:
    """``check(data, source, limits)`` (``check_bytes`` unless given) in a child: a file the limits
    stop is an unreadable result saying why.

    Raises ``ChildError`` for a defect of ours (the caller records it), ``SandboxUnavailableError``
    when no child can be made (transient)."""
    from nianbao.check import check_bytes, unreadable  # noqa: PLC0415 - check imports the readers

    checker = check or check_bytes
    try:
        return run(lambda: checker(data, source, limits), sandbox)
    except ChildFailure as error:
        return Completed(unreadable(source, failure_reason(error, sandbox)), error.peak_rss, error.seconds)
