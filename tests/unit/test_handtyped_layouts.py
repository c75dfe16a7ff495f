"""Reports laid out the many ways offices and aggregators publish them, against tables typed by hand.

Each layout in tests/fixtures/layouts is one document (rendered text, a Word file, a web page, or
a PDF exported to text by pdftotext, pdfplumber, pdfium or markitdown) and a ``*.expected.toml``
holding every Table 3 and Table 4 cell as a person reads them off the rendered document — typed by
hand, never taken from the generator's truth (README.md there says how each was made). A layout
passes when every cell is read back, and a balanced one gives no error; the unbalanced ones
(one number edited by hand) give exactly the balance errors their expectation names.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from nianbao.check import check_path
from nianbao.contract import report_dict
from nianbao.model import CheckResult, Severity
from nianbao.spec import FORMATS, TABLE3_COLUMNS, TABLE4, FormatVersion

pytestmark = pytest.mark.unit

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
NAMES = sorted(path.name.removesuffix(".expected.toml") for path in LAYOUTS.glob("*.expected.toml"))
T4_BLOCKS = ("review", "suit", "post_review_suit")  # 行政复议, 未经复议直接起诉, 复议后起诉

Number = int | float | None


def expected(name: str) -> dict[str, Any]:
    return tomllib.loads((LAYOUTS / f"{name}.expected.toml").read_text(encoding="utf-8"))


@cache
def checked(name: str) -> CheckResult:
    return check_path(LAYOUTS / expected(name)["document"])


def number(typed: object) -> Number:
    """A typed cell: a number, or a string for a cell printed without one (blank, "/", "—", "无")."""
    if isinstance(typed, str):
        return None
    assert isinstance(typed, int | float), typed
    return typed


def typed_table3(name: str) -> dict[str, list[Number]]:
    return {row: [number(v) for v in values] for row, values in expected(name)["table3"].items()}


def typed_table4(name: str) -> list[Number]:
    blocks = expected(name)["table4"]
    return [number(v) for block in T4_BLOCKS for v in blocks[block]]


def differences(want: dict[str, list[Number]], got: dict[str, list[Number]] | None) -> list[str]:
    if got is None:
        return ["no Table 3 was read"]
    columns = [c.key for c in TABLE3_COLUMNS]
    lines = [f"{row}: row not read" for row in want if row not in got]
    lines += [f"{row}: row read but not printed" for row in got if row not in want]
    for row, cells in want.items():
        for column, value, read in zip(columns, cells, got.get(row, [None] * len(cells)), strict=True):
            if read != value:
                lines.append(f"{row}.{column}: expected {value}, got {read}")
    return lines


def test_at_least_twelve_layouts_each_with_its_document():
    assert len(NAMES) >= 12
    documents = {expected(name)["document"] for name in NAMES}
    assert all((LAYOUTS / document).is_file() for document in documents)
    inputs = {p.name for p in LAYOUTS.iterdir() if not p.name.endswith((".toml", ".py")) and p.is_file()}
    assert inputs - {"README.md"} == documents  # no document without its typed expectation


def holds(left: list[Number], right: list[Number]) -> bool:
    """Whether two sides add up to the same; a side with a cell printed without a number is unknown."""
    if None in left or None in right:
        return True
    return sum(v or 0 for v in left) == sum(v or 0 for v in right)


def broken_relations(version: FormatVersion, table3: dict[str, list[Number]], table4: list[Number]) -> list[str]:
    """The balance relations (domain.md) that typed numbers break, worked out here on their own."""
    result_rows = FORMATS[version].table3.result_rows
    broken = [f"{row}: 总计 != sum of six" for row, cells in table3.items() if not holds(cells[6:], cells[:6])]
    for at in range(7):
        column = {row: [cells[at]] for row, cells in table3.items()}
        if not holds(column["new"] + column["carried_in"], column["results_total"] + column["carried_out"]):
            broken.append(f"column {at}: new + carried_in != results_total + carried_out")
        if not holds(column["results_total"], [v for row in result_rows for v in column[row]]):
            broken.append(f"column {at}: results_total != sum of results")
    for i, block in enumerate(T4_BLOCKS):
        if not holds(table4[5 * i + 4 : 5 * i + 5], table4[5 * i : 5 * i + 4]):
            broken.append(f"table4 {block}: 总计 != sum of four")
    return broken


@pytest.mark.parametrize("name", NAMES)
def test_typed_expectation_is_well_formed_and_balances_as_typed(name):
    """Guards the typing: row keys of the format, 7 cells a row, 15 cells in Table 4, and a layout
    typed as balanced does balance on its typed numbers (a slip of the fingers breaks a relation)."""
    version = FormatVersion(expected(name)["format"])
    table3, table4 = typed_table3(name), typed_table4(name)
    assert list(table3) == [row.key for row in FORMATS[version].table3.rows]
    assert all(len(cells) == 7 for cells in table3.values())
    assert len(table4) == len(TABLE4.columns)
    broken = broken_relations(version, table3, table4)
    if expected(name)["balanced"]:
        assert not broken, broken
    else:
        assert broken, "a layout typed as unbalanced breaks a relation"


@pytest.mark.parametrize("name", NAMES)
def test_format_and_year(name):
    report = checked(name).report
    assert (report.format.value, report.year) == (expected(name)["format"], expected(name)["year"])


@pytest.mark.parametrize("name", NAMES)
def test_every_table3_cell_is_read(name):
    got = report_dict(checked(name))["tables"]["table3"]
    wrong = differences(typed_table3(name), got)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_every_table4_cell_is_read(name):
    got = report_dict(checked(name))["tables"]["table4"]
    want = typed_table4(name)
    assert got is not None, "no Table 4 was read"
    columns = [c.key for c in TABLE4.columns]
    wrong = [f"{key}: expected {w}, got {g}" for key, w, g in zip(columns, want, got, strict=True) if w != g]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_balance_errors_are_exactly_the_typed_ones(name):
    """A balanced layout gives no error at all; an unbalanced one gives the balance errors typed in
    its expectation (code, and the row or column named there) and no other error."""
    result = checked(name)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    shown = [f"{f.code} {f.location.row or ''} {f.location.column or ''}: {f.message}" for f in errors]
    typed: list[dict[str, str]] = expected(name).get("errors", [])
    if expected(name)["balanced"]:
        assert not errors, "\n".join(shown)
        return
    assert typed, "an unbalanced layout names the errors it must give"
    assert {f.code for f in errors} == {t["code"] for t in typed}, "\n".join(shown)
    for want in typed:
        assert any(
            f.code == want["code"]
            and all(getattr(f.location, key) == value for key, value in want.items() if key != "code")
            for f in errors
        ), (want, shown)
