"""What every extractor produces: lines in reading order, with cells where a table gave them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nianbao.normalize import nfkc, squeeze

# Extraction works in the page's top-left coordinates (as pdfplumber's table finder does): a box is
# (x0, top, x1, bottom) in points, y growing downwards. Findings give boxes in PDF user space
# instead (y growing upwards); ``nianbao.model.user_space`` is the one place that converts.
BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in points, origin at the page's top left
PageSize = tuple[float, float]  # width, height in points, as pdfium gives the page


class ExtractError(Exception):
    """The input cannot be read as a report; ``reason`` says why, in Chinese, for the official."""

    def __init__(self, reason: str, *, code: str = "INPUT_UNREADABLE") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


# Grid positions (rows x columns after spans) a table of a Word file or web page may expand to,
# and all the tables of one file together: real reports' tables have a few hundred.
MAX_TABLE_CELLS = 100_000
MAX_CELLS = 250_000


class GridBudget:
    """The grid positions the tables of one document may still expand to, spent table by table
    before any cell is built. ``what`` names the document in the reason (Word 文件, 网页)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.left = MAX_CELLS

    def spend(self, size: int, shape: str) -> None:
        """Count a table of ``size`` positions (``shape`` describes it for the reason)."""
        if size > MAX_TABLE_CELLS:
            raise ExtractError(
                f"{self.what}中有一个表格{shape}，超过 {MAX_TABLE_CELLS} 个单元格的上限，可能是恶意构造的文件"
            )
        self.left -= size
        if self.left < 0:
            raise ExtractError(f"{self.what}中的表格展开后共超过 {MAX_CELLS} 个单元格的上限，可能是恶意构造的文件")


# A cell OCR read with less confidence than this is uncertain: no finding rests on its number.
OCR_MIN_CONFIDENCE = 0.8


@dataclass(slots=True)
class Line:
    """A line of text, or a row of a table.

    ``cells`` marks cell boundaries: tab-separated text (blank cells kept), or a table row. For a
    ``grid`` row the cells are the table's columns in order, a merged-over position being an empty
    cell, so a cell's place is known rather than inferred; ``boxes`` then holds each cell's box.
    """

    number: int  # 1-based position in the document's lines
    raw: str  # as extracted (a grid row: its cells joined by tabs)
    cells: list[str] | None = None
    page: int | None = None
    grid: bool = False
    boxes: list[BBox | None] | None = None
    box: BBox | None = None
    page_size: PageSize | None = None
    confidence: list[float] | None = None  # OCR's for each cell of a row read from a scan
    text: str = field(init=False)  # NFKC, stripped: what the parser reads
    key: str = field(init=False)  # whitespace, quotes and markers removed: what labels are matched in

    def __post_init__(self) -> None:
        self.text = nfkc(self.raw).strip()
        self.key = squeeze(self.text)


@dataclass(slots=True)
class Document:
    source: str
    kind: str  # text | pdf | docx | html
    lines: list[Line]
    encoding: str | None = None
    pages: int | None = None
    scanned_pages: list[int] = field(default_factory=list)  # pages with images and no text layer, unread
    ocr_pages: list[int] = field(default_factory=list)  # pages with no text layer, read by OCR
    notes: list[str] = field(default_factory=list)  # what extraction had to work around
    # a web page's publication date from its metadata (<meta name="PubDate" content="...">), as given
    published_meta: str | None = None


def lines_from_text(text: str) -> list[Line]:
    """Split extracted text into lines; a tab marks cell boundaries (blank cells kept), and so do
    the pipes of a markdown table row (see ``_pipe_lines``)."""
    lines: list[Line] = []
    table: list[tuple[int, str, list[str]]] = []  # the markdown table rows read since the last text
    # a form feed ends a page (pdftotext writes one after each): lines know their page then
    page = 1 if "\f" in text else None
    for number, ended in enumerate(text.splitlines(keepends=True), start=1):
        raw = ended.rstrip("\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029")
        cells = pipe_cells(raw)
        if cells is not None:
            table.append((number, raw, cells))
        else:
            if table:
                lines.extend(_pipe_lines(table, page))
                table = []
            lines.append(Line(number, raw, raw.split("\t") if "\t" in raw else None, page=page))
        if page is not None and ended.endswith("\f"):
            if table:
                lines.extend(_pipe_lines(table, page))
                table = []
            page += 1
    lines.extend(_pipe_lines(table, page))
    return lines


def _pipe_lines(table: list[tuple[int, str, list[str]]], page: int | None) -> list[Line]:
    """The lines of a markdown table. Its delimiter rows, and header rows of made-up column names,
    are empty lines.

    Converters that guess a PDF table's columns from its text (markitdown) leave traces: columns
    empty in every row, header included, in a table whose rows all have as many cells; numbers
    set one column off their header; two columns' numbers in one cell ("37 22"). The cells of such
    a table do not say which column they are: it is read as text, its cells' words in order
    separated by spaces, as a PDF's text would be (a blank cell is then invisible, not misplaced).
    """
    rows = [cells for _, raw, cells in table if not _DELIMITER.match(raw)]
    guessed = any(_NUMBERS.match(cell) for cells in rows for cell in cells)
    if rows and len({len(cells) for cells in rows}) == 1 and len(rows[0]) > 1:
        guessed = guessed or any(not any(cells[c] for cells in rows) for c in range(len(rows[0])))
    lines: list[Line] = []
    for number, raw, cells in table:
        if _DELIMITER.match(raw) or all(_GENERIC.match(cell) for cell in cells):
            lines.append(Line(number, "", page=page))
        elif guessed:
            lines.append(Line(number, " ".join(cell for cell in cells if cell), page=page))
        else:
            lines.append(Line(number, "\t".join(cells), cells, page=page))
    return lines


# A markdown table row: "| a | b |" (markitdown, pandoc and editors write them so); "\|" is a
# pipe inside a cell. The delimiter row under a header: "| --- | :---: |".
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE = re.compile(r"(?<!\\)\|")
_DELIMITER = re.compile(r"^\s*\|(?:\s*:?-+:?\s*\|)+\s*$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_NUMBERS = re.compile(r"^-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)+$")
# Column names a converter makes up where the table had none: 数据1, 列2, Column 3, 字段4, or nothing.
_GENERIC = re.compile(r"^(?:(?:数据|列|字段|栏|column|col)\s*\d{1,2})?$", re.IGNORECASE)


def pipe_cells(raw: str) -> list[str] | None:
    """The cells of a markdown table row, stripped (a cell's ``<br>`` line breaks removed), or None
    when ``raw`` is not one."""
    if not _PIPE_ROW.match(raw) or len(raw.strip()) < 2:
        return None
    inner = raw.strip()[1:-1]
    return [_BREAK.sub("", cell).replace("\\|", "|").strip() for cell in _PIPE.split(inner)]


def grid_line(
    number: int,
    cells: list[str],
    *,
    page: int | None = None,
    boxes: list[BBox | None] | None = None,
    positioned: bool = True,
    page_size: PageSize | None = None,
    confidence: list[float] | None = None,
) -> Line:
    """A row of a ruled table: cells in column order, merged-over positions empty.

    ``positioned`` is False for a table of one row: its cells are real, but with no other row to
    line up with, their columns say nothing about which value is which. ``confidence`` is OCR's for
    each cell of a scanned table.
    """
    return Line(
        number, "\t".join(cells), list(cells), page=page, grid=positioned, boxes=boxes, page_size=page_size,
        confidence=confidence,
    )  # fmt: skip
