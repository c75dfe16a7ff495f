"""``nianbao demo``, the README's main command: moto in server mode, the template's stack, the
real handler on the real queue messages, and what each upload came to."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.extract import ocr
from nianbao.local.demo import EXAMPLE_DIVISIONS, Result, Row, run
from nianbao.model import Status

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "tests" / "fixtures" / "documents" / "r2021-reportlab.pdf"
SCAN = ROOT / "tests" / "fixtures" / "documents" / "r2021-scan.pdf"  # page 4 a scan
EXAMPLES = ROOT / "shared" / "nianbao" / "examples"
COUNTY, CITY, PROVINCE = "湟中区政务公开办", "西宁市政务公开办", "青海省政务公开办"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    corrupt = tmp_path_factory.mktemp("uploads") / "损坏的 年报+终稿.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    before = dict(os.environ)
    done = run([PDF, corrupt], division="630122", year=2021)
    assert dict(os.environ) == before, "the demo leaves the environment as it found it"
    return done


@pytest.fixture(scope="module")
def rows(result: Result) -> dict[str, Row]:
    return {row.upload.path.name: row for row in result.rows}


def test_every_example_and_every_file_given_is_stored(rows):
    assert set(rows) == set(EXAMPLE_DIVISIONS) | {PDF.name, "损坏的 年报+终稿.pdf"}
    assert all(row.report is not None for row in rows.values())
    pdf = rows[PDF.name].report
    assert pdf is not None
    assert pdf.key == f"reports/630122/2021/{PDF.name}"
    assert (pdf.division, pdf.key_year, pdf.file_type) == ("630122", 2021, "pdf")


def test_notices_follow_the_division_hierarchy(rows):
    # 630122 reaches the county, its city and the province; 630105 (another district of the city)
    # the city and the province; 632121 (another prefecture) only the province
    assert rows["2022-unbalanced.txt"].offices == [COUNTY, CITY, PROVINCE]
    assert rows["2023-outdated-2019-layout.txt"].offices == [CITY, PROVINCE]
    assert rows["2023-missing-section-gb18030.txt"].offices == [PROVINCE]


def test_reports_without_errors_are_stored_and_not_noticed(rows):
    clean, late = rows["2023-clean.txt"], rows["2024-totals-only-late.md"]
    assert clean.report is not None
    assert late.report is not None
    assert (clean.report.status, late.report.status) == (Status.PASS, Status.WARN)
    assert clean.offices == late.offices == []


def test_a_corrupt_upload_is_an_unreadable_result_with_a_notice(rows):
    row = rows["损坏的 年报+终稿.pdf"]
    assert row.report is not None
    assert row.report.status is Status.UNREADABLE
    assert row.report.key == "reports/630122/2021/损坏的 年报+终稿.pdf"  # decoded once: space and + intact
    assert [f.code for f in row.findings] == ["INPUT_UNREADABLE"]
    assert row.offices == [COUNTY, CITY, PROVINCE]


def test_findings_are_the_stored_ones(rows):
    row = rows["2022-unbalanced.txt"]
    assert row.report is not None
    assert len(row.findings) == row.report.finding_count == row.report.counts["error"] == 4


def test_the_command_prints_status_findings_and_offices_per_report():
    # a scan among the files: ProcessReport hands it on, and OcrReport reads it (where OCR is installed)
    result = CliRunner().invoke(app, ["demo", str(PDF), str(SCAN), "--division", "630105", "--year", "2021"])
    assert result.exit_code == 0, result.output
    out = result.output
    for name, (division, year) in EXAMPLE_DIVISIONS.items():
        assert f"reports/{division}/{year}/{name}" in out
    assert f"reports/630105/2021/{PDF.name}" in out
    assert "表三收支不平衡（T3_APPLICATION_BALANCE）" in out
    assert f"通知：{COUNTY}、{CITY}、{PROVINCE}" in out
    assert "通知：无（没有错误）" in out
    assert "共上传 11 份，已入库 11 份" in out  # the nine examples (eight reports and a notice) and two files given
    assert f"reports/630105/2021/{SCAN.name}" in out
    scanned = (
        "扫描件经文字识别（OCR）读取（READ_BY_OCR）" if ocr.available() else "文件没有文字层（扫描件）（NO_TEXT_LAYER）"
    )
    assert scanned in out.replace("\n", "")  # the console wraps long lines
    assert "上年结转数与上年度报告的结转下年度数不一致（CARRYOVER_MISMATCH）" in out
    assert "逾期未报，已通知" in out
    assert "名册 rosters/630122.csv：收录 5 个机关，1 行未收录" in out
    assert "2023年度 青川县清水镇人民政府 通过 2023-clean.txt（替代了" in out


def test_a_roster_and_two_versions_of_one_report_leave_only_the_current_one_listed(result, rows):
    # Given the roster, and the draft then the corrected report of 清水镇 for 2023
    assert result.roster is not None
    assert (result.roster.accepted, len(result.roster.rejected)) == (5, 1)
    draft, fixed = rows["2023-draft-unbalanced.txt"].report, rows["2023-clean.txt"].report
    assert draft is not None
    assert fixed is not None
    assert (draft.status, fixed.status) == (Status.FAIL, Status.PASS)
    assert draft.body_id == fixed.body_id == "630122-qs"  # matched to the roster's body
    # Then the lists hold the corrected one only; the draft points to it
    listed = [c.report_id for c in result.current if (c.body_id, c.year) == ("630122-qs", 2023)]
    assert listed == [fixed.report_id]
    assert draft.superseded_by == fixed.report_id
    missing = {b.body_id for b in result.missing[2023]}
    assert {"630122-gov", "630122-jy"} <= missing  # bodies of the roster that never filed
    assert "630122-qs" not in missing


def test_a_division_that_is_not_a_code_is_refused_before_anything_starts():
    result = CliRunner().invoke(app, ["demo", "--division", "湟中区"])
    assert result.exit_code == 2
    assert "行政区划代码" in result.output


def test_files_that_would_share_a_key_are_refused_before_anything_starts(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "年报.pdf", tmp_path / "b" / "年报.pdf"
    first.write_bytes(b"%PDF-1.7")
    second.write_bytes(b"%PDF-1.7")
    result = CliRunner().invoke(app, ["demo", str(first), str(second)])
    assert result.exit_code == 2
    assert "reports/630122/2023/年报.pdf" in result.output
    clash = CliRunner().invoke(app, ["demo", str(EXAMPLES / "2023-clean.txt"), "-d", "630122", "-y", "2023"])
    assert clash.exit_code == 2


def test_a_file_that_does_not_exist_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "nothing.pdf")])
    assert result.exit_code == 2


def test_the_demo_shows_a_carry_over_mismatch_between_two_years_and_an_overdue_body(result, rows):
    later = rows["2023-carryover-broken.txt"]
    assert later.report is not None
    assert "CARRYOVER_MISMATCH" in {f.code for f in later.findings}  # against 2022-unbalanced.txt
    assert "CARRYOVER_MISMATCH" not in {f.code for f in rows["2022-unbalanced.txt"].findings}
    assert later.offices == [COUNTY, CITY, PROVINCE]
    # 湟中区教育局 never files; 湟中区人民政府's deadline (31 March) had not passed on 1 February
    assert "湟中区教育局" in result.overdue
    assert "湟中区人民政府" not in result.overdue
    assert result.overdue_offices == [COUNTY, CITY, PROVINCE]
