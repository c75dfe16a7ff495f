"""Every rule: a case where it fires and one where it must not."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date

import pytest

from nianbao.model import Severity, Status
from nianbao.rules import CODES
from nianbao.spec import TABLE4, FormatVersion
from tests.conftest import check_text, codes, only
from tests.synth import Layout, Truth, only_totals, random_truth, render_text

pytestmark = pytest.mark.unit


def clean(**changes: object) -> Truth:
    truth = random_truth(random.Random(3), version=FormatVersion.V2021, year=2023, busy=0.6)
    return replace(truth, **({"agency": "河西区民政局"} | changes))  # type: ignore[arg-type]


def render(truth: Truth, layout: Layout = Layout.TABS) -> str:
    return render_text(truth, layout, random.Random(1), variants=False, half_width=False)


def run(truth: Truth, layout: Layout = Layout.TABS):
    return check_text(render(truth, layout))


def loud(result) -> set[str]:
    """Codes at warning level and above."""
    return {f.code for f in result.findings if f.severity is not Severity.INFO}


@pytest.mark.parametrize("layout", list(Layout))
def test_a_clean_report_passes_in_every_layout(layout):
    result = run(clean(), layout)
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert loud(result) == set()


# --- structure ----------------------------------------------------------------------------------


def test_section_missing():
    result = run(clean(sections=(1, 2, 3, 4, 6)))
    assert [f.location.section for f in only(result, "SECTION_MISSING")] == [5]
    assert "SECTION_MISSING" not in codes(run(clean()))


def test_section_order_for_a_section_out_of_place_and_for_a_wrong_ordinal():
    moved = run(clean(sections=(1, 2, 3, 5, 4, 6)))
    assert [f.location.section for f in only(moved, "SECTION_ORDER")] == [4]
    assert only(moved, "SECTION_ORDER")[0].severity is Severity.INFO
    renumbered = check_text(render(clean()).replace("三、收到和处理", "二、收到和处理"))
    assert [f.location.section for f in only(renumbered, "SECTION_ORDER")] == [3]
    assert "SECTION_ORDER" not in codes(run(clean()))


def test_table_missing_and_table_empty():
    missing = run(clean(omit=frozenset({"table4"})))
    assert [f.location.table for f in only(missing, "TABLE_MISSING")] == ["table4"]
    empty = run(clean(empty=frozenset({"table3"})))
    assert [f.location.table for f in only(empty, "TABLE_EMPTY")] == ["table3"]
    assert "ROW_MISSING" not in codes(empty)  # an empty table is one finding, not 25
    assert not codes(run(clean())) & {"TABLE_MISSING", "TABLE_EMPTY"}


def test_row_missing():
    truth = clean()
    rows = {k: v for k, v in truth.table3.items() if k != "denied_5"}
    result = run(replace(truth, table3=rows))
    assert [(f.location.table, f.location.row) for f in only(result, "ROW_MISSING")] == [("table3", "denied_5")]
    assert "ROW_MISSING" not in codes(run(clean()))


def test_cell_blank_folds_whole_columns_and_names_single_cells():
    columns = run(only_totals(clean()))
    blank_columns = [f.location.column for f in only(columns, "CELL_BLANK")]
    assert blank_columns == ["natural", "commercial", "research", "public_welfare", "legal_service", "other"]
    assert all(f.location.row is None for f in only(columns, "CELL_BLANK"))

    single = run(clean().with_cell("table3", "granted", 2, "/"))
    [finding] = only(single, "CELL_BLANK")
    assert (finding.location.row, finding.location.column) == ("granted", "research")
    assert "“/”" in finding.message
    assert "CELL_BLANK" not in codes(run(clean()))


def test_cell_blank_names_a_whole_blank_row_once():
    truth = clean()
    rows = {k: list(v) for k, v in truth.table2.items()}
    rows["regulations"] = ["/", "/", "/"]
    [finding] = only(run(replace(truth, table2=rows)), "CELL_BLANK")
    assert (finding.location.row, finding.location.column) == ("regulations", None)


@pytest.mark.parametrize(("value", "problem"), [("约5", "不是数字"), (-2, "负数"), ("1.5", "不是整数")])
def test_cell_invalid(value, problem):
    result = run(clean().with_cell("table3", "granted", 1, value))
    [finding] = only(result, "CELL_INVALID")
    assert problem in finding.message
    assert (finding.location.row, finding.location.column) == ("granted", "commercial")


def test_a_negative_change_in_the_2019_layout_is_valid():
    truth = random_truth(random.Random(5), version=FormatVersion.V2019, year=2020)
    rows = {k: list(v) for k, v in truth.table2.items()}
    rows["licensing"][1] = -3  # 本年增/减
    assert "CELL_INVALID" not in codes(run(replace(truth, table2=rows)))


def test_row_shape():
    text = render(clean())
    short = re.sub(r"^(一、本年新收[^\n]*?)\t[^\t\n]*\n", r"\1\n", text, count=1, flags=re.M)
    result = check_text(short)
    [finding] = only(result, "ROW_SHAPE")
    assert finding.location.row == "new"
    assert "ROW_SHAPE" not in codes(run(clean()))


# --- format -------------------------------------------------------------------------------------


def test_format_outdated_only_for_2021_and_later():
    outdated = run(replace(random_truth(random.Random(2), version=FormatVersion.V2019, year=2020), year=2023))
    assert "FORMAT_OUTDATED" in codes(outdated)
    in_time = run(random_truth(random.Random(2), version=FormatVersion.V2019, year=2020))
    assert "FORMAT_OUTDATED" not in codes(in_time)


def test_format_unknown_when_the_markers_tie():
    text = render(clean())
    text = "\n".join(line for line in text.splitlines() if not line.startswith("信息内容"))
    text = re.sub(r"第二十条第[（(]八[)）]项", "第二十条第（九）项", text)
    result = check_text(text)
    assert "FORMAT_UNKNOWN" in codes(result)
    assert result.report.format is FormatVersion.UNKNOWN
    assert "FORMAT_UNKNOWN" not in codes(run(clean()))


def test_label_nonstandard():
    text = render(clean()).replace("行政规范性文件", "规范性文件").replace("社会公益组织", "社会组织")
    notes = only(check_text(text), "LABEL_NONSTANDARD")
    assert {(f.location.row, f.location.column) for f in notes} == {
        ("normative_documents", None),
        (None, "public_welfare"),
    }
    variant = check_text(
        render(clean()).replace("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况")
    )
    assert [f.location.section for f in only(variant, "LABEL_NONSTANDARD")] == [5]
    assert "LABEL_NONSTANDARD" not in codes(run(clean()))


# --- balance ------------------------------------------------------------------------------------


def balance(result) -> set[tuple[str, str | None, str | None]]:
    return {(f.code, f.location.row, f.location.column) for f in result.findings if f.code.startswith(("T3_", "T4_"))}


def bump(truth: Truth, table: str, row: str | None, column: int, by: int = 2) -> Truth:
    cells = truth.table4 if table == "table4" else truth.table3[row or ""]
    value = cells[column]
    assert isinstance(value, int)
    return truth.with_cell(table, row, column, value + by)


def test_t3_application_balance():
    result = run(bump(clean(), "table3", "carried_in", 0))
    assert balance(result) == {("T3_APPLICATION_BALANCE", None, "natural"), ("T3_ROW_TOTAL", "carried_in", "total")}
    [finding] = only(result, "T3_APPLICATION_BALANCE")
    assert finding.actual is not None
    assert finding.expected == finding.actual + 2


def test_t3_results_total():
    result = run(bump(clean(), "table3", "granted", 3))
    assert balance(result) == {
        ("T3_RESULTS_TOTAL", "results_total", "public_welfare"),
        ("T3_ROW_TOTAL", "granted", "total"),
    }


def test_t3_row_total():
    result = run(bump(clean(), "table3", "refused_2", 6))
    assert balance(result) == {("T3_ROW_TOTAL", "refused_2", "total"), ("T3_RESULTS_TOTAL", "results_total", "total")}
    [row_total] = only(result, "T3_ROW_TOTAL")
    assert row_total.expected is not None
    assert row_total.actual == row_total.expected + 2
    assert row_total.evidence is not None
    assert row_total.evidence.startswith("2.重复申请")


def test_t4_total():
    review_upheld = [c.key for c in TABLE4.columns].index("review_upheld")
    result = run(bump(replace(clean(), prose_counts=False), "table4", None, review_upheld))
    assert balance(result) == {("T4_TOTAL", "cases", "review_total")}


def test_balanced_tables_and_blank_operands_give_no_balance_finding():
    assert balance(run(clean())) == set()
    # a blank cell makes its relations uncertain, not failed
    blanked = clean().with_cell("table3", "granted", 0, None).with_cell("table3", "results_total", 3, None)
    assert balance(run(blanked)) == set()


def test_a_row_whose_every_placement_fails_is_reported_with_that_caveat():
    def results(granted: str):
        return check_text(
            "三、收到和处理政府信息公开申请情况\n"
            f"三、本年度办理结果\t(一) 予以公开\t{granted}\n"
            "(七) 总计\t0\t0\t0\t0\t0\t0\t0\n"
        )

    # Given eight values where seven are due: whichever is dropped, every column still holds 3 or 4
    failing = only(results("\t".join(["3", "4"] * 4)), "T3_RESULTS_TOTAL")
    assert {f.location.column for f in failing} == {
        "natural", "commercial", "research", "public_welfare", "legal_service", "other", "total",
    }  # fmt: skip
    assert all("无论怎样排列" in f.message and f.expected is None for f in failing)
    # When every placement gives the same row the row counts as placed; the other result rows are
    # absent here, so the parts are "at least 3" rather than a point
    certain = only(results("\t".join(["3"] * 8)), "T3_RESULTS_TOTAL")
    assert len(certain) == 7
    assert {(f.expected, f.actual) for f in certain} == {(None, 0)}
    assert all("至少3" in f.message and "无论怎样排列" not in f.message for f in certain)


def test_rows_that_cannot_be_placed_fail_a_relation_only_when_every_placement_does():
    header = "三、收到和处理政府信息公开申请情况\n"
    # Given seed 002's case: 6 printed where 7 are due, and a 6 that breaks whichever column it is in
    failing = header + "三、本年度办理结果\t(一) 予以公开\t6\t0\t0\t0\t0\t0\n(七) 总计\t0\t0\t0\t0\t0\t0\t0\n"
    [finding] = only(check_text(failing), "T3_RESULTS_TOTAL")
    assert finding.location.column is None
    assert "无论怎样排列，总有一列不平衡" in finding.message
    # But when some placement balances every column, nothing is reported
    passing = header + "三、本年度办理结果\t(一) 予以公开\t6\t0\t0\t0\t0\t0\n(七) 总计\t6\t0\t0\t0\t0\t0\t6\n"
    assert "T3_RESULTS_TOTAL" not in codes(check_text(passing))


# --- narrative ----------------------------------------------------------------------------------


def test_text_table_mismatch_on_requests():
    truth = clean()
    text = render(truth).replace(f"全年共收到政府信息公开申请{truth.totals('new')}件", "全年共收到政府信息公开申请99件")
    [finding] = only(check_text(text), "TEXT_TABLE_MISMATCH")
    assert (finding.location.table, finding.location.row, finding.actual) == ("table3", "new", 99)
    assert finding.expected == truth.totals("new")
    assert "TEXT_TABLE_MISMATCH" not in codes(run(truth))


def test_counts_in_chinese_numerals_with_wan_are_read():
    truth = clean()
    total = truth.totals("new")
    natural = truth.table3["new"][0]
    assert isinstance(natural, int)
    # the natural-person column raised so that the year's new requests are 12,345
    big = truth.with_cell("table3", "new", 0, natural + 12_345 - total).with_cell("table3", "new", 6, 12_345)
    printed = "全年共收到政府信息公开申请12345件"
    assert printed in render(big)
    agrees = render(big).replace(printed, "全年共收到政府信息公开申请一万二千三百四十五件")
    assert "TEXT_TABLE_MISMATCH" not in codes(check_text(agrees))
    differs = render(big).replace(printed, "全年共收到政府信息公开申请一万二千三百四十六件")
    [finding] = only(check_text(differs), "TEXT_TABLE_MISMATCH")
    assert (finding.expected, finding.actual) == (12_345, 12_346)
    assert "12346" in finding.message or "一万二千三百四十六" in finding.message


def test_text_table_mismatch_ignores_unrelated_and_other_years_counts():
    truth = clean()
    extra = (
        "主动公开政府信息89条，回应关切60次，办理各类事项124件。"
        "上年度收到政府信息公开申请57件。2022年收到政府信息公开申请31件。"
    )
    text = render(truth).replace("（一）主动公开情况。", "（一）主动公开情况。" + extra)
    assert "TEXT_TABLE_MISMATCH" not in codes(check_text(text))


def test_text_table_mismatch_on_zero_claims_and_on_empty_tables():
    truth = replace(clean(), prose_counts=False)
    assert truth.totals("new") > 0
    zero = render(truth).replace("（一）主动公开情况。", "（一）主动公开情况。本年度未收到政府信息公开申请。")
    assert [f.actual for f in only(check_text(zero), "TEXT_TABLE_MISMATCH")] == [0]
    empty = replace(truth, empty=frozenset({"table4"}))
    text = render(empty).replace("（一）主动公开情况。", "（一）主动公开情况。因政府信息公开被申请行政复议3件。")
    [finding] = only(check_text(text), "TEXT_TABLE_MISMATCH")
    assert finding.location.table == "table4"
    assert "没有填写任何数据" in finding.message


def test_year_mismatch_on_a_stale_statement():
    result = run(clean(stale_year=True))
    [finding] = only(result, "YEAR_MISMATCH")
    assert (finding.expected, finding.actual, finding.location.section) == (2023, 2022, 5)
    assert "YEAR_MISMATCH" not in codes(run(clean()))


def test_year_mismatch_between_title_and_period():
    text = render(clean()).replace(
        "统计期限自2023年1月1日起至2023年12月31日止", "统计期限自2022年1月1日起至2022年12月31日止"
    )
    [finding] = only(check_text(text), "YEAR_MISMATCH")
    assert (finding.expected, finding.actual) == (2023, 2022)


def test_year_mismatch_ignores_plans_for_next_year_and_since_statements():
    text = (
        render(clean())
        .replace("下一步，", "2024年，我单位将")
        .replace("（一）主动公开情况。", "（一）主动公开情况。\n2019年以来，我单位持续推进公开。")
    )
    assert "YEAR_MISMATCH" not in codes(check_text(text))


def test_year_mismatch_when_the_date_precedes_the_end_of_the_year():
    result = run(clean(published=date(2023, 6, 1)))
    assert [f.evidence for f in only(result, "YEAR_MISMATCH")] == ["2023年6月1日"]


def test_fee_statement_missing():
    assert "FEE_STATEMENT_MISSING" in codes(run(clean(fee_statement=False)))
    assert "FEE_STATEMENT_MISSING" not in codes(run(clean()))
    in_2019 = random_truth(random.Random(2), version=FormatVersion.V2019, year=2020)
    assert "FEE_STATEMENT_MISSING" not in codes(run(replace(in_2019, fee_statement=False)))


@pytest.mark.parametrize(
    "statement",
    [
        "本年度未发生收费情况。",
        "本机关未收取任何费用。",
        "本年度没有向申请人收费。",
        "未发出收费通知，收费0元。",
        "本年度共发出收费通知2件，收取费用合计300元。",
    ],
)
def test_a_fee_statement_in_the_offices_own_words_is_a_fee_statement(statement):
    text = render(clean()).replace("（一）信息处理费收取情况。本年度未收取信息处理费。", statement)
    assert "信息处理费" not in text
    assert "FEE_STATEMENT_MISSING" not in codes(check_text(text))


def test_money_words_outside_section_6_are_not_a_fee_statement():
    text = render(clean()).replace("（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")
    assert "FEE_STATEMENT_MISSING" in codes(check_text(text))
    # 费用 in another section (a budget) says nothing about fees charged to applicants
    with_budget = text.replace("（一）主动公开情况。", "（一）主动公开情况。本年度政务公开经费费用已列入预算。")
    assert "费用已列入预算" in with_budget
    assert "FEE_STATEMENT_MISSING" in codes(check_text(with_budget))


def test_section5_thin():
    assert "SECTION5_THIN" in codes(run(clean(thin_section5=True)))
    assert "SECTION5_THIN" not in codes(run(clean()))


def test_section5_thin_for_a_peoples_government_without_article_50_matters():
    truth = clean(agency="南溪镇人民政府")
    text = render(truth).replace("将政务公开纳入年度绩效考核，本年度未发生责任追究情况。", "")
    [finding] = only(check_text(text), "SECTION5_THIN")
    assert "第五十条" in finding.message
    assert "SECTION5_THIN" not in codes(run(truth))


# --- metadata -----------------------------------------------------------------------------------


def test_title_incomplete():
    no_year = only(run(clean(title="河西区民政局政府信息公开工作年度报告")), "TITLE_INCOMPLETE")
    assert len(no_year) == 1
    assert "年度" in no_year[0].message
    assert "2023" in no_year[0].message  # the year the body shows is suggested
    assert only(run(clean(title=None)), "TITLE_INCOMPLETE")[0].message.startswith("未找到报告标题")
    assert "TITLE_INCOMPLETE" not in codes(run(clean()))


def test_date_missing_and_published_late():
    assert "DATE_MISSING" in codes(run(clean(published=None)))
    late = only(run(clean(published=date(2024, 3, 1))), "PUBLISHED_LATE")
    assert len(late) == 1
    assert "2024年1月31日" in late[0].message
    on_time = run(clean(published=date(2024, 1, 31)))
    assert not codes(on_time) & {"DATE_MISSING", "PUBLISHED_LATE"}


# --- input --------------------------------------------------------------------------------------


def test_not_a_report():
    result = check_text("关于召开会议的通知\n\n请各单位准时参加。\n")
    assert codes(result) == {"NOT_A_REPORT"}
    assert result.status is Status.FAIL
    assert "NOT_A_REPORT" not in codes(run(clean()))


def test_every_code_has_a_severity_and_a_title():
    assert all(code.title and code.severity in Severity for code in CODES.values())


def _other_as_one_row(extra: int, total: int = 0) -> str:
    """A 2021 report whose （六）其他处理 is printed as one row of the three sub-rows' sums (the
    commercial column ``extra`` higher): the three sub-rows of seed 3 print 0/0/0, 0/2/0, 0/0/0 …"""
    truth = random_truth(random.Random(3), version=FormatVersion.V2021, year=2023)
    lines = render(truth).splitlines()
    first = next(i for i, line in enumerate(lines) if "逾期不补正" in line)
    assert "缴纳费用" in lines[first + 1]
    assert "3.其他" in lines[first + 2]
    # typed from those three printed rows: 0 0 0 0 0 0 0 / 0 2 0 0 1 2 5 / 0 0 0 0 0 0 0
    row = [0, 2 + extra, 0, 0, 1, 2, 5 + extra + total]
    return "\n".join([*lines[:first], "\t(六)其他处理\t" + "\t".join(map(str, row)), *lines[first + 3 :]])


def test_other_printed_as_one_row_is_one_missing_block_whose_sum_still_counts():
    balanced = check_text(_other_as_one_row(0))
    [missing] = only(balanced, "ROW_MISSING")
    assert missing.location.row == "other"
    assert "只印了一行，缺少其下的三项" in missing.message
    assert not [f for f in balanced.findings if f.severity is Severity.ERROR and f.code != "ROW_MISSING"]
    # 4 more in the commercial column of that row: （七）总计 prints 3 and 140, the results now add
    # up to 3 - 2 + 6 = 7 and 140 + 4 = 144
    unbalanced = check_text(_other_as_one_row(4))
    assert len(only(unbalanced, "ROW_MISSING")) == 1
    assert sorted(f.message for f in only(unbalanced, "T3_RESULTS_TOTAL")) == [
        "表三“商业企业”列：“（七）总计”为3，但各项办理结果之和为7。",
        "表三“总计”列：“（七）总计”为140，但各项办理结果之和为144。",
    ]


def test_other_printed_as_one_row_has_its_own_row_total_checked_at_that_row():
    # Given the one row's 总计 printed as 8 where its cells add up to 0 + 2 + 0 + 0 + 1 + 2 = 5
    result = check_text(_other_as_one_row(0, total=3))
    [row_total] = only(result, "T3_ROW_TOTAL")
    assert row_total.message == "表三“（六）其他处理”行：“总计”为8，但六类申请人之和为5。"
    assert (row_total.location.row, row_total.location.column) == ("other", "total")
    assert (row_total.expected, row_total.actual) == (5, 8)


def test_a_row_printed_with_every_cell_blank_is_blank_cells_not_a_missing_row():
    truth = random_truth(random.Random(3), version=FormatVersion.V2021, year=2023)
    lines = render(truth).splitlines()
    at = next(i for i, line in enumerate(lines) if "逾期不补正" in line)
    # the row's label cells, then its seven cells left empty (tab-separated, as exported)
    lines[at] = "\t".join(lines[at].split("\t")[:3] + [""] * 7)
    assert lines[at].endswith("不再处理其政府信息公开申请\t\t\t\t\t\t\t")
    result = check_text("\n".join(lines))
    assert "ROW_MISSING" not in codes(result)
    [blank] = only(result, "CELL_BLANK")
    assert blank.severity is Severity.WARNING
    assert blank.location.row == "other_1"
    assert "行全部未填写数字" in blank.message
    # the row's zeros are unknown now, and nothing else is reported on their account
    assert not [f for f in result.findings if f.severity is Severity.ERROR]


def test_a_block_label_alone_with_empty_cells_is_not_a_row():
    truth = random_truth(random.Random(3), version=FormatVersion.V2021, year=2023)
    lines = render(truth).splitlines()
    at = next(i for i, line in enumerate(lines) if "逾期不补正" in line)
    lines.insert(at, "\t三、本年度办理结果\t\t\t\t\t\t\t\t")
    assert "ROW_MISSING" not in codes(check_text("\n".join(lines)))
    assert not [f for f in check_text("\n".join(lines)).findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize(
    ("label", "is_row"),
    [
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", True),
        ("(六)其他处理3.其他", True),
        ("（七）总计", True),
        ("三、本年度办理结果", False),  # a block's label: its rows follow
        ("（三）不予公开", False),
        ("项目", False),
        ("申请人情况", False),
        ("处理收费通知要求缴纳", False),  # a piece of a label wrapped over lines, in the middle of it
    ],
)
def test_only_a_rows_own_label_makes_an_empty_line_a_blank_row(label, is_row):
    from nianbao.parse.tables import _is_table3_label  # noqa: PLC0415 - the predicate itself

    assert _is_table3_label(label) is is_row
