"""What a synthetic report says: its metadata and every cell, balanced unless told otherwise."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from nianbao.spec import FORMATS, TABLE3_APPLICANT_COLUMNS, TABLE4, FormatVersion

# A cell: a number, None for a blank cell, or a placeholder string ("/", "—", "无").
Value = int | Decimal | str | None
PLACEHOLDERS = ("/", "—", "-", "无")

AGENCIES = (
    "青川县清水镇人民政府",
    "河西区民政局",
    "安平县自然资源局",
    "临江市城南区人民政府",
    "北山县教育局",
    "东湖区白沙街道办事处",
    "西岭县卫生健康局",
    "南溪镇人民政府",
)


@dataclass
class Truth:
    """Everything a rendered report states, and so everything the checker must read back."""

    version: FormatVersion
    year: int
    agency: str
    table2: dict[str, list[Value]]
    table3: dict[str, list[Value]]
    table4: list[Value]
    published: date | None = None
    title: str | None = ""  # "" means the standard title; None leaves the title out
    sections: tuple[int, ...] = (1, 2, 3, 4, 5, 6)  # printed, in this order
    prose_counts: bool = True  # section 一 states the request, review and lawsuit counts
    fee_statement: bool = True
    stale_year: bool = False  # section 五 speaks of last year as the current one
    thin_section5: bool = False
    omit: frozenset[str] = frozenset()  # tables replaced by a sentence
    empty: frozenset[str] = frozenset()  # tables printed with their header and no numbers
    # The prose of sections 1, 5 and 6 as paragraphs drawn from a bank (prose.draw_narrative), so
    # that consecutive years of one body read differently; None keeps the fixed template.
    narrative: dict[int, tuple[str, ...]] | None = None

    @property
    def spec(self):  # the FormatSpec of the layout
        return FORMATS[self.version]

    def full_title(self) -> str | None:
        if self.title is None:
            return None
        return self.title or f"{self.agency}{self.year}年政府信息公开工作年度报告"

    def expected_tables(self) -> dict[str, object]:
        """The ``tables`` member of the JSON contract this report must give."""

        def number(v: Value) -> int | float | None:
            if v is None or isinstance(v, str):
                return None
            return v if isinstance(v, int) else float(v)

        tables: dict[str, object] = {
            "table2": {k: [number(v) for v in vs] for k, vs in self.table2.items()},
            "table3": {k: [number(v) for v in vs] for k, vs in self.table3.items()},
            "table4": [number(v) for v in self.table4],
        }
        for name in self.empty:
            tables[name] = {} if name != "table4" else [None] * len(self.table4)
        for name in self.omit:
            tables[name] = None
        return tables

    def totals(self, key: str) -> int:
        value = self.table3[key][-1]
        assert isinstance(value, int)
        return value

    def t4_total(self, block: str) -> int:
        index = [c.key for c in TABLE4.columns].index(f"{block}_total")
        value = self.table4[index]
        assert isinstance(value, int)
        return value

    def with_cell(self, table: str, row: str | None, column: int, value: Value) -> Truth:
        """A copy with one cell changed."""
        if table == "table4":
            cells = list(self.table4)
            cells[column] = value
            return replace(self, table4=cells)
        rows = {k: list(v) for k, v in (self.table3 if table == "table3" else self.table2).items()}
        assert row is not None
        rows[row][column] = value
        return replace(self, table3=rows) if table == "table3" else replace(self, table2=rows)


def _count(rng: random.Random, busy: float) -> int:
    """Mostly zero, as in real township reports; sometimes a few."""
    if rng.random() > busy:
        return 0
    return rng.choice((1, 1, 2, 3, 5, 8, 13))


def random_table3(rng: random.Random, version: FormatVersion, busy: float = 0.3) -> dict[str, list[Value]]:
    """A Table 3 whose every balance relation holds."""
    spec = FORMATS[version].table3
    columns: list[dict[str, int]] = []
    for _ in TABLE3_APPLICANT_COLUMNS:
        col = {row: _count(rng, busy / 2) for row in spec.result_rows}
        col["results_total"] = sum(col[r] for r in spec.result_rows)
        col["carried_out"] = _count(rng, busy / 2)
        inflow = col["results_total"] + col["carried_out"]
        col["carried_in"] = rng.randint(0, min(inflow, 3))
        col["new"] = inflow - col["carried_in"]
        columns.append(col)
    return table3_of(version, columns)


def table3_of(version: FormatVersion, columns: list[dict[str, int]]) -> dict[str, list[Value]]:
    """Table 3 rows from its applicant columns, with the 总计 column summed."""
    table: dict[str, list[Value]] = {}
    for row in FORMATS[version].table3.rows:
        values = [col[row.key] for col in columns]
        table[row.key] = [*values, sum(values)]
    return table


def random_table4(rng: random.Random, busy: float = 0.2) -> list[Value]:
    cells: list[Value] = []
    for _ in TABLE4.blocks:
        parts = [_count(rng, busy) for _ in range(4)]
        cells.extend([*parts, sum(parts)])
    return cells


def random_table2(rng: random.Random, version: FormatVersion) -> dict[str, list[Value]]:
    table: dict[str, list[Value]] = {}
    for block, row in FORMATS[version].table2.rows():
        values: list[Value] = []
        for column in block.columns:
            if column.kind.value == "amount":
                values.append(Decimal(rng.randint(0, 90000)) / 100 if rng.random() < 0.5 else 0)
            elif column.kind.value == "delta":
                values.append(rng.randint(-3, 3))
            else:
                values.append(rng.choice((0, 0, 1, 2, 7, 16, 106)))
        table[row.key] = values
    return table


def random_truth(
    rng: random.Random,
    *,
    version: FormatVersion | None = None,
    year: int | None = None,
    busy: float = 0.3,
) -> Truth:
    """A complete, consistent, balanced report with nothing a checker should complain about
    (save the info-level findings its layout may bring)."""
    version = version or rng.choice((FormatVersion.V2019, FormatVersion.V2021))
    if year is None:
        year = rng.choice((2019, 2020)) if version is FormatVersion.V2019 else rng.randint(2021, 2025)
    return Truth(
        version=version,
        year=year,
        agency=rng.choice(AGENCIES),
        table2=random_table2(rng, version),
        table3=random_table3(rng, version, busy),
        table4=random_table4(rng),
        published=date(year + 1, 1, rng.randint(5, 30)),
    )


def blank_cells(truth: Truth, rng: random.Random, *, share: float, placeholders: bool) -> Truth:
    """Blank (or placeholder) some Table 3 applicant cells without making them unplaceable:
    never the first or the 总计 column, so that a tab layout keeps them visibly interior."""
    rows = {k: list(v) for k, v in truth.table3.items()}
    for values in rows.values():
        for index in range(1, 6):
            if rng.random() < share:
                values[index] = rng.choice(PLACEHOLDERS) if placeholders else None
    return replace(truth, table3=rows)


def only_totals(truth: Truth) -> Truth:
    """Seed 003's layout: applicant columns left empty, only 总计 filled."""
    rows = {k: [None] * 6 + [v[-1]] for k, v in truth.table3.items()}
    return replace(truth, table3=rows)
