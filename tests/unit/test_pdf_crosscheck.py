"""pdfminer reads a PDF's tables only where pdfium's reading of them is suspect.

pdfium reads every table cell; pdfminer (through pdfplumber), some 30 times slower, is asked only
about the pages where a cell holds replacement, private-use or control characters, text that
matches none of the tables' labels, or digits that do not parse (``pdf_tables.suspect``). A clean
PDF never starts pdfminer's interpreter; a suspect page is read again and comes out right; a CFF
font pdfminer reads nothing from keeps pdfium's reading.

pdfium's text of a cell is faked through one seam, ``_CellReader.read``: the fonts that can be
built here by hand (simple fonts with odd glyph names or codes, ToUnicode maps naming glyphs, a
symbolic TrueType font) are read alike by both, or wrongly by both.
"""

from __future__ import annotations

import ctypes
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from nianbao.extract import Document, extract, pdf, pdf_tables
from nianbao.extract.pdf_tables import _add_rule, _cell_text, _CellReader, find_grids, suspect
from tests.unit.test_extract_files import ruled_pdf

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
MANIFEST: dict[str, dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
PDFS = sorted(name for name in MANIFEST if MANIFEST[name]["kind"] == "pdf")
READABLE_BY_PDFMINER = "r2021-reportlab.pdf"  # a TrueType subset: pdfminer and pdfium read it alike
CFF = "r2021-fpdf2.pdf"  # Noto Sans CJK through fpdf2: pdfminer reads no text from it


def data(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def grid_cells(document: Document) -> list[tuple[int | None, list[str] | None]]:
    return [(line.page, line.cells) for line in document.lines if line.grid]


def page_numbers(pdf_data: bytes) -> dict[object, int]:
    """pdfminer's id of each page object -> the page's number."""
    document = PDFDocument(PDFParser(io.BytesIO(pdf_data)))
    return {page.pageid: number for number, page in enumerate(PDFPage.create_pages(document), start=1)}


@pytest.fixture
def interpreted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The ids of the pages pdfminer's interpreter processes (where pdfminer's reading costs its
    time): ``page_numbers`` tells their numbers."""
    pages: list[object] = []
    process_page = PDFPageInterpreter.process_page

    def spy(self: PDFPageInterpreter, page: Any) -> None:
        pages.append(page.pageid)
        process_page(self, page)

    monkeypatch.setattr(PDFPageInterpreter, "process_page", spy)
    return pages


def fake_pdfium(monkeypatch: pytest.MonkeyPatch, garble: Callable[[str], str]) -> None:
    """pdfium reads every cell as ``garble`` of its real text."""
    read = _CellReader.read
    monkeypatch.setattr(_CellReader, "read", lambda self, box: garble(read(self, box)))


# --- a clean PDF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PDFS)
def test_a_clean_pdf_never_starts_pdfminers_interpreter(name, interpreted):
    # Given a report whose tables pdfium reads cleanly (reportlab, LibreOffice, fpdf2's CFF font)
    # When it is read
    document = extract(data(name), name)
    # Then its tables are there, and pdfminer never interpreted a page
    assert len(grid_cells(document)) > 20
    assert interpreted == []
    assert any("未用 pdfminer 复核" in note for note in document.notes)


# --- a suspect PDF -------------------------------------------------------------------------------

GARBLES: dict[str, Callable[[str], str]] = {
    # a font pdfium maps to the private-use area
    "private use": lambda text: "".join(chr(0xE000 + ord(c) % 0x1000) for c in text) if text == "规章" else text,
    # characters pdfium cannot map
    "replacement": lambda text: "\ufffd" * len(text) if text == "行政许可" else text,
    # a font pdfium maps to other, real characters: the label no longer matches any
    "wrong characters": lambda text: "".join(chr(ord(c) + 7) for c in text) if "行政处罚" in text else text,
    # a digit read as a letter
    "digits": lambda text: text.replace("1", "l") if text.isdigit() and "1" in text else text,
}


@pytest.mark.parametrize("kind", sorted(GARBLES))
def test_a_suspect_table_page_is_read_again_by_pdfminer_and_comes_out_right(kind, interpreted, monkeypatch):
    # Given a report pdfminer reads right, and pdfium reading some of its cells wrong
    clean = extract(data(READABLE_BY_PDFMINER), "r.pdf")
    fake_pdfium(monkeypatch, GARBLES[kind])
    # When it is read
    document = extract(data(READABLE_BY_PDFMINER), "r.pdf")
    # Then pdfminer read the pages of the suspect cells, and only those
    garbled = {page for page, cells in grid_cells(clean) for c in cells or [] if GARBLES[kind](c) != c}
    assert garbled
    assert {page_numbers(data(READABLE_BY_PDFMINER))[i] for i in interpreted} == garbled
    # And every cell is read as printed, pdfminer's reading standing in for pdfium's
    assert grid_cells(document) == grid_cells(clean)
    assert any("已用 pdfminer 交叉核对" in note for note in document.notes)
    assert any("乱码" in note for note in document.notes)


def test_a_suspect_page_in_a_font_pdfminer_cannot_read_keeps_pdfiums_reading(interpreted, monkeypatch):
    # Given a report in a CFF font, pdfminer reading nothing of it, and a page pdfium's text of
    # which is taken for suspect
    clean = extract(data(CFF), "r.pdf")
    [page] = {page for page, cells in grid_cells(clean) if "规章" in (cells or [])}
    flag = pdf_tables.suspect
    monkeypatch.setattr(pdf_tables, "suspect", lambda text: text == "规章" or flag(text))
    # When it is read
    document = extract(data(CFF), "r.pdf")
    # Then pdfminer was asked about that page, read nothing, and pdfium's reading stands
    assert [page_numbers(data(CFF))[i] for i in interpreted] == [page]
    assert grid_cells(document) == grid_cells(clean)
    assert any("pdfminer 读不出" in note for note in document.notes)


def test_a_page_pdfminer_finds_the_table_of_is_read_around_that_table(monkeypatch):
    # Given a page with table words whose rules pdfium makes no table of
    monkeypatch.setattr(pdf, "TABLE_WORDS", ("label",))
    monkeypatch.setattr(pdf_tables, "find_grids", lambda page, textpage: [])
    # When pdfplumber's own finder finds the table
    lines = extract(ruled_pdf(), "r.pdf").lines
    # Then the page's text is read again around it: the table's words are not also prose
    assert [line.cells for line in lines if line.grid] == [["label", "1", "2"], ["other", "3", "4"]]
    assert [line.text for line in lines if not line.grid] == []


@pytest.mark.parametrize(
    "text",
    [
        "", "12", "0.5", "1,234", "-3", "/", "—", "无", "规章", "行政规范性文件", "结果 维持",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "(1)属于国家秘密", "3.危及 三安全一 “稳定”",
        "予公开", "（三）不", "五 不", "缴纳费用、行政机关不再处理其政府信息公开申请", "本年收费金额（单位：万元）",
        "社会组织", "第二十条第（一）项", "申请人情况", "未经复议直接起诉",
    ],
)  # fmt: skip
def test_what_a_report_table_prints_is_not_suspect(text):
    assert not suspect(text)


@pytest.mark.parametrize(
    "text",
    ["\ufffd\ufffd", "\ue010规章", "(cid:12)", "规\x03章", "1l2", "12o", "O1", "衤亍正攵讠午可", "ÄÖÜß", "abc", "龘"],
)
def test_garbled_or_unlabelled_text_and_digits_that_do_not_parse_are_suspect(text):
    assert suspect(text)


# --- the geometry --------------------------------------------------------------------------------


def test_pdfium_reads_each_cell_as_pypdfium2s_bounded_text_does():
    document = pdfium.PdfDocument(data(READABLE_BY_PDFMINER))
    compared = 0
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        height = page.get_height()
        reader, small = _CellReader(textpage, height), _CellReader(textpage, height)
        small._size = 2  # a cell's text longer than the buffer: read the way pypdfium2 reads it
        for grid in find_grids(page, textpage):
            for box in (b for row in grid.rows for b in row.boxes if b is not None):
                x0, top, x1, bottom = box
                bounded = textpage.get_text_bounded(x0 + 0.5, height - bottom + 0.5, x1 - 0.5, height - top - 0.5)
                expected = _cell_text(bounded)
                assert reader.read(box) == small.read(box) == expected
                compared += 1
    assert compared > 100


def test_pdfiums_cells_match_pdfplumbers_own_reading_of_a_clean_report():
    # the reference reading: pdfplumber's tables from pdfminer's objects and characters
    with pdfplumber.open(io.BytesIO(data(READABLE_BY_PDFMINER))) as plumbed:
        expected = [
            [_cell_text(cell) for cell in row if cell is not None]
            for page in plumbed.pages
            for table in page.extract_tables()
            for row in table
        ]
    read = [[cell for cell in cells or [] if cell] for _, cells in grid_cells(extract(data(READABLE_BY_PDFMINER), "r"))]
    assert [row for row in read if row] == [[c for c in row if c] for row in expected if any(row)]


def form_pdf() -> bytes:
    """A ruled table of 2 x 2 cells drawn inside a form XObject."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.beginForm("table")
    for x in (100, 200, 300):
        page.line(x, 500, x, 600)
    for y in (500, 550, 600):
        page.line(100, y, 300, y)
    page.drawString(110, 570, "12")
    page.endForm()
    page.doForm("table")
    page.showPage()
    page.save()
    return buffer.getvalue()


def test_page_objects_are_pypdfium2s_objects_forms_included():
    from pypdfium2 import raw  # noqa: PLC0415

    page = pdfium.PdfDocument(form_pdf())[0]

    def address(obj: Any) -> int | None:
        return ctypes.cast(obj, ctypes.c_void_p).value

    for kind in (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_FORM):
        for depth in (1, 2, 3):
            expected = [address(o.raw) for o in page.get_objects(filter=[kind], max_depth=depth)]
            assert [address(o) for o in pdf_tables.page_objects(page, kind, depth)] == expected
    # the table inside the form is found
    [grid] = find_grids(page, page.get_textpage())
    assert [row.cells for row in grid.rows] == [["12", ""], ["", ""]]


def test_a_path_with_a_point_at_infinity_makes_no_rule():
    vertical: list[dict[str, Any]] = []
    horizontal: list[dict[str, Any]] = []
    _add_rule((100.0, 500.0), (100.0, float("inf")), 842, vertical, horizontal)
    _add_rule((float("nan"), 500.0), (300.0, 500.0), 842, vertical, horizontal)
    assert vertical == horizontal == []


def test_the_notes_say_which_pages_pdfminer_was_kept_off_and_where_the_readings_differ():
    check = pdf_tables.CrossCheck(too_complex=[3], odd_fonts=[5], disagreements=["“7” / “1”"])
    notes = check.notes()
    assert any("第 3 页内容过于复杂" in note for note in notes)
    assert any("第 5 页的字体" in note for note in notes)
    assert any("“7” / “1”" in note for note in notes)
