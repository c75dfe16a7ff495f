"""Tables 2, 3 and 4 out of a stream of lines.

Rows are recognised by meaning, not by position: the text since the previous row with values
(labels wrap over lines, or print one character per line) is cut at its last ordinal marker
("3.", "（二）", "四、") and that segment is matched against the distinctive words of the spec's
rows, the print order breaking ties. Text that trails a row's values (a label wrapped *after*
them) therefore never leaks into the next row's identity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache, lru_cache

from nianbao.extract import Line
from nianbao.model import CellKind, LabelNote, Origin, Table, TableRow
from nianbao.normalize import classify, collapse, display, shorten_digits, squeeze
from nianbao.parse.rows import (
    Layout,
    PrintedRow,
    continued,
    is_page_number,
    origin_of,
    place,
    rstrip_blank,
    split_row,
)
from nianbao.spec import (
    FORMATS,
    TABLE3_ALL_ROWS,
    TABLE3_COLUMNS,
    TABLE4,
    TABLE4_ROW,
    ColumnSpec,
    RowSpec,
    Table2Spec,
)

_MARKER = re.compile(r"\([一二三四五六七八九十]{1,2}\)|(?<![\d.])\d{1,2}[.、](?!\d)|[一二三四五六七八九十]{1,2}、")
_TOTAL = re.compile(r"^(?:七)?(?:总计|合计)$")
_OTHER_3 = re.compile(r"^(?:3[.、]?)?其他[。.]?$")
_NOT_WORD = re.compile(r"[^\w]|_")
T3_ANCHORS = ("勾稽关系", "申请人情况", "自然人", "本年新收", "新收政府信息公开申请")
T4_ANCHORS = ("行政复议", "行政诉讼", "结果维持", "复议后起诉")
_T2_BLOCK = re.compile(r"第二十条(?:第)?\(?([一二三四五六七八九十]{1,2})\)?项")
# The most cells a row of each Table 2 block has, in any format
_T2_WIDTH = {
    block.item: max(len(b.columns) for f in FORMATS.values() for b in f.table2.blocks if b.item == block.item)
    for f in FORMATS.values()
    for block in f.table2.blocks
}
# A label that hits no keyword is compared with the rows due next in print order (this many
# untaken ones): a label misprinted by a character or two, in its place, is that row. The
# similarity needed is high enough that a 4-character label may differ in one character, and lower
# when the printed ordinal marker ("（一）", "2.") is the row's own.
_ALIGN_WINDOW = 3
_SIMILAR = 0.6
_SIMILAR_WITH_MARKER = 0.5
_LEADING_MARKER = re.compile(rf"^(?:{_MARKER.pattern})")
_ASIDE = re.compile(r"\(.*?\)")


def last_segment(label: str) -> str:
    """``label`` from its last ordinal marker on (the whole of it when it has none)."""
    start = 0
    for match in _MARKER.finditer(label):
        start = match.start()
    return label[start:]


def strip_markers(label: str) -> str:
    return _NOT_WORD.sub("", _MARKER.sub("", label))


def is_standard(printed: str, standard: str) -> bool:
    """Same words as the standard label, or the standard cut short by a wrap (not a variant)."""
    a, b = strip_markers(squeeze(printed)), strip_markers(squeeze(standard))
    return a == b or (len(a) >= 2 and (b.startswith(a) or a.startswith(b)))


@dataclass(slots=True)
class Region:
    start: int  # index of the first line
    end: int  # index past the last line used


@dataclass(slots=True)
class RawRow:
    """A printed row and the label text gathered for it."""

    printed: PrintedRow
    label: str  # whitespace-free label segment
    context: str  # all label text since the previous row (whitespace-free)
    index: int = -1  # position of the values line in the document


@dataclass(slots=True)
class _Read:
    rows: list[RawRow]
    header: str  # the text before the first row
    last: int  # index of the last line read
    stray: list[tuple[int, PrintedRow]]  # numbers with no label that continue no row (a lone one: a page number)


def _rows_in(
    lines: Sequence[Line], start: int, end: int, ncols: int, is_row_label: Callable[[str], bool] | None = None
) -> _Read:
    """Printed rows in ``lines[start:end]`` with their labels.

    Page numbers are skipped. A line of numbers with no label of its own carries on the row
    before it when that row is short of ``ncols`` (cells wrapped onto the next line); a full
    set of numbers with no label is a row whose label is missing; anything else is stray. In
    cell-separated input, a row's label followed by at least ``ncols`` empty cells is that row with
    every cell left blank (when ``is_row_label`` knows the label).
    """
    pending: list[str] = []
    rows: list[RawRow] = []
    stray: list[tuple[int, PrintedRow]] = []
    orphans: list[tuple[int, PrintedRow]] = []  # lines of a label-less row being gathered
    header = ""
    last = start
    for index in range(start, end):
        line = lines[index]
        if is_page_number(line):
            continue
        printed = split_row(line)
        if printed is None and is_row_label is not None:
            printed = _blank_row(line, ncols, is_row_label)
        if printed is None:
            if line.text:
                pending.append(line.key)
                stray.extend(orphans)
                orphans = []
            continue
        own = squeeze(printed.label)
        if not rows and not own and _noise_before_rows(printed, pending, ncols):
            continue
        if rows and not own and not pending:
            previous = rows[-1]
            if previous.printed.count + printed.count <= ncols and previous.printed.count < ncols:
                rows[-1] = RawRow(
                    continued(previous.printed, printed), previous.label, previous.context, previous.index
                )
                last = index
                continue
            if printed.count < ncols:
                orphan = _gather(orphans, index, printed, ncols, stray)
                if orphan is not None:
                    rows.append(RawRow(orphan, "", "", index))
                    last = index
                continue
        stray.extend(orphans)
        orphans = []
        context = "".join(pending) + own
        if not rows:
            header = "".join(pending)
            # the first row's label starts after the header unless it has markers of its own
            label = last_segment(context) if _MARKER.search(context) else own or context
        else:
            label = last_segment(context)
        rows.append(RawRow(printed, label, context, index))
        pending = []
        last = index
    stray.extend(orphans)
    return _Read(rows, header, last, stray)


def _gather(
    orphans: list[tuple[int, PrintedRow]],
    index: int,
    printed: PrintedRow,
    ncols: int,
    stray: list[tuple[int, PrintedRow]],
) -> PrintedRow | None:
    """Lines of numbers with no label, after a complete row: the cells of rows whose labels are
    printed after them (a text export that reads a ruled table column by column prints a block's
    numbers, one per line, before its labels). They make a row once they come to exactly ``ncols``
    cells; a run that overshoots is stray, as is one that text interrupts (the caller's part).
    Each line holds fewer than ``ncols`` cells. Returns the row, emptying ``orphans``, when it is
    complete."""
    orphans.append((index, printed))
    count = sum(row.count for _, row in orphans)
    if count < ncols:
        return None
    if count > ncols:  # the run so far was no row: this line may start one
        stray.extend(orphans[:-1])
        del orphans[:-1]
        return None
    merged = orphans[0][1]
    for _, more in orphans[1:]:
        merged = continued(merged, more)
    orphans.clear()
    return merged


def _blank_row(line: Line, ncols: int, is_row_label: Callable[[str], bool]) -> PrintedRow | None:
    """A row whose cells are all left blank: a known row label, then ``ncols`` empty cells or more
    (tab- or cell-separated input keeps them; in plain text a blank row is only its label)."""
    cells = line.cells
    if cells is None:
        return None
    last = max((i for i, cell in enumerate(cells) if cell.strip()), default=-1)
    if last < 0 or len(cells) - 1 - last < ncols:
        return None
    label = "".join(cell for cell in cells[: last + 1] if cell.strip())
    if not is_row_label(squeeze(label)):
        return None
    return PrintedRow(line, cells[: last + 1], cells[last + 1 :], explicit=True)


def _noise_before_rows(printed: PrintedRow, pending: Sequence[str], ncols: int) -> bool:
    """A line of placeholders alone (a lone "/" or "—") between the header and the first row.

    It holds no number and has no label: none of its own, and no ordinal marker in the text
    before it that would start one. Taken as a row, its label would be the whole header, whose
    column words (总计, 其他) would make it take a real row's place. A line with as many cells as
    there are columns stays a row: a row whose label went missing.
    """
    if printed.count >= ncols or _MARKER.search("".join(pending)):
        return False
    return not any(_holds_digits(v) for v in printed.values)


def find_anchor(lines: Sequence[Line], start: int, end: int, anchors: Iterable[str]) -> int | None:
    words = tuple(anchors)
    for index in range(start, end):
        text = lines[index].key
        if any(word in text for word in words):
            return index
    return None


def _evidence(label: str, printed: PrintedRow) -> str:
    """The row as printed: its label, then its cells (□ for a blank one); a digit run too long to
    be a number is cut short, as it would fill every finding and notice that quotes the row."""
    if printed.explicit:
        values = " ".join(collapse(v) or "□" for v in rstrip_blank(printed.values))
    else:  # tokens of space-separated text: never blank, no whitespace inside
        values = " ".join(printed.values)
    return shorten_digits(f"{label} {values}".strip())


class _Keywords:
    """Every keyword (and known variant wording) of a table's rows, and which of them a text holds.

    Printed labels repeat from report to report, so the hits of recent texts are kept."""

    def __init__(self, specs: tuple[RowSpec, ...]) -> None:
        pairs = {(k, i) for i, spec in enumerate(specs) for k in spec.keywords}
        pairs |= {(strip_markers(squeeze(v)), i) for i, spec in enumerate(specs) for v in spec.variants}
        self.pairs = sorted(pairs, key=lambda kv: (-len(kv[0]), kv[1]))  # longest first
        self.hits = lru_cache(maxsize=4096)(self._hits)

    def _hits(self, text: str) -> tuple[tuple[int, int], ...]:
        """``(length, row index)`` of every keyword in ``text``, longest first."""
        return tuple((len(keyword), index) for keyword, index in self.pairs if keyword in text)


@cache
def _keywords(specs: tuple[RowSpec, ...]) -> _Keywords:
    return _Keywords(specs)


@dataclass(slots=True)
class Matcher:
    """Assigns printed rows to spec rows: best keyword hit, print order breaking ties."""

    specs: Sequence[RowSpec]
    taken: set[str] = field(default_factory=set)
    position: int = -1
    full: int | None = None  # a row with no label takes the next row's place only if it prints this many
    keywords: _Keywords = field(init=False)

    def __post_init__(self) -> None:
        self.specs = tuple(self.specs)
        self.keywords = _keywords(self.specs)

    def match(self, raw: RawRow) -> RowSpec | None:
        index = self._by_keyword(raw.label)
        total = index is not None and self.specs[index].key == "results_total"
        if total and not _TOTAL.match(strip_markers(raw.label)):
            # 总计 is also a column's name: a label holding more than it (a block's name before a
            # header cell that a text export put there) is not the 总计 row by that word alone
            index = None
        if index is None and _OTHER_3.match(raw.label):
            index = next((i for i, s in enumerate(self.specs) if s.key == "other_3"), None)
        if index is None and _marker_of(raw.label):  # a whole label of its own, misprinted
            index = self._by_similarity(raw.label)
        if index is None and raw.context != raw.label:
            index = self._by_keyword(raw.context)
        if index is None:
            index = self._next_in_order(raw)
        if index is None:
            index = self._by_similarity(raw.label)
        if index is None:
            return None
        spec = self.specs[index]
        self.taken.add(spec.key)
        self.position = index
        return spec

    def _by_keyword(self, text: str) -> int | None:
        """The row whose longest keyword hits; among equally long hits, the row nearest after the
        last one matched (print order)."""
        hits: list[int] = []
        length = 0
        for size, index in self.keywords.hits(text):
            if size < length:
                break
            if self.specs[index].key not in self.taken:
                hits.append(index)
                length = size
        if not hits:
            return None
        count = len(self.specs)
        return min(hits, key=lambda i: (i - self.position) % (count + 1) or count + 1)

    def _by_similarity(self, label: str) -> int | None:
        """The row due next whose standard label the printed one resembles most (a misprint:
        "予以公幵", "属于国家泌密"), among the next few untaken rows in print order."""
        words = strip_markers(label)
        if len(words) < 2:
            return None
        marker = _marker_of(label)
        due = [i for i in range(self.position + 1, len(self.specs)) if self.specs[i].key not in self.taken]
        best: tuple[float, int] | None = None
        for rank, index in enumerate(due[:_ALIGN_WINDOW]):
            spec = self.specs[index]
            similarity = max(_similarity(words, form) for form in _label_forms(spec))
            own_marker = marker is not None and marker == _marker_of(squeeze(spec.label))
            if similarity < (_SIMILAR_WITH_MARKER if own_marker else _SIMILAR):
                continue
            score = similarity + 0.15 * own_marker - 0.05 * rank
            if best is None or score > best[0]:
                best = (score, index)
        return best[1] if best is not None else None

    def _next_in_order(self, raw: RawRow) -> int | None:
        """A full row with no recognisable label (values printed without one) takes the next row."""
        if raw.label and len(strip_markers(raw.label)) > 1:
            return None
        if self.full is not None and raw.printed.count < self.full:
            return None
        return next((i for i in range(self.position + 1, len(self.specs)) if self.specs[i].key not in self.taken), None)


def _marker_of(label: str) -> str | None:
    match = _LEADING_MARKER.match(label)
    return match.group(0).rstrip(".、") if match else None


@cache
def _label_forms(spec: RowSpec) -> tuple[str, ...]:
    """The spec row's label as it may be printed: whole, without its parenthetical aside, and its
    variants, all without markers."""
    label = squeeze(spec.label)
    forms = {strip_markers(label), strip_markers(_ASIDE.sub("", _LEADING_MARKER.sub("", label)))}
    forms |= {strip_markers(squeeze(v)) for v in spec.variants}
    return tuple(f for f in forms if f)


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _table_row(
    raw: RawRow, spec: RowSpec, columns: Sequence[ColumnSpec], layout: Layout, align: str = "right"
) -> TableRow:
    placements, printed = place(raw.printed, len(columns), layout, align)
    label = display(raw.label)
    return TableRow(
        key=spec.key,
        label=label,
        columns=tuple(c.key for c in columns),
        printed=printed,
        placements=placements,
        origin=origin_of(raw.printed.line),
        evidence=_evidence(label, raw.printed),
        numbers=len([v for v in raw.printed.values if classify(v)[0] in _DIGITS]),
    )


_DIGITS = frozenset({CellKind.NUMBER, CellKind.TOO_LONG})  # a count, or too many digits to be one


def _holds_digits(field: str) -> bool:
    return classify(field)[0] in _DIGITS


def _row_note(table: str, raw: RawRow, spec: RowSpec) -> list[LabelNote]:
    """A note when the row's printed label is worded differently from the standard one."""
    if is_standard(raw.label, spec.label):
        return []
    origin = _label_origin(raw.printed)
    return [
        LabelNote(
            table=table, row=spec.key, column=None, printed=display(raw.label), standard=spec.label, origin=origin
        )
    ]


def _label_origin(printed: PrintedRow) -> Origin:
    """Where a row's label is printed: its label cells in a grid row that holds them, else the row."""
    line = printed.line
    labelled = [i for i, cell in enumerate(printed.prefix) if cell.strip()]
    return origin_of(line, labelled) if line.boxes and labelled else origin_of(line)


def _column_notes(table: str, header: str, columns: Sequence[ColumnSpec], origin: Origin) -> list[LabelNote]:
    notes: list[LabelNote] = []
    if not header:
        return notes
    for column in columns:
        if squeeze(column.label) in header:
            continue
        variant = next((v for v in column.variants if squeeze(v) in header), None)
        if variant:
            notes.append(
                LabelNote(
                    table=table, row=None, column=column.key, printed=variant, standard=column.label, origin=origin
                )
            )
    return notes


# --- Table 3 ------------------------------------------------------------------------------------


def _is_table3_label(label: str) -> bool:
    """A Table 3 row's own label, whole: its ordinal marker, then a keyword of one row (or 3.其他);
    not a block's or the header's, nor a piece of a label wrapped over lines ("处理收费通知要求缴纳")."""
    last = last_segment(squeeze(label))
    if not _LEADING_MARKER.match(last):
        return False
    return bool(_OTHER_3.match(last)) or bool(_keywords(TABLE3_ALL_ROWS).hits(last))


def parse_table3(lines: Sequence[Line], start: int, end: int, section: int | None) -> tuple[Table, int]:
    """Table 3 read from ``lines[start:end]``, and the index past its last line."""
    read = _rows_in(lines, start, end, len(TABLE3_COLUMNS), _is_table3_label)
    header, last = read.header, read.last
    matcher = Matcher(TABLE3_ALL_ROWS, full=len(TABLE3_COLUMNS))
    matched: list[tuple[RawRow, RowSpec]] = []
    for raw in read.rows:
        spec = matcher.match(raw)
        if spec is not None:
            matched.append((raw, spec))
            if spec.key == "carried_out":
                last = raw.index
                break
    layout = Layout.of([raw.printed for raw, _ in matched], len(TABLE3_COLUMNS))
    origin = origin_of(lines[start])
    table = Table(name="table3", section=section, origin=origin, last_line=lines[last].number, header=header)
    table.stray = [
        (origin_of(row.line), collapse(row.line.raw)) for index, row in read.stray if index < last and row.count > 1
    ]
    for raw, spec in matched:
        if spec.key in table.rows:
            continue
        table.rows[spec.key] = _table_row(raw, spec, TABLE3_COLUMNS, layout)
        if spec.keywords:  # "3.其他" has no wording of its own to differ from
            table.notes.extend(_row_note("table3", raw, spec))
    table.notes.extend(_column_notes("table3", header, TABLE3_COLUMNS, origin))
    return table, last + 1


# --- Table 4 ------------------------------------------------------------------------------------


def parse_table4(lines: Sequence[Line], start: int, end: int, section: int | None) -> tuple[Table, int]:
    """Table 4 (one row of 15 cells, possibly printed over several lines) and the index past it."""
    printed: list[PrintedRow] = []
    header_parts: list[str] = []
    count = 0
    last = start
    ncols = len(TABLE4.columns)
    for index in range(start, end):
        line = lines[index]
        if is_page_number(line):
            continue
        row = split_row(line)
        if count >= ncols:
            break  # what follows a complete table (prose, a page number) is not part of it
        if row is None:
            if not printed and line.text:
                header_parts.append(line.key)
            continue
        printed.append(row)
        count += row.count
        last = index
    origin = origin_of(lines[start])
    table = Table(
        name="table4", section=section, origin=origin, last_line=lines[last].number, header="".join(header_parts)
    )
    if not printed:
        return table, last + 1
    merged = printed[0]
    for more in printed[1:]:  # one row printed over several lines
        merged = continued(merged, more)
    raw = RawRow(merged, label="", context="")
    spec = RowSpec(TABLE4_ROW, "行政复议、行政诉讼情况", ())
    table.rows[TABLE4_ROW] = _table_row(raw, spec, TABLE4.columns, Layout.of([merged], ncols))
    table.rows[TABLE4_ROW].evidence = shorten_digits(" ".join(collapse(r.line.raw) for r in printed))
    return table, last + 1


# --- Table 2 ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Block2:
    item: str | None
    header: str
    rows: list[RawRow]
    origin: Origin


@dataclass(slots=True)
class Raw2:
    """Table 2 as printed, before the format is known."""

    blocks: list[Block2]
    text: str  # whitespace-free text of the whole region, for format markers
    origin: Origin
    last_line: int
    end: int  # index past the last line used


def read_table2(lines: Sequence[Line], start: int, end: int) -> Raw2:
    blocks: list[Block2] = []
    current = Block2(None, "", [], origin_of(lines[start]))
    pending: list[str] = []
    text: list[str] = []
    last = start
    for index in range(start, end):
        line = lines[index]
        squeezed = line.key
        text.append(squeezed)
        block = _T2_BLOCK.search(squeezed)
        printed = split_row(line)
        if block and printed is None:
            if current.rows or current.item or current.header:
                blocks.append(current)
            current = Block2(block.group(1), "", [], origin_of(line))
            pending = []
            last = index
            continue
        if printed is None:
            if squeezed:
                pending.append(squeezed)
            continue
        if not squeeze(printed.label) and not pending and current.rows and current.item:
            previous = current.rows[-1]
            if previous.printed.count + printed.count <= _T2_WIDTH.get(current.item, 0):
                # one cell a line (a text export reading the grid column by column)
                current.rows[-1] = RawRow(continued(previous.printed, printed), previous.label, previous.context)
                last = index
                continue
        label = squeeze(printed.label) or (pending[-1] if pending else "")
        if not current.rows:
            current.header = "".join(pending)
        current.rows.append(RawRow(printed, label, "".join(pending) + squeeze(printed.label)))
        pending = []
        last = index
    blocks.append(current)
    return Raw2(blocks, "".join(text), origin_of(lines[start]), lines[last].number, last + 1)


def build_table2(raw: Raw2, spec: Table2Spec, section: int | None) -> Table:
    table = Table(
        name="table2",
        section=section,
        origin=raw.origin,
        last_line=raw.last_line,
        header="".join(b.header for b in raw.blocks),
    )
    all_rows = [row for _, row in spec.rows()]
    layouts: dict[str, Layout] = {}
    for block in raw.blocks:
        block_spec = spec.block(block.item) if block.item else None
        candidates = list(block_spec.rows) if block_spec else all_rows
        matcher = Matcher(candidates)
        for printed in block.rows:
            row_spec = matcher.match(printed) if block_spec else Matcher(all_rows, set(table.rows)).match(printed)
            if row_spec is None or row_spec.key in table.rows:
                continue
            owner = next(b for b in spec.blocks if row_spec in b.rows)
            if owner.item not in layouts:
                layouts[owner.item] = Layout.of([r.printed for r in block.rows], len(owner.columns))
            layout = layouts[owner.item]
            table.rows[row_spec.key] = _table_row(printed, row_spec, owner.columns, layout, align="left")
            table.notes.extend(_row_note("table2", printed, row_spec))
    return table
