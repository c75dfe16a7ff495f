"""The JSON contract (the dashboard, the store and outside tools read it) and the CSV export.

``{"reports": [{"source", "agency", "year", "format", "status", "sections": {"1".."6": bool},
"tables": {"table2": {row: [values]}, "table3": {row: [7 values]}, "table4": [15 values]},
"findings": [...]}]}``. A value is a number, or null when blank, a placeholder or unplaceable.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from nianbao.model import CheckResult, Finding, Severity, Table
from nianbao.spec import TABLE4, TABLE4_ROW

CONTRACT_VERSION = 1


def _number(value: int | Decimal | None) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)


def _rows(table: Table | None) -> dict[str, list[int | float | None]] | None:
    if table is None:
        return None
    return {key: [_number(v) for v in row.values()] for key, row in table.rows.items()}


def _table4(table: Table | None) -> list[int | float | None] | None:
    if table is None:
        return None
    row = table.rows.get(TABLE4_ROW)
    return [_number(v) for v in row.values()] if row else [None] * len(TABLE4.columns)


def visible(findings: Iterable[Finding], min_severity: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.rank >= min_severity.rank]


def report_dict(result: CheckResult, min_severity: Severity = Severity.INFO) -> dict[str, Any]:
    report = result.report
    counts = {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    return {
        "source": report.source,
        "file_type": report.file_type,
        "pages": report.pages,
        "agency": report.agency,
        "year": report.year,
        "format": report.format.value,
        "status": result.status.value,
        "title": report.title,
        "published": report.published_iso,
        "sections": {str(n): n in report.sections for n in range(1, 7)},
        "tables": {
            "table2": _rows(report.table2),
            "table3": _rows(report.table3),
            "table4": _table4(report.table4),
        },
        "counts": counts,
        "findings": [f.model_dump(mode="json") for f in visible(result.findings, min_severity)],
    }


def to_json(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> str:
    payload = {"version": CONTRACT_VERSION, "reports": [report_dict(r, min_severity) for r in results]}
    return json.dumps(payload, ensure_ascii=False, indent=2)


CSV_COLUMNS = (
    "source",
    "agency",
    "year",
    "format",
    "status",
    "code",
    "severity",
    "message",
    "section",
    "table",
    "row",
    "column",
    "line",
    "page",
    "expected",
    "actual",
    "evidence",
)


def to_csv(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> str:
    """One row per finding; a report without (visible) findings still gets one row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        report = result.report
        base = {
            "source": report.source,
            "agency": report.agency,
            "year": report.year,
            "format": report.format.value,
            "status": result.status.value,
        }
        findings = visible(result.findings, min_severity)
        if not findings:
            writer.writerow(base)
        for f in findings:
            writer.writerow(
                base
                | f.location.model_dump()
                | {
                    "code": f.code,
                    "severity": f.severity.value,
                    "message": f.message,
                    "expected": _number(f.expected),
                    "actual": _number(f.actual),
                    "evidence": f.evidence,
                }
            )
    return out.getvalue()
