"""What the prose says about the year, the fees and the problems (prose counts: claims.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nianbao.model import Finding, Location, Report
from nianbao.rules.catalog import finding, section_location
from nianbao.spec import SECTIONS, FormatVersion

# --- years --------------------------------------------------------------------------------------

_FUTURE = re.compile(r"将|计划|拟|力争|下一步|继续|要")


def year_mismatch(report: Report) -> Iterator[Finding]:
    years, year = report.years, report.year
    if years.title and years.period and years.title != years.period:
        yield finding(
            "YEAR_MISMATCH",
            f"标题为{years.title}年度，但统计期限写的是{years.period}年。",
            location=Location.of(years.period_origin),
            expected=years.title,
            actual=years.period,
            evidence=years.period_text,
        )
    if years.period_text and years.period_text.endswith("（起止年份不一致）"):
        yield finding(
            "YEAR_MISMATCH",
            f"统计期限“{years.period_text.removesuffix('（起止年份不一致）')}”的起止年份不一致。",
            location=Location.of(years.period_origin),
            evidence=years.period_text,
        )
    if year is None:
        return
    flagged: set[int] = set()
    for statement in years.statements:
        head = statement.text[:10]
        if statement.year == year or statement.year in flagged or not statement.opening:
            continue  # only a section that opens on a year speaks of it as the current one
        if statement.year == year + 1 and (_FUTURE.search(statement.text) or statement.section in (5, 6)):
            continue  # plans for next year
        if "以来" in head and statement.year < year:
            continue  # "2019年以来" reaches into this year
        flagged.add(statement.year)
        where = f"第{SECTIONS[statement.section - 1].ordinal}部分" if statement.section else "报告开头"
        yield finding(
            "YEAR_MISMATCH",
            f"{where}写道“{statement.text}”，把{statement.year}年当作本年度，而这是{year}年度的报告"
            "（可能沿用了其他年度报告的文字）。",
            location=Location.of(statement.origin, section=statement.section),
            expected=year,
            actual=statement.year,
            evidence=statement.text,
        )
    if report.published and report.published.year <= year:
        yield finding(
            "YEAR_MISMATCH",
            f"落款日期{report.published_text}早于{year}年度结束，年度或日期有误。",
            location=Location.of(report.published_origin),
            evidence=report.published_text,
        )


# --- section contents ---------------------------------------------------------------------------

_FEE = re.compile(r"信息处理费|处理费")
# Section 6 is where the fee is reported, and offices write it in their own words there: 未发生收费
# 情况, 未收取任何费用, 没有向申请人收费, 未发出收费通知, 收费0元. Anywhere else only the fee's name
# counts ("费用" in section 2 is about budgets).
_FEE_IN_SECTION6 = re.compile(r"收费|收取[^，。；]{0,8}费|费用")


def fee_statement_missing(report: Report) -> Iterator[Finding]:
    applies = report.format is FormatVersion.V2021 or (report.year or 0) >= 2021
    if not applies or 6 not in report.sections:
        return
    texts = [report.preamble.text, *(s.prose.text for s in report.sections.values())]
    if any(_FEE.search(text) for text in texts) or _FEE_IN_SECTION6.search(report.sections[6].prose.text):
        return
    yield finding(
        "FEE_STATEMENT_MISSING",
        "2021版格式要求在第六部分报告依据《政府信息公开信息处理费管理办法》收取信息处理费的情况"
        "（发出收费通知的件数和总金额；未收取的也应写明），本报告未提及信息处理费。",
        location=section_location(report, 6),
        evidence=report.sections[6].prose.text[:60] or None,
    )


_PROBLEMS = re.compile(r"问题|不足|差距|薄弱|短板|欠缺|有待|不够|不强|不高")
_IMPROVEMENTS = re.compile(r"改进|整改|下一步|今后|将|措施|加强|提升|完善")
_ART50 = re.compile(r"考核|评议|责任追究")
_MIN_SECTION5 = 30  # shorter than this says nothing, whatever its words


def section5_thin(report: Report) -> Iterator[Finding]:
    section = report.sections.get(5)
    if section is None:
        return
    text = section.prose.text
    missing = []
    if len(text) < _MIN_SECTION5:
        missing.append(f"只有{len(text)}个字")
    if not _PROBLEMS.search(text):
        missing.append("没有写存在的问题")
    if not _IMPROVEMENTS.search(text):
        missing.append("没有写改进措施")
    if missing:
        yield finding(
            "SECTION5_THIN",
            f"第五部分“存在的主要问题及改进情况”内容单薄：{'；'.join(missing)}。",
            location=section_location(report, 5),
            evidence=text[:60] or None,
        )
    agency = report.agency or ""
    if agency.endswith("人民政府"):
        texts = [report.preamble.text, *(s.prose.text for s in report.sections.values())]
        if not any(_ART50.search(t) for t in texts):
            yield finding(
                "SECTION5_THIN",
                "人民政府的年度报告还应报告政府信息公开工作考核、社会评议和责任追究结果情况"
                "（《政府信息公开条例》第五十条），本报告未提及。",
                location=section_location(report, 5),
            )


def check(report: Report) -> Iterator[Finding]:
    yield from year_mismatch(report)
    yield from fee_statement_missing(report)
    yield from section5_thin(report)
