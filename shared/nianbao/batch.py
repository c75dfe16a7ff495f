"""Many files checked as a batch (``nianbao check DIR``): in a pool of worker processes, handed
on in input order, with cross-year findings, in memory that does not grow with the number of
files. The pipeline never imports this: it checks one object at a time (``nianbao.check``)."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import struct
import sys
import tempfile
import warnings
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nianbao import check
from nianbao.bodies import normalize_name
from nianbao.check import CHECK_DEFECT, unreadable
from nianbao.extract import Limits
from nianbao.history import History, YearFacts, facts_of
from nianbao.isolate import Sandbox
from nianbao.model import Cell, CellKind, CheckResult, Finding, Prose, Status, Table, TableRow, YearEvidence
from nianbao.rules import status_of
from nianbao.rules.history import run_history
from nianbao.series import reuse_share

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

log = logging.getLogger(__name__)


# --- many files: a batch ---------------------------------------------------------------------------
#
# ``nianbao check DIR`` over a province's batch (some 20,000 files) must not hold every result:
# each file is checked (in a pool of ``workers`` processes when there are several), made
# ``compact`` (what the outputs show: half the size or less), and handed on in the order the
# inputs were given. At most ``WINDOW_PER_WORKER`` files per worker are in flight or waiting for an earlier
# one to finish, so memory holds a bounded window whatever the number of files.
#
# Cross-year rules need, for each report, the facts of the same body's report of the year before
# (``nianbao.series.apply``). That report may be any other input, before or after it in the
# order, and when a body's year is given twice the last file counts: no report with a place in a
# body's history is final before the last input has been checked. So ``cross_year`` makes two
# passes. (1) Each result, as it is checked, is spooled to a temporary file in input order, and
# its ``YearFacts`` to another; memory keeps only an index, (body, year) -> where that year's
# facts are in the file. (2) The results are read back in order; each one's previous year is
# looked up in the index, its facts read from the file, and the cross-year findings added. Memory
# holds the index (a name and two numbers per body and year: some 250 bytes) and one result at a
# time; the disk 5-8 KB per file (compressed pickles) in files unlinked as they are made,
# so nothing is left behind, even by a crash. Rejected: the facts in memory (4-6 KB pickled per
# report and several times that as objects: hundreds of megabytes for a province), and checking
# every file twice (once for the facts, once for the output: twice the time). Without history the
# results stream straight out; with it, output starts once the last file has been checked.

WINDOW_PER_WORKER = 8
# A worker process that died while checking a file, twice (the second time alone): the file
# crashes a reader outside the sandbox's reach, or the kernel ran out of memory.
WORKER_DIED = "核查该文件的进程意外终止（可能是文件导致读取程序崩溃或耗尽内存），未能得出结果"

_NO_PROSE = Prose()
_BLANK = Cell(raw="", kind=CellKind.BLANK)


def _compact_table(table: Table | None) -> Table | None:
    """The table with each row's values (``TableRow.values``) as one placement of plain cells."""
    if table is None:
        return None
    rows: dict[str, TableRow] = {}
    made: dict[tuple[type, int | Decimal], Cell] = {}  # one cell a value (an int 0 is not a Decimal 0)

    def cell(value: int | Decimal | None) -> Cell:
        if value is None:
            return _BLANK
        key = (type(value), value)
        if key not in made:
            made[key] = Cell(raw="", kind=CellKind.NUMBER, value=value)
        return made[key]

    for key, row in table.rows.items():
        cells = tuple(cell(v) for v in row.values())
        rows[key] = row.model_copy(update={"placements": [cells], "evidence": ""})
    return table.model_copy(update={"rows": rows, "header": "", "notes": [], "stray": []})


def compact(result: CheckResult) -> CheckResult:
    """``result`` with only what the outputs show (the JSON contract, the CSV, the text view): the
    prose, the year evidence and format markers go, and each table row keeps its values but not
    its cells' text, placements and boxes. A PDF's result shrinks to about a third (57 KB pickled
    becomes 17 KB), a text report's to two thirds (18 KB to 12 KB), so a batch moves and spools
    less. For output only: the
    rules need what it leaves out (``facts_of`` the full result)."""
    report = result.report
    slim = report.model_copy(
        update={
            "years": YearEvidence(),
            "format_markers": {},
            "preamble": _NO_PROSE,
            "sections": {n: s.model_copy(update={"prose": _NO_PROSE}) for n, s in report.sections.items()},
            "table2": _compact_table(report.table2),
            "table3": _compact_table(report.table3),
            "table4": _compact_table(report.table4),
        }
    )
    return result.model_copy(update={"report": slim})


@dataclass(frozen=True, slots=True)
class Checked:
    """One input of a batch: its ``compact`` result, the facts later years compare with
    (``facts_of``), and its body's normalised name when it has a place in a body's history (a
    readable report of a known year that names its agency), else None."""

    result: CheckResult
    facts: YearFacts | None = None
    body: str | None = None

    @classmethod
    def of(cls, result: CheckResult) -> Checked:
        facts = facts_of(result)
        agency = result.report.agency
        body = normalize_name(agency) if facts is not None and agency else None
        return cls(compact(result), facts, body)


def _check_one(path: Path, limits: Limits, sandbox: Sandbox | None) -> Checked:
    """``check_path``, made ``Checked``; a defect of ours on this file is its result, never the end
    of the batch (as in the sandbox, where ``check_path`` catches it)."""
    try:
        return Checked.of(check.check_path(path, limits, sandbox))
    except Exception:
        log.exception("checking %s failed", path)
        return Checked.of(unreadable(str(path), CHECK_DEFECT))


def _start_worker() -> None:
    """Ctrl-C is the parent's to handle (it stops the batch); a worker would print a traceback."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """A task that does nothing: submitting it starts the workers."""


def default_workers() -> int:
    """The cores this process may run on: its CPU affinity (which ``taskset`` or a container's
    cpuset narrows), else ``os.cpu_count``."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class _Spool:
    """Compact results in input order, and the facts of each body's years, in two temporary files;
    in memory only where each (body, year)'s facts are. See the note above ``WINDOW_PER_WORKER``."""

    _LENGTH = struct.Struct("<Q")

    def __init__(self, directory: str | None = None) -> None:
        self._results: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed in __exit__
        self._facts: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self._where: dict[tuple[str, int], int] = {}

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self._results.close()
        self._facts.close()

    def add(self, item: Checked) -> None:
        """Spool ``item`` after those before it."""
        self._write(self._results, (item.result, item.body, self.add_facts(item)))

    def add_facts(self, item: Checked) -> int | None:
        """Keep ``item``'s facts as its body's for their year (a later file of the same body and
        year replaces them: the last one given counts); None when it has no place in a history."""
        if item.body is None or item.facts is None:
            return None
        self._facts.seek(0, os.SEEK_END)
        at = self._facts.tell()
        self._write(self._facts, item.facts)
        self._where[(item.body, item.facts.year)] = at
        return at

    def facts(self, body: str, year: int) -> YearFacts | None:
        """The facts of ``body``'s report of ``year``, when one was given."""
        at = self._where.get((body, year))
        return None if at is None else self._facts_at(at)

    def read(self) -> Iterator[tuple[CheckResult, str | None, YearFacts | None]]:
        """Each spooled result, in order, with its body and its own facts."""
        self._results.seek(0)
        while (record := self._read(self._results)) is not None:
            result, body, at = record
            yield result, body, None if at is None else self._facts_at(at)

    def _facts_at(self, at: int) -> YearFacts:
        self._facts.seek(at)
        facts: YearFacts = self._read(self._facts)
        return facts

    @classmethod
    def _write(cls, file: IO[bytes], value: object) -> None:
        data = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        file.write(cls._LENGTH.pack(len(data)))
        file.write(data)

    @classmethod
    def _read(cls, file: IO[bytes]) -> Any:
        head = file.read(cls._LENGTH.size)
        if not head:
            return None
        (size,) = cls._LENGTH.unpack(head)
        # our own file, made by TemporaryFile (mode 0600, unlinked at once): nobody else wrote it
        return pickle.loads(zlib.decompress(file.read(size)))  # noqa: S301


def _with_findings(result: CheckResult, extra: list[Finding]) -> CheckResult:
    """``result`` with its cross-year findings, as ``nianbao.series.with_history`` adds them."""
    if not extra:
        return result
    findings = [*result.findings, *extra]
    status = result.status if result.status is Status.UNREADABLE else status_of(findings)
    return result.model_copy(update={"findings": findings, "status": status})


def cross_year(
    checked: Iterable[Checked], previous: CheckResult | None = None, *, spool_dir: str | None = None
) -> Iterator[CheckResult]:
    """``nianbao.series.apply`` over a stream: the results in their order, each year's report with
    the cross-year findings against the same body's report of the year before, among the inputs
    (a body's year given twice: the last file counts), or ``previous`` where it is that year's.
    Memory holds an index, not the results (see the note above ``WINDOW_PER_WORKER``)."""
    share = reuse_share()  # a mistyped threshold stops the run before any file is checked
    with _Spool(spool_dir) as spool:
        explicit: YearFacts | None = None
        if previous is not None:
            earlier = Checked.of(previous)
            explicit = earlier.facts  # named as last year's, whatever its agency reads
            spool.add_facts(earlier)
        for item in checked:
            spool.add(item)
        for result, body, facts in spool.read():
            if body is None or facts is None:
                yield result
                continue
            before = spool.facts(body, facts.year - 1)
            if before is None and explicit is not None and explicit.year == facts.year - 1:
                before = explicit
            yield _with_findings(result, run_history(facts, History(previous=before, reuse_share=share)))


class Batch:
    """Many files checked, their results handed on in the order the inputs were given.

    With ``workers`` > 1, in a pool of that many processes (forked where the system can: they start
    in milliseconds, everything imported), each file still in its sandbox child within the limits.
    A context manager: the workers start on entering, before the caller starts threads of its own
    (a progress bar; a process forked while another thread holds a lock could wait on it forever),
    and stop on leaving. Where no pool can be made (no ``/dev/shm`` for its semaphores), the files
    are checked one at a time in this process, as with one worker.
    """

    def __init__(
        self, limits: Limits, sandbox: Sandbox | None, workers: int = 1, *, spool_dir: str | None = None
    ) -> None:
        self.limits = limits
        self.sandbox = sandbox
        self.workers = max(1, workers)
        self.spool_dir = spool_dir
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> Batch:
        if self.workers > 1:
            self._executor = self._pool(self.workers)
            if self._executor is None:
                self.workers = 1
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            # files not started are dropped when the batch ends early (Ctrl-C, a closed pipe);
            # those running finish within their sandbox's limits
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def results(
        self,
        inputs: Iterable[Path | CheckResult],
        *,
        history: bool = True,
        previous: CheckResult | None = None,
        on_checked: Callable[[], None] | None = None,
    ) -> Iterator[CheckResult]:
        """Each input's result, in order: a path checked, a result given (a path that could not
        even be looked at) as it is. ``on_checked`` is called as each is checked (a progress bar).
        With ``history``, the cross-year findings among the inputs and against ``previous``
        (``cross_year``): the results come once the last input has been checked."""
        checked = self.each(inputs)
        if on_checked is not None:
            checked = _tapped(checked, on_checked)
        if not history:
            return (item.result for item in checked)
        return cross_year(checked, previous, spool_dir=self.spool_dir)

    def each(self, inputs: Iterable[Path | CheckResult]) -> Iterator[Checked]:
        """Each input ``Checked``, in order. With workers, at most ``WINDOW_PER_WORKER`` per worker
        are submitted ahead of the one handed on next: a slow file holds back the output, and then
        the workers, but memory never holds more than the window."""
        if self._executor is None:
            for item in inputs:
                yield Checked.of(item) if isinstance(item, CheckResult) else _check_one(item, self.limits, self.sandbox)
            return
        window: deque[Checked | tuple[Path, Future[Checked]]] = deque()
        most = self.workers * WINDOW_PER_WORKER
        for item in inputs:
            window.append(Checked.of(item) if isinstance(item, CheckResult) else (item, self._submit(item)))
            if len(window) >= most:
                yield self._outcome(window.popleft())
        while window:
            yield self._outcome(window.popleft())

    def _pool(self, workers: int) -> ProcessPoolExecutor | None:
        """A pool of ``workers`` started processes, or None (logged) when none can be made."""
        import multiprocessing  # noqa: PLC0415 - only a batch needs processes; the Lambda never loads this
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        # fork where there is one: no imports to repeat, and a worker runs what this process would
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        for stream in (sys.stdout, sys.stderr):  # else a worker could write again what is buffered
            with contextlib.suppress(Exception):
                stream.flush()
        try:
            executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
            with warnings.catch_warnings():
                # Python 3.12 warns when a process with threads forks (a progress bar, when a pool
                # is replaced mid-batch): a worker only checks files, taking no lock those hold
                warnings.simplefilter("ignore", DeprecationWarning)
                executor.submit(_ready).result()  # with fork, the first task starts every worker
        except (OSError, ImportError, NotImplementedError, RuntimeError) as error:
            log.warning("no worker processes (%s); checking the files one at a time in this one", error)
            return None
        return executor

    def _submit(self, path: Path) -> Future[Checked]:
        from concurrent.futures import Future  # noqa: PLC0415
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

        if self._executor is not None:
            try:
                return self._executor.submit(_check_one, path, self.limits, self.sandbox)
            except BrokenProcessPool:  # a worker died since the last file: a new pool for the rest
                self._executor.shutdown(wait=False)
                self._executor = self._pool(self.workers)
            if self._executor is not None:
                return self._executor.submit(_check_one, path, self.limits, self.sandbox)
        done: Future[Checked] = Future()
        done.set_result(_check_one(path, self.limits, self.sandbox))
        return done

    def _outcome(self, entry: Checked | tuple[Path, Future[Checked]]) -> Checked:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

        if isinstance(entry, Checked):
            return entry
        path, future = entry
        try:
            return future.result()
        except BrokenProcessPool:
            # A worker died (a crash in a reader outside the sandbox, the kernel's OOM killer):
            # every file in flight failed with it. Each is checked again alone, so only the file
            # that kills its worker a second time is lost, as its own unreadable result.
            return self._alone(path)
        except Exception:  # the result did not come back (a defect of ours)
            log.exception("the result of checking %s did not come back", path)
            return Checked.of(unreadable(str(path), CHECK_DEFECT))

    def _alone(self, path: Path) -> Checked:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

        single = self._pool(1)
        if single is None:
            return Checked.of(unreadable(str(path), WORKER_DIED))
        with single:
            try:
                return single.submit(_check_one, path, self.limits, self.sandbox).result()
            except BrokenProcessPool:
                log.error("the process checking %s died, twice", path)
                return Checked.of(unreadable(str(path), WORKER_DIED))


def _tapped(items: Iterable[Checked], call: Callable[[], None]) -> Iterator[Checked]:
    for item in items:
        call()
        yield item
