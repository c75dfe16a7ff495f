"""Every finding code, its fixed severity and what it means. Codes are the product's API:
the dashboard, the store, notices and outside tools key on them, so they never change meaning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from nianbao.model import Finding, Location, Origin, Report, Severity, TableRow
from nianbao.sanitize import clean_text
from nianbao.spec import (
    FORMAT_2021,
    FORMATS,
    TABLE3_ALL_ROWS,
    TABLE3_COLUMNS,
    TABLE4,
    FormatSpec,
    format_for_year,
)


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    title: str  # Chinese, shown to officials


_ERROR, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        # structure
        Code("SECTION_MISSING", _ERROR, "缺少必备章节"),
        Code("SECTION_ORDER", _INFO, "章节顺序或序号与标准格式不同"),
        Code("TABLE_MISSING", _ERROR, "缺少统计表"),
        Code("TABLE_EMPTY", _ERROR, "统计表未填写数据"),
        Code("ROW_MISSING", _ERROR, "统计表缺少行"),
        Code("CELL_BLANK", _WARNING, "应填数字的单元格为空"),
        Code("CELL_INVALID", _ERROR, "单元格数值无效"),
        Code("ROW_SHAPE", _WARNING, "行的单元格数与列数不符"),
        # format
        Code("FORMAT_OUTDATED", _ERROR, "使用了过时的报告格式"),
        Code("FORMAT_UNKNOWN", _ERROR, "无法识别报告格式"),
        Code("LABEL_NONSTANDARD", _INFO, "措辞与标准格式不同"),
        # balance (勾稽关系)
        Code("T3_APPLICATION_BALANCE", _ERROR, "表三收支不平衡"),
        Code("T3_RESULTS_TOTAL", _ERROR, "表三办理结果总计不符"),
        Code("T3_ROW_TOTAL", _ERROR, "表三行总计不符"),
        Code("T4_TOTAL", _ERROR, "表四总计不符"),
        # narrative and metadata
        Code("TEXT_TABLE_MISMATCH", _WARNING, "正文数字与统计表不一致"),
        Code("YEAR_MISMATCH", _WARNING, "年度不一致"),
        Code("TITLE_INCOMPLETE", _WARNING, "标题不完整"),
        Code("FEE_STATEMENT_MISSING", _WARNING, "未报告信息处理费收取情况"),
        Code("SECTION5_THIN", _WARNING, "问题及改进情况内容单薄"),
        Code("DATE_MISSING", _INFO, "未找到发布日期"),
        Code("PUBLISHED_LATE", _WARNING, "发布晚于期限"),
        # input
        Code("INPUT_UNREADABLE", _ERROR, "文件无法读取"),
        Code("NO_TEXT_LAYER", _ERROR, "文件没有文字层（扫描件）"),
        Code("NOT_A_REPORT", _ERROR, "不是政府信息公开工作年度报告"),
        Code("READ_BY_OCR", _INFO, "扫描件经文字识别（OCR）读取"),
        Code("OCR_LOW_CONFIDENCE", _INFO, "部分单元格识别把握不足，未参与核对"),
        # rosters (rosters/<division>.csv): which body a report belongs to
        Code("BODY_UNKNOWN", _INFO, "机关未在名册中"),
        # the pipeline: our failure, not the report's (offices get no notice of it)
        Code("CHECK_FAILED", _ERROR, "系统未能完成核查"),
        # history: across years of one body and across the bodies below it (rules/history.py);
        # REPORT_OVERDUE from the roster's schedule, not from a report
        Code("CARRYOVER_MISMATCH", _ERROR, "上年结转数与上年度报告的结转下年度数不一致"),
        Code("IN_FORCE_CONTINUITY", _WARNING, "现行有效件数与上年度不衔接"),
        Code("TEXT_REUSE", _WARNING, "文字大量沿用上年度报告"),
        Code("HIERARCHY_SUM", _WARNING, "汇总数与下属机关报告之和不符"),
        Code("REPORT_OVERDUE", _ERROR, "逾期未报送年度报告"),
    )
}


def finding(
    code: str,
    message: str,
    *,
    location: Location | None = None,
    expected: int | Decimal | None = None,
    actual: int | Decimal | None = None,
    evidence: str | None = None,
) -> Finding:
    """A finding with the severity its code always has."""
    return Finding(
        code=code,
        severity=CODES[code].severity,
        message=message,
        location=location or Location(),
        expected=expected,
        actual=actual,
        evidence=" ".join(evidence.split()) if evidence else None,
    )


_NAME_LIMIT = 64  # characters of a body's name quoted in a message (roster names are at most 64)


def body_unknown_message(agency: str | None, closest: Sequence[str], *, ambiguous: bool = False) -> str:
    """The ``BODY_UNKNOWN`` message: the report's agency matches no roster body (or, ``ambiguous``,
    more than one), naming the closest roster names (``nianbao.bodies.BodyMatch.closest_names``)."""
    names = "、".join(clean_text(name, _NAME_LIMIT) for name in closest[:3])
    shown = clean_text(agency, _NAME_LIMIT)
    if not shown:
        return "未能从报告中识别出发布机关的名称，无法与名册中的机关对应；请核对报告的标题和落款。"
    if ambiguous and names:
        return (
            f"报告中的机关名称“{shown}”与名册中的多个机关相同：{names}，无法确定是哪一个。"
            "请在名册中修改其名称或别名，使之可以区分。"
        )
    if not names:
        return (
            f"报告中的机关名称“{shown}”与名册中的机关均不匹配，名册中也没有相近的名称。"
            "如该机关应当报送年报，请将其添加到名册。"
        )
    return (
        f"报告中的机关名称“{shown}”与名册中的机关均不匹配；最接近的有：{names}。如为同一机关，请在名册中为其添加别名。"
    )


def report_overdue_message(name: str, year: int, deadline: date) -> str:
    """The ``REPORT_OVERDUE`` message: a roster body has no report of ``year`` by ``deadline``
    (the last day it may be published: 31 January of the following year, art. 49)."""
    shown = clean_text(name, _NAME_LIMIT) or "名册中的该机关"
    due = f"{deadline.year}年{deadline.month}月{deadline.day}日"
    return (
        f"{shown}应于{due}前发布{year}年政府信息公开工作年度报告（《政府信息公开条例》第四十九条），"
        "截至期限仍未收到其报告。请督促其尽快发布并上传；如已发布，请上传报告文件。"
    )


# --- names officials read -----------------------------------------------------------------------

TABLE_NAMES = {
    "table2": "表二（主动公开政府信息情况）",
    "table3": "表三（收到和处理政府信息公开申请情况）",
    "table4": "表四（政府信息公开行政复议、行政诉讼情况）",
}
TABLE_SHORT = {"table2": "表二", "table3": "表三", "table4": "表四"}
TABLE_SECTION = {"table2": 2, "table3": 3, "table4": 4}

_T3_ROWS = {r.key: r.label for r in TABLE3_ALL_ROWS}
_T3_COLUMNS = {c.key: c.label for c in TABLE3_COLUMNS}
_T4_COLUMNS = {c.key: c.label for c in TABLE4.columns}
_ALL_FORMATS = tuple(FORMATS.values())


def row_name(table: str, key: str, spec: FormatSpec = FORMAT_2021) -> str:
    if table == "table3":
        return _T3_ROWS.get(key, key)
    if table == "table2":
        for owner in (spec.table2, *(s.table2 for s in _ALL_FORMATS)):
            for block, row in owner.rows():
                if row.key == key:
                    return f"{block.label}·{row.label}"
    return key


def column_name(table: str, key: str, spec: FormatSpec = FORMAT_2021) -> str:
    if table == "table3":
        return _T3_COLUMNS.get(key, key)
    if table == "table4":
        return _T4_COLUMNS.get(key, key)
    for owner in (spec.table2, *(s.table2 for s in _ALL_FORMATS)):
        for block in owner.blocks:
            for column in block.columns:
                if column.key == key:
                    return column.label
    return key


def fmt_number(value: int | Decimal | float | None) -> str:
    if value is None:
        return "未知"
    if isinstance(value, float) and value == float("inf"):
        return "无上限"
    return str(value)


def layout_spec(report: Report) -> FormatSpec:
    """The layout the report's tables are checked against: the one it uses, else the one its
    year requires."""
    return FORMATS.get(report.format) or format_for_year(report.year or FORMAT_2021.first_year)


def section_location(report: Report, number: int | None) -> Location:
    """A section, at its heading (the heading's box in a PDF)."""
    section = report.sections.get(number) if number else None
    return Location.of(section.origin if section else None, section=number)


def cell_origin(row: TableRow, column: str | None) -> Origin:
    """Where a cell is printed: its own box when the row is placed and the cell was ruled, else
    the row's (a row printed as text, or a row whose cells have more than one placement)."""
    cell = row.cell(column) if column is not None else None
    if cell is not None and cell.origin is not None and cell.origin.bbox is not None:
        return cell.origin
    return row.origin


def cell_location(
    table: str,
    row: TableRow | None,
    column: str | None,
    *,
    key: str | None = None,
    origin: Origin | None = None,
) -> Location:
    """A table cell (a row when ``column`` is None), at its box; ``origin`` overrides where."""
    where = origin or (cell_origin(row, column) if row else None)
    return Location.of(where, section=TABLE_SECTION[table], table=table, row=row.key if row else key, column=column)
