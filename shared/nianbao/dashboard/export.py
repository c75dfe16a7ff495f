"""The report list as CSV or XLSX, for the leadership: one row per current report, Chinese
headers. Every text cell goes through ``contract.inert`` (a cell that would start a formula gets a
single quote) and XLSX cells are written as strings or numbers, never as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from nianbao.contract import inert
from nianbao.model import Status
from nianbao.sanitize import clean_text

COLUMNS = (
    ("body_name", "单位"),
    ("agency", "报告中的机关名称"),
    ("kind", "类别"),
    ("division", "区划代码"),
    ("year", "年度"),
    ("status", "状态"),
    ("errors", "错误"),
    ("warnings", "警告"),
    ("rules", "问题代码"),
    ("report_id", "核查编号"),
    ("key", "文件"),
    ("checked_at", "核查时间"),
)
_NUMBERS = frozenset({"year", "errors", "warnings"})


def _row(item: dict[str, Any]) -> dict[str, Any]:
    counts = item.get("counts") or {}
    status = item.get("status")
    return item | {
        "status": Status(status).zh if status in {s.value for s in Status} else status,
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "rules": " ".join(item.get("rules") or []),
    }


def cells(item: dict[str, Any]) -> list[Any]:
    """One list row as spreadsheet cells: numbers as numbers, text one clean line made inert."""
    row = _row(item)
    out: list[Any] = []
    for key, _ in COLUMNS:
        value = row.get(key)
        if value is None:
            out.append("")
        elif key in _NUMBERS and isinstance(value, int):
            out.append(value)
        else:
            out.append(inert(clean_text(str(value))))
    return out


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in COLUMNS])
    for item in items:
        writer.writerow(cells(item))
    return out.getvalue()


def to_xlsx(items: Iterable[dict[str, Any]], *, title: str = "年报核查") -> bytes:
    import xlsxwriter  # type: ignore[import-untyped]  # noqa: PLC0415 - only exports need it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({"bold": True})
    for column, (_, label) in enumerate(COLUMNS):
        sheet.write_string(0, column, label, bold)
    for row_number, item in enumerate(items, start=1):
        for column, value in enumerate(cells(item)):
            if isinstance(value, int):
                sheet.write_number(row_number, column, value)
            else:
                sheet.write_string(row_number, column, value)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
