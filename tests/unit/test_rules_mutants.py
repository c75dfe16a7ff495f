"""Paths of the rules and the spec that `make mutants` showed untested: where findings point, the
edges of the balance search, history rules past their first case, and the spec's own accessors.

Expected values are typed by hand (tests/unit/handmade.py's report, or small facts written here);
none is read from nianbao.spec or computed by the rule under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from nianbao.history import ChildFacts, History, YearFacts
from nianbao.model import Cell, CellKind, Origin, Report, Status
from nianbao.rules import balance, metadata, status_of, structure
from nianbao.rules.balance import bounds
from nianbao.rules.catalog import (
    body_unknown_message,
    column_name,
    finding,
    layout_spec,
    report_overdue_message,
    row_name,
)
from nianbao.rules.history import run_history
from nianbao.spec import FORMAT_2019, FORMAT_2021, FormatVersion, format_for_year, relations, section
from nianbao.spec.tables import RowSpec, _results
from tests.unit.handmade import (
    BASE,
    HEADINGS,
    as_2020,
    check,
    edit,
    findings,
    in_2019_layout,
    with_paragraph,
    with_row,
    with_table4,
)

pytestmark = pytest.mark.unit

INF = float("inf")


def line_of(text: str, line: str) -> int:
    """The 1-based number of ``line`` in ``text``."""
    return text.split("\n").index(line) + 1


# --- the spec, typed out ------------------------------------------------------------------------


def test_the_rows_that_results_total_sums_in_each_format():
    common = (
        "granted",
        "partial",
        "denied_1",
        "denied_2",
        "denied_3",
        "denied_4",
        "denied_5",
        "denied_6",
        "denied_7",
        "denied_8",
        "unable_1",
        "unable_2",
        "unable_3",
        "refused_1",
        "refused_2",
        "refused_3",
        "refused_4",
        "refused_5",
    )
    assert FORMAT_2021.table3.result_rows == (*common, "other_1", "other_2", "other_3")
    assert FORMAT_2019.table3.result_rows == (*common, "other")
    # the rule behind them: every row but the four of the application balance
    rows = tuple(
        RowSpec(key, key, ()) for key in ("new", "carried_in", "granted", "other", "results_total", "carried_out")
    )
    assert _results(rows) == ("granted", "other")


def test_the_balance_relations_of_the_2021_format():
    application, results, row_total, t4 = relations(FORMAT_2021.table3)
    assert [(r.code, r.table, r.title) for r in (application, results, row_total, t4)] == [
        ("T3_APPLICATION_BALANCE", "table3", "本年新收 + 上年结转 = 办理结果总计 + 结转下年度"),
        ("T3_RESULTS_TOTAL", "table3", "（七）总计 = 各项办理结果之和"),
        ("T3_ROW_TOTAL", "table3", "总计 = 六类申请人之和"),
        ("T4_TOTAL", "table4", "总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结"),
    ]
    columns = ["natural", "commercial", "research", "public_welfare", "legal_service", "other", "total"]
    first = application.equations[0]
    assert [eq.column for eq in application.equations] == columns
    assert (first.row, [(t.row, t.column) for t in first.stated], [(t.row, t.column) for t in first.parts]) == (
        None,
        [("results_total", "natural"), ("carried_out", "natural")],
        [("new", "natural"), ("carried_in", "natural")],
    )
    assert len(results.equations[6].parts) == 21  # 予以公开, 部分公开, 8 + 3 + 5 + 3 items
    assert len(row_total.equations) == 25
    assert [(t.row, t.column) for t in row_total.equations[0].parts] == [("new", c) for c in columns[:6]]
    assert [(eq.column, [t.column for t in eq.parts]) for eq in t4.equations] == [
        ("review_total", ["review_upheld", "review_corrected", "review_other", "review_pending"]),
        ("suit_total", ["suit_upheld", "suit_corrected", "suit_other", "suit_pending"]),
        (
            "post_review_suit_total",
            [
                "post_review_suit_upheld",
                "post_review_suit_corrected",
                "post_review_suit_other",
                "post_review_suit_pending",
            ],
        ),
    ]
    assert len(relations(FORMAT_2019.table3)[2].equations) == 23


def test_spec_accessors():
    assert [section(n).heading for n in range(1, 7)] == list(HEADINGS.values())
    assert FORMAT_2021.table3.row("carried_out").label == "四、结转下年度继续办理"
    assert FORMAT_2019.table3.row("other").label == "（六）其他处理"
    assert [b.item for b in FORMAT_2021.table2.blocks] == ["一", "五", "六", "八"]
    assert FORMAT_2019.table2.block("九") is not None
    assert FORMAT_2021.table2.block("九") is None
    assert [format_for_year(y).version for y in (2019, 2020, 2021, 2030)] == ["2019", "2019", "2021", "2021"]
    assert FORMAT_2021.label == "2021版格式（国办公开办函〔2021〕30号）"


def test_names_officials_read():
    assert row_name("table2", "procurement") == "第二十条第（九）项·政府集中采购"  # 2019's, asked in 2021
    assert row_name("table2", "normative_documents", FORMAT_2019) == "第二十条第（一）项·规范性文件"
    assert row_name("table3", "other") == "（六）其他处理"
    assert column_name("table2", "procurement_amount") == "采购总金额"
    assert column_name("table2", "decisions", FORMAT_2019) == "处理决定数量"
    assert column_name("table4", "post_review_suit_pending") == "行政诉讼·复议后起诉·尚未审结"
    # a key no format knows is shown as it is
    assert [row_name("table3", "x"), row_name("table2", "x"), row_name("table4", "cases")] == ["x", "x", "cases"]
    assert [column_name("table3", "x"), column_name("table4", "x"), column_name("table2", "x")] == ["x", "x", "x"]


@pytest.mark.parametrize(
    ("version", "year", "expected"),
    [
        (FormatVersion.V2019, 2023, "2019"),  # the layout it uses, whatever the year
        (FormatVersion.V2021, 2020, "2021"),
        (FormatVersion.UNKNOWN, 2020, "2019"),  # else the one its year requires
        (FormatVersion.UNKNOWN, 2021, "2021"),
        (FormatVersion.UNKNOWN, None, "2021"),
    ],
)
def test_layout_spec(version, year, expected):
    report = check(BASE).report.model_copy(update={"format": version, "year": year})
    assert layout_spec(report).version == expected


# --- bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, (0, INF)),
        (Cell(raw="3", kind=CellKind.NUMBER, value=3), (3, 3)),
        (Cell(raw="0", kind=CellKind.NUMBER, value=0), (0, 0)),
        (Cell(raw="4.0", kind=CellKind.NUMBER, value=Decimal("4.0")), (4, 4)),
        (Cell(raw="1.5", kind=CellKind.NUMBER, value=Decimal("1.5")), (0, INF)),
        (Cell(raw="-2", kind=CellKind.NUMBER, value=-2), (0, INF)),
        (Cell(raw="/", kind=CellKind.PLACEHOLDER), (0, INF)),
        (Cell(raw="约5", kind=CellKind.TEXT), (0, INF)),
    ],
)
def test_what_a_cell_can_stand_for(cell, expected):
    assert bounds(cell) == expected


# --- where findings point -----------------------------------------------------------------------


def test_findings_point_at_the_line_they_are_about():
    text = with_row("2.重复申请", (1, 0, 0, 0, 0, 0, 3))
    text = with_table4((3, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0), text)
    text = edit(text, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")
    text = edit(text, "行政规范性文件\t3", "规范性文件\t3")
    got = {(f.code, f.location.row): (f.location.section, f.location.line) for f in check(text).findings}
    assert got == {
        ("T3_ROW_TOTAL", "refused_2"): (3, line_of(text, "\t\t2.重复申请\t1\t0\t0\t0\t0\t0\t3")),
        # （七）总计 is where the stated side of the results' relation is printed
        ("T3_RESULTS_TOTAL", "results_total"): (3, line_of(text, "\t（七）总计\t10\t1\t1\t0\t0\t0\t12")),
        ("T4_TOTAL", "cases"): (4, line_of(text, "3\t0\t0\t1\t2\t0\t1\t0\t0\t1\t0\t0\t0\t0\t0")),
        ("FEE_STATEMENT_MISSING", None): (6, line_of(text, HEADINGS[6])),
        ("LABEL_NONSTANDARD", "normative_documents"): (2, line_of(text, "规范性文件\t3\t1\t12")),
    }


def test_an_application_balance_points_at_the_results_total_line():
    text = with_row("二、上年结转政府信息公开申请数量", (3, 0, 0, 0, 0, 0, 3))
    [natural, total] = [f for f in check(text).findings if f.code == "T3_APPLICATION_BALANCE"]
    assert (natural.location.line, natural.location.table) == (
        line_of(text, "\t（七）总计\t10\t1\t1\t0\t0\t0\t12"),
        "table3",
    )
    assert natural.evidence == (
        "（七）总计 10 1 1 0 0 0 12 / 四、结转下年度继续办理 1 1 0 0 0 1 3 / "
        "一、本年新收政府信息公开申请数量 10 2 1 0 0 1 14 / 二、上年结转政府信息公开申请数量 3 0 0 0 0 0 3"
    )
    assert total.location.column == "total"


def test_section_findings_point_at_the_heading():
    text = edit(BASE, "\n三、收到和处理", "\n二、收到和处理")
    thin = edit(text, BASE[BASE.index("我单位政府信息公开工作取得") : BASE.index("质效。") + 3], "无。")
    got = [(f.code, f.location.section, f.location.line) for f in check(thin).findings]
    assert got == [
        ("SECTION5_THIN", 5, line_of(thin, HEADINGS[5])),
        ("SECTION_ORDER", 3, line_of(thin, "二、收到和处理政府信息公开申请情况")),
    ]
    # and a missing section has no line to point at
    [missing] = check(edit(BASE, f"\n{HEADINGS[5]}\n", "\n")).findings
    assert (missing.location.section, missing.location.line) == (5, None)


def test_a_missing_table_3_has_no_line_and_an_empty_table_4_quotes_its_header():
    start = BASE.index("（本列数据的勾稽关系")
    [missing] = check(BASE[:start] + BASE[BASE.index(f"\n\n{HEADINGS[4]}") :]).findings
    assert (missing.code, missing.location.section, missing.location.table, missing.location.line) == (
        "TABLE_MISSING",
        3,
        "table3",
        None,
    )
    [empty] = check(edit(BASE, "\n1\t0\t0\t1\t2\t0\t1\t0\t0\t1\t0\t0\t0\t0\t0\n", "\n")).findings
    assert empty.evidence == (
        "行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
        "结果维持结果纠正其他结果尚未审结总计结果维"
    )
    assert len(empty.evidence) == 60
    assert empty.location.line == line_of(BASE, "行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t")


# --- the balance search --------------------------------------------------------------------------


def test_two_ambiguous_rows_are_searched_together():
    # Given 予以公开 and 部分公开 each printed a cell short: placements exist that balance each column
    text = with_row("（一）予以公开", (5, 1, 0, 0, 0, 6))
    text = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (1, 0, 0, 0, 0, 1), text)
    assert [c for c, _ in findings(text)] == ["ROW_SHAPE", "ROW_SHAPE"]
    # But when neither placement of the two can make the 总计 column add up, the relation fails
    text = with_row("（一）予以公开", (5, 1, 0, 0, 0, 9))
    text = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (1, 0, 0, 0, 0, 9), text)
    codes = [c for c, _ in findings(text)]
    assert codes.count("T3_RESULTS_TOTAL") == 1
    assert codes.count("ROW_SHAPE") == 2


def test_too_many_combinations_are_left_uncertain():
    # Given every result row of 自然人 printed a cell short with numbers that cannot balance: 7^21
    # combinations, past the search's limit, and interval bounds alone do not rule them out
    text = BASE
    for label in ("（一）予以公开", "4.保护第三方合法权益", "1.本机关不掌握相关政府信息", "2.重复申请"):
        text = with_row(label, (1, 0, 0, 0, 0, 9), text)
    shapes = [c for c, _ in findings(text)]
    assert shapes.count("ROW_SHAPE") == 4
    assert "T3_RESULTS_TOTAL" in shapes  # 4 rows: 7^4 = 2,401 combinations are searched


# --- history ------------------------------------------------------------------------------------

_ZERO = [0, 0, 0, 0, 0, 0, 0]


def facts(year: int, *, table3=None, cells=None, evidence=None) -> YearFacts:
    rows = {key: list(_ZERO) for key in ("new", "carried_in", "results_total", "carried_out")} | (table3 or {})
    return YearFacts(
        year=year, format="2021", agency="河西区人民政府", table3=rows, cells=cells or {}, evidence=evidence or {}
    )


def totals(**values: int) -> dict[str, list[int]]:
    return {key: [0, 0, 0, 0, 0, 0, v] for key, v in values.items()}


def test_hierarchy_sum_checks_every_row_after_one_that_adds_up():
    children = [ChildFacts(body_id="a", name="甲镇", facts=facts(2023, table3=totals(new=2, results_total=2)))]
    current = facts(
        2023,
        table3=totals(new=2, results_total=5),
        cells={"table3.results_total.total": Origin(line=40, page=3)},
        evidence={"table3.results_total": "（七）总计 0 0 0 0 0 0 5"},
    )
    [found] = run_history(current, History(children=children, sums_children=True))
    assert found.message == (
        "表三“（七）总计”的总计为5，而下属1个机关2023年度报告中该项总计之和为2（甲镇2）；汇总报告的数字应等于下属机关报告之和。"
    )
    assert (found.location.section, found.location.table, found.location.row, found.location.column) == (
        3,
        "table3",
        "results_total",
        "total",
    )
    assert (found.location.line, found.location.page, found.evidence) == (40, 3, "（七）总计 0 0 0 0 0 0 5")


@pytest.mark.parametrize(("count", "more"), [(5, ""), (6, "等")])
def test_hierarchy_sum_names_five_children_and_says_when_there_are_more(count, more):
    names = ["甲镇", "乙镇", "丙镇", "丁镇", "戊镇", "己镇"][:count]
    children = [ChildFacts(body_id=n, name=n, facts=facts(2023, table3=totals(new=1))) for n in names]
    [found] = run_history(facts(2023, table3=totals(new=9)), History(children=children, sums_children=True))
    assert found.message == (
        f"表三“一、本年新收政府信息公开申请数量”的总计为9，而下属{count}个机关2023年度报告中该项总计之和为{count}"
        f"（甲镇1、乙镇1、丙镇1、丁镇1、戊镇1{more}）；汇总报告的数字应等于下属机关报告之和。"
    )


def test_hierarchy_sum_shortens_a_long_name():
    name = "河西区" + "某" * 70 + "局"
    children = [ChildFacts(body_id="a", name=name, facts=facts(2023, table3=totals(new=1)))]
    [found] = run_history(facts(2023, table3=totals(new=2)), History(children=children, sums_children=True))
    assert "河西区" + "某" * 60 + "…1）" in found.message
    assert name not in found.message


def test_carryover_points_at_the_cell_and_quotes_the_row():
    previous = facts(2022, table3={"carried_out": [1, 0, 0, 0, 0, 0, 1]})
    current = facts(
        2023,
        table3={"carried_in": [1, 0, 0, 0, 0, 0, 2]},
        cells={"table3.carried_in.total": Origin(line=31)},
        evidence={"table3.carried_in": "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 2"},
    )
    [found] = run_history(current, History(previous=previous))
    assert (found.location.line, found.location.column, found.evidence) == (
        31,
        "total",
        "二、上年结转政府信息公开申请数量 1 0 0 0 0 0 2",
    )


# --- boxes on the page --------------------------------------------------------------------------
# Text has lines and no boxes; a PDF's cells have both. Here every cell of the parsed handmade
# report is given a box by hand: column c of the row read from line n is x 100 + 50c to 140 + 50c,
# top 10n to bottom 10n + 8, on page 1 of a 600 x 900 page. In user space (y up from the bottom):
# (100 + 50c, 892 - 10n, 140 + 50c, 900 - 10n).


def boxed(text: str) -> Report:
    report = check(text).report
    for table in (report.table2, report.table3, report.table4):
        assert table is not None
        for row in table.rows.values():
            line = row.origin.line
            assert line is not None
            row.placements = [
                tuple(
                    cell.model_copy(
                        update={
                            "origin": Origin(
                                line=line,
                                page=1,
                                bbox=(100 + 50 * c, 10 * line, 140 + 50 * c, 10 * line + 8),
                                page_size=(600, 900),
                            )
                        }
                    )
                    for c, cell in enumerate(placement)
                )
                for placement in row.placements
            ]
    return report


def test_an_application_balance_box_holds_both_stated_cells():
    text = with_row("二、上年结转政府信息公开申请数量", (3, 0, 0, 0, 0, 0, 3))
    results = line_of(text, "\t（七）总计\t10\t1\t1\t0\t0\t0\t12")
    carried_out = line_of(text, "四、结转下年度继续办理\t\t1\t1\t0\t0\t0\t1\t3")
    assert carried_out == results + 1
    [natural, total] = [f for f in balance.check(boxed(text)) if f.code == "T3_APPLICATION_BALANCE"]
    # column 0 of both rows: from the top of （七）总计 to the bottom of 结转下年度
    assert (natural.location.page, natural.location.bbox) == (1, (100, 892 - 10 * carried_out, 140, 900 - 10 * results))
    assert total.location.bbox == (400, 892 - 10 * carried_out, 440, 900 - 10 * results)


def test_a_cell_finding_has_the_cells_box():
    text = with_row("（一）予以公开", (5, "约1", 0, 0, 0, 0, 6))
    line = line_of(text, "三、本年度办理结果\t（一）予以公开\t5\t约1\t0\t0\t0\t0\t6")
    [invalid] = [f for f in structure.check(boxed(text)) if f.code == "CELL_INVALID"]
    assert (invalid.location.line, invalid.location.bbox) == (line, (150, 892 - 10 * line, 190, 900 - 10 * line))


def test_a_folded_blank_column_has_the_box_of_its_cells():
    # Given Table 2's 本年制发件数 left blank in both rows of item 一
    text = edit(edit(BASE, "规章\t0\t0\t0", "规章\t/\t0\t0"), "行政规范性文件\t3\t1\t12", "行政规范性文件\t/\t1\t12")
    first, second = line_of(text, "规章\t/\t0\t0"), line_of(text, "行政规范性文件\t/\t1\t12")
    [blank] = [f for f in structure.check(boxed(text)) if f.code == "CELL_BLANK"]
    assert blank.message == "表二“本年制发件数”列全部未填写数字（共2行），应填写数字，没有的填0。"
    assert (blank.location.row, blank.location.column, blank.location.line) == (None, "issued", first)
    assert blank.location.bbox == (100, 892 - 10 * second, 140, 900 - 10 * first)


def test_a_whole_blank_row_has_the_box_of_its_cells():
    text = with_row("（一）予以公开", ("/", "/", "/", "/", "/", "/", "/"))
    line = line_of(text, "三、本年度办理结果\t（一）予以公开\t/\t/\t/\t/\t/\t/\t/")
    [blank] = [f for f in structure.check(boxed(text)) if f.code == "CELL_BLANK"]
    assert blank.location.bbox == (100, 892 - 10 * line, 440, 900 - 10 * line)


# --- the balance search, at its edges ------------------------------------------------------------


def test_a_stated_row_a_cell_short_that_some_placement_balances_gives_no_balance_finding():
    # Given （七）总计 printed 10 1 1 0 0 12: a 0 is missing somewhere, and with the gap in any of the
    # three zero columns every relation holds
    assert [c for c, _ in findings(with_row("（七）总计", (10, 1, 1, 0, 0, 12)))] == ["ROW_SHAPE"]


def test_two_rows_a_cell_short_on_both_sides_of_the_application_balance():
    # Given 新收 (10 2 1 0 1 14) and 结转下年度 (1 1 0 0 1 3) each printed a 0 short
    text = with_row("一、本年新收政府信息公开申请数量", (10, 2, 1, 0, 1, 14))
    text = with_row("四、结转下年度继续办理", (1, 1, 0, 0, 1, 3), text)
    assert [c for c, _ in findings(text)] == ["ROW_SHAPE", "ROW_SHAPE"]


def test_a_row_of_placeholders_a_cell_short_is_searched_with_the_others():
    text = with_row("（一）予以公开", (5, 1, 0, 0, 0, 6))
    text = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("/",) * 6, text)
    assert [c for c, _ in findings(text)] == ["ROW_SHAPE", "ROW_SHAPE"]


def test_past_the_search_limit_a_relation_is_left_uncertain():
    # Given five result rows printed 1 0 0 0 0 9 (a cell short): 7^5 = 16,807 combinations, more
    # than the search takes on; with four such rows (2,401) the search shows the relation fails
    labels = ["（一）予以公开", "4.保护第三方合法权益", "1.本机关不掌握相关政府信息", "2.重复申请"]
    four = BASE
    for label in labels:
        four = with_row(label, (1, 0, 0, 0, 0, 9), four)
    five = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (1, 0, 0, 0, 0, 9), four)
    assert [c for c, _ in findings(four)] == ["T3_RESULTS_TOTAL"] + ["ROW_SHAPE"] * 4
    assert [c for c, _ in findings(five)] == ["ROW_SHAPE"] * 5


def test_a_side_known_only_from_below_is_shown_as_at_least():
    # Given 社会公益组织: 予以公开 1 and 部分公开 blank, against a （七）总计 of 0
    text = with_row("（一）予以公开", (5, 1, 0, 1, 0, 0, 7))
    text = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (1, 0, 0, "/", 0, 0, 1), text)
    [column] = [
        f for f in check(text).findings if f.code == "T3_RESULTS_TOTAL" and f.location.column == "public_welfare"
    ]
    assert column.message == "表三“社会公益组织”列：“（七）总计”为0，但各项办理结果之和为至少1。"
    assert (column.expected, column.actual) == (None, 0)


def test_the_evidence_of_a_balance_finding_quotes_the_rows_that_matter():
    # Given 予以公开 raised by 3 for 商业企业 and 部分公开's 商业企业 cell blank
    text = with_row("（一）予以公开", (5, 4, 0, 0, 0, 0, 9))
    text = with_row("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (1, "/", 0, 0, 0, 0, 1), text)
    [commercial, total] = [f for f in check(text).findings if f.code == "T3_RESULTS_TOTAL"]
    # the stated row, then only the parts holding a count in that column (the blank one is not)
    assert commercial.message == "表三“商业企业”列：“（七）总计”为1，但各项办理结果之和为至少4。"
    assert commercial.evidence == "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 5 4 0 0 0 0 9"
    # four rows at most, then an ellipsis
    assert total.evidence == (
        "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 5 4 0 0 0 0 9 / "
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 / 0 0 0 0 1 / "
        "4.保护第三方合法权益 1 0 0 0 0 0 1 / ……"
    )


def test_the_evidence_of_an_ambiguous_row_is_quoted_whatever_it_holds():
    text = with_row("2.重复申请", (1, 2, 1, 2, 1, 2, 1, 2))
    evidence = {f.location.column: f.evidence for f in check(text).findings if f.code == "T3_RESULTS_TOTAL"}
    assert (
        evidence["commercial"]
        == "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 5 1 0 0 0 0 6 / 2.重复申请 1 2 1 2 1 2 1 2"
    )
    assert evidence["other"] == "（七）总计 10 1 1 0 0 0 12 / 2.重复申请 1 2 1 2 1 2 1 2"


def test_a_nonstandard_label_quotes_what_was_printed():
    text = edit(BASE, "\t社会公益组织\t", "\t社会组织\t")
    [note] = check(text).findings
    assert (note.evidence, note.location.section, note.location.table, note.location.line) == (
        "社会组织",
        3,
        "table3",
        line_of(text, "\t\t\t商业企业\t科研机构\t社会组织\t法律服务机构\t其他\t\t") - 2,  # the header's first line
    )


def test_a_report_overdue_message_shortens_a_long_name():
    name = "河西区" + "某" * 70 + "局"
    message = report_overdue_message(name, 2023, date(2024, 1, 31))
    assert message.startswith("河西区" + "某" * 60 + "…应于2024年1月31日前发布")


def test_a_relation_broken_by_four_rows_names_three_and_says_there_are_more():
    text = BASE
    for label in ("（一）予以公开", "4.保护第三方合法权益", "1.本机关不掌握相关政府信息", "2.重复申请"):
        text = with_row(label, (1, 0, 0, 0, 0, 9), text)
    [relation] = [f for f in check(text).findings if f.code == "T3_RESULTS_TOTAL"]
    assert relation.message == (
        "表三的勾稽关系“（七）总计 = 各项办理结果之和”不成立：“（一）予以公开”“4.保护第三方合法权益”"
        "“1.本机关不掌握相关政府信息”等行的数值个数与列数不符，无法确定数值对应的列，但无论怎样排列，"
        "总有一列不平衡（例如各行数值靠左排列时，表三“自然人”列：“（七）总计”为10，但各项办理结果之和为5）。"
    )
    assert (relation.location.row, relation.location.line) == (
        "results_total",
        line_of(text, "\t（七）总计\t10\t1\t1\t0\t0\t0\t12"),
    )
    assert relation.evidence == (
        "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 1 0 0 0 0 9 / "
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1 / 4.保护第三方合法权益 1 0 0 0 0 9 / ……"
    )


# --- narrative and metadata: evidence, lines, edges ----------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "evidence"),
    [
        (
            "自2023年1月1日起至2023年12月31日止",
            "自2022年1月1日起至2022年12月31日止",
            3,
            "2022年1月1日起至2022年12月31日",
        ),
        (
            "自2023年1月1日起至2023年12月31日止",
            "自2023年1月1日起至2024年12月31日止",
            3,
            "2023年1月1日起至2024年12月31日（起止年份不一致）",
        ),
        ("2024年1月6日", "2023年6月1日", 76, "2023年6月1日"),
        (
            "我单位政府信息公开工作取得",
            "2025年，我单位政府信息公开工作取得",  # two years on, even in section 五, is no plan
            68,
            "2025年，我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开",
        ),
    ],
)
def test_a_year_mismatch_points_at_its_line_and_quotes_it(old, new, line, evidence):
    text = edit(BASE, old, new)
    assert line == line_of(text, next(x for x in text.split("\n") if new in x))
    [mismatch] = check(text).findings
    assert (mismatch.code, mismatch.location.line, mismatch.evidence) == ("YEAR_MISMATCH", line, evidence)


def test_next_years_work_opening_section_6_is_no_mismatch():
    text = edit(BASE, "（一）信息处理费收取情况。", "2024年1月，本机关公开了上年度报告。（一）信息处理费收取情况。")
    assert findings(text) == []


def test_late_and_missing_fee_findings_quote_what_they_are_about():
    [late] = check(edit(BASE, "2024年1月6日", "2024年2月1日")).findings
    assert (late.location.line, late.evidence) == (76, "2024年2月1日")
    [fee] = check(edit(BASE, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")).findings
    assert (fee.location.line, fee.evidence) == (
        line_of(BASE, HEADINGS[6]),
        "(一)其他事项。无。 (二)认真落实2023年政务公开工作要点,按时办理人大代表建议和政协提案。 河西区民政局2024年",
    )


def test_the_2019_layout_in_2021_is_outdated_and_owes_the_fee_statement():
    text = in_2019_layout(edit(BASE, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。"))
    for old, new in [
        ("2023年政府信息公开", "2021年政府信息公开"),
        ("2023年1月1日起至2023年12月31日", "2021年1月1日起至2021年12月31日"),
        ("2024年1月6日", "2022年1月6日"),
        ("2023年，河西区", "2021年，河西区"),
        ("落实2023年政务", "落实2021年政务"),
    ]:
        text = edit(text, old, new)
    result = check(text)
    assert [f.code for f in result.findings] == ["FORMAT_OUTDATED", "FEE_STATEMENT_MISSING"]
    assert result.findings[0].message.startswith("2021年度报告应使用2021版格式")
    assert (result.findings[0].location.table, result.findings[0].location.line) == ("table2", 13)


def test_a_thin_section5_quotes_its_first_sixty_characters():
    long = (
        "我单位政府信息公开工作总体运行平稳，各项工作按照计划有序推进，群众满意度较好，"
        "本年度各项任务均已按时完成，取得了较好的社会效果。"
    )
    section5 = BASE[BASE.index("我单位政府信息公开工作取得") : BASE.index("质效。") + 3]
    [thin] = check(edit(BASE, section5, long)).findings
    assert thin.message == "第五部分“存在的主要问题及改进情况”内容单薄：没有写存在的问题；没有写改进措施。"
    assert thin.evidence == (
        "我单位政府信息公开工作总体运行平稳,各项工作按照计划有序推进,群众满意度较好,"
        "本年度各项任务均已按时完成,取得了较好的社"
    )


def test_a_two_character_body_name_is_a_name():
    assert (
        findings(edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", "某局2023年政府信息公开工作年度报告")) == []
    )


def test_a_count_of_one_against_a_missing_table_is_reported_at_its_line():
    no_table4 = BASE[: BASE.index("\n行政复议\t")] + BASE[BASE.index("\n\n五、存在的主要问题") :]
    text = with_paragraph(1, "被申请行政复议1件。", no_table4)
    mismatch = [f for f in check(text).findings if f.code == "TEXT_TABLE_MISMATCH"]
    assert [(f.message, f.location.line, f.actual, f.evidence) for f in mismatch] == [
        ("第一部分写道“被申请行政复议1件”，但表四缺失。", line_of(text, "被申请行政复议1件。"), 1, "被申请行政复议1件")
    ]


def test_the_deadline_follows_the_body_named_by_the_agency_or_by_the_title():
    report = check(BASE).report
    cases = [
        (None, "青川县人民政府2023年政府信息公开工作年度报告", 3),  # the title's name
        ("青川县人民政府", "2023年政府信息公开工作年度报告", 3),  # the agency's
        ("河西区档案馆", "河西区档案馆2023年政府信息公开工作年度报告", 1),  # neither a government nor a department
        ("清水镇人民政府", "清水镇人民政府2023年政府信息公开工作年度报告", 1),
        ("河西区民政局", "河西区民政局2023年政府信息公开工作年度报告", 1),
    ]
    for agency, title, month in cases:
        assert metadata.deadline(report.model_copy(update={"agency": agency, "title": title})) == date(2024, month, 31)
    assert metadata.deadline(report.model_copy(update={"year": None})) is None


def test_the_format_finding_points_at_the_first_table_printed():
    # Given the 2019 layout with section 三 (and Table 3) printed before section 二
    text = in_2019_layout()
    two = text[text.index(f"\n{HEADINGS[2]}\n") : text.index(f"\n{HEADINGS[3]}\n")]
    three = text[text.index(f"\n{HEADINGS[3]}\n") : text.index(f"\n{HEADINGS[4]}\n")]
    text = edit(text, two + three, three + two)
    [outdated] = [f for f in check(text).findings if f.code == "FORMAT_OUTDATED"]
    assert (outdated.location.section, outdated.location.table) == (3, "table3")


# --- more edges: rows, cells and blanks ---------------------------------------------------------


def test_numbers_with_no_row_are_reported_where_they_were_printed():
    text = edit(BASE, "\n\t\t3.其他\t0\t0\t0\t0\t0\t0\t0\n", "\n\t\t3.其他\t0\t0\t0\t0\t0\t0\t0\n7\t8\n")
    line = line_of(text, "7\t8")
    [stray] = check(text).findings
    assert (stray.code, stray.message, stray.evidence) == (
        "ROW_SHAPE",
        f"表三第{line}行的数字“7 8”没有行名，也接不上前一行，无法确定属于哪一行，已略去；请核对原文。",
        "7 8",
    )
    assert (stray.location.section, stray.location.table, stray.location.line) == (3, "table3", line_of(text, "7\t8"))


def test_each_invalid_cell_of_a_row_that_cannot_be_placed_is_named():
    result = check(with_row("（一）予以公开", (5, "约1", 0, "-2", 0, 6)))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.location.column) for f in invalid] == [
        ("表三“（一）予以公开”行的“约1”不是数字。", None),
        ("表三“（一）予以公开”行的“-2”是负数，该栏只能填写非负数。", None),
    ]


def test_an_invalid_cell_dropped_by_the_first_placement_is_still_found():
    # Given eight cells for seven columns, the last not a number: the first placement drops it
    result = check(with_row("2.重复申请", (1, 0, 0, 0, 0, 0, 1, "约1")))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.evidence) for f in invalid] == [
        ("表三“2.重复申请”行的“约1”不是数字。", "2.重复申请 1 0 0 0 0 0 1 约1")
    ]


def test_the_2019_layout_names_its_own_rows_and_columns():
    text = as_2020(in_2019_layout())
    assert findings(edit(text, "行政许可\t20\t-2\t25", "行政许可\t20\t-2\t2.5")) == [
        ("CELL_INVALID", "表二“第二十条第（五）项·行政许可”行“处理决定数量”列的“2.5”不是整数，该栏应填写件数。")
    ]
    assert findings(edit(text, "行政许可\t20\t-2\t25", "行政许可\t20\t-2\t/")) == [
        ("CELL_BLANK", "表二“第二十条第（五）项·行政许可”行“处理决定数量”列填写了“/”，应填写数字，没有的填0。")
    ]
    assert findings(edit(text, "\n规范性文件\t3\t3\t12\n", "\n")) == [
        ("ROW_MISSING", "表二缺少“第二十条第（一）项·规范性文件”一行。")
    ]
    # a row of two cells, both blank, is one finding
    assert findings(edit(text, "行政事业性收费\t3\t0", "行政事业性收费\t/\t/")) == [
        ("CELL_BLANK", "表二“第二十条第（八）项·行政事业性收费”行全部未填写数字，应填写数字，没有的填0。")
    ]
    # a value whose column is unknown is held to what any column takes: a count
    assert findings(edit(text, "行政许可\t20\t-2\t25", "行政许可\t20\t-2")) == [
        ("CELL_INVALID", "表二“第二十条第（五）项·行政许可”行的“-2”是负数，该栏只能填写非负数。"),
        (
            "ROW_SHAPE",
            "表二“行政许可”行有2个单元格，应为3个；缺少的数值位置不明，无法确定各数值对应的列，"
            "涉及这些数值的核对将按所有可能的排列进行。",
        ),
    ]


def test_a_one_cell_row_left_blank_is_named_by_its_cell():
    assert findings(edit(BASE, "行政许可\t25", "行政许可\t/")) == [
        ("CELL_BLANK", "表二“第二十条第（五）项·行政许可”行“本年处理决定数量”列填写了“/”，应填写数字，没有的填0。")
    ]


def test_blanks_in_several_rows_are_named_row_by_row():
    text = with_row("2.重复申请", ("/",) * 7, with_row("（一）予以公开", ("/",) * 7))
    assert [(f.message, f.evidence) for f in check(text).findings] == [
        ("表三“（一）予以公开”行全部未填写数字，应填写数字，没有的填0。", "（一）予以公开 / / / / / / /"),
        ("表三“2.重复申请”行全部未填写数字，应填写数字，没有的填0。", "2.重复申请 / / / / / / /"),
    ]
    text = with_row("2.重复申请", (1, 0, "/", 0, 0, 0, 1), with_row("（一）予以公开", (5, "/", 0, 0, 0, 0, 6)))
    assert [(f.message, f.evidence) for f in check(text).findings] == [
        ("表三“（一）予以公开”行“商业企业”列填写了“/”，应填写数字，没有的填0。", "（一）予以公开 5 / 0 0 0 0 6"),
        ("表三“2.重复申请”行“科研机构”列填写了“/”，应填写数字，没有的填0。", "2.重复申请 1 0 / 0 0 0 1"),
    ]


def test_a_row_total_off_by_one_under_every_placement_fails():
    # Given 2.重复申请 printed 2 0 0 0 0 0 0 3: dropping the first cell gives 总计 3 for parts 0,
    # the last 总计 0 for 2, any other 总计 3 for 2: never equal, in the middle ones by 1 only
    [row] = [f for f in check(with_row("2.重复申请", (2, 0, 0, 0, 0, 0, 0, 3))).findings if f.code == "T3_ROW_TOTAL"]
    assert row.message == (
        "表三“2.重复申请”行：“总计”为0，但六类申请人之和为2。（该行或相关行的数值个数与列数不符，但无论怎样排列都不相等）"
    )


def test_a_report_without_any_table():
    text = (
        BASE[: BASE.index("第二十条第（一）项")]
        + BASE[BASE.index("\n\n三、收到和处理") : BASE.index("（本列数据的勾稽关系")]
    )
    text += BASE[BASE.index("\n\n四、政府信息公开行政复议") : BASE.index("\n行政复议\t")]
    text += BASE[BASE.index("\n\n五、存在的主要问题") :]
    assert [c for c, _ in findings(text)] == ["TABLE_MISSING", "TABLE_MISSING", "TABLE_MISSING"]


def test_a_nonstandard_heading_quotes_itself_at_its_line():
    text = edit(BASE, "五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况")
    [note] = check(text).findings
    assert (note.evidence, note.location.line) == (
        "五、政府信息公开工作存在的主要问题及改进情况",
        line_of(text, "五、政府信息公开工作存在的主要问题及改进情况"),
    )
    [order] = check(edit(BASE, "\n三、收到和处理", "\n二、收到和处理")).findings
    assert order.evidence == "二、收到和处理政府信息公开申请情况"


def test_title_and_article_50_findings_point_at_their_lines():
    [title] = check(
        edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", "河西区民政局政府信息公开工作年度报告")
    ).findings
    assert title.location.line == 1
    government = edit(BASE, "将政务公开纳入年度绩效考核，本年度未发生责任追究情况。", "定期召开工作会议。")
    government = government.replace("河西区民政局", "河西区人民政府")
    [art50] = check(government).findings
    assert (art50.location.section, art50.location.line) == (5, line_of(government, HEADINGS[5]))


# --- claims: other years, order, unknown totals ---------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "reported"),
    [
        ("上年度收到政府信息公开申请57件。", False),
        ("去年收到政府信息公开申请57件。", False),
        ("2022年收到政府信息公开申请31件。", False),
        ("2023年收到政府信息公开申请31件。", True),  # this year, named
        ("全年共收到政府信息公开申请20件与2022年持平。", True),  # the other year comes after the count
        ("其中网上申请3件，全年共收到政府信息公开申请20件。", True),  # a breakdown first, then the total
    ],
)
def test_counts_of_other_years_are_left_alone(sentence, reported):
    assert bool(findings(with_paragraph(1, sentence))) is reported


def test_a_repeated_claim_does_not_hide_the_next_kind():
    text = with_paragraph(1, "全年共收到政府信息公开申请14件。全年共收到政府信息公开申请14件。被申请行政复议6件。")
    assert findings(text) == [("TEXT_TABLE_MISMATCH", "第一部分写道“被申请行政复议6件”，但表四行政复议的总计为2。")]


def test_a_claim_against_totals_that_cannot_be_known_says_nothing():
    # Table 4's 行政复议 总计 and one of its parts blank: the reviews are unknown
    text = with_table4((1, "/", 0, 1, "/", 0, 1, 0, 0, 1, 0, 0, 0, 0, 0), with_paragraph(1, "被申请行政复议6件。"))
    assert [c for c, _ in findings(text)] == ["CELL_BLANK", "CELL_BLANK"]
    # 上年结转's 总计 and one part blank: 受理 15 can no longer be 14 + 1, and 14 is what is known
    text = with_row(
        "二、上年结转政府信息公开申请数量",
        ("/", 0, 0, 0, 0, 0, "/"),
        with_paragraph(1, "本年度受理政府信息公开申请15件。"),
    )
    assert [m for c, m in findings(text) if c == "TEXT_TABLE_MISMATCH"] == [
        "第一部分写道“本年度受理政府信息公开申请15件”，但表三“本年新收政府信息公开申请数量”的总计为14。"
    ]


def test_a_mismatch_points_at_the_sentence_and_gives_one_expected_value_only():
    text = with_paragraph(3, "全年共收到政府信息公开申请20件。")
    [one] = check(text).findings
    assert (one.location.line, one.expected) == (line_of(text, "全年共收到政府信息公开申请20件。"), 14)
    text = with_row(
        "一、本年新收政府信息公开申请数量", (10, 2, 1, 0, 1, 14), with_paragraph(1, "全年共收到政府信息公开申请20件。")
    )
    [several] = [f for f in check(text).findings if f.code == "TEXT_TABLE_MISMATCH"]
    assert (several.expected, several.actual) == (None, 20)


# --- order and status ---------------------------------------------------------------------------


def test_findings_of_one_severity_come_by_section_then_line():
    # Given a late date (no section), a wrong count written in section 三 above its table, and a
    # blank cell further down in that table: all three warnings
    text = edit(BASE, "2024年1月6日", "2024年2月1日")
    text = with_row(
        "（一）予以公开", (5, "/", 0, 0, 0, 0, 6), with_paragraph(3, "全年共收到政府信息公开申请20件。", text)
    )
    assert [f.code for f in check(text).findings] == ["PUBLISHED_LATE", "TEXT_TABLE_MISMATCH", "CELL_BLANK"]
    # and two findings at the very start: the title's line 1 before a finding with no line
    [first, second] = check(
        edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", "河西区民政局政府信息公开工作年度报告").replace(
            "\n2024年1月6日", "\n2024年2月1日"
        )
    ).findings
    assert [(first.code, first.location.line), (second.code, second.location.line)] == [
        ("TITLE_INCOMPLETE", 1),
        ("PUBLISHED_LATE", 76),
    ]


def test_an_unreadable_input_has_its_own_status():
    assert status_of([finding("INPUT_UNREADABLE", "文件无法读取。")]) is Status.UNREADABLE
    assert status_of([finding("NO_TEXT_LAYER", "扫描件。")]) is Status.UNREADABLE
    assert status_of([finding("CELL_BLANK", "空。"), finding("DATE_MISSING", "无日期。")]) is Status.WARN


def test_history_findings_of_one_section_come_by_line():
    current = YearFacts(
        year=2023,
        format="2021",
        table2={"regulations": [1, 0, 9], "normative_documents": [1, 0, 9]},
        cells={"table2.regulations.2": Origin(line=20), "table2.normative_documents.2": Origin(line=10)},
    )
    previous = YearFacts(year=2022, format="2021", table2={"regulations": [0, 0, 4], "normative_documents": [0, 0, 4]})
    found = run_history(current, History(previous=previous))
    assert [(f.location.row, f.location.line) for f in found] == [("normative_documents", 10), ("regulations", 20)]


# --- history: rows after an unknown one, evidence, long names ------------------------------------


def test_in_force_continuity_checks_the_next_row_after_an_unknown_one_and_quotes_it():
    current = YearFacts(
        year=2023,
        format="2021",
        table2={"regulations": [None, 0, 4], "normative_documents": [3, 1, 12]},
        evidence={"table2.normative_documents": "行政规范性文件 3 1 12"},
    )
    previous = YearFacts(year=2022, format="2021", table2={"regulations": [0, 0, 4], "normative_documents": [2, 0, 9]})
    [found] = run_history(current, History(previous=previous))
    assert (found.location.row, found.evidence) == ("normative_documents", "行政规范性文件 3 1 12")


def test_hierarchy_sum_checks_the_next_row_after_an_unknown_one():
    children = [ChildFacts(body_id="a", name="甲镇", facts=facts(2023, table3=totals(new=2, carried_in=1)))]
    current = facts(2023, table3={"new": [0, 0, 0, 0, 0, 0, None], **totals(carried_in=3)})
    [found] = run_history(current, History(children=children, sums_children=True))
    assert (found.location.row, found.expected, found.actual) == ("carried_in", 1, 3)


def test_body_unknown_shortens_long_names():
    long = "河西区" + "某" * 70 + "局"
    message = body_unknown_message(long, [long])
    assert message == (
        f"报告中的机关名称“河西区{'某' * 60}…”与名册中的机关均不匹配；最接近的有：河西区{'某' * 60}…。"
        "如为同一机关，请在名册中为其添加别名。"
    )


# --- a rule goes on after what it skips ----------------------------------------------------------


def test_table_4_is_balanced_even_when_table_3_is_empty():
    start = BASE.index("\n一、本年新收")
    text = BASE[:start] + BASE[BASE.index(f"\n\n{HEADINGS[4]}") :]
    text = with_table4((3, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0), text)
    assert [c for c, _ in findings(text)] == ["TABLE_EMPTY", "T4_TOTAL"]


def test_a_zero_claim_does_not_end_the_prose():
    text = with_paragraph(1, "本年度未收到政府信息公开申请。被申请行政复议6件。")
    assert [m for _, m in findings(text)] == [
        "第一部分写道“本年度未收到政府信息公开申请”，但表三“本年新收政府信息公开申请数量”的总计为14。",
        "第一部分写道“被申请行政复议6件”，但表四行政复议的总计为2。",
    ]


def test_year_statements_after_one_that_is_skipped_are_still_read():
    text = edit(BASE, "2023年，河西区民政局认真", "2019年以来，河西区民政局认真")
    text = edit(text, "我单位政府信息公开工作取得", "2022年，我单位政府信息公开工作取得")
    assert [(f.code, f.location.section) for f in check(text).findings] == [("YEAR_MISMATCH", 5)]
    text = edit(BASE, "我单位政府信息公开工作取得", "2024年，我单位政府信息公开工作取得")  # a plan, skipped
    text = edit(text, "（一）信息处理费收取情况。", "2022年，（一）信息处理费收取情况。")
    assert [(f.code, f.location.section) for f in check(text).findings] == [("YEAR_MISMATCH", 6)]


def test_a_stale_year_opening_two_sections_is_one_finding():
    text = edit(BASE, "2023年，河西区民政局认真", "2022年，河西区民政局认真")
    text = edit(text, "我单位政府信息公开工作取得", "2022年，我单位政府信息公开工作取得")
    assert [(f.code, f.location.section) for f in check(text).findings] == [("YEAR_MISMATCH", 1)]


def test_a_stale_year_opening_the_report_is_at_its_start():
    text = with_paragraph(None, "2022年，本机关认真贯彻落实条例。")
    [stale] = check(text).findings
    assert stale.message == (
        "报告开头写道“2022年，本机关认真贯彻落实条例”，把2022年当作本年度，而这是2023年度的报告（可能沿用了其他年度报告的文字）。"
    )


def test_format_and_relation_findings_name_their_table():
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith("信息内容"))
    [unknown] = check(edit(text, "第二十条第（八）项", "第二十条第（九）项")).findings
    assert (unknown.location.section, unknown.location.table, unknown.location.line) == (2, "table2", 13)
    [relation] = [
        f for f in check(with_row("（一）予以公开", (6, 0, 0, 0, 0, 0))).findings if f.code == "T3_RESULTS_TOTAL"
    ]
    assert (relation.location.section, relation.location.table) == (3, "table3")
