"""Report (+ history, later) -> findings. One module per family of rules; each is a pure function
``check(report) -> Iterator[Finding]``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from nianbao.model import Finding, Report, Severity, Status
from nianbao.rules import balance, claims, formats, metadata, narrative, scans, structure
from nianbao.rules.catalog import CODES, finding

__all__ = ["CODES", "RULES", "run", "status_of"]

Rule = Callable[[Report], Iterator[Finding]]
RULES: tuple[Rule, ...] = (
    structure.check,
    formats.check,
    balance.check,
    claims.check,
    narrative.check,
    metadata.check,
    scans.check,
)


def run(report: Report) -> list[Finding]:
    """Every finding for ``report``, errors first, then in reading order."""
    read = [*scans.unread(report), *scans.read_by_ocr(report)]
    if not report.looks_like_report:
        unread = [f for f in read if f.code == "NO_TEXT_LAYER"]
        return (
            read
            if unread
            else [
                *read,
                finding(
                    "NOT_A_REPORT",
                    "该文件看起来不是政府信息公开工作年度报告：没有找到报告标题、规定的章节或统计表。",
                ),
            ]
        )
    findings = [*read, *(f for rule in RULES for f in rule(report))]
    return sorted(findings, key=lambda f: (-f.severity.rank, f.location.section or 0, f.location.line or 0))


def status_of(findings: Iterable[Finding]) -> Status:
    codes = {f.code for f in findings}
    severities = {CODES[c].severity for c in codes}
    if codes & {"INPUT_UNREADABLE", "NO_TEXT_LAYER"}:
        return Status.UNREADABLE
    if Severity.ERROR in severities:
        return Status.FAIL
    if Severity.WARNING in severities:
        return Status.WARN
    return Status.PASS
