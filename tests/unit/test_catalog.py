"""Finding codes are the product's API: this list changes only by adding codes."""

from pathlib import Path

import pytest

from nianbao.model import Severity
from nianbao.rules import CODES

pytestmark = pytest.mark.unit

STABLE = {
    "SECTION_MISSING": "error", "SECTION_ORDER": "info", "TABLE_MISSING": "error", "TABLE_EMPTY": "error",
    "ROW_MISSING": "error", "CELL_BLANK": "warning", "CELL_INVALID": "error", "ROW_SHAPE": "warning",
    "FORMAT_OUTDATED": "error", "FORMAT_UNKNOWN": "error", "LABEL_NONSTANDARD": "info",
    "T3_APPLICATION_BALANCE": "error", "T3_RESULTS_TOTAL": "error", "T3_ROW_TOTAL": "error", "T4_TOTAL": "error",
    "TEXT_TABLE_MISMATCH": "warning", "YEAR_MISMATCH": "warning", "TITLE_INCOMPLETE": "warning",
    "FEE_STATEMENT_MISSING": "warning", "SECTION5_THIN": "warning", "DATE_MISSING": "info",
    "PUBLISHED_LATE": "warning", "INPUT_UNREADABLE": "error", "NO_TEXT_LAYER": "error", "NOT_A_REPORT": "error",
    "BODY_UNKNOWN": "info", "CARRYOVER_MISMATCH": "error", "IN_FORCE_CONTINUITY": "warning", "TEXT_REUSE": "warning",
    "HIERARCHY_SUM": "warning", "REPORT_OVERDUE": "error", "READ_BY_OCR": "info", "OCR_LOW_CONFIDENCE": "info",
}  # fmt: skip


def test_codes_and_severities_never_change():
    current = {code: c.severity.value for code, c in CODES.items()}
    assert {k: current[k] for k in STABLE} == STABLE  # new codes may be added, none changed or removed
    assert all(c.severity in Severity for c in CODES.values())


def test_readme_documents_every_code():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in readme]
    assert not missing
