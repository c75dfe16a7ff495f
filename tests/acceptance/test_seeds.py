"""The team's five real reports (../shared/seeds, outside the repository). Skipped when absent.

Set NIANBAO_SEEDS to read them from elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nianbao.check import check_bytes, check_path
from nianbao.contract import report_dict
from nianbao.model import CheckResult, Severity
from tests.conftest import SEEDS

pytestmark = pytest.mark.acceptance

FOLDER = Path(os.environ.get("NIANBAO_SEEDS", SEEDS))
BALANCE = {"T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL", "T4_TOTAL"}


def seed(prefix: str) -> CheckResult:
    if not FOLDER.is_dir():
        pytest.skip(f"the real sample reports are not here ({FOLDER}); they live outside the repository")
    [path] = FOLDER.glob(f"{prefix}_*.txt")
    return check_path(path)


def codes(result: CheckResult) -> set[str]:
    return {f.code for f in result.findings}


def test_000_is_a_2023_report_in_the_outdated_2019_layout():
    result = seed("000")
    assert result.report.format.value == "2019"
    assert result.report.year == 2023
    assert "FORMAT_OUTDATED" in codes(result)
    assert not codes(result) & BALANCE


def test_001_has_no_error():
    result = seed("001")
    assert [f.code for f in result.findings if f.severity is Severity.ERROR] == []
    assert result.report.format.value == "2021"


def test_002_is_the_unplaceable_case():
    result = seed("002")
    assert (result.report.format.value, result.report.year) == ("2019", 2020)
    assert "T3_RESULTS_TOTAL" in codes(result)
    assert [f.location.table for f in result.findings if f.code == "TABLE_EMPTY"] == ["table4"]
    mismatches = {(f.location.table, f.actual) for f in result.findings if f.code == "TEXT_TABLE_MISMATCH"}
    assert mismatches == {("table3", 14), ("table4", 14)}  # 14 requests and 14 reviews in prose
    assert "YEAR_MISMATCH" in codes(result)
    # the rows printed with six numbers for seven columns cannot be placed: their cells are null
    assert report_dict(result)["tables"]["table3"]["granted"] == [None] * 7


def test_003_has_blank_applicant_columns_and_no_balance_error():
    result = seed("003")
    blank = {f.location.column for f in result.findings if f.code == "CELL_BLANK"}
    assert blank == {"natural", "commercial", "research", "public_welfare", "legal_service", "other"}
    assert not codes(result) & BALANCE
    assert report_dict(result)["tables"]["table3"]["new"] == [None] * 6 + [0]


def test_004_finds_all_sections_although_four_is_extracted_inside_five():
    result = seed("004")
    assert set(result.report.sections) == {1, 2, 3, 4, 5, 6}
    assert result.report.year == 2023
    assert "TITLE_INCOMPLETE" in codes(result)
    assert not codes(result) & BALANCE
    # the text after Table 4 belongs to section 五 again
    assert "改进情况" in result.report.sections[5].prose.text


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_a_seed_printed_to_pdf_gives_the_same_findings_as_its_text(prefix):
    from tests.synth.text_pdf import text_to_pdf  # noqa: PLC0415 - needs reportlab and a CJK font
    from tests.synth.to_pdf import FixtureUnavailable  # noqa: PLC0415

    as_text = seed(prefix)
    try:
        printed = text_to_pdf(Path(as_text.report.source).read_text(encoding="utf-8"))
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))
    as_pdf = check_bytes(printed, f"{prefix}.pdf")

    def findings(result: CheckResult) -> list[tuple[str, str | None, str | None, str | None]]:
        return sorted(
            (f.code, f.location.table or "", f.location.row or "", f.location.column or "") for f in result.findings
        )

    assert as_pdf.report.file_type == "pdf"
    assert findings(as_pdf) == findings(as_text)
    assert report_dict(as_pdf)["tables"] == report_dict(as_text)["tables"]
