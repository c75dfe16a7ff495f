"""What later years (and a parent body) need of one year's report, and the history a rule is given.

Rules never fetch history: the pipeline and the CLI look up last year's report of the same body
(and, for a summary report, this year's reports of the bodies below it), and pass them in as
``YearFacts`` (``nianbao.rules.history.run_history``). ``YearFacts`` is small enough to store next
to the report: the tables in the JSON contract's shape, the prose of sections 一, 五 and 六, and the
page boxes of the few cells a cross-year finding names.

No I/O here, beyond ``reuse_share_from_env`` reading one environment variable.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from nianbao.model import CheckResult, Origin, Prose, Report, Table, TableRow
from nianbao.spec import TABLE3_COLUMNS

# The sections whose prose later years compare with (一 overview, 五 problems, 六 other matters):
# the narrative a body writes anew each year. Sections 二 to 四 are tables.
PROSE_SECTIONS = ("1", "5", "6")
# Table 3 rows a cross-year rule names: carried_in in every column (CARRYOVER_MISMATCH), and the
# 总计 column of each row a summary report adds up from its children (HIERARCHY_SUM).
CARRY_ROW = "carried_in"
SUMMED_ROWS = ("new", "carried_in", "results_total", "carried_out")
TOTAL_COLUMN = TABLE3_COLUMNS[-1].key
# Table 2 (2021 format), block 第二十条第（一）项: [本年制发件数, 本年废止件数, 现行有效件数].
IN_FORCE_ROWS = ("regulations", "normative_documents")
IN_FORCE_INDEX = 2

# Characters of each section's prose kept. Real reports' sections run to a few thousand (the
# samples: at most 1,208); the bound keeps the facts storable next to the report (a DynamoDB item
# holds 400 KB) and the reuse measure quick, whatever a hostile file holds.
PROSE_LIMIT = 6_000

REUSE_SHARE_ENV = "NIANBAO_TEXT_REUSE_SHARE"
DEFAULT_REUSE_SHARE = 0.5

ContractNumber = int | float | None


class YearFacts(BaseModel):
    """One year's report of one body, as much as later years and a parent body need of it.

    - ``table2``/``table3``: row key -> values in printed column order, as the JSON contract gives
      them (``nianbao.contract.report_dict``); None for an absent table, a None value for a blank,
      placeholder or unplaceable cell. Table 3 holds counts only: a value no count can be
      (negative, fractional) is None too (the report's own ``CELL_INVALID`` says so), so a
      cross-year relation on it is uncertain rather than wrong.
    - ``prose``: sections "1", "5", "6" -> the section's prose as the parser holds it (whitespace
      removed, a newline after each sentence that ends a line), its first ``PROSE_LIMIT``
      characters.
    - ``prose_origins``: the same sections -> ``(offset in the prose, where that piece was read)``
      for each piece, so a finding that quotes a passage can point at its line and page box.
    - ``cells``: the origins of the cells cross-year rules name: ``table3.<row>.<column key>`` and
      ``table2.<row>.<column index>``. ``evidence``: the printed rows they are in
      (``table3.<row>``, ``table2.<row>``).
    """

    model_config = ConfigDict(frozen=True)

    year: int
    format: str  # "2019" | "2021" | "unknown"
    agency: str | None = None
    table2: dict[str, list[ContractNumber]] | None = None
    table3: dict[str, list[int | None]] | None = None
    prose: dict[str, str] = Field(default_factory=dict)
    prose_origins: dict[str, list[tuple[int, Origin]]] = Field(default_factory=dict)
    cells: dict[str, Origin] = Field(default_factory=dict)
    evidence: dict[str, str] = Field(default_factory=dict)

    def table3_value(self, row: str, index: int) -> int | None:
        values = (self.table3 or {}).get(row)
        return values[index] if values is not None and index < len(values) else None

    def table2_value(self, row: str, index: int) -> ContractNumber:
        values = (self.table2 or {}).get(row)
        return values[index] if values is not None and index < len(values) else None

    def prose_origin(self, section: str, start: int, end: int) -> Origin | None:
        """Where ``prose[section][start:end]`` was read: the first piece's origin, its box grown to
        hold every piece up to ``end`` on the same page (a passage wrapped over lines)."""
        pieces = self.prose_origins.get(section) or []
        starts = [offset for offset, _ in pieces]
        first = bisect.bisect_right(starts, start) - 1
        if first < 0:
            return None
        last = max(first, bisect.bisect_left(starts, end) - 1)
        origins = [origin for _, origin in pieces[first : last + 1]]
        return origins[0].union(origins[1:])


class ChildFacts(BaseModel):
    """A body below the one whose report is checked (the roster's ``parent_body_id``), with its
    report of the same year, or None when it has not filed one."""

    model_config = ConfigDict(frozen=True)

    body_id: str
    name: str
    facts: YearFacts | None = None


class History(BaseModel):
    """What the caller found for the report being checked.

    ``previous``: the same body's report of the year before (None: none on file).
    ``children``: the bodies below it, with this year's reports, when its report sums theirs
    (``sums_children``: a county government's summary report for its whole jurisdiction).
    ``reuse_share``: the share of this year's prose repeated from last year's above which
    ``TEXT_REUSE`` fires (``reuse_share_from_env``).
    """

    model_config = ConfigDict(frozen=True)

    previous: YearFacts | None = None
    children: list[ChildFacts] = Field(default_factory=list)
    sums_children: bool = False
    reuse_share: float = Field(default=DEFAULT_REUSE_SHARE, gt=0, le=1)

    @staticmethod
    def reuse_share_from_env(env: Mapping[str, str] | None = None) -> float:
        """``NIANBAO_TEXT_REUSE_SHARE``: a share (``0.5``) or a percentage (``50%``) in (0, 1];
        ``DEFAULT_REUSE_SHARE`` when unset or empty. Anything else raises ``ValueError``: a
        mistyped threshold must stop the deployment, not silently fall back."""
        raw = (os.environ if env is None else env).get(REUSE_SHARE_ENV, "").strip()
        if not raw:
            return DEFAULT_REUSE_SHARE
        try:
            share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError as error:
            raise ValueError(f"{REUSE_SHARE_ENV}={raw!r} is not a share such as 0.5 or 50%") from error
        if not 0 < share <= 1:
            raise ValueError(f"{REUSE_SHARE_ENV}={raw!r} is outside (0, 1]")
        return share


def _contract_number(value: int | Decimal | None) -> ContractNumber:
    """A value as the JSON contract gives it (``nianbao.contract``): ints as ints, an integral
    amount as an int, other amounts as floats."""
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)


def _count(value: int | Decimal | None) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


def _table2(table: Table | None) -> dict[str, list[ContractNumber]] | None:
    if table is None:
        return None
    return {key: [_contract_number(v) for v in row.values()] for key, row in table.rows.items()}


def _table3(table: Table | None) -> dict[str, list[int | None]] | None:
    if table is None:
        return None
    return {key: [_count(v) for v in row.values()] for key, row in table.rows.items()}


def _cell_origin(row: TableRow, column: str) -> Origin:
    """The cell's own box when the row is placed and the cell was ruled, else the row's (as
    ``nianbao.rules.catalog.cell_origin``; not imported, so that this module needs no rules)."""
    cell = row.cell(column)
    if cell is not None and cell.origin is not None and cell.origin.bbox is not None:
        return cell.origin
    return row.origin


def _cells(report: Report) -> tuple[dict[str, Origin], dict[str, str]]:
    cells: dict[str, Origin] = {}
    evidence: dict[str, str] = {}
    if report.table3 is not None:
        for key in SUMMED_ROWS:
            row = report.table3.rows.get(key)
            if row is None:
                continue
            evidence[f"table3.{key}"] = row.evidence
            for column in row.columns if key == CARRY_ROW else (TOTAL_COLUMN,):
                cells[f"table3.{key}.{column}"] = _cell_origin(row, column)
    if report.table2 is not None:
        for key in IN_FORCE_ROWS:
            row = report.table2.rows.get(key)
            if row is None or len(row.columns) <= IN_FORCE_INDEX:
                continue
            evidence[f"table2.{key}"] = row.evidence
            cells[f"table2.{key}.{IN_FORCE_INDEX}"] = _cell_origin(row, row.columns[IN_FORCE_INDEX])
    return cells, evidence


def _origins(prose: Prose) -> list[tuple[int, Origin]]:
    return [(start, prose.origin_at(start)) for start in prose.starts if start < PROSE_LIMIT]


def facts_of(result: CheckResult) -> YearFacts | None:
    """What later years need of a checked report; None when the file is not a readable report
    (unreadable, not a report) or its year is unknown (it cannot be placed in a body's history).
    A report with some scanned pages keeps what could be read."""
    report = result.report
    if not report.looks_like_report or report.year is None:
        return None
    if any(f.code == "INPUT_UNREADABLE" for f in result.findings):
        return None
    sections = {key: report.sections.get(int(key)) for key in PROSE_SECTIONS}
    cells, evidence = _cells(report)
    return YearFacts(
        year=report.year,
        format=report.format.value,
        agency=report.agency,
        table2=_table2(report.table2),
        table3=_table3(report.table3),
        prose={key: s.prose.text[:PROSE_LIMIT] for key, s in sections.items() if s is not None},
        prose_origins={key: _origins(s.prose) for key, s in sections.items() if s is not None},
        cells=cells,
        evidence=evidence,
    )
