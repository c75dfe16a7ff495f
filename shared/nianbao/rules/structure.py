"""Are the sections, tables, rows and cells there, and do they hold what they must?"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nianbao.model import Cell, CellKind, Finding, Location, Origin, Report, Table, TableRow
from nianbao.normalize import MAX_DIGITS, shorten_digits
from nianbao.rules.balance import OTHER_BLOCK, OTHER_PARTS
from nianbao.rules.catalog import (
    TABLE_NAMES,
    TABLE_SECTION,
    TABLE_SHORT,
    cell_location,
    cell_origin,
    column_name,
    finding,
    layout_spec,
    row_name,
    section_location,
)
from nianbao.spec import SECTIONS, TABLE4_ROW, ColumnSpec, FormatSpec, ValueKind


def check(report: Report) -> Iterator[Finding]:
    yield from _sections(report)
    spec = layout_spec(report)
    for name in TABLE_NAMES:
        table = report.table(name)
        if table is None:
            yield finding(
                "TABLE_MISSING",
                f"未找到{TABLE_NAMES[name]}。",
                location=Location(section=TABLE_SECTION[name], table=name),
            )
        elif not table.has_values:
            yield finding(
                "TABLE_EMPTY",
                f"{TABLE_NAMES[name]}有表头但没有填写任何数字。",
                location=Location.of(table.origin, section=table.section, table=name),
                evidence=_first_evidence(table),
            )
        else:
            yield from _rows(report, table, spec)


def _sections(report: Report) -> Iterator[Finding]:
    for spec in SECTIONS:
        if spec.number not in report.sections:
            yield finding(
                "SECTION_MISSING",
                f"缺少第{spec.ordinal}部分“{spec.title}”。",
                location=Location(section=spec.number),
            )
    found = sorted(report.sections.values(), key=lambda s: s.position)
    for section in found:
        spec = SECTIONS[section.number - 1]
        after = [s for s in found if s.position < section.position and s.number > section.number]
        if after:
            yield finding(
                "SECTION_ORDER",
                f"第{spec.ordinal}部分“{spec.title}”出现在第{SECTIONS[after[-1].number - 1].ordinal}部分之后，"
                "与标准顺序不同（也可能是排版或文本提取打乱了顺序，请核对原文）。",
                location=section_location(report, section.number),
                evidence=section.heading,
            )
        elif section.ordinal not in (None, spec.ordinal, str(spec.number)):
            yield finding(
                "SECTION_ORDER",
                f"“{spec.title}”的标题序号为“{section.ordinal}”，标准格式中应为“{spec.ordinal}”。",
                location=section_location(report, section.number),
                evidence=section.heading,
            )


def _first_evidence(table: Table) -> str | None:
    return next((row.evidence for row in table.rows.values()), table.header[:60] or None)


def _expected_rows(name: str, spec: FormatSpec) -> list[str]:
    if name == "table3":
        return [r.key for r in spec.table3.rows]
    if name == "table2":
        return [row.key for _, row in spec.table2.rows()]
    return [TABLE4_ROW]


def _column_specs(name: str, row: TableRow, spec: FormatSpec) -> list[ColumnSpec | None]:
    if name != "table2":
        return [None] * len(row.columns)  # Tables 3 and 4 hold counts only
    block = next((b for b in spec.table2.blocks if any(r.key == row.key for r in b.rows)), None)
    columns = {c.key: c for c in block.columns} if block else {}
    return [columns.get(key) for key in row.columns]


def _rows(report: Report, table: Table, spec: FormatSpec) -> Iterator[Finding]:
    name = table.name
    expected = _expected_rows(name, spec)
    if name == "table3" and _block_as_one_row(table, expected):
        yield finding(
            "ROW_MISSING",
            f"表三“{row_name(name, OTHER_BLOCK, spec)}”只印了一行，缺少其下的三项"
            f"（“{row_name(name, OTHER_PARTS[0], spec)}”“{row_name(name, OTHER_PARTS[1], spec)}”"
            f"“{row_name(name, OTHER_PARTS[2], spec)}”）；这一行的数字按三项之和参与核对。",
            location=cell_location(name, None, None, key=OTHER_BLOCK),
        )
        expected = [key for key in expected if key not in OTHER_PARTS]
    for key in expected:
        if key not in table.rows:
            yield finding(
                "ROW_MISSING",
                f"{TABLE_SHORT[name]}缺少“{row_name(name, key, spec)}”一行。",
                location=cell_location(name, None, None, key=key),
            )
    for row in table.rows.values():
        yield from _shape(name, row)
        yield from _invalid(name, row, _column_specs(name, row, spec), spec)
    for origin, text in table.stray:
        yield finding(
            "ROW_SHAPE",
            f"{TABLE_SHORT[name]}第{origin.line}行的数字“{text}”没有行名，也接不上前一行，无法确定属于哪一行，已略去；请核对原文。",
            location=Location.of(origin, section=table.section, table=name),
            evidence=text,
        )
    yield from _blanks(table, spec)


def _block_as_one_row(table: Table, expected: list[str]) -> bool:
    """（六）其他处理 printed as the 2019 format's single row where the format wants its three."""
    return OTHER_BLOCK in table.rows and all(k in expected and k not in table.rows for k in OTHER_PARTS)


def _where(name: str, row: TableRow, spec: FormatSpec) -> str:
    if name == "table4":
        return TABLE_SHORT[name]
    return f"{TABLE_SHORT[name]}“{row_name(name, row.key, spec)}”行"


def _shape(name: str, row: TableRow) -> Iterator[Finding]:
    ncols = len(row.columns)
    if row.printed == ncols:
        return
    more = "多出的数值" if row.printed > ncols else "缺少的数值"
    if row.unplaceable:
        consequence = "可能的排列过多，无法确定各数值对应的列，该行各数值按未知处理，不参与核对。"
    elif row.placed:
        consequence = "各种可能的排列结果相同。"
    else:
        consequence = "无法确定各数值对应的列，涉及这些数值的核对将按所有可能的排列进行。"
    where = TABLE_SHORT[name] if name == "table4" else f"{TABLE_SHORT[name]}“{row.label}”行"
    yield finding(
        "ROW_SHAPE",
        f"{where}有{row.printed}个单元格，应为{ncols}个；{more}位置不明，{consequence}",
        location=cell_location(name, row, None),
        evidence=row.evidence,
    )


_NOT_CHECKED = frozenset({CellKind.BLANK, CellKind.PLACEHOLDER, CellKind.MISSING, CellKind.UNCERTAIN})


def _invalid(name: str, row: TableRow, columns: list[ColumnSpec | None], spec: FormatSpec) -> Iterator[Finding]:
    # A cell is named once though it stands in many placements; a placed row's equal cells (one
    # cell object: parse/rows.py) once for each column they stand in
    seen: set[tuple[int | None, int]] = set()
    placed = row.placed
    for placement in row.placements:
        for index, cell in enumerate(placement):
            if cell.kind in _NOT_CHECKED or (type(cell.value) is int and cell.value >= 0):
                continue  # nothing to check, or a count every column takes
            key = (index if placed else None, id(cell))
            if key in seen:
                continue
            seen.add(key)
            column = columns[index] if placed else None
            problem = _problem(cell, column.kind if column else ValueKind.COUNT)
            if problem is None:
                continue
            where = _where(name, row, spec)
            if row.placed:
                where += f"“{column_name(name, row.columns[index], spec)}”列"
            yield finding(
                "CELL_INVALID",
                f"{where}的“{shorten_digits(cell.raw)}”{problem}。",
                location=cell_location(name, row, row.columns[index] if row.placed else None),
                evidence=row.evidence,
            )


def _problem(cell: Cell, kind: ValueKind) -> str | None:
    if cell.kind is CellKind.TEXT:
        return "不是数字"
    if cell.kind is CellKind.TOO_LONG:
        return f"位数过多（超过{MAX_DIGITS}位），不是有效的件数或金额，请核对原文"
    value = cell.value
    if value is None:
        return None
    if value < 0 and kind is not ValueKind.DELTA:
        return "是负数，该栏只能填写非负数"
    if kind is not ValueKind.AMOUNT and value != int(value):
        return "不是整数，该栏应填写件数"
    return None


@dataclass(slots=True)
class _Blank:
    row: TableRow
    column: str


def _blanks(table: Table, spec: FormatSpec) -> Iterator[Finding]:
    """Blank or placeholder cells where a number is due, folded by whole column and whole row so
    that a table filled in only its 总计 column gives one finding per empty column."""
    placed = [row for row in table.rows.values() if row.placed and row.printed == len(row.columns)]
    blanks = [
        _Blank(row, column)
        for row in placed
        for column, cell in zip(row.columns, row.placements[0], strict=True)
        if cell.kind in (CellKind.BLANK, CellKind.PLACEHOLDER)
    ]
    if not blanks:
        return
    name = table.name
    by_column: dict[str, list[_Blank]] = {}
    for blank in blanks:
        by_column.setdefault(blank.column, []).append(blank)
    having = {col: [r for r in placed if col in r.columns] for col in by_column}
    whole_columns = {
        col
        for col, items in by_column.items()
        if name != "table4" and len(having[col]) >= 2 and len(items) == len(having[col])
    }
    for col in sorted(whole_columns, key=lambda c: _column_order(table, c)):
        first = by_column[col][0].row
        yield finding(
            "CELL_BLANK",
            f"{TABLE_SHORT[name]}“{column_name(name, col, spec)}”列全部未填写数字"
            f"（共{len(by_column[col])}行），应填写数字，没有的填0。",
            location=cell_location(name, first, col, origin=_union(by_column[col])).model_copy(update={"row": None}),
            evidence=first.evidence,
        )
    rest = [b for b in blanks if b.column not in whole_columns]
    by_row: dict[str, list[_Blank]] = {}
    for blank in rest:
        by_row.setdefault(blank.row.key, []).append(blank)
    for items in by_row.values():
        row = items[0].row
        if len(items) == len(row.columns) and len(items) > 1:
            yield finding(
                "CELL_BLANK",
                f"{_where(name, row, spec)}全部未填写数字，应填写数字，没有的填0。",
                location=cell_location(name, row, None, origin=_union(items)),
                evidence=row.evidence,
            )
            continue
        for blank in items:
            cell = row.cell(blank.column)
            shown = f"填写了“{cell.raw}”" if cell is not None and cell.kind is CellKind.PLACEHOLDER else "为空"
            yield finding(
                "CELL_BLANK",
                f"{_where(name, row, spec)}“{column_name(name, blank.column, spec)}”列{shown}，应填写数字，没有的填0。",
                location=cell_location(name, row, blank.column),
                evidence=row.evidence,
            )


def _union(blanks: list[_Blank]) -> Origin:
    """Where a folded CELL_BLANK points: the box holding its blank cells, on the page of the first
    (a column broken over a page break keeps its part on that page)."""
    origins = [cell_origin(blank.row, blank.column) for blank in blanks]
    return origins[0].union(origins[1:])


def _column_order(table: Table, column: str) -> int:
    for row in table.rows.values():
        if column in row.columns:
            return row.columns.index(column)
    return 0
