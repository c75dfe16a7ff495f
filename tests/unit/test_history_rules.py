"""The cross-year and cross-body rules (nianbao.rules.history): pure functions of this year's facts
and the history the caller passes in. Hand-written facts first, then chains of synthetic years
rendered and read back."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.check import check_bytes, unreadable
from nianbao.contract import report_dict
from nianbao.history import PROSE_LIMIT, ChildFacts, History, YearFacts, facts_of
from nianbao.model import CheckResult, Finding, Origin, Report, Severity, Status
from nianbao.rules import CODES
from nianbao.rules.catalog import report_overdue_message
from nianbao.rules.history import (
    HISTORY_NEEDS,
    HISTORY_RULES,
    MIN_PROSE,
    NGRAM,
    normalize_prose,
    reuse,
    run_history,
)
from nianbao.spec import TABLE3_COLUMNS, FormatVersion
from tests.conftest import check_text
from tests.synth import Layout, random_truth, render_text
from tests.synth.chain import IN_FORCE_ROWS, chain
from tests.synth.prose import NARRATIVE_BANK, draw_narrative, narrative_sentences
from tests.synth.truth import AGENCIES

pytestmark = pytest.mark.unit

ZERO = [0, 0, 0, 0, 0, 0, 0]
COLUMNS = [c.key for c in TABLE3_COLUMNS]
CROSS = {rule.code for rule in HISTORY_RULES}


def facts(
    year: int,
    *,
    fmt: str = "2021",
    carried_in: list[int | None] | None = None,
    carried_out: list[int | None] | None = None,
    table2: dict[str, list[int | float | None]] | None = None,
    prose: dict[str, str] | None = None,
    rows: dict[str, list[int | None]] | None = None,
) -> YearFacts:
    """Hand-written facts: Table 3 rows all zero unless given."""
    table3: dict[str, list[int | None]] = {key: list(ZERO) for key in ("new", "results_total")}
    table3["carried_in"] = carried_in if carried_in is not None else list(ZERO)
    table3["carried_out"] = carried_out if carried_out is not None else list(ZERO)
    table3.update(rows or {})
    return YearFacts(
        year=year, format=fmt, agency="青川县清水镇人民政府", table3=table3, table2=table2, prose=prose or {}
    )


def found(findings: list[Finding]) -> list[tuple[str, str | None, str | None, object, object]]:
    return [(f.code, f.location.row, f.location.column, f.expected, f.actual) for f in findings]


# --- CARRYOVER_MISMATCH -------------------------------------------------------------------------


def test_carryover_mismatch_names_each_column_that_differs():
    # Given 2022 carried 3 natural-person and 1 enterprise request over, and 2023 took over 3 and 0
    previous = facts(2022, carried_out=[3, 1, 0, 0, 0, 0, 4])
    current = facts(2023, carried_in=[3, 0, 0, 0, 0, 0, 3])
    # When the cross-year rules run
    findings = run_history(current, History(previous=previous))
    # Then the 商业企业 and 总计 columns are named, with last year's figure as the expected one
    assert found(findings) == [
        ("CARRYOVER_MISMATCH", "carried_in", "commercial", 1, 0),
        ("CARRYOVER_MISMATCH", "carried_in", "total", 4, 3),
    ]
    first = findings[0]
    assert first.severity is Severity.ERROR
    assert first.location.section == 3
    assert first.location.table == "table3"
    assert "“商业企业”列" in first.message
    assert "2023年度报告的“二、上年结转政府信息公开申请数量”为0" in first.message
    assert "2022年度报告的“四、结转下年度继续办理”为1" in first.message


def test_carryover_holds_silently():
    previous = facts(2022, carried_out=[3, 1, 0, 0, 0, 2, 6])
    current = facts(2023, carried_in=[3, 1, 0, 0, 0, 2, 6])
    assert run_history(current, History(previous=previous)) == []


def test_carryover_is_uncertain_where_either_cell_is_blank():
    # natural: blank this year; commercial: blank last year; total: differs and is reported
    previous = facts(2022, carried_out=[3, None, 0, 0, 0, 0, 5])
    current = facts(2023, carried_in=[None, 2, 0, 0, 0, 0, 3])
    assert found(run_history(current, History(previous=previous))) == [
        ("CARRYOVER_MISMATCH", "carried_in", "total", 5, 3)
    ]


@pytest.mark.parametrize(
    "history",
    [
        History(),  # no previous report on file
        History(previous=facts(2021, carried_out=[9, 0, 0, 0, 0, 0, 9])),  # two years back: no previous year
        History(previous=facts(2022).model_copy(update={"table3": None})),  # last year's Table 3 is missing
        History(previous=facts(2022).model_copy(update={"table3": {"new": list(ZERO)}})),  # its row is missing
    ],
)
def test_carryover_is_uncertain_without_last_years_table(history):
    current = facts(2023, carried_in=[1, 0, 0, 0, 0, 0, 1])
    assert [f for f in run_history(current, history) if f.code == "CARRYOVER_MISMATCH"] == []


def test_carryover_finding_points_at_the_cell_on_the_page():
    # Given the carried_in 总计 cell was read on page 2 of a PDF, in a ruled box
    origin = Origin(line=61, page=2, bbox=(485.9, 305.1, 521.6, 324.8), page_size=(595.3, 841.9))
    current = facts(2023, carried_in=[0, 0, 0, 0, 0, 0, 2]).model_copy(
        update={
            "cells": {"table3.carried_in.total": origin},
            "evidence": {"table3.carried_in": "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 2"},
        }
    )
    [finding] = run_history(current, History(previous=facts(2022)))
    # Then the finding carries its line, page and user-space box, and the printed row as evidence
    where = finding.location
    assert (where.line, where.page, where.bbox, where.page_size) == (
        61,
        2,
        (485.9, 517.1, 521.6, 536.8),
        (595.3, 841.9),
    )
    assert finding.evidence == "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 2"


# --- IN_FORCE_CONTINUITY ------------------------------------------------------------------------


def test_in_force_count_must_continue_last_years():
    # Given 10 regulations in force last year, 2 issued and 1 repealed this year, 12 printed
    previous = facts(2022, table2={"regulations": [1, 0, 10], "normative_documents": [0, 0, 4]})
    current = facts(2023, table2={"regulations": [2, 1, 12], "normative_documents": [3, 2, 5]})
    findings = run_history(current, History(previous=previous))
    # Then regulations are named (10 + 2 - 1 = 11, not 12); normative documents (4 + 3 - 2 = 5) hold
    assert found(findings) == [("IN_FORCE_CONTINUITY", "regulations", "in_force", 11, 12)]
    [finding] = findings
    assert finding.severity is Severity.WARNING
    assert (finding.location.section, finding.location.table) == (2, "table2")
    assert "2022年度报告的现行有效件数为10" in finding.message
    assert "2023年度本年制发2件、本年废止1件" in finding.message
    assert "10+2-1=11，但报告为12" in finding.message
    assert "规章" in finding.message


def test_in_force_count_that_continues_is_silent():
    previous = facts(2022, table2={"regulations": [0, 0, 10], "normative_documents": [0, 0, 0]})
    current = facts(2023, table2={"regulations": [2, 1, 11], "normative_documents": [0, 0, 0]})
    assert run_history(current, History(previous=previous)) == []


@pytest.mark.parametrize(
    ("previous_row", "current_row", "previous_format", "current_format"),
    [
        ([0, 0, None], [2, 1, 99], "2021", "2021"),  # last year's 现行有效件数 blank
        ([0, 0, 10], [None, 1, 99], "2021", "2021"),  # this year's 制发 blank
        ([0, 0, 10], [2, None, 99], "2021", "2021"),  # this year's 废止 blank
        ([0, 0, 10], [2, 1, None], "2021", "2021"),  # this year's 现行有效件数 blank
        ([0, 0, 10], [2, 1, 1.5], "2021", "2021"),  # not a count
        ([0, 0, 10], [2, 1, 99], "2019", "2021"),  # last year in the 2019 format (对外公开总数量)
        ([0, 0, 10], [2, 1, 99], "2021", "2019"),  # this year in the 2019 format
        ([0, 0, 10], [2, 1, 99], "2021", "unknown"),
    ],
)
def test_in_force_continuity_is_uncertain_unless_both_years_print_all_four_numbers(
    previous_row, current_row, previous_format, current_format
):
    previous = facts(2022, fmt=previous_format, table2={"regulations": previous_row})
    current = facts(2023, fmt=current_format, table2={"regulations": current_row})
    assert run_history(current, History(previous=previous)) == []


def test_in_force_continuity_without_table2_is_silent():
    previous = facts(2022, table2=None)
    current = facts(2023, table2={"regulations": [2, 1, 99]})
    assert run_history(current, History(previous=previous)) == []


# --- TEXT_REUSE ---------------------------------------------------------------------------------

OPENING = "我镇坚持以公开为常态、不公开为例外，围绕乡村振兴、义务教育和医疗保障等重点领域，及时发布惠民政策和办事指南。"
DECISIONS = "对涉及群众切身利益的重大决策，事前通过座谈会、网上征求意见等方式广泛听取意见，并向社会反馈采纳情况。"
BUDGET = "财政预决算和专项资金使用情况按规定在门户网站专栏集中发布，重大行政决策事项目录在年初向社会公布。"
PROBLEMS = (
    "存在的主要问题是部分科室主动公开意识不强，政策解读形式较为单一。下一步将加强业务培训，完善工作机制，提升公开质效。"
)
FRESH = (
    "今年新建成的便民服务中心设置了自助查询终端，群众可以随时检索各类政策文件。"
    "针对老年群体，工作人员上门讲解养老保险和医疗救助政策，发放明白纸。"
    "在汛期来临之前，镇里组织了应急演练，并通过大喇叭反复播放避险常识。"
    "村里的公示栏每月更新，张贴低保名单和项目资金使用明细，欢迎村民监督。"
)


CHINESE_YEARS = {2022: "二〇二二", 2023: "二〇二三"}


def overview(year: int, numbers: tuple[int, ...], *, wide: bool = False) -> str:
    """Section 一 of a year: the same words every year, with the year's numbers and dates."""
    a, b, c, d = (str(n) for n in numbers)
    if wide:  # full-width digits, as some offices type them
        a, b, c, d = (s.translate(str.maketrans("0123456789", "０１２３４５６７８９")) for s in (a, b, c, d))
    return (
        f"{year}年，全年主动公开政府信息{a}条，其中政策解读{b}篇，回应群众关切{c}次。\n{OPENING}\n{DECISIONS}\n"
        f"截至{year}年12月31日，门户网站累计发布信息{d}条，{CHINESE_YEARS[year]}年十二月完成栏目改版。\n{BUDGET}"
    )


def test_text_identical_but_for_every_number_and_date_is_reuse():
    # Given two years whose prose differs only in its numbers and dates (and the digits' width)
    previous = facts(2022, prose={"1": overview(2022, (126, 14, 37, 1520)), "5": PROBLEMS})
    current = facts(2023, prose={"1": overview(2023, (98, 9, 41, 1618), wide=True), "5": PROBLEMS})
    # Then all of this year's prose is repeated
    [finding] = run_history(current, History(previous=previous))
    assert (finding.code, finding.severity, finding.expected, finding.actual) == (
        "TEXT_REUSE",
        Severity.WARNING,
        50,
        100,
    )
    assert "第一、五部分的文字有100%与2022年度报告相同" in finding.message
    assert "超过50%" in finding.message
    assert "2023年度报告" in finding.message


def test_quote_is_the_longest_repeated_passage_of_this_years_text():
    # Given last year's overview (with its own numbers) and this year's, which adds fresh prose
    previous = facts(2022, prose={"1": overview(2022, (126, 14, 37, 1520)), "5": PROBLEMS})
    text = overview(2023, (98, 9, 41, 1618), wide=True)
    current = facts(2023, prose={"1": text, "5": FRESH + PROBLEMS})
    [finding] = run_history(current, History(previous=previous))
    # Then the quote is a passage of this year's original text (its digits, not last year's),
    # starting where the repetition starts: the whole overview repeats, from its first character
    quote = finding.evidence
    assert quote is not None
    assert quote.endswith("…")
    assert len(quote) == 60
    assert quote.removesuffix("…") in text.replace("\n", "")
    assert quote.startswith("2023年，全年主动公开政府信息９８条")
    assert f"“{quote}”" in finding.message
    assert "第一部分" in finding.message
    assert finding.location.section == 1


def test_quote_is_kept_whole_when_short_and_points_at_its_lines():
    # Given the longest repeated passage is in section 五 this year (moved there from section 一)
    previous = facts(2022, prose={"1": DECISIONS + BUDGET + OPENING, "5": PROBLEMS, "6": OTHER})
    current = facts(2023, prose={"1": FRESH, "5": FRESH[::-1] + "\n" + OPENING})
    origins = {"5": [(0, Origin(line=80)), (len(FRESH) + 1, Origin(line=81, page=3))]}
    current = current.model_copy(update={"prose_origins": origins})
    measured = reuse(current, previous)
    assert (measured.section, measured.percent) == ("5", 16)  # 49 * 100 // (126 + 126 + 49)
    [finding] = run_history(current, History(previous=previous, reuse_share=0.15))
    # Then the quote is the whole passage, and the location its line and page
    assert finding.evidence == OPENING.removesuffix("。")  # letters to letters: the full stop is not compared
    assert (finding.location.section, finding.location.line, finding.location.page) == (5, 81, 3)


OTHER = "认真办理人大代表建议和政协委员提案，办理结果按规定向社会公开。"
PREVIOUS = {"1": OPENING + DECISIONS + BUDGET, "5": PROBLEMS, "6": OTHER}
KEPT = {"1": OPENING + DECISIONS + FRESH, "5": PROBLEMS}  # BUDGET replaced by fresh prose


def test_share_counts_only_what_repeats():
    # Given this year keeps OPENING, DECISIONS and PROBLEMS and replaces BUDGET by fresh prose
    previous, current = facts(2022, prose=PREVIOUS), facts(2023, prose=KEPT)
    # Then the share is what the kept ones hold of the whole, in letters: 49 + 46 + 52 of 273
    assert [len(normalize_prose(t).text) for t in (OPENING, DECISIONS, PROBLEMS, FRESH)] == [49, 46, 52, 126]
    assert reuse(current, previous).percent == 53  # 147 * 100 // 273 = 53.8, rounded down
    assert found(run_history(current, History(previous=previous))) == [("TEXT_REUSE", None, None, 50, 53)]


@pytest.mark.parametrize(
    ("share", "fires"), [(0.3, True), (0.5, True), (0.525, True), (0.53, False), (0.535, False), (0.6, False)]
)
def test_text_reuse_fires_only_above_the_threshold(share, fires):
    # Given 53.8% of this year's prose repeats last year's: shown, and compared, as 53%
    previous, current = facts(2022, prose=PREVIOUS), facts(2023, prose=KEPT)
    findings = run_history(current, History(previous=previous, reuse_share=share))
    assert [f.code for f in findings] == (["TEXT_REUSE"] if fires else [])


def test_threshold_is_shown_as_set():
    previous, current = facts(2022, prose=PREVIOUS), facts(2023, prose=KEPT)
    [finding] = run_history(current, History(previous=previous, reuse_share=0.455))
    assert "超过45.5%" in finding.message
    assert str(finding.expected) == "45.5"


def test_fresh_prose_is_no_reuse():
    previous = facts(2022, prose={"1": OPENING + DECISIONS + BUDGET, "5": PROBLEMS})
    current = facts(2023, prose={"1": FRESH + FRESH[::-1], "5": PROBLEMS[::-1]})
    assert reuse(current, previous).percent == 0
    assert run_history(current, History(previous=previous, reuse_share=0.01)) == []


def test_text_reuse_ignores_whitespace_and_punctuation_width():
    previous = facts(2022, prose={"1": overview(2022, (1, 2, 3, 4)), "5": PROBLEMS})
    spaced = " ".join(overview(2023, (5, 6, 7, 8))).replace("，", ",").replace("。", ". ")
    current = facts(2023, prose={"1": spaced, "5": PROBLEMS.replace("，", " , ")})
    assert reuse(current, previous).percent == 100


@pytest.mark.parametrize("thin", ["current", "previous"])
def test_too_little_prose_to_judge(thin):
    # Given identical prose of fewer than MIN_PROSE letters in one of the years
    short = OPENING + DECISIONS  # 95 letters
    long = OPENING + DECISIONS + BUDGET + PROBLEMS + FRESH
    assert len(normalize_prose(short).text) < MIN_PROSE <= len(normalize_prose(long).text)
    previous = facts(2022, prose={"1": short if thin == "previous" else long})
    current = facts(2023, prose={"1": short if thin == "current" else long})
    # Then nothing is said, however much of it repeats
    assert run_history(current, History(previous=previous, reuse_share=0.01)) == []


def test_numbers_and_dates_are_masked():
    assert normalize_prose("2023年1月1日至２０２３年12月31日，收到申请 14 件，金额816.44万元；二〇二四年一月").text == (
        "0年0月0日至0年0月0日收到申请0件金额0万元0年0月"
    )
    # each kept character maps back to where it was read
    original = "全年公开１２６条。\n回应关切"
    normalized = normalize_prose(original)
    assert normalized.text == "全年公开0条回应关切"
    assert original[normalized.starts[4] : normalized.ends[4]] == "１２６"
    assert NGRAM == 8


def test_the_fixed_template_of_consecutive_years_is_reuse():
    # Given two years of the synthetic template without a narrative (nearly identical text)
    rng = random.Random(5)
    years = [random_truth(rng, version=FormatVersion.V2021, year=y) for y in (2022, 2023)]
    years = [replace(t, agency="河西区民政局") for t in years]
    previous, current = (facts_of(check_text(render_text(t, Layout.TABS, random.Random(1)))) for t in years)
    assert previous is not None
    assert current is not None
    assert "TEXT_REUSE" in {f.code for f in run_history(current, History(previous=previous))}


@pytest.mark.parametrize(
    ("env", "share"),
    [({}, 0.5), ({"NIANBAO_TEXT_REUSE_SHARE": ""}, 0.5), ({"NIANBAO_TEXT_REUSE_SHARE": "0.6"}, 0.6),
     ({"NIANBAO_TEXT_REUSE_SHARE": " 70% "}, 0.7), ({"NIANBAO_TEXT_REUSE_SHARE": "1"}, 1.0)],
)  # fmt: skip
def test_reuse_share_from_the_environment(env, share):
    assert History.reuse_share_from_env(env) == pytest.approx(share)
    assert History(reuse_share=History.reuse_share_from_env(env)).reuse_share == pytest.approx(share)


@pytest.mark.parametrize("raw", ["half", "0", "-0.2", "1.5", "150%", "nan"])
def test_a_mistyped_reuse_share_stops_the_caller(raw):
    with pytest.raises(ValueError, match="NIANBAO_TEXT_REUSE_SHARE"):
        History.reuse_share_from_env({"NIANBAO_TEXT_REUSE_SHARE": raw})


# --- HIERARCHY_SUM ------------------------------------------------------------------------------


def child(body_id: str, name: str, year: int | None, **totals: int | None) -> ChildFacts:
    """A body below, with the 总计 column of its Table 3 (None: it has not filed)."""
    if year is None:
        return ChildFacts(body_id=body_id, name=name)
    rows = {
        key: [0, 0, 0, 0, 0, 0, totals.get(key, 0)] for key in ("new", "carried_in", "results_total", "carried_out")
    }
    return ChildFacts(body_id=body_id, name=name, facts=facts(year, rows=rows))


def parent(**totals: int | None) -> YearFacts:
    rows = {key: [None, None, None, None, None, None, v] for key, v in totals.items()}
    return facts(2023, rows=rows)


def test_summary_report_must_add_up_its_childrens():
    children = [
        child("630122-qs", "青川县清水镇人民政府", 2023, new=2, results_total=2),
        child("630122-zr", "安平县自然资源局", 2023, new=2, results_total=1, carried_out=1),
    ]
    current = parent(new=5, carried_in=0, results_total=3, carried_out=1)
    findings = run_history(current, History(children=children, sums_children=True))
    assert found(findings) == [("HIERARCHY_SUM", "new", "total", 4, 5)]
    [finding] = findings
    assert finding.severity is Severity.WARNING
    assert "表三“一、本年新收政府信息公开申请数量”的总计为5" in finding.message
    assert "下属2个机关2023年度报告中该项总计之和为4（青川县清水镇人民政府2、安平县自然资源局2）" in finding.message


def test_summary_report_that_adds_up_is_silent():
    children = [child("a", "甲镇", 2023, new=2), child("b", "乙镇", 2023, new=3, carried_out=3)]
    current = parent(new=5, carried_in=0, results_total=2, carried_out=3)
    # (the children's results_total are 0 + 0; the parent's 2 is reported, the rest hold)
    assert found(run_history(current, History(children=children, sums_children=True))) == [
        ("HIERARCHY_SUM", "results_total", "total", 0, 2)
    ]
    current = parent(new=5, carried_in=0, results_total=0, carried_out=3)
    assert run_history(current, History(children=children, sums_children=True)) == []


@pytest.mark.parametrize(
    "history",
    [
        History(children=[child("a", "甲镇", 2023, new=1), child("b", "乙镇", None)], sums_children=True),
        History(children=[child("a", "甲镇", 2023, new=1), child("b", "乙镇", 2022, new=1)], sums_children=True),
        History(children=[child("a", "甲镇", 2023, new=1), child("b", "乙镇", 2023, new=None)], sums_children=True),
        History(children=[child("a", "甲镇", 2023, new=1)], sums_children=False),
        History(children=[], sums_children=True),
    ],
)
def test_hierarchy_sum_is_uncertain_while_a_child_has_not_filed(history):
    # Given the parent's 新收 (9) cannot be the children's (1 + ?)
    current = parent(new=9, carried_in=0, results_total=0, carried_out=0)
    assert [f for f in run_history(current, history) if f.location.row == "new"] == []


def test_hierarchy_sum_names_at_most_five_children():
    children = [child(str(i), f"第{i}镇", 2023, new=1) for i in range(7)]
    [finding] = run_history(parent(new=9), History(children=children, sums_children=True))
    assert "第4镇1等" in finding.message
    assert "第5镇" not in finding.message


# --- the registry -------------------------------------------------------------------------------


def test_every_history_rule_declares_its_needs_and_has_a_code():
    assert [r.code for r in HISTORY_RULES] == [
        "CARRYOVER_MISMATCH",
        "IN_FORCE_CONTINUITY",
        "TEXT_REUSE",
        "HIERARCHY_SUM",
    ]
    assert {r.code: set(r.needs) for r in HISTORY_RULES} == {
        "CARRYOVER_MISMATCH": {"previous"},
        "IN_FORCE_CONTINUITY": {"previous"},
        "TEXT_REUSE": {"previous"},
        "HIERARCHY_SUM": {"children"},
    }
    assert {"previous", "children"} == HISTORY_NEEDS
    assert {c: CODES[c].severity.value for c in [*CROSS, "REPORT_OVERDUE"]} == {
        "CARRYOVER_MISMATCH": "error",
        "IN_FORCE_CONTINUITY": "warning",
        "TEXT_REUSE": "warning",
        "HIERARCHY_SUM": "warning",
        "REPORT_OVERDUE": "error",
    }


def test_no_history_no_findings():
    current = facts(2023, carried_in=[5, 0, 0, 0, 0, 0, 5], prose={"1": OPENING * 9})
    assert run_history(current, History()) == []


def test_findings_come_errors_first():
    previous = facts(2022, table2={"regulations": [0, 0, 1]}, prose={"1": overview(2022, (1, 2, 3, 4))})
    current = facts(
        2023,
        carried_in=[1, 0, 0, 0, 0, 0, 1],
        table2={"regulations": [0, 0, 2]},
        prose={"1": overview(2023, (5, 6, 7, 8))},
    )
    findings = run_history(current, History(previous=previous))
    assert [f.code for f in findings] == [
        "CARRYOVER_MISMATCH",
        "CARRYOVER_MISMATCH",
        "TEXT_REUSE",
        "IN_FORCE_CONTINUITY",
    ]


def test_report_overdue_message():
    message = report_overdue_message("青川县清水镇人民政府\n", 2023, date(2024, 1, 31))
    assert message.startswith("青川县清水镇人民政府应于2024年1月31日前发布2023年政府信息公开工作年度报告")
    assert "\n" not in message
    assert report_overdue_message("", 2023, date(2024, 1, 31)).startswith("名册中的该机关")


# --- facts of a checked report ------------------------------------------------------------------


def test_facts_of_a_checked_report_hold_its_tables_prose_and_cells():
    truth = chain(random.Random(3), 1, agency="河西区民政局", start_year=2023)[0]
    result = check_text(render_text(truth, Layout.TABS, random.Random(1)))
    year = facts_of(result)
    assert year is not None
    assert (year.year, year.format, year.agency) == (2023, "2021", "河西区民政局")
    tables = report_dict(result)["tables"]
    assert year.table3 == tables["table3"] == truth.expected_tables()["table3"]
    assert year.table2 == tables["table2"]
    assert set(year.prose) == {"1", "5", "6"}
    assert year.prose["1"] == result.report.sections[1].prose.text
    assert set(year.prose_origins) == {"1", "5", "6"}
    assert {f"table3.carried_in.{c}" for c in COLUMNS} <= set(year.cells)
    assert {"table3.new.total", "table3.results_total.total", "table3.carried_out.total"} <= set(year.cells)
    assert {"table2.regulations.2", "table2.normative_documents.2"} <= set(year.cells)
    assert year.cells["table3.carried_in.total"].line == result.report.table3.rows["carried_in"].origin.line  # type: ignore[union-attr]
    # small enough to store next to the report, and read back the same
    stored = year.model_dump_json()
    assert len(stored) < 16_000
    assert YearFacts.model_validate_json(stored) == year


def test_facts_keep_a_bounded_prose():
    # Given a report whose section 一 runs to 30,000 characters
    truth = chain(random.Random(4), 1, agency="河西区民政局", start_year=2023)[0]
    assert truth.narrative is not None
    sentence = NARRATIVE_BANK["disclosure"][0]
    narrative = {**truth.narrative, 1: tuple(sentence * 30 for _ in range(30))}
    result = check_text(render_text(replace(truth, narrative=narrative), Layout.TABS, random.Random(1)))
    assert len(result.report.sections[1].prose.text) > 30_000
    # Then its facts keep the first PROSE_LIMIT characters, with their origins, and stay small
    year = facts_of(result)
    assert year is not None
    assert year.prose["1"] == result.report.sections[1].prose.text[:PROSE_LIMIT]
    assert all(start < PROSE_LIMIT for start, _ in year.prose_origins["1"])
    assert len(year.model_dump_json().encode()) < 64_000


def test_facts_of_what_is_no_readable_report_are_none():
    assert facts_of(unreadable("x.pdf", "文件已加密")) is None
    assert facts_of(check_text("关于召开会议的通知\n各科室：定于3月5日开会。\n")) is None
    no_year = CheckResult(report=Report(source="x.txt"), findings=[], status=Status.PASS)
    assert facts_of(no_year) is None


# --- chains of synthetic years ------------------------------------------------------------------


def test_a_chain_carries_over_and_continues():
    years = chain(random.Random(8), 5, agency="南溪镇人民政府", start_year=2021)
    for last, this in itertools.pairwise(years):
        assert this.year == last.year + 1
        assert this.table3["carried_in"] == last.table3["carried_out"]
        for key in IN_FORCE_ROWS:
            issued, repealed, in_force = this.table2[key]
            assert in_force == last.table2[key][2] + issued - repealed  # type: ignore[operator]
        assert not narrative_sentences(this.narrative) & narrative_sentences(last.narrative)
    assert sum(len(bank) for bank in NARRATIVE_BANK.values()) >= 40


def test_the_narrative_bank_has_no_shared_phrases_and_no_numbers():
    sentences = [s for bank in NARRATIVE_BANK.values() for s in bank]
    assert len(set(sentences)) == len(sentences) >= 40
    texts = [normalize_prose(s).text for s in sentences]
    grams = [{t[i : i + NGRAM] for i in range(len(t) - NGRAM + 1)} for t in texts]
    assert not [(a, b) for a, b in itertools.combinations(range(len(grams)), 2) if grams[a] & grams[b]]
    assert not [s for s in sentences if any(c.isdigit() for c in s) or s.count("。") != 1 or not s.endswith("。")]


def test_a_narrative_is_drawn_around_last_years():
    rng = random.Random(2)
    first = draw_narrative(rng)
    second = draw_narrative(rng, narrative_sentences(first))
    assert set(first) == set(second) == {1, 5, 6}
    assert not narrative_sentences(first) & narrative_sentences(second)


def read_chain(truths, layouts, seed: int) -> list[tuple[CheckResult, YearFacts]]:
    out = []
    for index, (truth, layout) in enumerate(zip(truths, layouts, strict=True)):
        result = check_bytes(render_text(truth, layout, random.Random(seed + index)).encode(), f"{truth.year}.txt")
        year = facts_of(result)
        assert year is not None
        out.append((result, year))
    return out


def loud(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings if f.severity is not Severity.INFO]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    years=st.integers(min_value=2, max_value=4),
    start_year=st.integers(min_value=2019, max_value=2024),
    by_year=st.booleans(),
    layouts=st.lists(st.sampled_from(list(Layout)), min_size=4, max_size=4),
    pick=st.integers(min_value=0, max_value=10_000),
)
def test_consistent_years_give_no_cross_year_finding(seed, years, start_year, by_year, layouts, pick):
    # Given consecutive years of one body, each balanced and carrying over correctly, each in a layout
    rng = random.Random(seed)
    version = None if by_year else FormatVersion.V2021
    truths = chain(rng, years, agency=rng.choice(AGENCIES), start_year=start_year, version=version)
    read = read_chain(truths, layouts[:years], seed)
    # When each year is checked against the year before
    for (_, last), (result, this) in itertools.pairwise(read):
        # Then no cross-year rule has anything to say, and each year is clean in itself
        assert run_history(this, History(previous=last)) == []
        assert loud(result) == []
    # And changing one carried_in cell of one year gives exactly one finding, on that column
    index = 1 + pick % (years - 1)
    column = pick % len(COLUMNS)
    last, this = read[index - 1][1], read[index][1]
    assert this.table3 is not None
    was = this.table3["carried_in"][column]
    assert isinstance(was, int)
    carried = list(this.table3["carried_in"])
    carried[column] = was + 1
    changed = this.model_copy(update={"table3": {**this.table3, "carried_in": carried}})
    assert found(run_history(changed, History(previous=last))) == [
        ("CARRYOVER_MISMATCH", "carried_in", COLUMNS[column], was, was + 1)
    ]


@pytest.mark.parametrize("layout", [Layout.TABS, Layout.SPLIT])
def test_six_consecutive_years_in_real_layouts(layout):
    # Given six years of one township (seed 000/001's tab layout; seed 004's split labels), the
    # first two in the 2019 format as those years required
    truths = chain(random.Random(2026), 6, agency="青川县清水镇人民政府", start_year=2019, version=None)
    assert [t.version for t in truths] == [FormatVersion.V2019] * 2 + [FormatVersion.V2021] * 4
    read = read_chain(truths, [layout] * 6, 7)
    # Then every year reads back and checks clean, and no year contradicts the one before
    for truth, (result, _) in zip(truths, read, strict=True):
        assert report_dict(result)["tables"] == truth.expected_tables()
        assert loud(result) == []
    for (_, last), (_, this) in itertools.pairwise(read):
        assert run_history(this, History(previous=last)) == []
        assert reuse(this, last).percent < 30
