"""No report text can crash the checker or blow it up: placeholders where none are expected,
rows with far too many numbers, numbers of thousands of digits, in tables and in prose.

Every input is an edit of the shipped clean example; the expected values are read off that text
by hand (its Table 3 "new" row is 16 31 41 38 34 20 180, its Table 4 row 3 0 0 0 3 0 0 0 0 0 0 0 0 8 8).
"""

from __future__ import annotations

import itertools
import math
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.check import check_bytes
from nianbao.contract import report_dict
from nianbao.model import CellKind, CheckResult, Severity, Status
from nianbao.normalize import MAX_DIGITS, classify, cn_to_int, to_int
from nianbao.parse import rows as rows_module
from nianbao.rules import balance
from tests.conftest import check_text, codes, only

pytestmark = pytest.mark.unit

CLEAN = (Path(__file__).resolve().parents[2] / "shared" / "nianbao" / "examples" / "2023-clean.txt").read_text(
    encoding="utf-8"
)
T3_HEADER = "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t\n"
T3_NEW = "一、本年新收政府信息公开申请数量\t\t16\t31\t41\t38\t34\t20\t180"
T4_ROW = "3\t0\t0\t0\t3\t0\t0\t0\t0\t0\t0\t0\t0\t8\t8"
BALANCE = {"T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL", "T4_TOTAL"}
# What the clean example gives: two headings worded differently from the standard, nothing else.
CLEAN_CODES = {"LABEL_NONSTANDARD"}


def edit(old: str, new: str, text: str = CLEAN) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the text exactly once"
    return text.replace(old, new)


def tables(result: CheckResult) -> dict[str, Any]:
    found: dict[str, Any] = report_dict(result)["tables"]
    return found


# --- a lone placeholder line in Table 3 ---------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["/", "—", "无", "-"])
def test_a_lone_placeholder_between_the_table3_header_and_its_first_row_is_noise(placeholder):
    result = check_text(edit(T3_HEADER, T3_HEADER + placeholder + "\n"))
    assert codes(result) == CLEAN_CODES
    table3 = tables(result)["table3"]
    assert table3["new"] == [16, 31, 41, 38, 34, 20, 180]
    assert table3["results_total"] == [19, 25, 38, 38, 35, 20, 175]  # not taken by the placeholder
    assert table3["carried_out"] == [0, 8, 3, 0, 0, 2, 13]


def test_a_table3_row_of_placeholders_too_short_to_place_is_checked_not_crashed():
    # Given "（一）予以公开" printed with two placeholders for seven columns: C(7,2) = 21 placements,
    # none holding a count
    result = check_text(edit("(一)予以公开\t0\t1\t0\t1\t0\t1\t3", "(一)予以公开\t/\t/"))
    # Then the row is mis-shaped and its cells unknown; nothing rests on them
    [shape] = only(result, "ROW_SHAPE")
    assert shape.location.row == "granted"
    assert tables(result)["table3"]["granted"] == [None] * 7
    assert not codes(result) & BALANCE


# --- rows with far too many numbers -------------------------------------------------------------


def test_a_table4_row_of_thirty_numbers_is_unplaceable_not_enumerated():
    # Given Table 4 printed with 30 numbers for 15 columns: C(30,15) = 155,117,520 placements
    started = time.perf_counter()
    result = check_text(edit(T4_ROW, "\t".join(["1"] * 30)))
    assert time.perf_counter() - started < 2
    # Then one ROW_SHAPE warning says the row cannot be placed, every cell is null, and no
    # finding rests on the row: no T4_TOTAL, no TABLE_EMPTY (it printed numbers), and the prose's
    # 行政复议3件 / 行政诉讼8件 are not compared with cells nobody can place
    assert codes(result) == CLEAN_CODES | {"ROW_SHAPE"}
    [shape] = only(result, "ROW_SHAPE")
    assert shape.severity is Severity.WARNING
    assert "有30个单元格，应为15个" in shape.message
    assert "可能的排列过多" in shape.message
    assert tables(result)["table4"] == [None] * 15


def test_a_table4_row_of_thirty_placeholders_is_an_empty_table():
    result = check_text(edit(T4_ROW, "\t".join(["/"] * 30)))
    assert "TABLE_EMPTY" in codes(result)
    assert not codes(result) & BALANCE


@pytest.mark.parametrize("count", [30, 40])
def test_a_table3_row_with_many_extra_numbers_is_unplaceable(count):
    # C(30,7) = 2,035,800 and C(40,7) = 18,643,560 placements
    result = check_text(edit(T3_NEW, "一、本年新收政府信息公开申请数量\t\t" + "\t".join(["1"] * count)))
    assert codes(result) == CLEAN_CODES | {"ROW_SHAPE"}
    assert tables(result)["table3"]["new"] == [None] * 7
    # the prose's 180 requests are not compared with a row nobody can place
    assert not only(result, "TEXT_TABLE_MISMATCH")


def test_placements_are_counted_before_they_are_enumerated(monkeypatch):
    enumerated: list[tuple[int, int]] = []
    real = itertools.combinations

    def spy(pool: range, r: int) -> Any:
        enumerated.append((len(pool), r))
        return real(pool, r)

    monkeypatch.setattr(rows_module, "combinations", spy)
    check_text(edit(T4_ROW, "\t".join(["1"] * 40)))  # C(40,15) = 40,225,345,056
    assert enumerated == []
    check_text(edit(T4_ROW, "\t".join(["1"] * 16)))  # C(16,15) = 16: enumerated
    assert enumerated == [(16, 15)]


# Five result rows each printed without one of their seven cells.
FIVE_SHORT_ROWS = (
    ("(一)予以公开\t0\t1\t0\t1\t0\t1\t3", "(一)予以公开\t1\t0\t1\t0\t1\t3"),
    ("1.属于国家秘密\t3\t5\t3\t5\t0\t0\t16", "1.属于国家秘密\t5\t3\t5\t0\t0\t16"),
    ("2.其他法律行政法规禁止公开\t0\t0\t0\t0\t8\t0\t8", "2.其他法律行政法规禁止公开\t0\t0\t0\t8\t0\t8"),
    ("3.危及“三安全一稳定”\t13\t0\t1\t1\t0\t0\t15", "3.危及“三安全一稳定”\t0\t1\t1\t0\t0\t15"),
    ("4.保护第三方合法权益\t0\t0\t0\t1\t13\t0\t14", "4.保护第三方合法权益\t0\t0\t1\t13\t0\t14"),
)


def test_the_search_over_ambiguous_rows_is_bounded_before_it_starts(monkeypatch):
    # Given five result rows each printed one cell short: 7^5 = 16,807 combinations of placements
    text = CLEAN
    for row, short in FIVE_SHORT_ROWS:
        text = edit(row, short, text)
    asked: list[int] = []
    searched: list[int] = []
    satisfiable, search = balance._Problem.satisfiable, balance._Problem._search

    def spy_satisfiable(self: Any) -> bool:
        asked.append(math.prod(len(options) for options in self.contrib))
        return satisfiable(self)

    def spy_search(self: Any, k: int, acc: Any, rest: Any) -> bool:
        if k == 0:
            searched.append(math.prod(len(options) for options in self.contrib))
        return search(self, k, acc, rest)

    monkeypatch.setattr(balance._Problem, "satisfiable", spy_satisfiable)
    monkeypatch.setattr(balance._Problem, "_search", spy_search)
    result = check_text(text)
    assert len(only(result, "ROW_SHAPE")) == 5
    assert max(asked) == 7**5  # the results-total relation was asked about ...
    assert searched  # (single rows are searched: 7 placements each) ...
    assert max(searched) <= balance.MAX_COMBINATIONS  # ... but never the 16,807 combinations
    assert balance.MAX_COMBINATIONS < 7**5


def test_a_relation_too_big_to_search_still_fails_when_its_bounds_alone_show_it():
    # Given the five short rows above and a （七）总计 of 1 where the rows that are placed already
    # total 119 (3 + 4 + 7 + 10 + 5 + 13 + 8 + 0 + 0 + 2 + 3 + 18 + 12 + 8 + 9 + 17)
    text = CLEAN
    for row, short in FIVE_SHORT_ROWS:
        text = edit(row, short, text)
    text = edit("(七)总计\t19\t25\t38\t38\t35\t20\t175", "(七)总计\t19\t25\t38\t38\t35\t20\t1", text)
    result = check_text(text)
    # Then the 总计 column fails whatever the placements, though they are too many to search
    assert "total" in {f.location.column for f in only(result, "T3_RESULTS_TOTAL")}


# --- numbers too long to be counts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("9" * 15, CellKind.NUMBER, 999_999_999_999_999),
        ("9" * 16, CellKind.TOO_LONG, None),
        ("0" * 16, CellKind.TOO_LONG, None),  # leading zeros are printed digits too
        ("9" * 5000, CellKind.TOO_LONG, None),
        ("123,456,789,012,345", CellKind.NUMBER, 123_456_789_012_345),
        ("1,234,567,890,123,456", CellKind.TOO_LONG, None),
        ("123456789.123456", CellKind.NUMBER, Decimal("123456789.123456")),  # 15 digits: an amount
        ("123456789.1234567", CellKind.TOO_LONG, None),
        ("9" * 5000 + "万元", CellKind.TOO_LONG, None),
        ("-" + "9" * 5000, CellKind.TOO_LONG, None),
        ("0." + "0" * 5000, CellKind.TOO_LONG, None),
    ],
)
def test_a_cell_with_more_than_fifteen_digits_has_no_value(raw, kind, value):
    assert MAX_DIGITS == 15
    assert classify(raw) == (kind, value)


def test_to_int_ignores_numerals_too_long_to_be_counts():
    assert to_int("9" * 15) == 999_999_999_999_999
    assert to_int("9" * 16) is None
    assert to_int("9" * 5000) is None
    assert cn_to_int("一" * 15) == 111_111_111_111_111
    assert cn_to_int("一" * 16) is None
    assert cn_to_int("二" * 5000) is None


def test_a_table3_cell_of_five_thousand_digits_is_an_invalid_cell():
    result = check_text(edit(T3_NEW, T3_NEW.replace("\t16\t", "\t" + "9" * 5000 + "\t")))
    assert codes(result) == CLEAN_CODES | {"CELL_INVALID"}
    [invalid] = only(result, "CELL_INVALID")
    assert invalid.severity is Severity.ERROR
    assert (invalid.location.table, invalid.location.row, invalid.location.column) == ("table3", "new", "natural")
    assert "位数过多（超过15位）" in invalid.message
    assert "99999999…（共5000位）" in invalid.message
    assert len(invalid.message) < 200
    assert invalid.evidence is not None
    assert len(invalid.evidence) < 200
    # the rest of the row still reads; the invalid cell is unknown, so no balance rests on it
    assert tables(result)["table3"]["new"] == [None, 31, 41, 38, 34, 20, 180]
    assert result.status is Status.FAIL


def test_a_table_whose_only_number_is_too_long_is_invalid_not_empty():
    # Given Table 4 printed with a 16-digit number and fourteen placeholders
    result = check_text(edit(T4_ROW, "\t".join(["1" * 16] + ["/"] * 14)))
    [invalid] = only(result, "CELL_INVALID")
    assert (invalid.location.table, invalid.location.column) == ("table4", "review_upheld")
    # the official printed a number: the table is not empty, and the prose's 行政复议3件 is not
    # compared with cells that hold no count
    assert not codes(result) & {"TABLE_EMPTY", "TEXT_TABLE_MISMATCH"}


def test_a_sixteen_digit_amount_in_table2_is_an_invalid_cell():
    result = check_text(edit("行政事业性收费\t670.96", "行政事业性收费\t1234567890123.456"))
    [invalid] = only(result, "CELL_INVALID")
    assert (invalid.location.table, invalid.location.row) == ("table2", "fees")
    assert "1234567890123.456" in invalid.message  # 16 digits: short enough to quote whole


def test_a_five_thousand_digit_cell_in_a_space_separated_table_is_an_invalid_cell():
    text = edit(T3_NEW, T3_NEW.replace("\t16\t", "\t" + "9" * 5000 + " 万元\t")).replace("\t", " ")
    result = check_text(text)
    assert [(f.location.row, f.location.column) for f in only(result, "CELL_INVALID")] == [("new", "natural")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("主动公开政府信息150条", "主动公开政府信息" + "9" * 5000 + "条"),
        ("收到政府信息公开申请180件", "收到政府信息公开申请" + "9" * 5000 + "件"),
        ("收到政府信息公开申请180件", "收到政府信息公开申请" + "一" * 5000 + "件"),
        ("收到政府信息公开申请180件", "收到政府信息公开申请1234567890123456件"),  # 16 digits
        ("被提起行政诉讼8件", "被提起行政诉讼" + "9" * 5000 + "件"),
    ],
)
def test_a_prose_number_too_long_to_be_a_count_is_not_claimed(old, new):
    result = check_text(edit(old, new))
    assert codes(result) == CLEAN_CODES


def test_a_fifteen_digit_prose_count_is_still_compared():
    result = check_text(edit("收到政府信息公开申请180件", "收到政府信息公开申请999999999999999件"))
    [mismatch] = only(result, "TEXT_TABLE_MISMATCH")
    assert (mismatch.actual, mismatch.expected) == (999_999_999_999_999, 180)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2024年1月8日", "2024年1月" + "9" * 5000 + "日"),
        ("2024年1月8日", "9" * 5000 + "年1月8日"),
        ("2024年1月8日", "二〇二四年一月" + "八" * 5000 + "日"),
    ],
)
def test_a_date_with_thousands_of_digits_is_no_date(old, new):
    result = check_text(edit(old, new))
    assert codes(result) == CLEAN_CODES | {"DATE_MISSING"}


@pytest.mark.parametrize("year", ["9999", "0001", "9" * 5000])
def test_a_statistics_period_in_an_impossible_year_is_ignored(year):
    # Given a title without its year, so that only the period and the body could tell it
    text = edit("青川县清水镇人民政府2023年政府信息公开", "青川县清水镇人民政府政府信息公开")
    text = edit("自2023年1月1日起至2023年12月31日止", f"自{year}年1月1日起至{year}年12月31日止", text)
    result = check_text(text)
    assert result.report.year == 2023  # the body speaks of 2023 ("2023年,青川县…")
    assert result.report.years.period is None
    assert codes(result) == CLEAN_CODES | {"TITLE_INCOMPLETE"}


# --- random edits of the clean example ----------------------------------------------------------

LINES = CLEAN.splitlines()
LABELS = sorted({field for line in LINES for field in line.split("\t")[:3] if field and not field[0].isdigit()})
HEADERS = [
    line for line in LINES if line.startswith(("一、", "二、", "三、", "四、", "五、", "六、", "第二十条", "信息内容"))
]
HEADERS += [line for line in LINES if "结果维持" in line or "商业企业" in line or "勾稽关系" in line]
PLACEHOLDERS = ["/", "—", "无", "-", "——", "／", "不适用"]

# lengths around the edges that matter: 15/16 digits (MAX_DIGITS), 309 (past a float), 4,300
# (Python's limit on str -> int)
digit_runs = st.one_of(st.integers(1, 40), st.sampled_from([309, 4300, 4301, 5000])).map(lambda n: "9" * n)
cells = st.one_of(
    st.integers(0, 999).map(str),
    digit_runs,
    st.sampled_from(PLACEHOLDERS),
    st.just(""),
    st.integers(1, 3000).map(lambda n: "1" * n + ".5"),
)


@st.composite
def value_rows(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 40))  # as likely 40 numbers as 4
    values = draw(st.lists(cells, min_size=count, max_size=count))
    label = draw(st.one_of(st.just(""), st.sampled_from(LABELS)))
    separator = draw(st.sampled_from(["\t", " "]))
    return separator.join([label, *values] if label else values)


numerals = st.one_of(digit_runs, digit_runs.map(lambda run: "二" * len(run)))
prose_numbers = st.one_of(
    st.builds(
        "{}{}件".format,
        st.sampled_from(["收到政府信息公开申请", "上年结转", "被申请行政复议", "被提起行政诉讼"]),
        numerals,
    ),
    st.builds("全年主动公开政府信息{}条".format, numerals),
    st.builds("统计期限自{0}年1月1日起至{0}年12月31日止".format, numerals),
    st.builds("{}年1月{}日".format, numerals, numerals),
)
new_lines = st.one_of(
    st.sampled_from(PLACEHOLDERS),
    digit_runs,
    value_rows(),
    st.sampled_from(LABELS),
    st.sampled_from(HEADERS),
    prose_numbers,
)


@st.composite
def edited_reports(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["insert", "duplicate", "delete", "token"]))
        if action == "insert" or not lines:
            lines.insert(at, draw(new_lines))
            continue
        at = min(at, len(lines) - 1)
        if action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "delete":
            del lines[at]
        else:  # insert, repeat or delete one cell of a line
            separator = "\t" if "\t" in lines[at] else " "
            fields = lines[at].split(separator)
            where = draw(st.integers(0, len(fields) - 1))
            how = draw(st.sampled_from(["insert", "repeat", "delete"]))
            if how == "insert":
                fields.insert(where, draw(cells))
            elif how == "repeat":
                fields.insert(where, fields[where])
            else:
                del fields[where]
            lines[at] = separator.join(fields)
    return "\n".join(lines)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=edited_reports())
def test_no_edit_of_a_report_crashes_or_stalls_the_checker(text):
    started = time.perf_counter()
    result = check_bytes(text.encode("utf-8"), "edited.txt")
    assert time.perf_counter() - started < 2
    assert result.status in Status
    report = report_dict(result)  # the contract can always be produced ...
    result.model_dump_json()  # ... and serialised
    assert all(len(values) == 7 for values in (report["tables"]["table3"] or {}).values())
    assert report["tables"]["table4"] is None or len(report["tables"]["table4"]) == 15
