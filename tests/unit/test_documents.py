"""Reports as offices publish them: PDF from three generators, Word, and web pages.

The committed fixtures (tests/fixtures/documents, written by ``python -m tests.synth.fixtures``)
run anywhere; their manifest holds the truth each one was rendered from.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from nianbao.check import check_path
from nianbao.contract import report_dict
from nianbao.model import CheckResult, Severity, Status
from tests.conftest import check_text
from tests.synth import Layout, render_text
from tests.synth.fixtures import fixture_truths

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
MANIFEST: dict[str, dict[str, object]] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
EXPECTED_NOISE = {"CELL_BLANK", "READ_BY_OCR"}  # the fixtures have blank cells, one has a scanned page


def comparable(result: CheckResult) -> set[tuple[str, str | None, str | None, str | None]]:
    """Findings as the same report gives them whatever its file type: no line or page numbers."""
    return {(f.code, f.location.table, f.location.row, f.location.column) for f in result.findings}


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    return {name: check_path(FIXTURES / name) for name in MANIFEST}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_cell_of_every_fixture_is_read_back(name, results):
    entry, result = MANIFEST[name], results[name]
    report = report_dict(result)
    assert report["tables"] == entry["tables"]
    assert (report["year"], report["format"], report["agency"]) == (entry["year"], entry["format"], entry["agency"])
    assert report["file_type"] == entry["kind"]
    loud = {f.code for f in result.findings if f.severity is not Severity.INFO}
    assert loud <= EXPECTED_NOISE, [f.message for f in result.findings if f.code in loud - EXPECTED_NOISE]


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if not MANIFEST[n]["scanned_pages"]))
def test_a_fixture_gives_the_findings_of_the_same_report_in_text(name, results):
    truth = fixture_truths()[str(MANIFEST[name]["truth"])]
    as_text = check_text(render_text(truth, Layout.TABS, random.Random(0), variants=False, half_width=False))
    assert comparable(results[name]) == comparable(as_text)


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if MANIFEST[n]["kind"] == "pdf"))
def test_pdf_cells_keep_their_page_and_box(name, results):
    table3 = results[name].report.table3
    assert table3 is not None
    cells = [cell for row in table3.rows.values() for cell in row.placements[0]]
    assert all(cell.origin and cell.origin.page and cell.origin.bbox for cell in cells)
    pages = {cell.origin.page for cell in cells if cell.origin}
    assert len(pages) >= 1


def test_the_scanned_page_is_read_by_ocr_and_named(results):
    [name] = [n for n in MANIFEST if MANIFEST[n]["scanned_pages"]]
    result = results[name]
    pages = MANIFEST[name]["scanned_pages"]
    assert isinstance(pages, list)
    assert result.report.ocr_pages == pages
    assert result.status is not Status.UNREADABLE
    [scan] = [f for f in result.findings if f.code == "READ_BY_OCR"]
    assert f"第{pages[0]}页" in scan.message
    assert report_dict(result)["tables"] == MANIFEST[name]["tables"]


def test_without_ocr_the_scanned_page_makes_the_report_unreadable_and_names_the_page(monkeypatch):
    monkeypatch.setenv("NIANBAO_OCR", "off")
    [name] = [n for n in MANIFEST if MANIFEST[n]["scanned_pages"]]
    result = check_path(FIXTURES / name)
    assert result.status is Status.UNREADABLE
    [scan] = [f for f in result.findings if f.code == "NO_TEXT_LAYER"]
    pages = MANIFEST[name]["scanned_pages"]
    assert isinstance(pages, list)
    assert f"第{pages[0]}页" in scan.message
    # the pages that do have text are still checked: the tables are all there
    assert report_dict(result)["tables"] == MANIFEST[name]["tables"]


def test_fpdf2_pdfs_are_read_through_pdfium_where_pdfminer_reads_nothing(results):
    fpdf2 = [results[n] for n in MANIFEST if MANIFEST[n].get("generator") == "fpdf2"]
    assert fpdf2
    assert all(any("pdfium" in note for note in r.report.extraction_notes) for r in fpdf2)
