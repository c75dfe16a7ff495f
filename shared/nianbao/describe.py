"""Findings in words for people: where in the report, in Chinese (CLI, notices, dashboard)."""

from __future__ import annotations

from nianbao.model import Location
from nianbao.rules.catalog import TABLE_SHORT, column_name, row_name
from nianbao.spec import SECTIONS, TABLE4_ROW


def location_text(location: Location) -> str:
    """'第三部分 表三 “（一）予以公开”行 “自然人”列 第57行', leaving out what is unknown."""
    parts: list[str] = []
    if location.section:
        parts.append(f"第{SECTIONS[location.section - 1].ordinal}部分")
    if location.table:
        parts.append(TABLE_SHORT.get(location.table, location.table))
        if location.row and location.row != TABLE4_ROW:
            parts.append(f"“{row_name(location.table, location.row)}”行")
        if location.column:
            parts.append(f"“{column_name(location.table, location.column)}”列")
    if location.page:
        parts.append(f"第{location.page}页")
    if location.line:
        parts.append(f"第{location.line}行")
    return " ".join(parts) or "全文"
