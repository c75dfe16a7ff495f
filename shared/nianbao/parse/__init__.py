"""Document -> Report: sections, tables and metadata, tolerant of layout noise.

The order matters: headings give the sections' spans; tables are looked for inside the span of
the section that holds them (anywhere else only when that section is missing); the prose of a
section is its span without headings and table lines, with one correction for text extracted out
of reading order (a section printed inside another: its table ends and the enclosing section's
text resumes); metadata comes last, from the prose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nianbao.extract import Document, Line
from nianbao.model import Prose, Report, Section, Table
from nianbao.parse.meta import detect_format, find_agency, find_date, find_title, meta_date, prose_of, read_years
from nianbao.parse.rows import origin_of, split_row
from nianbao.parse.sections import Heading, find_headings
from nianbao.parse.tables import (
    T3_ANCHORS,
    T4_ANCHORS,
    Raw2,
    build_table2,
    find_anchor,
    parse_table3,
    parse_table4,
    read_table2,
)
from nianbao.spec import FORMATS, FormatVersion, format_for_year

__all__ = ["parse"]

_T2_ANCHORS = ("第二十条", "信息内容")
# Reads a table out of lines[start:stop] for a section; returns it and the index past its last line.
_Reader = Callable[[Sequence[Line], int, int, int | None], tuple[Table, int]]


@dataclass(slots=True)
class _Layout:
    """Which section owns each line (0: before the first heading; None: heading or table)."""

    lines: Sequence[Line]
    headings: list[Heading]
    owner: list[int | None]
    table_starts: dict[str, int] = field(default_factory=dict)
    table_ends: dict[int, int] = field(default_factory=dict)  # section -> index past its table

    @classmethod
    def of(cls, lines: Sequence[Line]) -> _Layout:
        headings = find_headings(lines)
        owner: list[int | None] = [0] * len(lines)
        for position, heading in enumerate(headings):
            end = headings[position + 1].index if position + 1 < len(headings) else len(lines)
            owner[heading.index] = None
            for index in range(heading.index + 1, end):
                owner[index] = heading.number
        return cls(lines, headings, owner)

    def span(self, number: int) -> tuple[int, int] | None:
        for position, heading in enumerate(self.headings):
            if heading.number == number:
                end = self.headings[position + 1].index if position + 1 < len(self.headings) else len(self.lines)
                return heading.index + 1, end
        return None

    def next_heading_after(self, index: int) -> int:
        return next((h.index for h in self.headings if h.index > index), len(self.lines))

    def claim(self, start: int, end: int) -> None:
        for index in range(start, end):
            self.owner[index] = None

    def region(self, number: int, anchors: Sequence[str]) -> tuple[int, int, int | None] | None:
        """Where a table of section ``number`` starts, where its search stops, and its section."""
        span = self.span(number)
        if span is not None:
            start = _find_tableish(self.lines, span[0], span[1], anchors, self.owner)
            if start is not None:
                return start, span[1], number
        start = _find_tableish(self.lines, 0, len(self.lines), anchors, self.owner)
        if start is None:
            return None
        return start, self.next_heading_after(start), self.owner[start]

    def read(self, name: str, number: int, anchors: Sequence[str], reader: _Reader) -> Table | None:
        """Find the table of section ``number``, read it, and take its lines out of the prose."""
        region = self.region(number, anchors) or _first_rows(self, number)
        if region is None:
            return None
        start, stop, section = region
        table, end = reader(self.lines, start, stop, section)
        self.claim(start, end)
        self.table_starts[name] = start
        if section:
            self.table_ends[section] = end
        return table

    def resume_enclosing_sections(self) -> None:
        """A section printed inside another (seed 004: 四 inside 五): after its table ends, the
        text belongs to the section it interrupted."""
        for previous, heading in zip(self.headings, self.headings[1:], strict=False):
            end_of_table = self.table_ends.get(heading.number)
            if heading.number < previous.number and end_of_table is not None:
                span = self.span(heading.number)
                assert span is not None  # noqa: S101 - the heading is in self.headings
                for index in range(end_of_table, span[1]):
                    if self.owner[index] == heading.number:
                        self.owner[index] = previous.number


def _tableish(line: Line) -> bool:
    return line.cells is not None or split_row(line) is not None or (len(line.text) <= 40 and "。" not in line.text)


def _find_tableish(
    lines: Sequence[Line], start: int, end: int, anchors: Sequence[str], owner: list[int | None]
) -> int | None:
    index = start
    while index < end:
        found = find_anchor(lines, index, end, anchors)
        if found is None:
            return None
        if owner[found] is not None and _tableish(lines[found]):
            return found
        index = found + 1
    return None


def _first_rows(layout: _Layout, number: int) -> tuple[int, int, int] | None:
    """A table with none of its header words: the first row with values in its section."""
    span = layout.span(number)
    if span is None:
        return None
    first = next((i for i in range(*span) if layout.owner[i] is not None and split_row(layout.lines[i])), None)
    return (first, span[1], number) if first is not None else None


def parse(document: Document) -> Report:
    """Read every part of the report the rules check; never raises on odd layouts."""
    lines = document.lines
    layout = _Layout.of(lines)
    table3 = layout.read("table3", 3, T3_ANCHORS, parse_table3)
    table4 = layout.read("table4", 4, T4_ANCHORS, parse_table4)
    raw2: Raw2 | None = None
    section2: int | None = None
    region2 = layout.region(2, _T2_ANCHORS) or _first_rows(layout, 2)
    if region2:
        start, stop, section2 = region2
        t3_start = layout.table_starts.get("table3", -1)
        raw2 = read_table2(lines, start, t3_start if start < t3_start < stop else stop)
        layout.claim(start, raw2.end)
        if section2:
            layout.table_ends[section2] = raw2.end
    layout.resume_enclosing_sections()

    first_heading = layout.headings[0].index if layout.headings else len(lines)
    title, title_origin, title_lines = find_title(lines, first_heading)
    owned: dict[int | None, list[int]] = {}
    for index, owner in enumerate(layout.owner):
        owned.setdefault(owner, []).append(index)
    preamble = prose_of(lines, [i for i in owned.get(0, []) if i not in title_lines])
    proses: dict[int, Prose] = {h.number: prose_of(lines, owned.get(h.number, [])) for h in layout.headings}
    years = read_years(title, preamble, proses)
    year = years.title or years.period or years.body

    version, markers = detect_format(
        [raw2.text if raw2 else "", table3.header if table3 else ""], table3.rows if table3 else ()
    )
    spec = FORMATS.get(version) or format_for_year(year or 2021)
    table2 = build_table2(raw2, spec.table2, section2) if raw2 is not None else None

    printed_date, published_origin = find_date(lines)
    if printed_date is None:  # a web page may give it only in its metadata
        printed_date = meta_date(document.published_meta)
    sections = {
        h.number: Section(
            number=h.number,
            heading=h.text,
            ordinal=h.ordinal,
            position=position,
            origin=origin_of(h.line),
            prose=proses[h.number],
        )
        for position, h in enumerate(layout.headings, start=1)
    }
    has_tables = any(t is not None for t in (table2, table3, table4))
    looks_like_report = len(sections) >= 2 or has_tables or (title is not None and "政府信息公开" in title)
    return Report(
        source=document.source,
        file_type=document.kind,
        pages=document.pages,
        scanned_pages=document.scanned_pages,
        ocr_pages=document.ocr_pages,
        extraction_notes=document.notes,
        title=title,
        title_origin=title_origin,
        agency=find_agency(lines, title),
        year=year,
        years=years,
        published=printed_date.day if printed_date else None,
        published_month_only=printed_date.month_only if printed_date else False,
        published_origin=published_origin,
        format=version if has_tables else FormatVersion.UNKNOWN,
        format_markers=markers,
        sections=sections,
        preamble=preamble,
        table2=table2,
        table3=table3,
        table4=table4,
        looks_like_report=looks_like_report,
        line_count=len(lines),
    )
