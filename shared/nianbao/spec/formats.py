"""The two national formats and the balance relations (勾稽关系) they imply."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from nianbao.spec.tables import (
    TABLE2_2019,
    TABLE2_2021,
    TABLE3_2019,
    TABLE3_2021,
    TABLE3_APPLICANT_COLUMNS,
    TABLE3_COLUMNS,
    TABLE4,
    TABLE4_ROW,
    Table2Spec,
    Table3Spec,
    Table4Spec,
)


class FormatVersion(StrEnum):
    V2019 = "2019"
    V2021 = "2021"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FormatSpec:
    version: FormatVersion
    document: str
    first_year: int
    last_year: int | None
    table2: Table2Spec
    table3: Table3Spec
    table4: Table4Spec
    # Whitespace-free NFKC fragments that only this layout prints (column headings, rows, blocks).
    markers: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.version.value}版格式（{self.document}）"


FORMAT_2019 = FormatSpec(
    FormatVersion.V2019,
    "国办公开办函〔2019〕60号",
    2019,
    2020,
    TABLE2_2019,
    TABLE3_2019,
    TABLE4,
    (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
        "第(九)项",
        "政府集中采购",
        "采购项目数量",
        "采购总金额",
        "其他对外管理服务事项",
    ),
)
FORMAT_2021 = FormatSpec(
    FormatVersion.V2021,
    "国办公开办函〔2021〕30号",
    2021,
    None,
    TABLE2_2021,
    TABLE3_2021,
    TABLE4,
    ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额"),
)
FORMATS = {FormatVersion.V2019: FORMAT_2019, FormatVersion.V2021: FORMAT_2021}


def format_for_year(year: int) -> FormatSpec:
    """The format a report for ``year`` must use."""
    return FORMAT_2021 if year >= FORMAT_2021.first_year else FORMAT_2019


# --- balance relations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    row: str
    column: str


@dataclass(frozen=True, slots=True)
class Equation:
    """``sum(stated) == sum(parts)``; the finding calls ``parts`` expected and ``stated`` actual."""

    row: str | None  # where a finding points: the row (per-row relations) ...
    column: str | None  # ... or the column (per-column relations)
    stated: tuple[Term, ...]
    parts: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    code: str
    table: str
    title: str
    equations: tuple[Equation, ...]


@cache
def relations(table3: Table3Spec) -> tuple[Relation, ...]:
    """Every balance relation of a report laid out with ``table3`` (and the common Table 4)."""
    columns = [c.key for c in TABLE3_COLUMNS]
    application = Relation(
        "T3_APPLICATION_BALANCE",
        "table3",
        "本年新收 + 上年结转 = 办理结果总计 + 结转下年度",
        tuple(
            Equation(
                None,
                col,
                stated=(Term("results_total", col), Term("carried_out", col)),
                parts=(Term("new", col), Term("carried_in", col)),
            )
            for col in columns
        ),
    )
    results = Relation(
        "T3_RESULTS_TOTAL",
        "table3",
        "（七）总计 = 各项办理结果之和",
        tuple(
            Equation(
                "results_total",
                col,
                stated=(Term("results_total", col),),
                parts=tuple(Term(row, col) for row in table3.result_rows),
            )
            for col in columns
        ),
    )
    row_total = Relation(
        "T3_ROW_TOTAL",
        "table3",
        "总计 = 六类申请人之和",
        tuple(
            Equation(
                row.key,
                "total",
                stated=(Term(row.key, "total"),),
                parts=tuple(Term(row.key, col) for col in TABLE3_APPLICANT_COLUMNS),
            )
            for row in table3.rows
        ),
    )
    t4 = Relation(
        "T4_TOTAL",
        "table4",
        "总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
        tuple(
            Equation(
                TABLE4_ROW,
                total,
                stated=(Term(TABLE4_ROW, total),),
                parts=tuple(Term(TABLE4_ROW, part) for part in parts),
            )
            for total, parts in TABLE4.blocks
        ),
    )
    return (application, results, row_total, t4)
