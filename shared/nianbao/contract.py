"""The JSON contract (the dashboard, the store and outside tools read it) and the CSV export.

``{"reports": [{"source", "agency", "year", "format", "status", "sections": {"1".."6": bool},
"tables": {"table2": {row: [values]}, "table3": {row: [7 values]}, "table4": [15 values]},
"findings": [...]}]}``. A value is a number, or null when blank, a placeholder or unplaceable.
A finding's ``location`` names section, table, row, column, line and page, and for a PDF
``bbox`` ([x0, y0, x1, y1] in PDF user space, points, origin at the page's bottom left) and
``page_size`` ([width, height]), or null (``nianbao.model.Location``). Fields only ever get added
to the contract within a version: ``bbox`` and ``page_size`` came in version 1.

The CSV keeps one scalar per cell, for people reading a spreadsheet: it has the ``page`` but not
the box (four coordinates and a page size are for a renderer, which reads the JSON).

Both outputs are safe to print to a terminal and to open in a spreadsheet: JSON keeps every
string exactly but writes control and format characters as ``\\uXXXX`` escapes; CSV cells are one
line of clean text and never start a formula (see ``to_csv``).

Each output can be written as the reports come, one report at a time (``json_parts``,
``jsonl_line``, ``csv_parts``), so that a batch of any size needs memory for one report only:
the JSON document so written is byte for byte ``to_json``'s. JSON Lines gives one report object
per line, each as an element of the document's ``reports``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from nianbao.model import CheckResult, Finding, Severity, Table
from nianbao.sanitize import clean_text, escape_name, unsafe_characters
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
        "read_by": report.read_by,
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


# C0 controls: json.dumps escapes them inside strings, so a raw one is the indentation's line break.
_JSON_SYNTAX = frozenset(chr(c) for c in range(0x20))


def to_json(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> str:
    """The contract as JSON text, Chinese kept as is. json escapes C0 controls itself; the other
    control and format characters (DEL, C1 controls such as the 8-bit CSI, bidi overrides, U+2028,
    lone surrogates of undecodable file names) are written as \\uXXXX escapes too, so the text is
    safe on a terminal and parses back to exactly the same strings. The text of
    ``json.dumps({"version": ..., "reports": [...]}, ensure_ascii=False, indent=2)``, escaped."""
    return "".join(json_parts(results, min_severity))


# The document around the reports, as json.dumps(..., indent=2) writes it; a report inside it is
# indented two levels (JSON strings hold no raw line break, so every line of it is a line of JSON).
_JSON_HEAD = f'{{\n  "version": {CONTRACT_VERSION},\n  "reports": ['
_JSON_INDENT = " " * 4


def json_parts(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> Iterator[str]:
    """``to_json``'s text in pieces, written as the reports come: the opening, then one piece per
    report, then the closing (no line break after it, as ``to_json``)."""
    yield _JSON_HEAD
    separator = "\n"
    for result in results:
        element = json.dumps(report_dict(result, min_severity), ensure_ascii=False, indent=2)
        yield separator + _JSON_INDENT + _json_safe(element).replace("\n", "\n" + _JSON_INDENT)
        separator = ",\n"
    yield "\n  ]\n}" if separator != "\n" else "]\n}"


def jsonl_line(result: CheckResult, min_severity: Severity = Severity.INFO) -> str:
    """One report as a line of JSON Lines: an element of ``to_json``'s ``reports`` on one line
    (no line break or separator character inside it: those are escaped), ending in a line break."""
    return _json_safe(json.dumps(report_dict(result, min_severity), ensure_ascii=False)) + "\n"


def _json_safe(text: str) -> str:
    """JSON text with the control and format characters json leaves as they are escaped."""
    for char in set(unsafe_characters(text)) - _JSON_SYNTAX:  # JSON's own syntax is ASCII
        text = text.replace(char, _json_escape(char))
    return text


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


# Location fields the CSV leaves out: a box is not one number, and officials do not read points.
_CSV_LEFT_OUT = {"bbox", "page_size"}
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


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = frozenset({"year", "section", "line", "page", "expected", "actual"})


def csv_cell(column: str, value: Any) -> Any:
    """A CSV cell: numbers as numbers (a negative count stays ``-3``: a number, never a formula);
    text as one line of clean text (file names with their control characters shown as escapes),
    prefixed with a single quote when it would start a formula."""
    if value is None or (column in _NUMERIC and isinstance(value, int | float)):
        return value
    text = escape_name(str(value)) if column == "source" else clean_text(str(value))
    return inert(text)


def inert(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: a single quote before a cell that
    would start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> str:
    """One row per finding; a report without (visible) findings still gets one row. Every cell goes
    through ``csv_cell``."""
    return "".join(csv_parts(results, min_severity))


def csv_parts(results: Iterable[CheckResult], min_severity: Severity = Severity.INFO) -> Iterator[str]:
    """``to_csv``'s text in pieces, written as the reports come: the header, then each report's
    rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield out.getvalue()
    for result in results:
        out.seek(0)
        out.truncate()
        for row in _csv_rows(result, min_severity):
            writer.writerow({column: csv_cell(column, value) for column, value in row.items()})
        yield out.getvalue()


def _csv_rows(result: CheckResult, min_severity: Severity) -> list[dict[str, Any]]:
    """One report's rows, before ``csv_cell``."""
    report = result.report
    base = {
        "source": report.source,
        "agency": report.agency,
        "year": report.year,
        "format": report.format.value,
        "status": result.status.value,
    }
    findings = visible(result.findings, min_severity)
    rows: list[dict[str, Any]] = [base] if not findings else []
    for f in findings:
        rows.append(
            base
            | f.location.model_dump(exclude=_CSV_LEFT_OUT)
            | {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "expected": _number(f.expected),
                "actual": _number(f.actual),
                "evidence": f.evidence,
            }
        )
    return rows
