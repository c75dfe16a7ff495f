import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nianbao.cli import app, expand
from nianbao.spec import FormatVersion
from tests.synth import Layout, random_truth, render_text

pytestmark = pytest.mark.unit
runner = CliRunner()


def write(path: Path, *, seed: int = 0, year: int = 2022, agency: str | None = None, broken: bool = False) -> Path:
    truth = random_truth(random.Random(seed), version=FormatVersion.V2021, year=year)
    if agency is not None:
        truth.agency = agency
    if broken:
        value = truth.table3["granted"][0]
        assert isinstance(value, int)
        truth = truth.with_cell("table3", "granted", 0, value + 5)
    path.write_text(render_text(truth, Layout.TABS, random.Random(seed), variants=False), encoding="utf-8")
    return path


def test_exit_0_when_no_report_has_errors(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path / "a.txt"))])
    assert result.exit_code == 0, result.output
    assert "通过" in result.output
    assert "共检查 1 份报告" in result.output


def test_exit_1_when_a_report_has_errors_and_the_summary_names_the_problem(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path / "a.txt", broken=True))])
    assert result.exit_code == 1
    assert "T3_RESULTS_TOTAL" in result.output
    assert "不通过" in result.output


def test_exit_2_when_an_input_cannot_be_read_even_beside_a_failing_one(tmp_path):
    (tmp_path / "scan.txt").write_bytes(b"\x00\x01" * 100)
    write(tmp_path / "b.txt", broken=True)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "无法读取" in result.output


def test_missing_path_and_empty_directory_are_unreadable_results(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["check", str(tmp_path / "nope.txt"), str(tmp_path / "empty"), "-f", "json"])
    assert result.exit_code == 2
    reports = json.loads(result.output)["reports"]
    assert [r["status"] for r in reports] == ["unreadable", "unreadable"]
    assert "不存在" in reports[0]["findings"][0]["message"]


def test_results_follow_the_order_of_the_inputs(tmp_path):
    first, second = write(tmp_path / "z.txt", seed=1), write(tmp_path / "a.txt", seed=2)
    result = runner.invoke(app, ["check", str(first), str(tmp_path / "missing.txt"), str(second), "-f", "json"])
    sources = [r["source"] for r in json.loads(result.output)["reports"]]
    assert sources == [str(first), str(tmp_path / "missing.txt"), str(second)]


def test_json_csv_and_min_severity(tmp_path):
    path = write(tmp_path / "a.txt", broken=True)
    as_json = runner.invoke(app, ["check", str(path), "--format", "json", "--min-severity", "error"])
    findings = json.loads(as_json.output)["reports"][0]["findings"]
    assert findings
    assert {f["severity"] for f in findings} == {"error"}
    as_csv = runner.invoke(app, ["check", str(path), "-f", "csv"])
    assert as_csv.output.splitlines()[0].startswith("source,agency,year,format,status,code")


def test_exit_zero_for_demos(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path / "a.txt", broken=True)), "--exit-zero"])
    assert result.exit_code == 0


def test_progress_bar_can_be_forced(tmp_path):
    for seed in range(3):
        write(tmp_path / f"r{seed}.txt", seed=seed)
    result = runner.invoke(app, ["check", str(tmp_path), "--progress", "-f", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["reports"]) == 3


def test_directories_are_searched_for_report_files_only(tmp_path):
    write(tmp_path / "a.txt")
    (tmp_path / "b.md").write_text("# x", encoding="utf-8")
    (tmp_path / "report.PDF").write_bytes(b"%PDF-1.7")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / ".hidden" / "c.txt")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "d.txt")
    assert [p.name for p in expand([tmp_path])] == ["a.txt", "b.md", "report.PDF", "d.txt"]


def test_each_file_is_checked_in_a_child_so_a_bomb_costs_only_its_own_result(tmp_path, monkeypatch):
    # Given a folder where one file exhausts memory when checked (as a decompression bomb the
    # readers cannot bound would) and one raises (a defect of ours), beside a healthy report
    import nianbao.check  # noqa: PLC0415

    real = nianbao.check.check_bytes

    def checker(data, source, limits=None):
        if "bomb" in source:
            grown = []
            while True:
                grown.append(bytearray(32 * 1024 * 1024))
        if "defect" in source:
            raise ZeroDivisionError("a bug of ours")
        return real(data, source, limits)

    monkeypatch.setattr(nianbao.check, "check_bytes", checker)
    monkeypatch.setenv("NIANBAO_MAX_MEMORY_MB", "600")
    for name in ("a-good.txt", "b-bomb.txt", "c-defect.txt"):
        write(tmp_path / name)
    # When the folder is checked
    result = runner.invoke(app, ["check", str(tmp_path), "-f", "json"])
    # Then the CLI survives, says why each bad file was not read, and exits 2
    assert result.exit_code == 2
    reports = {Path(r["source"]).name: r for r in json.loads(result.stdout)["reports"]}
    assert reports["a-good.txt"]["status"] == "pass"
    assert reports["b-bomb.txt"]["status"] == "unreadable"
    assert "内存（600 MB）" in reports["b-bomb.txt"]["findings"][0]["message"]
    assert reports["c-defect.txt"]["status"] == "unreadable"
    assert "程序缺陷" in reports["c-defect.txt"]["findings"][0]["message"]


def _year(path: Path, seed: int, year: int, agency: str = "青川县清水镇人民政府") -> Path:
    truth = random_truth(random.Random(seed), version=FormatVersion.V2021, year=year)
    truth.agency = agency
    path.write_text(render_text(truth, Layout.TABS, random.Random(seed), variants=False), encoding="utf-8")
    return path


def _codes(result_output: str) -> dict[str, set[str]]:
    return {Path(r["source"]).name: {f["code"] for f in r["findings"]} for r in json.loads(result_output)["reports"]}


def test_a_bodys_years_checked_together_are_compared_across_years(tmp_path):
    # Given two clean years of one body whose carry-over does not add up, and another body's report
    _year(tmp_path / "a-2022.txt", 101, 2022)
    _year(tmp_path / "b-2023.txt", 202, 2023)
    _year(tmp_path / "c-2023-other.txt", 303, 2023, agency="河西区民政局")
    together = runner.invoke(app, ["check", str(tmp_path), "-f", "json"])
    # Then the later year carries the cross-year finding, and nothing else does
    assert together.exit_code == 1
    found = _codes(together.stdout)
    assert "CARRYOVER_MISMATCH" in found["b-2023.txt"]
    assert "CARRYOVER_MISMATCH" not in found["a-2022.txt"] | found["c-2023-other.txt"]
    # --no-history: each file alone
    alone = runner.invoke(app, ["check", str(tmp_path), "-f", "json", "--no-history"])
    assert alone.exit_code == 0
    assert not any("CARRYOVER_MISMATCH" in codes for codes in _codes(alone.stdout).values())


def test_previous_names_last_years_report_for_a_single_check(tmp_path):
    last = _year(tmp_path / "2022.txt", 101, 2022)
    this = _year(tmp_path / "2023.txt", 202, 2023)
    result = runner.invoke(app, ["check", str(this), "--previous", str(last), "-f", "json"])
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)["reports"]  # last year's is compared with, not reported
    assert "CARRYOVER_MISMATCH" in {f["code"] for f in report["findings"]}
