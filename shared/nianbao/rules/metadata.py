"""Title, publication date and the deadline of article 49."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from nianbao.model import Finding, Location, Report
from nianbao.parse.meta import title_year
from nianbao.rules.catalog import finding


def check(report: Report) -> Iterator[Finding]:
    yield from _title(report)
    where = Location(line=report.published_origin.line if report.published_origin else None)
    if report.published is None:
        yield finding("DATE_MISSING", "未找到发布日期：报告末尾通常应有发布机关署名和日期。")
    elif report.year is not None:
        deadline = date(report.year + 1, 1, 31)
        if report.published > deadline:
            yield finding(
                "PUBLISHED_LATE",
                f"落款日期为{report.published:%Y年%m月%d日}，晚于{deadline:%Y年%m月%d日}的发布期限"
                "（《政府信息公开条例》第四十九条）。",
                location=where,
                evidence=str(report.published),
            )


def _title(report: Report) -> Iterator[Finding]:
    location = Location(line=report.title_origin.line if report.title_origin else None)
    if report.title is None:
        yield finding(
            "TITLE_INCOMPLETE",
            "未找到报告标题；标题应为“××（机关名称）××年政府信息公开工作年度报告”。",
            location=location,
        )
        return
    missing = []
    head = report.title.split("政府信息公开")[0]
    if title_year(report.title) is None:
        missing.append("年度")
    if "政府信息公开" not in report.title:
        missing.append("“政府信息公开”字样")
    if "年度报告" not in report.title and "年报" not in report.title:
        missing.append("“年度报告”字样")
    if len(head.rstrip("0123456789年度")) < 2:
        missing.append("机关名称")
    if missing:
        suggestion = f"{report.year}年" if report.year and "年度" in missing else ""
        yield finding(
            "TITLE_INCOMPLETE",
            f"标题“{report.title}”缺少{'、'.join(missing)}"
            + (f"（正文显示为{suggestion}度报告）" if suggestion else "")
            + "；标准标题为“××（机关名称）××年政府信息公开工作年度报告”。",
            location=location,
            evidence=report.title,
        )
