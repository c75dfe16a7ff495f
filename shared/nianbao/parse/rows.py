"""A table row as printed: its label, its value cells, and where those cells can go.

Tab-separated text and table grids give explicit cells (blank cells included); space-separated
text only gives tokens, so a blank cell there is invisible. Placement follows from that:

* explicit cells whose count matches the columns are placed as printed;
* trailing empty fields are an artefact of the exporters (a tab after the last cell), so a row
  that is too long is trimmed of them first;
* a table that *keeps* blank cells (some row shows more empty fields after its label than the
  label columns can explain) right-aligns short rows, the empty fields before the first value
  being blank cells: seed 003 prints only its 总计 column that way;
* anything else that does not fit is ambiguous, and every order-preserving placement is kept.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import combinations

from nianbao.extract import BBox, Line
from nianbao.extract.document import OCR_MIN_CONFIDENCE
from nianbao.model import Cell, CellKind, Origin, union_box
from nianbao.normalize import UNIT_TOKENS, VALUE_KINDS, classify, collapse, nfkc

# Past this many placements a row is treated as unplaceable (every cell unknown). It covers what
# the samples show (Table 3 short of one or two cells: C(7,6) = 7, C(7,5) = 21; Table 4 with one
# cell too many or too few: C(16,15) = 16, C(15,14) = 15); past it a row says too little about its
# columns to reason on, and the constraint search over rows (rules/balance.py) stays small. The
# count is known before enumerating (math.comb): 30 cells for 15 columns are C(30,15) = 155 million.
MAX_PLACEMENTS = 64
# "- 2 -", "— 2 —", "2/5", "第2页 共5页": page numbers a page break leaves inside a table.
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–]+\s*\d{1,4}\s*[-—–]+|\d{1,4}\s*/\s*\d{1,4}|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?)$"
)
# A note printed after a row's cells ("注：含跨年度申请").
_NOTE = re.compile(r"^(?:注|备注|说明|其中)")


def line_box(line: Line, cells: Sequence[int] | None = None) -> BBox | None:
    """Where ``line`` is on its page: a grid row's cells joined (or just ``cells`` of them), else
    the box pdfium gave the line of text (None for text, Word and web pages)."""
    if line.boxes is None:
        return line.box
    boxes = line.boxes
    return union_box(boxes if cells is None else [boxes[i] for i in cells if i < len(boxes)])


def origin_of(line: Line, cells: Sequence[int] | None = None) -> Origin:
    """The origin of ``line`` (or of ``cells`` of a grid row): line, page, page size and box."""
    return Origin(line=line.number, page=line.page, bbox=line_box(line, cells), page_size=line.page_size)


def is_page_number(line: Line) -> bool:
    return bool(_PAGE_NUMBER.match(line.text))


def _is_note(field: str) -> bool:
    kind, _ = classify(field)
    text = field.strip()
    return kind is CellKind.TEXT and (
        bool(_NOTE.match(text)) or (len(text) >= 6 and not any(c.isdigit() for c in text))
    )


@dataclass(slots=True)
class PrintedRow:
    """One line that holds values: label fields before the first value, value fields from it."""

    line: Line
    prefix: list[str]
    values: list[str]
    explicit: bool
    lines: list[Line] = field(default_factory=list)  # every line the row was printed on

    @property
    def label(self) -> str:
        return "".join(f for f in self.prefix if f.strip())

    @property
    def gap(self) -> int:
        """Empty fields right before the first value."""
        count = 0
        for cell in reversed(self.prefix):
            if cell.strip():
                break
            count += 1
        return count

    @property
    def label_columns(self) -> int:
        """How many label columns this row shows (up to its last non-empty label field)."""
        for index in range(len(self.prefix) - 1, -1, -1):
            if self.prefix[index].strip():
                return index + 1
        return 0

    @property
    def has_interior_blank(self) -> bool:
        trimmed = rstrip_blank(self.values)
        return any(not v.strip() for v in trimmed)

    @property
    def count(self) -> int:
        """How many value cells the row prints (an exporter's trailing empty fields not counted)."""
        return len(rstrip_blank(self.values)) if self.explicit else len(self.values)


def continued(row: PrintedRow, more: PrintedRow) -> PrintedRow:
    """``row`` with the values of a line that carries on after it (cells wrapped onto a new line)."""
    values = (rstrip_blank(row.values) if row.explicit else row.values) + (
        rstrip_blank(more.values) if more.explicit else more.values
    )
    line = replace(row.line, grid=False)  # its cells now come from two lines: no longer positioned
    return PrintedRow(line, row.prefix, values, row.explicit and more.explicit, [*(row.lines or [row.line]), more.line])


def rstrip_blank(fields: Sequence[str]) -> list[str]:
    """``fields`` without the empty fields at its end."""
    end = len(fields)
    while end and not fields[end - 1].strip():
        end -= 1
    return list(fields[:end])


def _is_value(token: str) -> bool:
    return classify(token)[0] in VALUE_KINDS


def split_row(line: Line) -> PrintedRow | None:
    """The label and value cells of ``line``, or None when it holds no value."""
    if line.cells is not None:
        for index, cell in enumerate(line.cells):
            if _is_value(cell):
                return PrintedRow(line, line.cells[:index], _without_notes(line.cells[index:]), explicit=True)
        return None
    tokens = line.text.split()
    values: list[str] = []
    end = len(tokens)
    while end:
        token = tokens[end - 1]
        if token in UNIT_TOKENS and end >= 2 and classify(tokens[end - 2])[0] in (CellKind.NUMBER, CellKind.TOO_LONG):
            values.insert(0, tokens[end - 2] + token)
            end -= 2
        elif _is_value(token):
            values.insert(0, token)
            end -= 1
        else:
            break
    if not values:
        return None
    return PrintedRow(line, tokens[:end], values, explicit=False)


def _without_notes(values: list[str]) -> list[str]:
    """A row's value fields without a note printed after its last value."""
    end = len(values)
    while end and (not values[end - 1].strip() or _is_note(values[end - 1])):
        end -= 1
    if not any(_is_note(v) for v in values[end:]):
        return values
    return values[:end]


@dataclass(frozen=True, slots=True)
class Layout:
    """What a whole table tells about its rows.

    ``spacers`` maps a row's number of label columns to the empty fields that complete rows with
    as many label columns print between label and values: those belong to the label, they are
    not blank cells.
    """

    label_columns: int
    keeps_blanks: bool
    spacers: dict[int, int] = field(default_factory=dict)
    # text that keeps the page's layout (pdftotext -layout), page by page: where each column's
    # values sit along a line
    columns: dict[int | None, tuple[float, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Sequence[PrintedRow], ncols: int | None = None) -> Layout:
        explicit = [r for r in rows if r.explicit]
        label_columns = max((r.label_columns for r in explicit), default=0)
        keeps = any(r.has_interior_blank or r.gap > max(label_columns - r.label_columns, 0) for r in explicit)
        spacers: dict[int, int] = {}
        for row in explicit:
            if ncols is not None and row.count == ncols:
                spacers[row.label_columns] = min(spacers.get(row.label_columns, row.gap), row.gap)
        # where columns sit only places a short space-separated row (``_aligned``): without one,
        # finding them is wasted
        short = ncols is not None and any(not r.explicit and r.count < ncols for r in rows)
        return cls(label_columns, keeps, spacers, _columns(rows, ncols) if ncols and short else {})


# A text table is taken as laid out in columns when this many complete rows agree on where each
# column's values sit: all but MAX_MISALIGNED of their values nearer a column's place than
# ALIGNED_TOLERANCE of the way to the next column on their side.
MIN_ALIGNED_ROWS = 3
ALIGNED_TOLERANCE = 0.4
MAX_MISALIGNED = 0.05
_TOKEN = re.compile(r"\S+")


def value_positions(row: PrintedRow) -> list[float] | None:
    """Where the values of a space-separated row sit along its line (each one's middle, in
    characters), or None for cells, rows printed over several lines and values joined to a unit."""
    if row.explicit or row.lines:
        return None
    spans = [m.span() for m in _TOKEN.finditer(row.line.raw)][-len(row.values) :]
    if len(spans) != len(row.values):
        return None
    if any(nfkc(row.line.raw[a:b]) != v for (a, b), v in zip(spans, row.values, strict=True)):
        return None
    return [(a + b) / 2 for a, b in spans]


def _columns(rows: Sequence[PrintedRow], ncols: int) -> dict[int | None, tuple[float, ...]]:
    """Where the columns of a space-separated table are on each of its pages, when its complete
    rows agree: the page with the most of them sets the columns; on another page, whose lines may
    start further in or out and set characters of another size, its own complete rows (one is
    enough) set how far they are shifted and stretched."""
    if ncols < 2 or sum(not r.explicit and r.count == ncols for r in rows) < MIN_ALIGNED_ROWS:
        return {}
    pages: dict[int | None, list[list[float]]] = {}
    for row in rows:
        if row.count == ncols and (positions := value_positions(row)) is not None:
            pages.setdefault(row.line.page, []).append(positions)
    if not pages:
        return {}
    reference = max(pages, key=lambda page: len(pages[page]))  # a page number, or None for text without pages
    if len(pages[reference]) < MIN_ALIGNED_ROWS:
        return {}
    centers = [statistics.median(p[c] for p in pages[reference]) for c in range(ncols)]
    if any(b <= a for a, b in itertools.pairwise(centers)):
        return {}
    columns: dict[int | None, tuple[float, ...]] = {}
    for page, complete in pages.items():
        xs = [centers[c] for _ in complete for c in range(ncols)]
        scale, shift = statistics.linear_regression(xs, [x for p in complete for x in p])
        here = tuple(scale * center + shift for center in centers)
        if scale <= 0 or any(b <= a for a, b in itertools.pairwise(here)):
            continue
        off = sum(not _near(x, here, c) for p in complete for c, x in enumerate(p))
        if off <= MAX_MISALIGNED * ncols * len(complete):
            columns[page] = here
    return columns if reference in columns else {}


def _near(x: float, centers: Sequence[float], column: int) -> bool:
    """``x`` is nearer column ``column``'s place than ALIGNED_TOLERANCE of the way to the next one on
    its side (the one on the other side, at the table's edge)."""
    side = column - 1 if x < centers[column] else column + 1
    if not 0 <= side < len(centers):
        side = column + 1 if side < 0 else column - 1
    return abs(x - centers[column]) <= ALIGNED_TOLERANCE * abs(centers[side] - centers[column])


def _aligned(row: PrintedRow, layout: Layout, ncols: int) -> list[int] | None:
    """The column of each value of a short space-separated row, from where it sits, when its page
    of the table is laid out in columns and each value is near one, in order."""
    centers = layout.columns.get(row.line.page)
    positions = value_positions(row)
    if centers is None or positions is None:
        return None
    columns: list[int] = []
    for x in positions:
        column = min(range(ncols), key=lambda c: abs(x - centers[c]))
        if not _near(x, centers, column) or (columns and column <= columns[-1]):
            return None
        columns.append(column)
    return columns


def _cell(raw: str, origin: Origin | None) -> Cell:
    kind, value = classify(raw)
    return Cell(raw=collapse(raw), kind=kind, value=value, origin=origin)


@lru_cache(maxsize=4096)
def _unboxed(raw: str) -> Cell:
    """A cell with no box of its own (text, and grids that give none): its origin is its row's,
    which rules take from the row. Cells are frozen, so one serves every row that prints ``raw``."""
    return _cell(raw, None)


MISSING = Cell(raw="", kind=CellKind.MISSING)


def _grid_cell(line: Line, raw: str, box: BBox | None, confidence: float | None) -> Cell:
    if box is None and confidence is None:
        return _unboxed(raw)
    origin = None if box is None else Origin(line=line.number, page=line.page, bbox=box, page_size=line.page_size)
    cell = _cell(raw, origin)
    if confidence is None:
        return cell
    if confidence < OCR_MIN_CONFIDENCE and cell.kind is not CellKind.BLANK:  # too unsure to reason on
        return Cell(raw=cell.raw, kind=CellKind.UNCERTAIN, origin=origin, confidence=confidence)
    return cell.model_copy(update={"confidence": confidence})


def _grid_slice(row: PrintedRow, ncols: int, align: str) -> range | None:
    """Where a grid row's value columns are: the last ``ncols`` (Tables 3 and 4) or the ``ncols``
    after the label (Table 2); None when the row does not have them there."""
    cells = row.line.cells or []
    label_end = row.label_columns
    if align == "right":
        start = len(cells) - ncols
        return range(start, len(cells)) if start >= label_end else None
    end = label_end + ncols
    if end > len(cells) or any(c.strip() for c in cells[end:]):
        return None
    return range(label_end, end)


def place(row: PrintedRow, ncols: int, layout: Layout, align: str = "right") -> tuple[list[tuple[Cell, ...]], int]:
    """Every way the printed cells of ``row`` can fill ``ncols`` columns (one when unambiguous),
    and how many cells the row printed (blank cells it kept included).

    ``align`` says where the value columns of a table sit: "right" (Tables 3 and 4) or "left",
    straight after the label (Table 2). It decides grid rows, whose cells are positioned.
    """
    line = row.line
    if line.grid:  # a grid cell has its ruled box
        span = _grid_slice(row, ncols, align)
        if span is not None:
            cells_all, boxes, confidence = line.cells or [], line.boxes or [], line.confidence
            return [
                tuple(
                    _grid_cell(line, cells_all[i], boxes[i] if boxes else None, confidence[i] if confidence else None)
                    for i in span
                )
            ], ncols
    fields = row.values
    if row.explicit and len(fields) != ncols:
        fields = rstrip_blank(fields)
        blanks = row.gap - layout.spacers.get(row.label_columns, 0)
        if len(fields) < ncols and layout.keeps_blanks and blanks > 0:
            fields = [""] * min(blanks, ncols - len(fields)) + fields
    cells = [_unboxed(f) for f in fields]
    if len(cells) == ncols:
        return [tuple(cells)], ncols
    columns = _aligned(row, layout, ncols) if len(cells) < ncols else None
    if columns is not None:  # a blank cell is a gap where its column is
        slots = dict(zip(columns, cells, strict=True))
        return [tuple(slots.get(c, MISSING) for c in range(ncols))], len(cells)
    return _placements(cells, ncols), len(cells)


def placement_count(printed: int, ncols: int) -> int:
    """How many order-preserving placements ``printed`` cells have in ``ncols`` columns (before
    identical ones merge): the columns they fill, or the cells that are kept."""
    return math.comb(max(printed, ncols), min(printed, ncols))


def _placements(cells: list[Cell], ncols: int) -> list[tuple[Cell, ...]]:
    n = len(cells)
    if placement_count(n, ncols) > MAX_PLACEMENTS:  # counted, not enumerated: C(40,15) is 40 billion
        return [(MISSING,) * ncols]
    choices = combinations(range(ncols), n) if n < ncols else combinations(range(n), ncols)
    seen: set[tuple[object, ...]] = set()
    placements: list[tuple[Cell, ...]] = []
    for choice in choices:
        if n < ncols:
            slots = dict(zip(choice, cells, strict=True))
            placement = tuple(slots.get(i, MISSING) for i in range(ncols))
        else:
            placement = tuple(cells[i] for i in choice)
        signature = tuple((c.kind, c.value) for c in placement)
        if signature not in seen:
            seen.add(signature)
            placements.append(placement)
    return placements
