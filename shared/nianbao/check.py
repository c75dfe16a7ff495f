"""The offline use case: bytes or a file -> a checked report. No AWS, no network."""

from __future__ import annotations

from pathlib import Path

from nianbao.extract import ExtractError, Limits, extract, sniff
from nianbao.model import CheckResult, Report, Status
from nianbao.parse import parse
from nianbao.rules import run, status_of
from nianbao.rules.catalog import finding


def unreadable(source: str, reason: str, code: str = "INPUT_UNREADABLE", file_type: str = "unknown") -> CheckResult:
    """The result for an input that could not be read: a stored result, never an exception."""
    return CheckResult(
        report=Report(source=source, file_type=file_type, looks_like_report=False),
        findings=[finding(code, f"无法读取该文件：{reason}")],
        status=Status.UNREADABLE,
    )


def check_bytes(data: bytes, source: str, limits: Limits | None = None) -> CheckResult:
    """Extract, parse and check one report."""
    try:
        document = extract(data, source, limits)
    except ExtractError as error:
        return unreadable(source, error.reason, error.code, sniff(data) if data else "empty")
    report = parse(document)
    findings = run(report)
    return CheckResult(report=report, findings=findings, status=status_of(findings))


def check_path(path: Path) -> CheckResult:
    """Check a file on disk; a file that cannot be opened is an unreadable result."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return unreadable(str(path), f"打不开文件（{error.strerror or error}）")
    return check_bytes(data, str(path))
