"""What the dashboard shows, as plain data: pure functions of stored records, no AWS.

Every string that came from a report (agency, title, cell values, evidence, a finding's message
quoting the report) is passed on as data; the page sets it as text, never as HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nianbao.model import Finding, Severity, Status
from nianbao.rules.catalog import CODES
from nianbao.spec import FORMATS, TABLE4, TABLE4_ROW, FormatVersion
from nianbao.store import BodyRecord, Current, Decision, FindingRow, ReportDetail, StoredFinding, StoredReport

# Table 4's two-level head in the official layout: the review block, then lawsuits in two blocks.
_T4_GROUPS = (("行政复议", ("review",)), ("行政诉讼", ("suit", "post_review_suit")))
_T4_BLOCK_NAMES = {"review": "行政复议", "suit": "未经复议直接起诉", "post_review_suit": "复议后起诉"}
_T4_OUTCOMES = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}


class ScopeError(LookupError):
    """Outside the office's division: answered as not found, so nobody learns what exists."""


def within(division: str, scope: str) -> bool:
    """Whether a record filed under ``division`` belongs to an office over ``scope`` (a prefix of
    division codes: 63 a province, 6301 a city, 630122 a county)."""
    return bool(scope) and division.startswith(scope)


def child_division(division: str, scope: str) -> str:
    """The next level below ``scope`` that ``division`` falls in (province -> city -> county);
    a county's own reports stay under the county."""
    size = min(len(scope) + 2, 6) if len(scope) < 6 else len(scope)
    return division[:size]


def _value(cell: Any) -> Any:
    """A cell as JSON: numbers as numbers (amounts keep their decimals as text), blank as None."""
    if cell is None or isinstance(cell, bool | int | str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return str(cell)


def _marks(findings: Sequence[StoredFinding], table: str) -> dict[tuple[str | None, str | None], list[str]]:
    """(row, column) -> the fingerprints of the findings of ``table`` that point there."""
    marks: dict[tuple[str | None, str | None], list[str]] = {}
    for stored in findings:
        where = stored.finding.location
        if where.table == table and (where.row or where.column):
            marks.setdefault((where.row, where.column), []).append(stored.fingerprint)
    return marks


def _cell(value: Any, marks: dict[tuple[str | None, str | None], list[str]], row: str, column: str) -> dict[str, Any]:
    return {
        "column": column,
        "value": _value(value),
        # the findings that name this cell, and those that name its row or its column only
        "findings": marks.get((row, column), []),
        "related": marks.get((row, None), []) + marks.get((None, column), []),
    }


def table3_view(report: StoredReport, detail: ReportDetail | None, findings: Sequence[StoredFinding]) -> dict[str, Any]:
    """Table 3 in the official layout of the report's format: the rows as printed in the standard
    (with the values read, blank where nothing was read), each cell with the findings on it."""
    version = FormatVersion(report.format) if report.format in {v.value for v in FormatVersion} else None
    spec = FORMATS.get(version or FormatVersion.V2021) or FORMATS[FormatVersion.V2021]
    grid = (detail.tables if detail else {}).get("table3") or {}
    marks = _marks(findings, "table3")
    columns = [{"key": c.key, "label": c.label} for c in spec.table3.columns]
    rows = []
    for row in spec.table3.rows:
        values = grid.get(row.key) or []
        rows.append(
            {
                "key": row.key,
                "label": row.label,
                "read": row.key in grid,
                "cells": [
                    _cell(values[i] if i < len(values) else None, marks, row.key, column["key"])
                    for i, column in enumerate(columns)
                ],
                "findings": marks.get((row.key, None), []),
            }
        )
    return {"columns": columns, "rows": rows, "read": bool(grid)}


def table4_view(detail: ReportDetail | None, findings: Sequence[StoredFinding]) -> dict[str, Any]:
    """Table 4 in the official layout: 行政复议 and 行政诉讼 (未经复议直接起诉, 复议后起诉), five
    outcomes each, in one row."""
    values = (detail.tables if detail else {}).get("table4") or []
    marks = _marks(findings, "table4")
    keys = [c.key for c in TABLE4.columns]
    cells = [_cell(values[i] if i < len(values) else None, marks, TABLE4_ROW, key) for i, key in enumerate(keys)]
    groups = [{"label": label, "span": 5 * len(blocks)} for label, blocks in _T4_GROUPS]
    blocks = [{"key": b, "label": _T4_BLOCK_NAMES[b]} for _, bs in _T4_GROUPS for b in bs]
    columns = [{"key": k, "label": _T4_OUTCOMES[k.rsplit("_", 1)[1]]} for k in keys]
    return {"groups": groups, "blocks": blocks, "columns": columns, "cells": cells, "read": bool(values)}


def finding_view(stored: StoredFinding) -> dict[str, Any]:
    finding = stored.finding
    return {
        "fingerprint": stored.fingerprint,
        "code": finding.code,
        "title": CODES[finding.code].title if finding.code in CODES else finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "expected": _value(finding.expected),
        "actual": _value(finding.actual),
        "evidence": finding.evidence,
        "location": finding.location.model_dump(mode="json"),
        "triage": stored.triage.value,
    }


def decision_view(decision: Decision) -> dict[str, Any]:
    return decision.model_dump(mode="json")


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def ordered(findings: Iterable[StoredFinding]) -> list[StoredFinding]:
    """Errors first, then warnings, then notes; the checker's order within each."""
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER.get(f.finding.severity, 3), f.finding_index))


def report_summary(report: StoredReport) -> dict[str, Any]:
    """The report's own fields the page shows (no notice bookkeeping, no uploader principal)."""
    return {
        "report_id": report.report_id,
        "key": report.key,
        "division": report.division,
        "year": report.listed_year or None,
        "agency": report.agency,
        "title": report.title,
        "body_id": report.body_id,
        "body_name": report.body_name,
        "provisional_body": report.provisional_body,
        "format": report.format,
        "file_type": report.file_type,
        "status": report.shown_status.value,
        "checked_status": report.status.value,
        "counts": report.counts,
        "published": report.published,
        "received_at": report.received_at,
        "checked_at": report.checked_at,
        "superseded_by": report.superseded_by,
        "notice": report.notice.value,
        "notice_sent_at": report.notice_sent_at,
    }


def list_row(current: Current, body: BodyRecord | None) -> dict[str, Any]:
    return {
        "report_id": current.report_id,
        "body_id": current.body_id,
        "body_name": current.body_name or (body.name if body else None),
        "kind": body.kind if body else None,
        "agency": current.agency,
        "division": current.division,
        "year": current.year,
        "status": current.status.value,
        "counts": current.counts,
        "key": current.key,
        "checked_at": current.checked_at,
    }


@dataclass
class Overview:
    """The overview's counts for one scope and year."""

    scope: str
    year: int
    statuses: Counter[str]
    rules: Counter[str]
    divisions: dict[str, Counter[str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "year": self.year,
            "statuses": {s.value: self.statuses.get(s.value, 0) for s in Status},
            "filed": sum(self.statuses.values()),
            "missing": sum(c["missing"] for c in self.divisions.values()),
            "rules": [
                {"code": code, "title": CODES[code].title if code in CODES else code, "count": count}
                for code, count in sorted(self.rules.items(), key=lambda item: (-item[1], item[0]))
            ],
            "divisions": [
                {
                    "division": division,
                    "filed": counts["filed"],
                    "missing": counts["missing"],
                    "failing": counts["failing"],
                    "passing": counts["passing"],
                }
                for division, counts in sorted(self.divisions.items())
            ],
        }


def overview(
    scope: str,
    year: int,
    current: Iterable[Current],
    open_errors: Iterable[FindingRow],
    missing: Iterable[BodyRecord],
) -> Overview:
    """Status counts of the current reports, the errors not dismissed per rule (each report counted
    once per rule), and per child division: filed, missing (roster bodies), failing, passing."""
    statuses: Counter[str] = Counter()
    divisions: dict[str, Counter[str]] = {}
    for report in current:
        if not within(report.division, scope):
            continue
        statuses[report.status.value] += 1
        counts = divisions.setdefault(child_division(report.division, scope), Counter())
        counts["filed"] += 1
        counts["failing" if report.status in (Status.FAIL, Status.UNREADABLE) else "passing"] += 1
    for body in missing:
        if within(body.division, scope):
            divisions.setdefault(child_division(body.division, scope), Counter())["missing"] += 1
    seen = {(row.code, row.report_id) for row in open_errors if within(row.division, scope)}
    rules = Counter(code for code, _ in seen)
    return Overview(scope, year, statuses, rules, divisions)


def findings_of(stored: Sequence[StoredFinding]) -> list[Finding]:
    return [s.finding for s in stored]
