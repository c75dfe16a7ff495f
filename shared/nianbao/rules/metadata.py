"""Title, publication date and the deadline of article 49."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from nianbao.model import Finding, Location, Report
from nianbao.parse.meta import title_year
from nianbao.rules.catalog import finding

# A people's government at county level or above ("青川县人民政府", "临江市城南区人民政府"), or a
# title naming only such an area ("青川县2023年…"): its report is due by 31 March; everyone
# else's (departments, townships, street offices) by 31 January (《政府信息公开条例》第四十九条).
_GOVERNMENT = re.compile(r"(?:省|自治区|市|州|盟|县|区|旗)(?:人民政府)?(?:办公室|办公厅)?$")
_BELOW_COUNTY = re.compile(r"镇|乡|街道|办事处|村|社区")
_DEPARTMENT = re.compile(r"(?:局|委员会|委|厅|署|中心|院|所|站|队|处|部|公司)$")


def is_county_or_higher_government(report: Report) -> bool:
    names = [report.agency or ""]
    if report.title:
        names.append(re.split(r"\d{4}年|[〇零一二三四五六七八九]{4}年|政府信息公开", report.title, maxsplit=1)[0])
    return any(
        _GOVERNMENT.search(name) and not _BELOW_COUNTY.search(name) and not _DEPARTMENT.search(name)
        for name in names
        if name
    )


def deadline(report: Report) -> date | None:
    if report.year is None:
        return None
    return date(report.year + 1, 3 if is_county_or_higher_government(report) else 1, 31)


def check(report: Report) -> Iterator[Finding]:
    yield from _title(report)
    where = Location.of(report.published_origin)
    if report.published is None:
        yield finding("DATE_MISSING", "未找到发布日期：报告末尾通常应有发布机关署名和日期。")
        return
    due = deadline(report)
    if due is None:
        return
    late = (
        (report.published.year, report.published.month) > (due.year, due.month)
        if report.published_month_only
        else report.published > due
    )
    if late:
        whose = "县级以上人民政府" if due.month == 3 else "各部门和乡镇、街道"
        yield finding(
            "PUBLISHED_LATE",
            f"落款日期为{report.published_text}，晚于{whose}年度报告{due.year}年{due.month}月{due.day}日的发布期限"
            "（《政府信息公开条例》第四十九条）。",
            location=where,
            evidence=report.published_text,
        )


def _title(report: Report) -> Iterator[Finding]:
    location = Location.of(report.title_origin)
    if report.title is None:
        yield finding(
            "TITLE_INCOMPLETE",
            "未找到报告标题；标题应为“××（机关名称）××年政府信息公开工作年度报告”。",
            location=location,
        )
        return
    title = report.title
    missing = []
    head = title.split("政府信息公开")[0]
    if title_year(title) is None:
        missing.append("年度")
    if "政府信息公开" not in title:
        missing.append("“政府信息公开”字样")
    if not ("年度报告" in title or "年报" in title or ("年度" in title and "报告" in title)):
        missing.append("“年度报告”字样")
    if len(head.rstrip("0123456789年度")) < 2:
        missing.append("机关名称")
    if missing:
        suggestion = f"（正文显示为{report.year}年度报告）" if report.year and "年度" in missing else ""
        yield finding(
            "TITLE_INCOMPLETE",
            f"标题“{title}”缺少{'、'.join(missing)}{suggestion}；标准标题为“××（机关名称）××年政府信息公开工作年度报告”。",
            location=location,
            evidence=title,
        )
