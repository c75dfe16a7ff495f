"""Render report blocks as a Word document, the way offices type them.

A4 with the official-document margins, 宋体 body text (set as the East Asian font of every run,
which is what Word reads for Chinese), 黑体 headings as bold paragraphs (offices rarely use heading
styles), and ruled tables in the 'Table Grid' style whose merged cells are real merges
(``w:gridSpan`` and ``w:vMerge``). The header rows of Tables 3 and 4 are marked ``w:tblHeader``
so a table continued on the next page repeats them. A scanned page is a picture alone on its page.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from tests.synth.blocks import Block, Grid, Heading, Paragraph, ScannedPage
from tests.synth.to_html import scanned_png

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
BODY_SIZE = Pt(12)  # 小四
TABLE_SIZE = {"table2": Pt(10.5), "table3": Pt(10.5), "table4": Pt(9)}  # 五号, 小五
REPEATED_HEADERS = ("table3", "table4")
TEXT_WIDTH = Cm(21.0 - 2.8 - 2.6)  # A4 less the official-document left and right margins

_ALIGN = {
    "left": WD_PARAGRAPH_ALIGNMENT.JUSTIFY,
    "center": WD_PARAGRAPH_ALIGNMENT.CENTER,
    "right": WD_PARAGRAPH_ALIGNMENT.RIGHT,
}


def _font(run: Run, east_asian: str, size: Pt, *, bold: bool = False) -> None:
    """Set a run's font the way Word does for Chinese text: the eastAsia slot is what renders it."""
    run.font.size = size
    run.font.bold = bold
    run.font.name = "Times New Roman"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _page_setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def _paragraph(document: DocxDocument, block: Paragraph, *, title: bool) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = _ALIGN[block.align]
    if block.align == "left":
        paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters
    if title:
        paragraph.paragraph_format.space_after = Pt(18)
        _font(paragraph.add_run(block.text), BODY_FONT, Pt(18), bold=True)
    else:
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph.add_run(block.text), BODY_FONT, BODY_SIZE)
    return paragraph


def _heading(document: DocxDocument, block: Heading) -> DocxParagraph:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(24)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(6)
    paragraph.paragraph_format.keep_with_next = True
    _font(paragraph.add_run(block.text), HEADING_FONT, BODY_SIZE, bold=True)
    return paragraph


def _repeat_header(table: Table, rows: int) -> None:
    for row in table.rows[:rows]:
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(header)


def _table(document: DocxDocument, grid: Grid) -> None:
    n_rows, n_cols = len(grid.rows), len(grid.rows[0])
    table = document.add_table(rows=n_rows, cols=n_cols)
    table.style = document.styles["Table Grid"]
    table.autofit = False
    total = sum(grid.widths)
    widths = [int(TEXT_WIDTH * w / total) for w in grid.widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the w:gridCol LibreOffice lays out by
    # Every cell before any merge, row by row (Table.cell() recomputes this list on every call).
    # A merge keeps its top-left cell, so these stay valid for the cells that start a merge.
    cells = table._cells
    for index, cell in enumerate(cells):
        cell.width = widths[index % n_cols]  # the w:tcW Word lays out by; merges add them up
    size = TABLE_SIZE.get(grid.name, Pt(10.5))
    for r, row in enumerate(grid.rows):
        for c, spec in enumerate(row):
            if spec is None:
                continue
            cell = cells[r * n_cols + c]
            if spec.rowspan > 1 or spec.colspan > 1:
                cell = cell.merge(cells[(r + spec.rowspan - 1) * n_cols + c + spec.colspan - 1])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
            paragraph.paragraph_format.space_after = Pt(0)
            if spec.text:
                _font(paragraph.add_run(spec.text), BODY_FONT, size)
    if grid.name in REPEATED_HEADERS and grid.header_rows:
        _repeat_header(table, grid.header_rows)


def _scanned_page(document: DocxDocument, page: ScannedPage) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.page_break_before = True
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
    paragraph.add_run().add_picture(io.BytesIO(scanned_png(page, width=720)), width=Cm(15))


def to_docx(blocks: Sequence[Block]) -> bytes:
    """The blocks as a .docx file's bytes.

    A centred paragraph before the first heading is the title (bold, 18 pt). A scanned page starts
    a new page holding only its picture; whatever follows it starts another page.
    """
    document = Document()
    _page_setup(document)
    seen_heading = False
    after_scan = False
    for block in blocks:
        match block:
            case Heading():
                seen_heading = True
                paragraph = _heading(document, block)
            case Paragraph():
                title = not seen_heading and block.align == "center"
                paragraph = _paragraph(document, block, title=title)
            case Grid():
                if after_scan:  # a table cannot break before itself: an empty paragraph does
                    document.add_paragraph().paragraph_format.page_break_before = True
                    after_scan = False
                _table(document, block)
                document.add_paragraph().paragraph_format.space_after = Pt(0)  # Word's gap after a table
                continue
            case ScannedPage():
                _scanned_page(document, block)
                after_scan = True
                continue
        if after_scan:
            paragraph.paragraph_format.page_break_before = True
            after_scan = False
    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same package with fixed member timestamps, so the same blocks give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member))
    return out.getvalue()
