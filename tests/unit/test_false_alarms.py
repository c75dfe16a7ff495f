"""Wordings and layouts real reports use that once gave false findings (or hid real ones).

Each case is a small edit of a clean report: the edit must give exactly the expected findings.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date

import pytest

from nianbao.contract import report_dict
from nianbao.model import CheckResult, Severity
from nianbao.spec import FormatVersion
from tests.conftest import check_text, codes
from tests.synth import Layout, Truth, random_truth, render_text

pytestmark = pytest.mark.unit

BALANCE = {"T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL", "T4_TOTAL"}


def truth(**changes: object) -> Truth:
    base = random_truth(random.Random(3), version=FormatVersion.V2021, year=2023, busy=0.6)
    return replace(base, **({"agency": "青川县清水镇人民政府"} | changes))  # type: ignore[arg-type]


def text(t: Truth | None = None, layout: Layout = Layout.TABS) -> str:
    return render_text(t or truth(), layout, random.Random(1), variants=False, half_width=False)


def loud(result: CheckResult) -> set[str]:
    return {f.code for f in result.findings if f.severity is not Severity.INFO}


def changed(source: str, edited: str) -> str:
    assert edited != source, "the edit did not apply"
    return edited


def with_sentence(sentence: str, t: Truth | None = None) -> CheckResult:
    """The clean report with ``sentence`` added to section 一."""
    source = text(t)
    return check_text(changed(source, source.replace("（一）主动公开情况。", "（一）主动公开情况。" + sentence)))


def test_the_base_report_is_clean():
    assert loud(check_text(text())) == set()


# --- prose counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "本年度未向政府信息公开申请人收取信息处理费。",
        "本年度未对政府信息公开申请收取信息处理费。",
        "本年度无需要收取信息处理费的政府信息公开申请。",
        "本机关未收取政府信息公开申请信息处理费。",
        "均在法定期限内答复，无超期答复的政府信息公开申请。",
        "未出现逾期答复政府信息公开申请的情况。",
        "对涉及未成年人的政府信息公开申请，依法保护个人隐私。",
        "畅通无障碍政府信息公开申请渠道。",
        "没有因政府信息公开申请引发的投诉。",
        "未发生行政复议纠错情况。",
        "无一例行政诉讼败诉。",
        "全年未收到依申请公开的信息处理费。",
    ],
)
def test_negations_about_something_else_are_not_zero_counts(sentence):
    assert "TEXT_TABLE_MISMATCH" not in codes(with_sentence(sentence))


@pytest.mark.parametrize(
    "sentence",
    [
        "其中县政府本级收到政府信息公开申请12件，县直部门收到政府信息公开申请150件，乡镇收到政府信息公开申请18件。",
        "其中通过网络平台收到政府信息公开申请120件。",
        "全年通过网上平台收到政府信息公开申请120件。",
        "其中收到涉及征地拆迁的政府信息公开申请120件。",
        "行政复议结果维持2件，结果纠正1件。",
        "我县作为复议机关，全年共办理行政复议案件56件。",
        "上年度收到政府信息公开申请57件。",
        "2022年收到政府信息公开申请31件。",
        "主动公开政府信息89条，回应关切60次，办理各类事项124件。",
    ],
)
def test_breakdowns_outcomes_other_years_and_other_counts_are_not_compared(sentence):
    assert "TEXT_TABLE_MISMATCH" not in codes(with_sentence(sentence))


@pytest.mark.parametrize(
    "sentence",
    [
        "其中通过网络平台收到政府信息公开申请120件。",
        "县直部门共收到政府信息公开申请150件。",
        "上年度收到政府信息公开申请57件。",
    ],
)
def test_a_breakdown_or_another_years_count_printed_before_the_total_is_not_taken_for_it(sentence):
    # Only the first claim of each kind is compared: one that is not a total must not come first
    source = text()
    first = source.replace("一、总体情况\n\n", "一、总体情况\n\n" + sentence, 1)
    assert first != source
    assert "TEXT_TABLE_MISMATCH" not in codes(check_text(changed(source, first)))


@pytest.mark.parametrize(
    ("sentence", "table", "actual"),
    [
        ("本年度未收到政府信息公开申请。", "table3", 0),
        ("2023年我镇未收到政府信息依申请公开件。", "table3", 0),
        ("全年通过各种渠道共收到政府信息公开申请999件。", "table3", 999),
        ("全县各部门共收到政府信息公开申请999件。", "table3", 999),
        ("本年度未发生因政府信息公开被申请行政复议、提起行政诉讼的情况。", "table4", 0),
    ],
)
def test_total_and_zero_statements_are_still_compared(sentence, table, actual):
    t = replace(truth(), prose_counts=False)
    found = [f for f in with_sentence(sentence, t).findings if f.code == "TEXT_TABLE_MISMATCH"]
    assert found, sentence
    assert (found[0].location.table, found[0].actual) == (table, actual)


# --- headings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "variant"),
    [
        ("一、总体情况", "一、政府信息公开工作总体情况"),
        ("一、总体情况", "一、2023年政府信息公开工作总体情况"),
        ("一、总体情况", "一、工作概况"),
        ("一、总体情况", "一、工作开展情况"),
        ("三、收到和处理政府信息公开申请情况", "三、政府信息公开申请情况"),
        ("三、收到和处理政府信息公开申请情况", "三、政府信息公开申请办理情况"),
        ("六、其他需要报告的事项", "六、其它需要报告的事项"),
        ("六、其他需要报告的事项", "六、其他"),
    ],
)
def test_common_heading_wordings_are_recognised(standard, variant):
    result = check_text(changed(text(), text().replace(standard, variant)))
    assert set(result.report.sections) == {1, 2, 3, 4, 5, 6}
    assert not loud(result) & {"SECTION_MISSING", "SECTION5_THIN"}


def test_arabic_sub_headings_and_a_table_of_contents_do_not_take_the_sections():
    sub = "1.主动公开情况\n坚持公开。\n2.依申请公开情况\n依法办理。\n3.监督保障情况\n加强监督。\n"
    result = check_text(changed(text(), text().replace("（一）主动公开情况。", sub + "（一）主动公开情况。")))
    assert [s.position for _, s in sorted(result.report.sections.items())] == [1, 2, 3, 4, 5, 6]
    assert "SECTION_ORDER" not in codes(result)
    contents = "目录\n一、总体情况……………………1\n二、主动公开政府信息情况……………2\n三、收到和处理政府信息公开申请情况……3\n"
    result = check_text(contents + text())
    assert "SECTION_ORDER" not in codes(result)
    assert result.report.sections[1].prose.text.startswith("2023年")


# --- table layouts ------------------------------------------------------------------------------


@pytest.mark.parametrize("page_number", ["- 2 -", "— 2 —", "2/5", "第2页 共5页", "2"])
def test_a_page_number_inside_table_3_is_not_a_row(page_number):
    clean = check_text(text())
    edited = re.sub(r"^(\t\t5\.属于三类)", page_number + r"\n\1", text(), count=1, flags=re.M)
    result = check_text(changed(text(), edited))
    assert report_dict(result)["tables"] == report_dict(clean)["tables"]
    assert not codes(result) & (BALANCE | {"ROW_SHAPE"})


def _reflow(source: str, split: int) -> str:
    """Table 3's rows (space-separated) with their values wrapped onto further lines after
    ``split`` values, as PDF text extraction leaves a narrow table."""
    out = []
    for line in source.splitlines():
        tokens = line.split(" ")
        if len(tokens) == 8 and all(t.isdigit() for t in tokens[1:]) and not tokens[0].isdigit():
            out.append(" ".join([tokens[0], *tokens[1 : 1 + split]]))
            out.extend(" ".join(tokens[1 + i : 1 + i + split]) for i in range(split, 7, split))
        else:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("split", [6, 4, 1])
def test_values_wrapped_onto_further_lines_stay_with_their_row(split):
    t = truth()
    source = render_text(t, Layout.SPACES, random.Random(1), variants=False, half_width=False)
    result = check_text(changed(source, _reflow(source, split)))
    assert report_dict(result)["tables"]["table3"] == t.expected_tables()["table3"]
    assert not codes(result) & (BALANCE | {"ROW_SHAPE"})


def test_numbers_no_row_can_take_are_reported_not_guessed():
    edited = re.sub(r"^(\t\t5\.属于三类)", "3 0 0\n\\1", text(), count=1, flags=re.M)
    result = check_text(changed(text(), edited))
    [stray] = [f for f in result.findings if f.code == "ROW_SHAPE"]
    assert stray.evidence == "3 0 0"
    assert report_dict(result)["tables"] == report_dict(check_text(text()))["tables"]


def test_a_note_after_a_rows_cells_is_not_a_cell():
    edited = re.sub(r"^(四、结转下年度继续办理[^\n]*?)\t?$", r"\1\t注：含跨年度申请", text(), count=1, flags=re.M)
    assert not codes(check_text(changed(text(), edited))) & {"CELL_INVALID", "ROW_SHAPE"}


def test_a_short_row_in_a_table_with_a_blank_cell_is_not_shifted():
    t = truth().with_cell("table3", "denied_7", 3, None)
    edited = re.sub(r"^(一、本年新收[^\n]*)\t\d+\t?$", r"\1", text(t), count=1, flags=re.M)
    result = check_text(changed(text(t), edited))
    assert not codes(result) & BALANCE
    assert [f.location.row for f in result.findings if f.code == "ROW_SHAPE"] == ["new"]


def test_he_ji_is_the_results_total():
    result = check_text(changed(text(), text().replace("（七）总计", "（七）合计")))
    assert "ROW_MISSING" not in codes(result)
    assert "results_total" in result.report.table3.rows  # type: ignore[union-attr]


# --- years, deadlines, titles, dates -----------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        ("下一步，", "2024年，我单位持续深化政务公开，推进标准化规范化建设。"),
        ("（一）主动公开情况。", "（一）主动公开情况。\n2022年，我镇被评为政务公开先进单位。"),
        ("（一）主动公开情况。", "（一）主动公开情况。2024年我单位将按照《2024年政务公开工作要点》推进工作。"),
    ],
)
def test_plans_and_background_years_are_not_year_mismatches(edit):
    assert "YEAR_MISMATCH" not in codes(check_text(changed(text(), text().replace(*edit))))


@pytest.mark.parametrize(
    ("agency", "late"), [("青川县人民政府", False), ("青川县清水镇人民政府", True), ("河西区民政局", True)]
)
def test_county_and_higher_governments_have_until_31_march(agency, late):
    result = check_text(text(truth(agency=agency, published=date(2024, 3, 20))))
    assert ("PUBLISHED_LATE" in codes(result)) is late


def test_a_short_section_5_with_problems_and_improvements_is_not_thin():
    short = "1.主动公开力度不够，部分栏目更新不及时。2.答复文书格式不统一。下一步，将加强培训，完善制度。"
    edited = re.sub(r"我单位政府信息公开工作取得[^\n]*", short, text())
    assert "SECTION5_THIN" not in codes(check_text(changed(text(), edited)))


def test_a_yearly_work_report_title_is_complete():
    t = truth(title="青川县教育局2023年度政府信息公开工作报告")
    assert "TITLE_INCOMPLETE" not in codes(check_text(text(t)))


def test_a_date_on_the_signature_line_is_the_publication_date():
    edited = text().replace("青川县清水镇人民政府\n2024年", "青川县清水镇人民政府    2024年")
    result = check_text(changed(text(), edited))
    assert "DATE_MISSING" not in codes(result)
    assert result.report.agency == "青川县清水镇人民政府"
