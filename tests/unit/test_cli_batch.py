"""``nianbao check`` over many files: ``--jobs``, output streamed in input order, history kept.

The oracle is the way the CLI worked before it streamed: every file checked in turn, the results
held in a list, ``series.apply`` over them, then one document written (``todays_json`` below is
that document's code as it was)."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import nianbao.check
from nianbao import series
from nianbao.batch import WINDOW_PER_WORKER, WORKER_DIED, Batch, Checked, compact, cross_year, default_workers
from nianbao.check import CHECK_DEFECT, check_path, unreadable
from nianbao.cli import _jobs, _render, app, exit_code, status_exit_code
from nianbao.contract import CONTRACT_VERSION, json_parts, report_dict, to_csv, to_json
from nianbao.extract import Limits
from nianbao.history import facts_of
from nianbao.model import CheckResult, Severity, Status
from nianbao.sanitize import unsafe_characters
from tests.synth import Layout, blank_cells, random_truth, render_text
from tests.unit.test_cli import write
from tests.unit.test_untrusted_text import hostile_report

pytestmark = pytest.mark.unit
runner = CliRunner()
BODY = "青川县清水镇人民政府"
DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def report(path: Path, seed: int, year: int = 2022, agency: str = BODY, *, broken: bool = False) -> Path:
    return write(path, seed=seed, year=year, agency=agency, broken=broken)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A body's years out of order (its 2022 file after its 2023 one, and 2022 given twice: the
    last counts), another body, a failing report, a hostile file name and agency, an unreadable
    file and a folder inside."""
    root = tmp_path_factory.mktemp("batch")
    report(root / "a-2023.txt", 202, 2023)
    report(root / "b-2022.txt", 101, 2022)
    report(root / "c-2022-again.txt", 303, 2022)
    report(root / "d-2024.txt", 404, 2024)
    report(root / "e-other.txt", 505, 2023, agency="河西区民政局")
    report(root / "f-broken.txt", 606, broken=True)
    hostile_report(root / "g\x1b[2J\u202e.txt")
    (root / "h-scan.txt").write_bytes(b"\x00\x01" * 100)
    (root / "sub").mkdir()
    for seed in range(8):
        report(root / "sub" / f"r{seed}.txt", 700 + seed, 2021 + seed % 4, agency=f"安平县第{seed % 3}局")
    return root


def arguments(folder: Path) -> list[str]:
    return [str(folder), str(folder / "missing.txt")]


def todays_results(paths: list[str], previous: Path | None = None) -> list[CheckResult]:
    """What ``nianbao check`` computed before it streamed: each input in turn, then the history."""
    results = [job if isinstance(job, CheckResult) else check_path(job) for path in paths for job in _jobs(Path(path))]
    return series.apply(results, check_path(previous) if previous else None)


def todays_json(results: list[CheckResult], min_severity: Severity = Severity.INFO) -> str:
    """``contract.to_json`` as it was: the whole document in one ``json.dumps``, then escaped."""
    payload = {"version": CONTRACT_VERSION, "reports": [report_dict(r, min_severity) for r in results]}
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    for char in set(unsafe_characters(text)) - {chr(c) for c in range(0x20)}:
        code = ord(char)
        if code < 0x10000:
            text = text.replace(char, f"\\u{code:04x}")
        else:
            high, low = divmod(code - 0x10000, 0x400)
            text = text.replace(char, f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
    return text


# --- the outputs are today's, streamed --------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("severity", ["info", "warning"])
def test_the_streamed_json_array_is_todays_document_byte_for_byte(folder, jobs, severity):
    # Given a folder whose reports compare across years, in an order that puts a later year first
    expected = todays_json(todays_results(arguments(folder)), Severity(severity)) + "\n"
    # When it is checked, in one process or in two
    result = runner.invoke(app, ["check", *arguments(folder), "-f", "json", "-j", jobs, "-s", severity])
    # Then the output is the document checking them all and then writing it gave
    assert result.exit_code == 2, result.output
    assert result.stdout == expected
    reports = {Path(r["source"]).name: r for r in json.loads(result.stdout)["reports"]}
    # the 2023 report met its previous year though that came after it
    assert "CARRYOVER_MISMATCH" in {f["code"] for f in reports["a-2023.txt"]["findings"]}


def test_the_json_pieces_join_to_todays_document_for_none_one_and_many_reports(folder):
    results = todays_results(arguments(folder))
    for some in ([], results[:1], results):
        pieces = list(json_parts(iter(some)))
        assert "".join(pieces) == to_json(some) == todays_json(some)
        assert len(pieces) == len(some) + 2  # the opening, one per report, the closing


def test_previous_still_names_last_years_report_with_workers(folder):
    arguments = [str(folder / "sub"), "--previous", str(folder / "b-2022.txt")]
    expected = todays_json(todays_results([str(folder / "sub")], folder / "b-2022.txt")) + "\n"
    result = runner.invoke(app, ["check", *arguments, "-f", "json", "-j", "2"])
    assert result.stdout == expected


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_csv_rows_are_todays_rows(folder, jobs):
    result = runner.invoke(app, ["check", *arguments(folder), "-f", "csv", "-j", jobs])
    assert result.exit_code == 2
    assert result.stdout == to_csv(todays_results(arguments(folder)))
    assert result.stdout.splitlines()[0].startswith("source,agency,year,format,status,code")
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) >= 17


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_json_lines_give_one_report_per_line_shaped_as_the_documents_elements(folder, jobs):
    result = runner.invoke(app, ["check", *arguments(folder), "-f", "jsonl", "-j", jobs])
    assert result.exit_code == 2
    lines = result.stdout.split("\n")
    assert lines[-1] == ""  # every line ends, the last too
    expected = json.loads(todays_json(todays_results(arguments(folder))))["reports"]
    assert [json.loads(line) for line in lines[:-1]] == expected
    assert result.stdout.splitlines() == lines[:-1]  # no line separator inside a line
    assert not {"\x1b", "\u202e"} & set(result.stdout)


def test_the_text_view_is_the_same_with_workers_and_lists_the_files_in_order(folder):
    one = runner.invoke(app, ["check", *arguments(folder), "-j", "1"], env={"COLUMNS": "200"})
    two = runner.invoke(app, ["check", *arguments(folder), "-j", "2"], env={"COLUMNS": "200"})
    assert one.exit_code == two.exit_code == 2
    assert two.stdout == one.stdout
    names = ["a-2023.txt", "b-2022.txt", "c-2022-again.txt", "f-broken.txt", "h-scan.txt", "sub/r0.txt", "missing"]
    places = [two.stdout.index(name) for name in names]
    assert places == sorted(places)
    assert "共检查 17 份报告：不通过 " in two.stdout
    assert "无法读取 2 份" in two.stdout


@pytest.mark.parametrize("history", ["--history", "--no-history"])
def test_a_slow_first_file_does_not_reorder_the_output(tmp_path, monkeypatch, history):
    # Given files where the first takes longest, so the other worker finishes all the rest first
    real = nianbao.check.check_path

    def slow_first(path, limits=None, sandbox=None):
        if path.name == "a.txt":
            time.sleep(1.5)
        return real(path, limits, sandbox)

    monkeypatch.setattr(nianbao.check, "check_path", slow_first)  # the workers are forked: they see it
    names = [f"{letter}.txt" for letter in "abcdefgh"]
    for seed, name in enumerate(names):
        report(tmp_path / name, seed, agency=f"安平县第{seed}局")
    # When they are checked by two workers
    result = runner.invoke(app, ["check", str(tmp_path), "-f", "jsonl", "-j", "2", history])
    # Then the output keeps the input order
    assert result.exit_code == 0, result.output
    assert [Path(json.loads(line)["source"]).name for line in result.stdout.splitlines()] == names


def test_the_exit_code_is_the_same_in_every_format_and_with_workers(folder, tmp_path):
    clean = report(tmp_path / "clean.txt", 1, agency="河西区民政局")
    failing = report(tmp_path / "failing.txt", 2, broken=True, agency="北山县教育局")
    for output in ("text", "json", "jsonl", "csv"):
        for jobs in ("1", "2"):
            assert runner.invoke(app, ["check", str(clean), "-f", output, "-j", jobs]).exit_code == 0
            assert runner.invoke(app, ["check", str(clean), str(failing), "-f", output, "-j", jobs]).exit_code == 1
            assert runner.invoke(app, ["check", *arguments(folder), "-f", output, "-j", jobs]).exit_code == 2
    assert status_exit_code([]) == exit_code([]) == 0


def test_the_progress_bar_can_be_forced_with_workers(folder):
    arguments = ["check", str(folder / "sub"), "--progress", "-f", "jsonl", "-j", "2", "--no-history"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 8


def test_jobs_default_to_the_cores_this_process_may_use():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_workers() == cores
    assert runner.invoke(app, ["check", "x.txt", "-j", "0"]).exit_code == 2  # a usage error


# --- errors in one file stay that file's -------------------------------------------------------------


def test_a_worker_that_dies_costs_only_its_files_result(tmp_path, monkeypatch):
    # Given a folder where checking one file kills the worker process itself (outside the
    # sandbox's child: a crash the sandbox cannot catch, or the kernel's OOM killer)
    real = nianbao.check.check_path

    def deadly(path, limits=None, sandbox=None):
        if "crash" in path.name:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, limits, sandbox)

    monkeypatch.setattr(nianbao.check, "check_path", deadly)
    names = ["a.txt", "b.txt", "c-crash.txt", "d.txt", "e.txt", "f.txt"]
    for seed, name in enumerate(names):
        report(tmp_path / name, seed, agency=f"安平县第{seed}局")
    # When the folder is checked by two workers
    result = runner.invoke(app, ["check", str(tmp_path), "-f", "jsonl", "-j", "2"])
    # Then every other file has its result, in order, and the crash is that file's own
    assert result.exit_code == 2, result.output
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["source"]).name for r in reports] == names
    assert [r["status"] for r in reports] == ["pass", "pass", "unreadable", "pass", "pass", "pass"]
    assert reports[2]["findings"][0]["message"] == f"无法读取该文件：{WORKER_DIED}"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_defect_outside_the_sandbox_is_that_files_result(tmp_path, monkeypatch, jobs):
    real = nianbao.check.check_path

    def defective(path, limits=None, sandbox=None):
        if "defect" in path.name:
            raise ZeroDivisionError("a bug of ours")
        return real(path, limits, sandbox)

    monkeypatch.setattr(nianbao.check, "check_path", defective)
    for seed, name in enumerate(["a.txt", "b-defect.txt", "c.txt"]):
        report(tmp_path / name, seed, agency=f"安平县第{seed}局")
    result = runner.invoke(app, ["check", str(tmp_path), "-f", "jsonl", "-j", jobs])
    assert result.exit_code == 2
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["pass", "unreadable", "pass"]
    assert CHECK_DEFECT in result.stdout


# --- memory: a bounded window, a spool, compact results ------------------------------------------------


def quick(path, limits=None, sandbox=None):
    return unreadable(str(path), "quick")


class Counted:
    """Inputs ``000.txt``, ``001.txt``… handed out one at a time, counting how many were taken."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0

    def __iter__(self) -> Iterator[Path]:
        for n in range(self.count):
            self.taken += 1
            yield Path(f"{n:03d}.txt")


def test_workers_take_at_most_a_window_of_files_ahead_of_the_output(monkeypatch):
    # Given a stream of inputs that counts how many were taken
    monkeypatch.setattr(nianbao.check, "check_path", quick)
    inputs = Counted(100)
    # When two workers check them and the output is read one result at a time
    ahead = []
    with Batch(Limits(), None, workers=2) as batch:
        for done, result in enumerate(batch.results(iter(inputs), history=False), 1):
            ahead.append(inputs.taken - done)
            assert result.report.source == f"{done - 1:03d}.txt"
    # Then no more than the window was ever taken ahead of what was handed on
    assert max(ahead) <= 2 * WINDOW_PER_WORKER
    assert len(ahead) == 100


def test_without_history_results_come_before_the_last_file_is_checked_and_with_it_after(monkeypatch):
    monkeypatch.setattr(nianbao.check, "check_path", quick)
    for history, first_after in ((False, 1), (True, 30)):
        inputs = Counted(30)
        with Batch(Limits(), None, workers=1) as batch:
            next(iter(batch.results(iter(inputs), history=history)))
        assert inputs.taken == first_after


def full_results() -> list[CheckResult]:
    """Real results of every kind: both formats, layouts, blank cells, a 2019 series, documents."""
    results = []
    rng = random.Random(11)
    for n, layout in enumerate(list(Layout) * 2):
        truth = random_truth(rng, busy=rng.random())
        if n % 3 == 0:
            truth = blank_cells(truth, rng, share=0.3, placeholders=n % 2 == 0)
        results.append(nianbao.check.check_bytes(render_text(truth, layout, rng).encode(), f"r{n}.txt"))
    for name in ("r2021-reportlab.pdf", "r2019.docx", "r2021-utf8.html", "r2021-scan.pdf"):
        results.append(check_path(DOCUMENTS / name))
    results.append(unreadable("gone.txt", "文件或目录不存在"))
    return results


@pytest.fixture(scope="module")
def results() -> list[CheckResult]:
    return full_results()


def rendered(result: CheckResult) -> str:
    out = io.StringIO()
    _render(Console(file=out, width=160, color_system=None), result, Severity.INFO)
    return out.getvalue()


def test_a_compact_result_gives_every_output_the_full_one_gives_at_a_fraction_of_the_size(results):
    for result in results:
        small = compact(result)
        assert report_dict(small) == report_dict(result)
        assert to_csv([small]) == to_csv([result])
        assert rendered(small) == rendered(result)
        if result.report.looks_like_report:
            # a PDF's cells each carry their box, which goes; text cells carry none (one cell object
            # serves every row printing the same text), so there the findings weigh more
            share = 0.4 if result.report.file_type == "pdf" else 0.85
            assert len(pickle.dumps(small)) < share * len(pickle.dumps(result))


def test_cross_year_over_a_stream_is_series_apply(results, tmp_path):
    # Given a body's years, the same year twice, and a previous year named apart
    years = [
        check_path(report(tmp_path / f"{n}.txt", 900 + n, year, agency))
        for n, (year, agency) in enumerate(
            [(2023, BODY), (2022, BODY), (2022, BODY), (2024, BODY), (2023, "河西区民政局"), (2022, "北山县教育局")]
        )
    ]
    previous = check_path(report(tmp_path / "prev.txt", 999, 2022, "河西区民政局"))
    inputs = [*results, *years]
    for before in (None, previous):
        # When the stream of checked results goes through the spool
        streamed = list(cross_year((Checked.of(r) for r in inputs), before, spool_dir=str(tmp_path)))
        # Then each result is what series.apply gives it
        expected = series.apply(inputs, before)
        assert [report_dict(r) for r in streamed] == [report_dict(r) for r in expected]
        assert [r.status for r in streamed] == [r.status for r in expected]
    assert any(f.code == "CARRYOVER_MISMATCH" for r in expected for f in r.findings)
    assert not list(tmp_path.glob("tmp*"))  # the spool leaves nothing behind


def test_a_result_has_a_place_in_a_history_when_it_has_facts_and_an_agency(results):
    for result in results:
        checked = Checked.of(result)
        placed = facts_of(result) is not None and bool(result.report.agency)
        assert (checked.body is not None) is placed
        assert checked.facts == facts_of(result)
    gone = Checked.of(unreadable("gone.txt", "文件或目录不存在"))
    assert gone.body is None
    assert gone.facts is None
    with pytest.MonkeyPatch.context() as patch:  # a part-scanned PDF where OCR is not installed
        patch.setenv("NIANBAO_OCR", "off")
        part_scanned = check_path(DOCUMENTS / "r2021-scan.pdf")
    assert part_scanned.status is Status.UNREADABLE
    assert Checked.of(part_scanned).body is not None
