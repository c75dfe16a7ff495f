"""The parsed report and its findings (pydantic v2). No I/O here."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from nianbao.spec import FormatVersion


def _number_json(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else float(value)


# Counts are ints; amounts (万元) are Decimals so that 816.44 stays 816.44. JSON gets plain numbers.
Number = Annotated[int | Decimal, PlainSerializer(_number_json, when_used="json")]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @property
    def zh(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


class Status(StrEnum):
    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"  # noqa: S105 - a status, not a password
    UNREADABLE = "unreadable"

    @property
    def zh(self) -> str:
        return {"fail": "不通过", "warn": "有警告", "pass": "通过", "unreadable": "无法读取"}[self.value]


Box = tuple[float, float, float, float]
Size = tuple[float, float]  # width, height in points


def union_box(boxes: Iterable[Box | None]) -> Box | None:
    """The smallest box holding every given box (in whichever coordinates they share)."""
    known = [b for b in boxes if b is not None]
    if not known:
        return None
    return (min(b[0] for b in known), min(b[1] for b in known), max(b[2] for b in known), max(b[3] for b in known))


def user_space(bbox: Box, page_size: Size) -> tuple[Box, Size]:
    """A box as extraction keeps it, ``(x0, top, x1, bottom)`` with the origin at the page's top
    left and y growing downwards, in PDF user space: ``(x0, y0, x1, y1)`` with the origin at the
    bottom left and y growing upwards, in points rounded to 0.1 pt; with the page size rounded
    alike. The only conversion between the two; findings (``Location``) give user-space boxes.

    Extraction made ``top = height - y`` with the page height pdfium reports (pdfplumber's, where
    its table finder stood in: the same for pages as Word exports them), so this gives back the
    user-space y the PDF itself holds. ``page_size`` is the page's width and height as
    pdfium gives them (its crop box, /Rotate applied): a renderer drawing the box on an image of
    the page scales by it, and flips y (image rows grow downwards). Reports exported from Word
    have crop boxes at (0, 0) and no /Rotate; a page with either would also need those applied.
    """
    x0, top, x1, bottom = bbox
    width, height = page_size
    box = (round(x0, 1), round(height - bottom, 1), round(x1, 1), round(height - top, 1))
    return box, (round(width, 1), round(height, 1))


class Origin(BaseModel):
    """Where something was read: a line of the extracted text and, for a PDF, its page, the page's
    size and its box.

    ``bbox`` is in extraction's coordinates, ``(x0, top, x1, bottom)`` in points with the origin at
    the page's top left (a cell: its ruled box; a line: its characters; a row: its cells).
    ``Location.of`` converts it to PDF user space for findings.
    """

    model_config = ConfigDict(frozen=True)

    line: int | None = None
    page: int | None = None
    bbox: Box | None = None
    page_size: Size | None = None

    def union(self, others: Iterable[Origin | None]) -> Origin:
        """This origin with its box grown to hold the boxes of ``others`` on the same page (a box
        never spans pages: a column broken over a page break keeps its part on this page)."""
        same = [o.bbox for o in others if o is not None and o.page == self.page]
        bbox = union_box([self.bbox, *same])
        return self if bbox == self.bbox else self.model_copy(update={"bbox": bbox})


class CellKind(StrEnum):
    NUMBER = "number"
    BLANK = "blank"  # printed, but empty
    PLACEHOLDER = "placeholder"  # "/", "-", "—", "无", "不适用" ...
    TEXT = "text"  # something that is not a number where a number is due
    TOO_LONG = "too_long"  # digits, but more than any count has (normalize.MAX_DIGITS): no value
    MISSING = "missing"  # not printed at all: the row had fewer cells than columns
    UNCERTAIN = "uncertain"  # read by OCR with too little confidence to reason on (OCR_LOW_CONFIDENCE)


# What shows a table was filled in: a count, digits too many for one, or a reading OCR was unsure of.
_PRINTED = frozenset({CellKind.NUMBER, CellKind.TOO_LONG, CellKind.UNCERTAIN})


class Cell(BaseModel):
    model_config = ConfigDict(frozen=True)

    raw: str
    kind: CellKind
    value: Number | None = None
    # a ruled cell's page and box; None for a cell with no box of its own (text), whose place is
    # its row's (such cells are shared between rows that print the same text)
    origin: Origin | None = None
    confidence: float | None = None  # OCR's, for a cell read from a scan

    @property
    def is_number(self) -> bool:
        return self.kind is CellKind.NUMBER


class TableRow(BaseModel):
    """One row of a table as printed, and every way its cells can be placed in the columns.

    ``placements`` holds one entry when the cells line up with the columns. When a row prints
    fewer or more cells than there are columns and nothing tells which column a cell belongs to,
    it holds every order-preserving placement; rules then reason over all of them.
    """

    key: str
    label: str
    columns: tuple[str, ...]
    printed: int
    placements: list[tuple[Cell, ...]]
    origin: Origin
    evidence: str
    # printed cells holding digits (a count, or too many digits to be one); an unplaceable row
    # keeps no cells, and this still tells a row of numbers from a row of placeholders
    numbers: int = 0

    @property
    def placed(self) -> bool:
        return len(self.placements) == 1

    @property
    def unplaceable(self) -> bool:
        """The printed cells have too many placements to keep (parse/rows.py MAX_PLACEMENTS): the
        row holds one placement with every cell unknown."""
        return (
            self.printed > 0
            and len(self.placements) == 1
            and all(cell.kind is CellKind.MISSING for cell in self.placements[0])
        )

    def cell(self, column: str) -> Cell | None:
        """The cell in ``column`` when the row is placed unambiguously."""
        if not self.placed:
            return None
        return self.placements[0][self.columns.index(column)]

    def value(self, column: str) -> int | Decimal | None:
        """The number in ``column`` if every placement agrees on one, else None."""
        index = self.columns.index(column)
        values = {p[index].value if p[index].is_number else None for p in self.placements}
        return values.pop() if len(values) == 1 else None

    def values(self) -> list[int | Decimal | None]:
        return [self.value(c) for c in self.columns]


class LabelNote(BaseModel):
    """A label printed in a wording other than the standard one."""

    table: str | None
    row: str | None
    column: str | None
    printed: str
    standard: str
    origin: Origin


class Table(BaseModel):
    name: str  # table2 | table3 | table4
    section: int | None
    origin: Origin
    last_line: int
    header: str = ""  # whitespace-free header text, for column-label checks
    rows: dict[str, TableRow] = Field(default_factory=dict)
    notes: list[LabelNote] = Field(default_factory=list)
    stray: list[tuple[Origin, str]] = Field(default_factory=list)  # (where, text): numbers no row could take

    @property
    def has_values(self) -> bool:
        """A number is printed somewhere: in a cell, with too many digits to be a count (that is an
        invalid cell, not an empty table), or in a row too ambiguous to place (ROW_SHAPE)."""
        return any(
            (row.unplaceable and row.numbers > 0) or any(cell.kind in _PRINTED for p in row.placements for cell in p)
            for row in self.rows.values()
        )


class Prose(BaseModel):
    """Narrative text with whitespace removed (Chinese needs none) and a map back to source lines."""

    text: str = ""
    starts: list[int] = Field(default_factory=list)  # offset in ``text`` where each piece starts
    lines: list[int] = Field(default_factory=list)  # the source line of each piece
    # each piece's page, box and page size (None when not a PDF): plain tuples, as a report holds
    # thousands of pieces and only the few a finding quotes become Origins (``origin_at``)
    places: list[tuple[int | None, Box | None, Size | None]] = Field(default_factory=list)

    def line_at(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.lines[index] if index >= 0 else None

    def origin_at(self, offset: int, end: int | None = None) -> Origin:
        """Where the text at ``offset`` was read; with ``end``, the box grows to hold every piece
        up to ``end`` on the same page (a sentence wrapped over lines)."""
        first = bisect.bisect_right(self.starts, offset) - 1
        if first < 0:
            return Origin()
        last = max(first, bisect.bisect_left(self.starts, end) - 1) if end is not None else first
        origins = [self._origin(i) for i in range(first, last + 1)]
        return origins[0].union(origins[1:])

    def _origin(self, index: int) -> Origin:
        page, bbox, size = self.places[index] if index < len(self.places) else (None, None, None)
        return Origin(line=self.lines[index], page=page, bbox=bbox, page_size=size)


class Section(BaseModel):
    number: int
    heading: str
    ordinal: str | None
    position: int  # 1-based order of appearance in the document
    origin: Origin
    prose: Prose = Field(default_factory=Prose)


class YearStatement(BaseModel):
    """A sentence that speaks of a year as the current one ("2019年，我镇……")."""

    year: int
    section: int | None
    text: str
    origin: Origin
    opening: bool = False  # the section (or the report) opens with it


class YearEvidence(BaseModel):
    title: int | None = None
    period: int | None = None
    body: int | None = None
    statements: list[YearStatement] = Field(default_factory=list)
    period_text: str | None = None
    period_origin: Origin | None = None


class Report(BaseModel):
    source: str
    file_type: str = "text"  # text | pdf | docx | html
    pages: int | None = None
    scanned_pages: list[int] = Field(default_factory=list)  # pages with no text layer that OCR read nothing on
    ocr_pages: list[int] = Field(default_factory=list)  # pages with no text layer, read by OCR
    extraction_notes: list[str] = Field(default_factory=list)
    title: str | None = None
    title_origin: Origin | None = None
    agency: str | None = None
    year: int | None = None
    years: YearEvidence = Field(default_factory=YearEvidence)
    published: date | None = None
    published_month_only: bool = False  # only a year and month were printed
    published_origin: Origin | None = None
    format: FormatVersion = FormatVersion.UNKNOWN
    format_markers: dict[str, list[str]] = Field(default_factory=dict)
    sections: dict[int, Section] = Field(default_factory=dict)
    preamble: Prose = Field(default_factory=Prose)
    table2: Table | None = None
    table3: Table | None = None
    table4: Table | None = None
    looks_like_report: bool = True
    line_count: int = 0

    @property
    def read_by(self) -> str:
        """ "ocr" when a page was read by OCR (the contract's and the record's ``read_by``), else
        "text": the file's own text."""
        return "ocr" if self.ocr_pages else "text"

    @property
    def published_text(self) -> str | None:
        """The publication date as printed: 2024年1月18日, or 2024年1月 when no day was given."""
        if self.published is None:
            return None
        day = "" if self.published_month_only else f"{self.published.day}日"
        return f"{self.published.year}年{self.published.month}月{day}"

    @property
    def published_iso(self) -> str | None:
        if self.published is None:
            return None
        return self.published.isoformat()[:7] if self.published_month_only else self.published.isoformat()

    def table(self, name: str) -> Table | None:
        table: Table | None = getattr(self, name)
        return table


class Location(BaseModel):
    """Where a finding points: section, table, row and column by name; line of the extracted text;
    and for a PDF the page, the box and the page's size.

    ``bbox`` is ``(x0, y0, x1, y1)`` in PDF user space: points, origin at the page's bottom left,
    y growing upwards, rounded to 0.1 pt (``user_space``). ``page_size`` is ``(width, height)`` in
    points, given with every box so that a renderer can scale it to an image of the page. Both are
    null where extraction knows no box (text, Word, web pages; a PDF line pdfium placed nowhere).
    """

    section: int | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None
    line: int | None = None
    page: int | None = None
    bbox: Box | None = None
    page_size: Size | None = None

    @classmethod
    def of(
        cls,
        origin: Origin | None,
        *,
        section: int | None = None,
        table: str | None = None,
        row: str | None = None,
        column: str | None = None,
    ) -> Location:
        """The location named by section, table, row and column, at ``origin``: its line, page and,
        where known, its box in user space with the page's size."""
        location = cls(section=section, table=table, row=row, column=column)
        if origin is None:
            return location
        location.line, location.page = origin.line, origin.page
        if origin.bbox is not None and origin.page_size is not None:
            location.bbox, location.page_size = user_space(origin.bbox, origin.page_size)
        return location


class Finding(BaseModel):
    code: str
    severity: Severity
    message: str
    location: Location = Field(default_factory=Location)
    expected: Number | None = None
    actual: Number | None = None
    evidence: str | None = None


class CheckResult(BaseModel):
    report: Report
    findings: list[Finding]
    status: Status
