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

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from nianbao.extract import Line
from nianbao.model import Cell, CellKind, Origin
from nianbao.normalize import UNIT_TOKENS, classify, collapse

# Past this many placements a row is treated as unplaceable (every cell unknown).
MAX_PLACEMENTS = 64


@dataclass(slots=True)
class PrintedRow:
    """One line that holds values: label fields before the first value, value fields from it."""

    line: Line
    prefix: list[str]
    values: list[str]
    explicit: bool

    @property
    def label(self) -> str:
        return "".join(f for f in self.prefix if f.strip())

    @property
    def gap(self) -> int:
        """Empty fields right before the first value."""
        count = 0
        for field in reversed(self.prefix):
            if field.strip():
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


def rstrip_blank(fields: Sequence[str]) -> list[str]:
    """``fields`` without the empty fields at its end."""
    end = len(fields)
    while end and not fields[end - 1].strip():
        end -= 1
    return list(fields[:end])


def _is_value(token: str) -> bool:
    return classify(token)[0] in (CellKind.NUMBER, CellKind.PLACEHOLDER)


def split_row(line: Line) -> PrintedRow | None:
    """The label and value cells of ``line``, or None when it holds no value."""
    if line.cells is not None:
        for index, field in enumerate(line.cells):
            if _is_value(field):
                return PrintedRow(line, line.cells[:index], line.cells[index:], explicit=True)
        return None
    tokens = line.text.split()
    values: list[str] = []
    end = len(tokens)
    while end:
        token = tokens[end - 1]
        if token in UNIT_TOKENS and end >= 2 and classify(tokens[end - 2])[0] is CellKind.NUMBER:
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


@dataclass(frozen=True, slots=True)
class Layout:
    """What a whole table tells about its rows."""

    label_columns: int
    keeps_blanks: bool

    @classmethod
    def of(cls, rows: Sequence[PrintedRow]) -> Layout:
        explicit = [r for r in rows if r.explicit]
        label_columns = max((r.label_columns for r in explicit), default=0)
        keeps = any(r.has_interior_blank or r.gap > max(label_columns - r.label_columns, 0) for r in explicit)
        return cls(label_columns, keeps)


def _cell(raw: str, origin: Origin) -> Cell:
    kind, value = classify(raw)
    return Cell(raw=collapse(raw), kind=kind, value=value, origin=origin)


def place(row: PrintedRow, ncols: int, layout: Layout) -> tuple[list[tuple[Cell, ...]], int]:
    """Every way the printed cells of ``row`` can fill ``ncols`` columns (one when unambiguous),
    and how many cells the row printed (blank cells it kept included)."""
    origin = Origin(line=row.line.number, page=row.line.page)
    fields = row.values
    if row.explicit and len(fields) != ncols:
        fields = rstrip_blank(fields)
        if len(fields) < ncols and layout.keeps_blanks and row.gap:
            fields = [""] * min(row.gap, ncols - len(fields)) + fields
    cells = [_cell(f, origin) for f in fields]
    if len(cells) == ncols:
        return [tuple(cells)], ncols
    return _placements(cells, ncols, origin), len(cells)


def _placements(cells: list[Cell], ncols: int, origin: Origin) -> list[tuple[Cell, ...]]:
    missing = Cell(raw="", kind=CellKind.MISSING, origin=origin)
    n = len(cells)
    choices = list(combinations(range(ncols), n) if n < ncols else combinations(range(n), ncols))
    if len(choices) > MAX_PLACEMENTS:
        return [(missing,) * ncols]
    seen: set[tuple[object, ...]] = set()
    placements: list[tuple[Cell, ...]] = []
    for choice in choices:
        if n < ncols:
            slots = dict(zip(choice, cells, strict=True))
            placement = tuple(slots.get(i, missing) for i in range(ncols))
        else:
            placement = tuple(cells[i] for i in choice)
        signature = tuple((c.kind, c.value) for c in placement)
        if signature not in seen:
            seen.add(signature)
            placements.append(placement)
    return placements
