"""The balance relations (勾稽关系) of Tables 3 and 4.

A cell's value is an interval: a printed count is a point; a blank, a placeholder, text or a
missing row is anything from 0 up (counts are never negative). An equation *fails* only when its
two sides cannot meet; when they merely might, it is uncertain and nothing is reported.

A row that printed more or fewer cells than there are columns has several placements. An
equation then fails only if it fails under every placement of the rows it reads; and a relation
whose equations each survive some placement still fails when no single placement of the rows
satisfies all of them at once (seed 002: whichever column the 6 of “予以公开” falls in, that
column no longer adds up). That is a small constraint search: rows are variables, their placements
the values; interval bounds on what the remaining rows can add prune it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from nianbao.model import Cell, CellKind, Finding, Location, Report, Table, TableRow
from nianbao.rules.catalog import TABLE_SECTION, TABLE_SHORT, cell_origin, column_name, finding, layout_spec, row_name
from nianbao.spec import TABLE3_COLUMNS, TABLE4, Equation, Relation, Table3Spec, Term, relations

INF = float("inf")
TABLE3_COLUMN_KEYS = tuple(c.key for c in TABLE3_COLUMNS)
TABLE4_COLUMN_KEYS = tuple(c.key for c in TABLE4.columns)
Bounds = tuple[float, float]
# Past this many combinations of placements (the product over the ambiguous rows a problem reads)
# a relation is not searched: it fails only if interval bounds alone show it, else it is left
# uncertain. Counted before searching: every row of Table 3 printed one cell short is 7^26
# combinations. Seed 002's results column (four rows of six numbers) is 7^4 = 2,401.
MAX_COMBINATIONS = 10_000
# A backstop on search nodes. A search within MAX_COMBINATIONS visits at most twice as many nodes
# (every ambiguous row has two placements or more), so this is never reached in practice.
NODE_LIMIT = 2 * MAX_COMBINATIONS


def bounds(cell: Cell | None) -> Bounds:
    """What a cell can stand for: its count, or [0, ∞) when it holds no usable count."""
    if cell is None or cell.kind is not CellKind.NUMBER or cell.value is None or cell.value < 0:
        return (0, INF)
    value = cell.value
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            return (0, INF)
        return (int(value), int(value))
    return (value, value)


@dataclass(slots=True)
class _Side:
    lo: float = 0
    hi: float = 0

    def add(self, b: Bounds) -> None:
        self.lo += b[0]
        self.hi += b[1]


@dataclass(slots=True)
class _Problem:
    """Equations over a table, split into what exact rows fix and what ambiguous rows may add."""

    equations: Sequence[Equation]
    table: Table
    variables: list[TableRow] = field(default_factory=list)
    # const[e] = (stated lo, stated hi, parts lo, parts hi) from placed or missing rows
    const: list[list[float]] = field(default_factory=list)
    # contrib[v][o][e] = the same four numbers added by variable v in placement o
    contrib: list[list[list[list[float]]]] = field(default_factory=list)
    nodes: int = 0

    @classmethod
    def build(cls, equations: Sequence[Equation], table: Table) -> _Problem:
        problem = cls(equations, table)
        keys = {t.row for eq in equations for t in (*eq.stated, *eq.parts)}
        ambiguous = [table.rows[k] for k in keys if k in table.rows and not table.rows[k].placed]
        # rows holding positive counts constrain most: try them first
        # (a row of placeholders only has no count: it sorts last)
        ambiguous.sort(
            key=lambda r: (-max(((c.value or 0) for p in r.placements for c in p if c.is_number), default=0), r.key)
        )
        problem.variables = ambiguous
        index = {row.key: i for i, row in enumerate(ambiguous)}
        problem.const = [[0.0, 0.0, 0.0, 0.0] for _ in equations]
        problem.contrib = [[[[0.0] * 4 for _ in equations] for _ in row.placements] for row in ambiguous]
        for e, eq in enumerate(equations):
            for offset, terms in ((0, eq.stated), (2, eq.parts)):
                for term in terms:
                    row = table.rows.get(term.row)
                    if row is None or row.placed:
                        b = bounds(row.cell(term.column) if row else None)
                        problem.const[e][offset] += b[0]
                        problem.const[e][offset + 1] += b[1]
                        continue
                    column = row.columns.index(term.column)
                    for o, placement in enumerate(row.placements):
                        b = bounds(placement[column])
                        problem.contrib[index[row.key]][o][e][offset] += b[0]
                        problem.contrib[index[row.key]][o][e][offset + 1] += b[1]
        return problem

    def satisfiable(self) -> bool:
        """Is there one placement of every ambiguous row under which no equation fails?"""
        n, m = len(self.variables), len(self.equations)
        # rest[k][e] = (min stated, max stated, min parts, max parts) variables k.. can still add
        rest = [[[0.0, 0.0, 0.0, 0.0] for _ in range(m)] for _ in range(n + 1)]
        for k in range(n - 1, -1, -1):
            for e in range(m):
                options = [self.contrib[k][o][e] for o in range(len(self.contrib[k]))]
                below = rest[k + 1][e]
                rest[k][e] = [
                    below[0] + min(o[0] for o in options),
                    below[1] + max(o[1] for o in options),
                    below[2] + min(o[2] for o in options),
                    below[3] + max(o[3] for o in options),
                ]
        acc = [list(c) for c in self.const]
        if _cannot_meet(acc, rest[0]):
            return False  # the bounds alone rule out every combination: no search needed
        if math.prod(len(options) for options in self.contrib) > MAX_COMBINATIONS:
            return True  # too many combinations to search: uncertain, nothing is reported
        try:
            return self._search(0, acc, rest)
        except _TooHardError:
            return True

    def _search(self, k: int, acc: list[list[float]], rest: list[list[list[float]]]) -> bool:
        self.nodes += 1
        if self.nodes > NODE_LIMIT:
            raise _TooHardError
        if _cannot_meet(acc, rest[k]):
            return False
        if k == len(self.variables):
            return True
        for option in self.contrib[k]:
            nxt = [[a + b for a, b in zip(acc[e], option[e], strict=True)] for e in range(len(acc))]
            if self._search(k + 1, nxt, rest):
                return True
        return False


class _TooHardError(Exception):
    pass


def _cannot_meet(acc: list[list[float]], rest: list[list[float]]) -> bool:
    """Does some equation fail whatever the rows still unchosen add (``rest``: their bounds)?"""
    for (s_lo, s_hi, p_lo, p_hi), r in zip(acc, rest, strict=True):
        if s_lo + r[0] > p_hi + r[3] or p_lo + r[2] > s_hi + r[1]:
            return True
    return False


def _side(table: Table, terms: Sequence[Term], choice: dict[str, int]) -> _Side:
    side = _Side()
    for term in terms:
        row = table.rows.get(term.row)
        cell = row.placements[choice.get(row.key, 0)][row.columns.index(term.column)] if row else None
        side.add(bounds(cell))
    return side


def _show(side: _Side) -> str:
    if side.lo == side.hi:
        return str(int(side.lo))
    if side.hi == INF and side.lo > 0:
        return f"至少{int(side.lo)}"
    return "未知"


def _point(side: _Side) -> int | None:
    return int(side.lo) if side.lo == side.hi else None


def _fails(stated: _Side, parts: _Side) -> bool:
    return stated.lo > parts.hi or parts.lo > stated.hi


def _describe(relation: Relation, eq: Equation, table: Table, report: Report, choice: dict[str, int]) -> str:
    spec = layout_spec(report)
    stated, parts = _side(table, eq.stated, choice), _side(table, eq.parts, choice)
    if relation.code == "T3_APPLICATION_BALANCE":
        column = column_name("table3", eq.column or "")
        new, carried_in = (_side(table, [t], choice) for t in eq.parts)
        results, carried_out = (_side(table, [t], choice) for t in eq.stated)
        return (
            f"表三“{column}”列：本年新收（{_show(new)}）+ 上年结转（{_show(carried_in)}）= {_show(parts)}，"
            f"而办理结果总计（{_show(results)}）+ 结转下年度（{_show(carried_out)}）= {_show(stated)}，两者应相等"
        )
    if relation.code == "T3_RESULTS_TOTAL":
        column = column_name("table3", eq.column or "")
        return f"表三“{column}”列：“（七）总计”为{_show(stated)}，但各项办理结果之和为{_show(parts)}"
    if relation.code == "T3_ROW_TOTAL":
        label = row_name("table3", eq.row or "", spec)
        return f"表三“{label}”行：“总计”为{_show(stated)}，但六类申请人之和为{_show(parts)}"
    block = column_name("table4", eq.column or "").split("·")[0:-1]
    return (
        f"表四“{'·'.join(block)}”：“总计”为{_show(stated)}，"
        f"但结果维持、结果纠正、其他结果、尚未审结之和为{_show(parts)}"
    )


def _anchor(eq: Equation, table: Table) -> TableRow | None:
    return next((table.rows[t.row] for t in eq.stated if t.row in table.rows), None)


def _evidence(eq: Equation, table: Table) -> str | None:
    """The stated rows, then the parts that matter: unplaceable ones or ones holding a count."""
    stated = dict.fromkeys(t.row for t in eq.stated if t.row in table.rows)
    parts = [
        t.row
        for t in eq.parts
        if t.row in table.rows
        and t.row not in stated
        and (not table.rows[t.row].placed or bounds(table.rows[t.row].cell(t.column))[0] > 0)
    ]
    keys = [*stated, *dict.fromkeys(parts)]
    shown = [table.rows[key].evidence for key in keys[:4]]
    if len(keys) > 4:
        shown.append("……")
    return " / ".join(shown) or None


def _location(relation: Relation, eq: Equation, table: Table) -> Location:
    """Where the finding points: the stated cell (a total; for T3_APPLICATION_BALANCE, which names
    a column only, 办理结果总计 and 结转下年度 of that column together), on the anchor row's line."""
    anchor = _anchor(eq, table)
    origin = None
    if anchor is not None:
        stated = [cell_origin(table.rows[t.row], t.column) for t in eq.stated if t.row in table.rows]
        origin = stated[0].union(stated[1:])
    return Location.of(
        origin, section=TABLE_SECTION[relation.table], table=relation.table, row=eq.row, column=eq.column
    )


def check(report: Report) -> Iterator[Finding]:
    spec = layout_spec(report)
    table3 = report.table("table3")
    block_only = table3 is not None and _block_as_one_row(table3)
    cells: dict[str, dict[tuple[str, str], Bounds]] = {}
    for relation in block_totals(spec.table3) if block_only else relations(spec.table3):
        table = report.table(relation.table)
        if table is None or not table.has_values:
            continue
        if relation.table not in cells:
            cells[relation.table] = _placed_bounds(table)
        yield from _check_relation(relation, table, report, cells[relation.table])


# The 2021 format's three sub-rows of （六）其他处理, and the one row the 2019 format prints for them.
OTHER_PARTS = ("other_1", "other_2", "other_3")
OTHER_BLOCK = "other"


def _block_as_one_row(table: Table) -> bool:
    """Table 3 prints （六）其他处理 as one row without its three sub-rows: that row's numbers stand
    for the three rows' sum (one finding, ROW_MISSING, says the rows are missing; the relations
    still use what was printed)."""
    return OTHER_BLOCK in table.rows and not any(k in table.rows for k in OTHER_PARTS)


@cache
def block_totals(table3: Table3Spec) -> tuple[Relation, ...]:
    """The relations, with Table 3's three sub-rows of （六）其他处理 read as that block's one row."""
    return tuple(_with_block_total(relation) for relation in relations(table3))


def _with_block_total(relation: Relation) -> Relation:
    if relation.table != "table3":
        return relation

    def terms(of: tuple[Term, ...]) -> tuple[Term, ...]:
        kept = [t for t in of if t.row not in OTHER_PARTS]
        block = list(dict.fromkeys(Term(OTHER_BLOCK, t.column) for t in of if t.row in OTHER_PARTS))
        return (*kept, *block)

    equations: dict[Equation, None] = {}
    for eq in relation.equations:
        row = OTHER_BLOCK if eq.row in OTHER_PARTS else eq.row
        equations.setdefault(Equation(row, eq.column, terms(eq.stated), terms(eq.parts)))
    return Relation(relation.code, relation.table, relation.title, tuple(equations))


def _placed_bounds(table: Table) -> dict[tuple[str, str], Bounds]:
    """What every cell of every placed row can stand for."""
    return {
        (row.key, column): bounds(cell)
        for row in table.rows.values()
        if row.placed
        for column, cell in zip(row.columns, row.placements[0], strict=True)
    }


def _sum(cells: dict[tuple[str, str], Bounds], terms: Sequence[Term]) -> _Side | None:
    """The side's bounds when every term is a placed cell (or a missing row); else None."""
    lo = hi = 0.0
    for term in terms:
        b = cells.get((term.row, term.column))
        if b is None:
            return None
        lo += b[0]
        hi += b[1]
    return _Side(lo, hi)


def _always_fails(eq: Equation, table: Table, cells: dict[tuple[str, str], Bounds]) -> bool:
    """Does ``eq`` fail under every placement of the rows it reads?"""
    stated, parts = _sum(cells, eq.stated), _sum(cells, eq.parts)
    if stated is not None and parts is not None:
        return _fails(stated, parts)
    return not _Problem.build([eq], table).satisfiable()


def _check_relation(
    relation: Relation, table: Table, report: Report, placed: dict[tuple[str, str], Bounds]
) -> Iterator[Finding]:
    cells = dict(placed)
    for key in {t.row for eq in relation.equations for t in (*eq.stated, *eq.parts)} - set(table.rows):
        for column in TABLE3_COLUMN_KEYS if relation.table == "table3" else TABLE4_COLUMN_KEYS:
            cells[(key, column)] = (0, INF)  # a missing row can hold anything
    failing = [eq for eq in relation.equations if _always_fails(eq, table, cells)]
    for eq in failing:
        stated, parts = _side(table, eq.stated, {}), _side(table, eq.parts, {})
        ambiguous = any(not r.placed for r in _rows_of(eq, table))
        note = "（该行或相关行的数值个数与列数不符，但无论怎样排列都不相等）" if ambiguous else ""
        yield finding(
            relation.code,
            _describe(relation, eq, table, report, {}) + "。" + note,
            location=_location(relation, eq, table),
            expected=None if ambiguous else _point(parts),
            actual=None if ambiguous else _point(stated),
            evidence=_evidence(eq, table),
        )
    if failing or all(row.placed for row in table.rows.values()):
        return
    if _Problem.build(relation.equations, table).satisfiable():
        return
    # Every placement breaks some equation, but which one depends on the placement.
    witness = next(eq for eq in relation.equations if _fails(_side(table, eq.stated, {}), _side(table, eq.parts, {})))
    involved = {r.key for eq in relation.equations for r in _rows_of(eq, table)}
    rows = [r.label for r in table.rows.values() if r.key in involved and not r.placed]
    yield finding(
        relation.code,
        f"{TABLE_SHORT[relation.table]}的勾稽关系“{relation.title}”不成立："
        f"“{'”“'.join(rows[:3])}”{'等' if len(rows) > 3 else ''}行的数值个数与列数不符，"
        f"无法确定数值对应的列，但无论怎样排列，总有一列不平衡（例如各行数值靠左排列时，"
        f"{_describe(relation, witness, table, report, {})}）。",
        location=Location.of(
            (_anchor(witness, table) or next(iter(table.rows.values()))).origin,
            section=TABLE_SECTION[relation.table],
            table=relation.table,
            row=witness.row,
        ),
        evidence=_evidence(witness, table),
    )


def _rows_of(eq: Equation, table: Table) -> list[TableRow]:
    keys = dict.fromkeys(t.row for t in (*eq.stated, *eq.parts))
    return [table.rows[k] for k in keys if k in table.rows]
