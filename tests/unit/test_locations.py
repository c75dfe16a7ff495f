"""A finding about a table cell or a quoted line says where it is printed on the PDF page.

The checker reads PDFs with pypdfium2 (its text and its rules). The boxes its findings give are
checked here against an independent reading of the same file: pdfplumber's words and text search,
which come from pdfminer, with the characters' own user-space y0/y1 (no coordinate flip of ours
involved). A cell finding's box must hold exactly the number printed in that cell, lie on the row
whose label pdfminer finds at that height and under the column whose heading it finds at that
x; a line finding's box must hold the quoted words. fpdf2's fixtures are left out: pdfminer reads
no text from their CFF fonts, so there is nothing independent to compare with.

Findings are planted in the committed fixtures' parsed reports (a total made wrong, a cell made
text, a title cut short ...), so the cell or line each one names is known; the fixture files and
their truth (manifest.json) are what tests/synth rendered. A freshly rendered PDF goes through the
same checks when the CJK fonts are installed.
"""

from __future__ import annotations

import io
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

import nianbao.model
from nianbao.check import check_bytes, check_path
from nianbao.contract import report_dict, to_csv, to_json
from nianbao.model import Box, Cell, CellKind, CheckResult, Finding, Location, Origin, Prose, Report, user_space
from nianbao.rules import run
from nianbao.spec import TABLE4_ROW, FormatVersion
from tests.conftest import check_text
from tests.synth import Layout, random_truth, render_text
from tests.synth.blocks import blocks
from tests.synth.fixtures import fixture_truths
from tests.synth.to_pdf import FixtureUnavailable, to_pdf

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
MANIFEST: dict[str, dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
# the PDFs pdfminer reads text from (reportlab: TrueType; LibreOffice), without a scanned page
READABLE = sorted(
    name
    for name, entry in MANIFEST.items()
    if entry["kind"] == "pdf" and entry["generator"] in ("reportlab", "libreoffice") and not entry["scanned_pages"]
)
TOLERANCE = 3.0  # points: pdfium's character boxes and pdfminer's font boxes differ by a point or two
COLUMN_HEADS = {"natural": "自然", "commercial": "商业", "research": "科研", "public_welfare": "社会",
                "legal_service": "法律", "other": "其他", "total": "总计"}  # fmt: skip
# what the first printed line of a Table 3 row label says, whatever the generator wraps
ROW_LABELS = {
    "new": "本年新收", "carried_in": "上年结转", "granted": "予以公开", "partial": "部分公开",
    "denied_1": "国家秘密", "denied_2": "2.其他法律", "denied_3": "3.危及", "denied_4": "4.保护第三方",
    "denied_5": "5.属于三类", "denied_6": "6.属于四类", "denied_7": "7.属于行政执法", "denied_8": "8.属于行政查询",
    "unable_1": "1.本机关不掌握", "unable_2": "2.没有现成信息", "unable_3": "3.补正后申请",
    "refused_1": "1.信访举报", "refused_2": "2.重复申请", "refused_3": "3.要求提供公开", "refused_4": "4.无正当理由",
    "refused_5": "5.要求行政机关", "other": "其他处理", "other_1": "1.申请人无正当", "other_2": "2.申请人逾期",
    "other_3": "3.其他", "results_total": "七总计", "carried_out": "结转下年度",
}  # fmt: skip


# --- what pdfminer sees -------------------------------------------------------------------------


def _chars_box(chars: list[dict[str, Any]]) -> Box:
    """The user-space box of pdfminer characters (their y0/y1 are PDF user space already)."""
    return (
        min(float(c["x0"]) for c in chars),
        min(float(c["y0"]) for c in chars),
        max(float(c["x1"]) for c in chars),
        max(float(c["y1"]) for c in chars),
    )


@cache
def _pages(pdf: bytes) -> tuple[list[tuple[str, Box]], ...]:
    """Every word of every page with its user-space box, as pdfminer reads them."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return tuple(
            [(w["text"], _chars_box(w["chars"])) for w in page.extract_words(return_chars=True)]
            for page in document.pages
        )


@cache
def _search(pdf: bytes, page: int, text: str) -> list[Box]:
    """Where ``text`` is printed on ``page``: its letters, digits and CJK characters in order, with
    anything else between them (the checker's text is NFKC and has no spaces; the page's is not)."""
    pattern = r"[\s\W]*".join(re.escape(c) for c in text if c.isalnum())
    with pdfplumber.open(io.BytesIO(pdf), pages=[page]) as document:
        return [_chars_box(m["chars"]) for m in document.pages[0].search(pattern)]


def _center(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _holds(outer: Box, point: tuple[float, float]) -> bool:
    return (
        outer[0] - TOLERANCE <= point[0] <= outer[2] + TOLERANCE
        and outer[1] - TOLERANCE <= point[1] <= outer[3] + TOLERANCE
    )


def _encloses(outer: Box, inner: Box) -> bool:
    # pdfminer's boxes are the font's height, pdfium's the glyphs': a title's differ by 3 to 4 pt
    slack = max(TOLERANCE, 0.25 * (inner[3] - inner[1]))
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def words_in(pdf: bytes, location: Location) -> list[str]:
    """The words pdfminer prints inside the finding's box, in reading order."""
    assert location.page is not None
    assert location.bbox is not None
    box = location.bbox
    return [text for text, word in _pages(pdf)[location.page - 1] if _holds(box, _center(word))]


# --- the checks, as lists of problems (empty: the box is right) ---------------------------------


def cell_problems(pdf: bytes, location: Location, printed: list[str], row_label: str | None) -> list[str]:
    """The box of a cell finding holds exactly ``printed`` (its cells' words; [] for blank cells),
    lies at the height of ``row_label`` and under the heading of the finding's column."""
    problems: list[str] = []
    if location.bbox is None or location.page is None or location.page_size is None:
        return [f"no box: {location}"]
    box, page = location.bbox, location.page
    inside = words_in(pdf, location)
    if sorted(inside) != sorted(printed):
        problems.append(f"the box {box} on page {page} holds {inside}, not {printed}")
    if row_label is not None:
        heights = [_center(b)[1] for b in _search(pdf, page, row_label)]
        if not any(box[1] - TOLERANCE <= y <= box[3] + TOLERANCE for y in heights):
            problems.append(f"the box {box} is not at the height of “{row_label}” ({heights})")
    if location.column is not None:
        head = COLUMN_HEADS.get(location.column) or "总计"
        xs = [_center(b)[0] for b in _search(pdf, page, head)]
        if not any(box[0] <= x <= box[2] for x in xs):
            problems.append(f"the box {box} is not under the heading “{head}” ({xs})")
    return problems


def line_problems(pdf: bytes, location: Location, quoted: str) -> list[str]:
    """The box of a line finding holds the quoted words, and is as high as the line they are on."""
    if location.bbox is None or location.page is None or location.page_size is None:
        return [f"no box: {location}"]
    box = location.bbox
    found = _search(pdf, location.page, quoted)
    if not any(_encloses(box, b) for b in found):
        return [f"“{quoted}” ({found}) is not inside the box {box} on page {location.page}"]
    line = max(b[3] - b[1] for b in found)
    if box[3] - box[1] > 3 * line:  # a quote spans one line, or two where its sentence wraps
        return [f"the box {box} is much higher than the line of “{quoted}”"]
    return []


# --- planting findings in a fixture's parsed report ----------------------------------------------


@cache
def fixture(name: str) -> tuple[bytes, CheckResult]:
    return (FIXTURES / name).read_bytes(), check_path(FIXTURES / name)


def planted(name: str, plant: Callable[[Report], object]) -> tuple[bytes, Report, list[Finding]]:
    """The fixture's report after ``plant`` changed it, and the findings the rules give it."""
    pdf, result = fixture(name)
    report = result.report.model_copy(deep=True)
    plant(report)
    return pdf, report, run(report)


def set_cell(report: Report, table: str, row: str, column: str, **changes: Any) -> Cell:
    """Change one cell of a placed row (its origin kept) and return it as it was."""
    table_row = report.table(table).rows[row]  # type: ignore[union-attr]
    index = table_row.columns.index(column)
    cells = list(table_row.placements[0])
    before: Cell = cells[index]
    cells[index] = before.model_copy(update=changes)
    table_row.placements[0] = tuple(cells)
    return before


def one(findings: list[Finding], code: str, **where: Any) -> Finding:
    matching = [f for f in findings if f.code == code and all(getattr(f.location, k) == v for k, v in where.items())]
    assert len(matching) == 1, [f"{f.code} {f.location}" for f in findings]
    return matching[0]


def printed(report: Report, table: str, row: str, column: str) -> str:
    cell = report.table(table).rows[row].cell(column)  # type: ignore[union-attr]
    assert cell is not None
    return cell.raw


# --- the conversion ------------------------------------------------------------------------------


def test_user_space_flips_y_from_the_page_bottom_and_rounds_to_a_tenth_of_a_point():
    box, size = user_space((72.04, 100.0, 144.06, 112.56), (595.2755, 841.8898))
    assert box == (72.0, 729.3, 144.1, 741.9)
    assert size == (595.3, 841.9)
    location = Location.of(Origin(line=3, page=2, bbox=(10, 20, 30, 40), page_size=(100, 200)), section=1)
    assert (location.section, location.line, location.page) == (1, 3, 2)
    assert (location.bbox, location.page_size) == ((10, 160, 30, 180), (100, 200))
    # a line of text, Word or a web page: the line only
    assert Location.of(Origin(line=3)) == Location(line=3)
    assert Location.of(Origin(line=3, page=1, bbox=None, page_size=(100, 200))).page_size is None


def test_a_box_never_spans_pages():
    first = Origin(line=1, page=1, bbox=(10, 10, 20, 20), page_size=(100, 100))
    grown = first.union([Origin(line=2, page=1, bbox=(15, 30, 40, 35)), Origin(line=3, page=2, bbox=(0, 0, 90, 90))])
    assert (grown.line, grown.bbox) == (1, (10, 10, 40, 35))


def test_prose_maps_a_quoted_span_to_the_lines_it_was_printed_on():
    prose = Prose(
        text="甲乙丙丁戊己",
        starts=[0, 2, 4],
        lines=[7, 8, 9],
        places=[(1, (10, 10, 50, 20), (100, 100)), (1, (10, 22, 40, 32), (100, 100)), (2, (0, 0, 5, 5), (100, 100))],
    )
    assert prose.origin_at(1) == Origin(line=7, page=1, bbox=(10, 10, 50, 20), page_size=(100, 100))
    assert prose.origin_at(1, 4).bbox == (10, 10, 50, 32)  # both lines of page 1
    assert prose.origin_at(1, 6).bbox == (10, 10, 50, 32)  # not the piece on page 2
    assert Prose(text="甲", starts=[0], lines=[3]).origin_at(0) == Origin(line=3)  # text: no places


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", READABLE)
def test_a_row_total_finding_points_at_the_printed_total(name):
    def plant(report: Report) -> None:
        before = set_cell(report, "table3", "new", "total")
        assert isinstance(before.value, int)
        set_cell(report, "table3", "new", "total", value=before.value + 1)

    pdf, report, findings = planted(name, plant)
    found = one(findings, "T3_ROW_TOTAL", row="new")
    assert found.location.column == "total"
    total = printed(report, "table3", "new", "total")
    assert cell_problems(pdf, found.location, [total], ROW_LABELS["new"]) == []


@pytest.mark.parametrize("name", READABLE)
def test_the_application_balance_points_at_both_cells_it_states(name):
    """T3_APPLICATION_BALANCE names a column: its box holds 办理结果总计 and 结转下年度 of it."""

    def plant(report: Report) -> None:
        before = set_cell(report, "table3", "carried_out", "total")
        assert isinstance(before.value, int)
        set_cell(report, "table3", "carried_out", "total", value=before.value + 5)

    pdf, report, findings = planted(name, plant)
    found = one(findings, "T3_APPLICATION_BALANCE", column="total")
    stated = [printed(report, "table3", row, "total") for row in ("results_total", "carried_out")]
    assert cell_problems(pdf, found.location, stated, ROW_LABELS["carried_out"]) == []


@pytest.mark.parametrize("name", READABLE)
def test_a_results_total_and_a_table4_total_point_at_their_cells(name):
    def plant(report: Report) -> None:
        for table, row, column in (("table3", "results_total", "natural"), ("table4", TABLE4_ROW, "review_total")):
            before = set_cell(report, table, row, column)
            assert isinstance(before.value, int)
            set_cell(report, table, row, column, value=before.value + 100)

    pdf, report, findings = planted(name, plant)
    t3 = one(findings, "T3_RESULTS_TOTAL", column="natural")
    natural = printed(report, "table3", "results_total", "natural")
    assert cell_problems(pdf, t3.location, [natural], ROW_LABELS["results_total"]) == []
    t4 = one(findings, "T4_TOTAL", column="review_total")
    assert cell_problems(pdf, t4.location, [printed(report, "table4", TABLE4_ROW, "review_total")], None) == []


@pytest.mark.parametrize("name", READABLE)
def test_an_invalid_cell_points_at_that_cell(name):
    def plant(report: Report) -> None:
        set_cell(report, "table3", "carried_in", "research", kind=CellKind.TEXT, raw="见附件", value=None)

    pdf, _, findings = planted(name, plant)
    found = one(findings, "CELL_INVALID", row="carried_in")
    assert found.location.column == "research"
    shown = [printed(fixture(name)[1].report, "table3", "carried_in", "research")]
    assert cell_problems(pdf, found.location, shown, ROW_LABELS["carried_in"]) == []


def test_every_blank_cell_of_a_fixture_points_at_an_empty_cell_of_its_row_and_column():
    for name in [n for n in READABLE if n.startswith("r2021")]:
        pdf, result = fixture(name)
        blanks = [f for f in result.findings if f.code == "CELL_BLANK"]
        assert blanks
        for found in blanks:
            assert found.location.row is not None
            assert cell_problems(pdf, found.location, [], ROW_LABELS.get(found.location.row)) == [], name


@pytest.mark.parametrize("name", READABLE)
def test_a_folded_blank_row_gets_the_box_of_all_its_cells(name):
    def blank(report: Report) -> None:
        for column in report.table3.rows["carried_in"].columns:  # type: ignore[union-attr]
            set_cell(report, "table3", "carried_in", column, kind=CellKind.BLANK, raw="", value=None)

    pdf, _, findings = planted(name, blank)
    row = one(findings, "CELL_BLANK", row="carried_in")
    assert row.location.column is None
    values = [printed(fixture(name)[1].report, "table3", "carried_in", c) for c in COLUMN_HEADS]
    assert cell_problems(pdf, row.location, values, ROW_LABELS["carried_in"]) == []


@pytest.mark.parametrize("name", READABLE)
def test_a_folded_blank_column_gets_the_box_of_its_cells_on_the_page_where_it_starts(name):
    def blank(report: Report) -> None:
        for row in report.table3.rows:  # type: ignore[union-attr]
            set_cell(report, "table3", row, "research", kind=CellKind.BLANK, raw="", value=None)

    pdf, _, findings = planted(name, blank)
    column = one(findings, "CELL_BLANK", column="research", row=None)
    original = fixture(name)[1].report.table3
    assert original is not None
    page = column.location.page
    rows = [r for r in original.rows.values() if r.origin.page == page]
    shown = [c.raw for r in rows if (c := r.cell("research")) is not None and c.raw]
    # a box never spans pages: the column's cells on the page where it starts, first row to last
    assert cell_problems(pdf, column.location, shown, ROW_LABELS[rows[0].key]) == []
    assert cell_problems(pdf, column.location, shown, ROW_LABELS[rows[-1].key]) == []


@pytest.mark.parametrize("name", READABLE)
def test_a_row_shape_finding_gets_the_rows_box_label_and_cells(name):
    def plant(report: Report) -> None:
        assert report.table3 is not None
        report.table3.rows["carried_in"].printed = 6

    pdf, report, findings = planted(name, plant)
    found = one(findings, "ROW_SHAPE", row="carried_in")
    assert found.location.column is None
    box = found.location.bbox
    assert box is not None
    row = report.table3.rows["carried_in"]  # type: ignore[union-attr]
    inside = words_in(pdf, found.location)
    assert [c.raw for c in row.placements[0]] == [w for w in inside if w.isdigit()]
    labels = _search(pdf, found.location.page or 0, ROW_LABELS["carried_in"])
    assert any(_encloses(box, label) for label in labels)


# --- quoted lines --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", READABLE)
def test_a_prose_count_that_disagrees_points_at_the_sentence(name):
    def plant(report: Report) -> None:
        before = set_cell(report, "table3", "new", "total")
        assert isinstance(before.value, int)
        set_cell(report, "table3", "new", "total", value=before.value + 1)

    pdf, _, findings = planted(name, plant)
    found = one(findings, "TEXT_TABLE_MISMATCH", table="table3")
    assert found.evidence is not None
    assert line_problems(pdf, found.location, found.evidence) == []


@pytest.mark.parametrize("name", READABLE)
def test_title_period_date_and_heading_findings_point_at_their_lines(name):
    pdf, result = fixture(name)
    original = result.report
    assert original.title
    assert original.published_text
    assert original.years.period_text

    def plant(report: Report) -> None:
        report.title = report.title.replace(str(report.year), "") if report.title else None  # no year
        report.years.title = (report.year or 0) - 1  # the statistics period now disagrees with it
        report.published = date((report.year or 0) + 1, 6, 30)  # late
        report.sections[6].prose = Prose()  # nothing about 信息处理费 (due from the 2021 format on)
        report.sections[2].ordinal = "三"  # an ordinal other than the standard one

    _, report, findings = planted(name, plant)
    title = one(findings, "TITLE_INCOMPLETE")
    assert line_problems(pdf, title.location, original.title[:8]) == []
    period = next(f for f in findings if f.code == "YEAR_MISMATCH" and f.expected == report.years.title)
    assert line_problems(pdf, period.location, original.years.period_text[:12]) == []
    late = one(findings, "PUBLISHED_LATE")
    assert line_problems(pdf, late.location, original.published_text) == []
    if original.format is FormatVersion.V2021:
        fee = one(findings, "FEE_STATEMENT_MISSING")
        assert line_problems(pdf, fee.location, original.sections[6].heading) == []
    order = one(findings, "SECTION_ORDER", section=2)
    assert line_problems(pdf, order.location, original.sections[2].heading) == []


@pytest.mark.parametrize("name", READABLE)
def test_every_line_of_text_outside_the_tables_gets_the_box_pdfminer_sees(name):
    """Not only the lines findings quote: each prose line's box holds its first words."""
    pdf, result = fixture(name)
    report = result.report
    checked = 0
    for prose in [report.preamble, *(s.prose for s in report.sections.values())]:
        ends = [*prose.starts[1:], len(prose.text)][: len(prose.starts)]
        for start, end, line in zip(prose.starts, ends, prose.lines, strict=True):
            location = Location.of(prose.origin_at(start))
            assert location.line == line
            first_words = prose.text[start:end].strip()[:6]
            assert line_problems(pdf, location, first_words) == [], first_words
            checked += 1
    assert checked >= 10


def test_a_lines_box_is_taken_in_its_band_not_where_its_words_first_occur():
    """The same words printed higher on the page (the title) are passed over for a lower band."""
    import pypdfium2  # noqa: PLC0415

    from nianbao.extract.pdf import _LineBoxes, _Page  # noqa: PLC0415 - the extractor's line boxes

    document = pypdfium2.PdfDocument(FIXTURES / "r2021-reportlab.pdf")
    try:
        page = document[0]
        textpage = page.get_textpage()
        width, height = page.get_size()
        text = textpage.get_text_range()
        words = "政府信息公开"
        assert text.count(words) >= 2

        def boxes() -> _LineBoxes:
            return _LineBoxes(_Page(1, width, height, text), textpage)

        title = boxes().find(words, 0, 0.15 * height)
        below = boxes().find(words, 0.15 * height, height)
        assert title is not None
        assert below is not None
        assert (title[1] + title[3]) / 2 < 0.15 * height < (below[1] + below[3]) / 2
        assert boxes().find(words, height - 2, height) is None  # nowhere in that band: no box
        textpage.close()
        page.close()
    finally:
        document.close()


# --- what text knows, and the contract -----------------------------------------------------------


def test_a_text_report_gives_lines_and_no_boxes():
    truth = replace(fixture_truths()["r2021"], stale_year=True, fee_statement=False)
    truth.table3 = truth.table3 | {"new": [*truth.table3["new"][:-1], 999]}
    result = check_text(render_text(truth, Layout.TABS, random.Random(0)))
    located = {"CELL_BLANK", "T3_ROW_TOTAL", "YEAR_MISMATCH", "FEE_STATEMENT_MISSING"}
    assert located <= {f.code for f in result.findings}
    for found in result.findings:
        assert (found.location.bbox, found.location.page_size, found.location.page) == (None, None, None)
        assert found.location.line or found.code not in located


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if MANIFEST[n]["kind"] in ("docx", "html")))
def test_word_and_web_pages_give_lines_and_no_boxes(name):
    result = fixture(name)[1]
    assert any(f.code == "CELL_BLANK" for f in result.findings) or name.startswith("r2019")
    for found in result.findings:
        assert (found.location.bbox, found.location.page_size, found.location.page) == (None, None, None)
        assert found.location.line


def test_the_json_contract_gives_the_box_and_page_size_and_csv_keeps_its_columns():
    name = READABLE[0]
    _, report, findings = planted(name, lambda r: set_cell(r, "table3", "new", "total", value=10_000))
    result = CheckResult(report=report, findings=findings, status=fixture(name)[1].status)
    payload = json.loads(to_json([result]))
    assert payload["version"] == 1
    [as_json] = payload["reports"]
    total = next(f for f in as_json["findings"] if f["code"] == "T3_ROW_TOTAL")
    location = total["location"]
    assert set(location) == {"section", "table", "row", "column", "line", "page", "bbox", "page_size"}
    x0, y0, x1, y1 = location["bbox"]
    width, height = location["page_size"]
    assert 0 <= x0 < x1 <= width
    assert 0 <= y0 < y1 <= height
    assert all(round(v, 1) == v for v in [*location["bbox"], *location["page_size"]])
    assert report_dict(result)["findings"][0]["location"].keys() == location.keys()
    header = to_csv([result]).splitlines()[0].split(",")
    assert "page" in header
    assert "bbox" not in header
    assert "page_size" not in header


# --- the checks themselves -----------------------------------------------------------------------


def test_the_checks_fail_when_the_y_flip_is_forgotten(monkeypatch):
    """Broken on purpose: a conversion that keeps the top-left y (no flip) is caught."""

    def unflipped(bbox: Box, page_size: tuple[float, float]) -> tuple[Box, tuple[float, float]]:
        return (bbox[0], bbox[1], bbox[2], bbox[3]), page_size

    monkeypatch.setattr(nianbao.model, "user_space", unflipped)
    name = READABLE[0]

    def plant(report: Report) -> None:
        set_cell(report, "table3", "new", "total", value=10_000)

    pdf, report, findings = planted(name, plant)
    found = one(findings, "T3_ROW_TOTAL", row="new")
    assert cell_problems(pdf, found.location, [printed(report, "table3", "new", "total")], "本年新收")
    title_finding = planted(name, lambda r: setattr(r, "title", "报告"))[2]
    title = one(title_finding, "TITLE_INCOMPLETE")
    assert line_problems(pdf, title.location, (fixture(name)[1].report.title or "")[:8])


def test_the_checks_fail_on_a_neighbouring_cell():
    name = READABLE[0]
    pdf, report, findings = planted(name, lambda r: set_cell(r, "table3", "new", "total", value=10_000))
    found = one(findings, "T3_ROW_TOTAL", row="new")
    assert found.location.bbox is not None
    x0, y0, x1, y1 = found.location.bbox
    left = found.location.model_copy(update={"bbox": (2 * x0 - x1, y0, x0, y1)})  # the 其他 column
    assert cell_problems(pdf, left, [printed(report, "table3", "new", "total")], "本年新收")


# --- a freshly rendered report --------------------------------------------------------------------


def _render(generator: str) -> bytes:
    """A 2021-format report with a wrong row total, a section 五 that speaks of last year and no
    word on 信息处理费, rendered by ``generator``."""
    rng = random.Random(5)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    truth.table3 = truth.table3 | {"carried_in": [*truth.table3["carried_in"][:-1], 777]}
    truth = replace(truth, stale_year=True, fee_statement=False)
    try:
        return to_pdf(blocks(truth, rng), generator)  # type: ignore[arg-type]
    except FixtureUnavailable as missing:
        pytest.skip(f"cannot render a PDF here: {missing}")


@pytest.mark.parametrize("generator", ["reportlab", "libreoffice"])
def test_a_freshly_rendered_pdf_gives_findings_on_their_cells_and_lines(generator):
    pdf = _render(generator)
    result = check_bytes(pdf, f"fresh-{generator}.pdf")
    codes = {f.code for f in result.findings}
    assert {"T3_ROW_TOTAL", "T3_APPLICATION_BALANCE", "YEAR_MISMATCH", "FEE_STATEMENT_MISSING"} <= codes
    total = one(result.findings, "T3_ROW_TOTAL", row="carried_in")
    assert cell_problems(pdf, total.location, ["777"], ROW_LABELS["carried_in"]) == []
    balance = one(result.findings, "T3_APPLICATION_BALANCE", column="total")
    stated = [printed(result.report, "table3", r, "total") for r in ("results_total", "carried_out")]
    assert cell_problems(pdf, balance.location, stated, ROW_LABELS["carried_out"]) == []
    for found in _quoting(result.findings):
        assert found.evidence is not None
        assert line_problems(pdf, found.location, found.evidence[:10]) == [], found.code
    fee = one(result.findings, "FEE_STATEMENT_MISSING")
    assert line_problems(pdf, fee.location, result.report.sections[6].heading) == []


def _quoting(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that quote a line of prose as their evidence."""
    return [f for f in findings if f.code in ("YEAR_MISMATCH", "TEXT_TABLE_MISMATCH") and f.evidence]
