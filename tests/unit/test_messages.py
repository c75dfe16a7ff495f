"""Finding messages in full, numbers included: what an official reads is the product.

Every expected message and number is typed here, worked out by hand from the report of
tests/unit/handmade.py (its tables are in that module's docstring), not taken from the checker or
from nianbao.spec.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from nianbao.history import ChildFacts, History, YearFacts
from nianbao.model import Cell, CellKind, Report, Severity, Status
from nianbao.rules import run, status_of
from nianbao.rules.catalog import body_unknown_message, fmt_number, report_overdue_message
from nianbao.rules.history import run_history
from tests.unit.handmade import BASE, as_2020, check, edit, findings, in_2019_layout, with_row, with_table4

pytestmark = pytest.mark.unit


def located(text: str, code: str) -> list[tuple[str, int | None, str | None, str | None, object, object]]:
    """(message, section, row, column, expected, actual) of every ``code`` finding."""
    return [
        (f.message, f.location.section, f.location.row, f.location.column, f.expected, f.actual)
        for f in check(text).findings
        if f.code == code
    ]


# --- balance (勾稽关系) ---------------------------------------------------------------------------


def test_application_balance_names_both_sides_of_each_column_that_fails():
    # Given 上年结转 raised by 2 in the 自然人 column (and its 总计): 10 + 3 = 13 against 10 + 1 = 11,
    # and in the 总计 column 14 + 3 = 17 against 12 + 3 = 15
    text = with_row("二、上年结转政府信息公开申请数量", (3, 0, 0, 0, 0, 0, 3))
    assert located(text, "T3_APPLICATION_BALANCE") == [
        (
            "表三“自然人”列：本年新收（10）+ 上年结转（3）= 13，"
            "而办理结果总计（10）+ 结转下年度（1）= 11，两者应相等。",
            3,
            None,
            "natural",
            13,
            11,
        ),
        (
            "表三“总计”列：本年新收（14）+ 上年结转（3）= 17，而办理结果总计（12）+ 结转下年度（3）= 15，两者应相等。",
            3,
            None,
            "total",
            17,
            15,
        ),
    ]
    assert findings(text)[2:] == []  # nothing else: the row itself adds up (3 = 3)


def test_application_balance_with_a_blank_operand_shows_what_is_known():
    # Given （七）总计 blank for 自然人 and 结转下年度 12 there: 10 + 1 = 11 cannot meet "at least 12"
    text = with_row("四、结转下年度继续办理", (12, 1, 0, 0, 0, 1, 14), with_row("（七）总计", ("/", 1, 1, 0, 0, 0, 12)))
    assert located(text, "T3_APPLICATION_BALANCE") == [
        (
            "表三“自然人”列：本年新收（10）+ 上年结转（1）= 11，"
            "而办理结果总计（未知）+ 结转下年度（12）= 至少12，两者应相等。",
            3,
            None,
            "natural",
            11,
            None,
        ),
        (
            "表三“总计”列：本年新收（14）+ 上年结转（1）= 15，而办理结果总计（12）+ 结转下年度（14）= 26，两者应相等。",
            3,
            None,
            "total",
            15,
            26,
        ),
    ]


def test_results_total_names_the_column_and_both_sums():
    # Given 予以公开 raised by 3 for 商业企业: its results add up to 4 where （七）总计 prints 1, and the
    # 总计 column's to 9 + 1 + 1 + 3 + 1 = 15 where it prints 12
    text = with_row("（一）予以公开", (5, 4, 0, 0, 0, 0, 9))
    assert located(text, "T3_RESULTS_TOTAL") == [
        ("表三“商业企业”列：“（七）总计”为1，但各项办理结果之和为4。", 3, "results_total", "commercial", 4, 1),
        ("表三“总计”列：“（七）总计”为12，但各项办理结果之和为15。", 3, "results_total", "total", 15, 12),
    ]
    [first, second] = [f for f in check(text).findings if f.code == "T3_RESULTS_TOTAL"]
    assert first.evidence == "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 5 4 0 0 0 0 9"
    assert second.evidence == (
        "（七）总计 10 1 1 0 0 0 12 / （一）予以公开 5 4 0 0 0 0 9 / "
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1 / "
        "4.保护第三方合法权益 1 0 0 0 0 0 1 / ……"
    )


def test_row_total_names_the_row():
    text = with_row("2.重复申请", (1, 0, 0, 0, 0, 0, 3))
    assert located(text, "T3_ROW_TOTAL") == [
        ("表三“2.重复申请”行：“总计”为3，但六类申请人之和为1。", 3, "refused_2", "total", 1, 3)
    ]
    # the 3 also makes the results' 总计 column 6 + 1 + 1 + 3 + 3 = 14 against 12
    assert located(text, "T3_RESULTS_TOTAL") == [
        ("表三“总计”列：“（七）总计”为12，但各项办理结果之和为14。", 3, "results_total", "total", 14, 12)
    ]


@pytest.mark.parametrize(
    ("cells", "message", "column", "expected", "actual"),
    [
        (
            (3, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0),
            "表四“行政复议”：“总计”为2，但结果维持、结果纠正、其他结果、尚未审结之和为4。",
            "review_total",
            4,
            2,
        ),
        (
            (1, 0, 0, 1, 2, 0, 1, 0, 0, 4, 0, 0, 0, 0, 0),
            "表四“行政诉讼·未经复议直接起诉”：“总计”为4，但结果维持、结果纠正、其他结果、尚未审结之和为1。",
            "suit_total",
            1,
            4,
        ),
        (
            (1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 2, 0, 0),
            "表四“行政诉讼·复议后起诉”：“总计”为0，但结果维持、结果纠正、其他结果、尚未审结之和为2。",
            "post_review_suit_total",
            2,
            0,
        ),
    ],
)
def test_table_4_totals_name_their_block(cells, message, column, expected, actual):
    text = with_table4(cells)
    assert located(text, "T4_TOTAL") == [(message, 4, "cases", column, expected, actual)]
    assert [f.evidence for f in check(text).findings] == [" ".join(str(c) for c in cells)]


def test_a_row_failing_under_every_placement_says_so_and_gives_no_numbers():
    # Given 2.重复申请 printed with eight cells 1 2 1 2 1 2 1 2: whichever is dropped, its 总计 is 1
    # or 2 and its six applicants add up to 9 at least
    text = with_row("2.重复申请", (1, 2, 1, 2, 1, 2, 1, 2))
    note = "（该行或相关行的数值个数与列数不符，但无论怎样排列都不相等）"
    assert located(text, "T3_ROW_TOTAL") == [
        ("表三“2.重复申请”行：“总计”为1，但六类申请人之和为9。" + note, 3, "refused_2", "total", None, None)
    ]
    # and the columns it adds 1 or 2 to that print 0 or 1 in （七）总计 cannot add up either
    assert [m for m, *_ in located(text, "T3_RESULTS_TOTAL")] == [
        "表三“商业企业”列：“（七）总计”为1，但各项办理结果之和为3。" + note,
        "表三“科研机构”列：“（七）总计”为1，但各项办理结果之和为2。" + note,
        "表三“社会公益组织”列：“（七）总计”为0，但各项办理结果之和为2。" + note,
        "表三“法律服务机构”列：“（七）总计”为0，但各项办理结果之和为1。" + note,
        "表三“其他”列：“（七）总计”为0，但各项办理结果之和为2。" + note,
    ]


def test_a_relation_no_placement_satisfies_whole_is_one_finding():
    # Given 予以公开 printed as 6 0 0 0 0 0 (six cells): wherever the gap is, one column of the
    # results no longer adds up, though each column alone could
    text = with_row("（一）予以公开", (6, 0, 0, 0, 0, 0))
    [finding] = [f for f in check(text).findings if f.code == "T3_RESULTS_TOTAL"]
    assert finding.message == (
        "表三的勾稽关系“（七）总计 = 各项办理结果之和”不成立：“（一）予以公开”行的数值个数与列数不符，"
        "无法确定数值对应的列，但无论怎样排列，总有一列不平衡（例如各行数值靠左排列时，"
        "表三“自然人”列：“（七）总计”为10，但各项办理结果之和为11）。"
    )
    assert (finding.location.section, finding.location.row, finding.location.column) == (3, "results_total", None)
    assert (finding.expected, finding.actual) == (None, None)


# --- format -------------------------------------------------------------------------------------


def test_the_2019_layout_for_2023_is_outdated():
    result = check(in_2019_layout())
    [outdated] = result.findings
    assert outdated.message == (
        "2023年度报告应使用2021版格式（国办公开办函〔2021〕30号），但表格仍是2019版格式（国办公开办函〔2019〕60号）"
        "（例如表二的栏目和第二十条第（九）项、表三“（六）其他处理”不分项）。"
    )
    assert (outdated.code, outdated.location.section, outdated.location.table) == ("FORMAT_OUTDATED", 2, "table2")
    # the first six of the 2019 layout's words found, in the order the layout lists them
    assert (
        outdated.evidence
        == "格式标志：本年新制作数量、本年新公开数量、对外公开总数量、上一年项目数量、本年增/减、第(九)项"
    )


def test_the_2019_layout_for_2020_is_in_time_and_its_negative_change_is_valid():
    assert findings(as_2020(in_2019_layout())) == []
    text = edit(as_2020(in_2019_layout()), "行政许可\t20\t-2\t25", "行政许可\t20\t-2.5\t25")
    assert findings(text) == [
        ("CELL_INVALID", "表二“第二十条第（五）项·行政许可”行“本年增/减”列的“-2.5”不是整数，该栏应填写件数。")
    ]


def test_a_layout_of_neither_format_is_unknown():
    # Given Table 2 without its column headings and with item 九 for item 八
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith("信息内容"))
    text = edit(text, "第二十条第（八）项", "第二十条第（九）项")
    [unknown] = check(text).findings
    assert (unknown.code, unknown.message, unknown.evidence) == (
        "FORMAT_UNKNOWN",
        "无法判断表格使用的是2019版还是2021版格式：表头和行的措辞与两种格式都不能对应，"
        "请按2021版格式（国办公开办函〔2021〕30号）填写。",
        "格式标志：第(九)项、（六）其他处理（分三项）",
    )


def test_nonstandard_wording_of_a_row_a_column_and_a_heading():
    text = edit(BASE, "行政规范性文件\t3", "规范性文件\t3")
    text = edit(text, "\t社会公益组织\t", "\t社会组织\t")
    text = edit(text, "五、存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况")
    result = check(text)
    assert [(f.code, f.message, f.location.section, f.location.row, f.location.column) for f in result.findings] == [
        (
            "LABEL_NONSTANDARD",
            "表二的行“规范性文件”与标准格式的“行政规范性文件”措辞不同。",
            2,
            "normative_documents",
            None,
        ),
        ("LABEL_NONSTANDARD", "表三的栏目“社会组织”与标准格式的“社会公益组织”措辞不同。", 3, None, "public_welfare"),
        (
            "LABEL_NONSTANDARD",
            "第五部分的标题“五、政府信息公开工作存在的主要问题及改进情况”与标准标题“五、存在的主要问题及改进情况”措辞不同。",
            5,
            None,
            None,
        ),
    ]
    assert all(f.severity is Severity.INFO for f in result.findings)


@pytest.mark.parametrize(
    "heading",
    [
        "第五部分 存在的主要问题及改进情况",
        "## 五、存在的主要问题及改进情况",
        "五、存在的主要问题及改进情况：略",
        "5.存在的主要问题及改进情况",
    ],
)
def test_a_standard_title_behind_another_numbering_is_standard(heading):
    assert findings(edit(BASE, "五、存在的主要问题及改进情况", heading)) == []


# --- narrative ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message", "numbers"),
    [
        (
            "自2023年1月1日起至2023年12月31日止",
            "自2022年1月1日起至2022年12月31日止",
            "标题为2023年度，但统计期限写的是2022年。",
            (2023, 2022),
        ),
        (
            "自2023年1月1日起至2023年12月31日止",
            "自2023年1月1日起至2024年12月31日止",
            "统计期限“2023年1月1日起至2024年12月31日”的起止年份不一致。",
            (None, None),
        ),
        (
            "我单位政府信息公开工作取得",
            "2022年，我单位政府信息公开工作取得",
            "第五部分写道“2022年，我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开”，"
            "把2022年当作本年度，而这是2023年度的报告（可能沿用了其他年度报告的文字）。",
            (2023, 2022),
        ),
        (
            "2023年，河西区民政局认真",
            "2024年，河西区民政局认真",
            "第一部分写道“2024年，河西区民政局认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公”，"
            "把2024年当作本年度，而这是2023年度的报告（可能沿用了其他年度报告的文字）。",
            (2023, 2024),
        ),
        (
            "2023年，河西区民政局认真",
            "2025年以来，河西区民政局认真",
            "第一部分写道“2025年以来，河西区民政局认真贯彻落实《中华人民共和国政府信息公开条例》，坚持”，"
            "把2025年当作本年度，而这是2023年度的报告（可能沿用了其他年度报告的文字）。",
            (2023, 2025),
        ),
        ("2024年1月6日", "2023年6月1日", "落款日期2023年6月1日早于2023年度结束，年度或日期有误。", (None, None)),
        ("2024年1月6日", "2023年12月31日", "落款日期2023年12月31日早于2023年度结束，年度或日期有误。", (None, None)),
    ],
)
def test_year_mismatch_messages(old, new, message, numbers):
    result = check(edit(BASE, old, new))
    assert [(f.code, f.message, f.expected, f.actual) for f in result.findings] == [
        ("YEAR_MISMATCH", message, *numbers)
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("我单位政府信息公开工作取得", "2024年，我单位政府信息公开工作取得"),  # next year, in section 五
        ("2023年，河西区民政局认真", "2024年，河西区民政局将认真"),  # next year, as a plan
        ("2023年，河西区民政局认真", "2019年以来，河西区民政局认真"),  # since a past year
        ("本年度未收取信息处理费。", "本年度未收取信息处理费。2024年将继续做好相关工作。"),  # next year, in 六
    ],
)
def test_statements_of_other_years_that_are_not_mistakes(old, new):
    assert findings(edit(BASE, old, new)) == []


def test_a_stale_year_is_reported_once_however_often_it_opens_a_paragraph():
    text = edit(BASE, "我单位政府信息公开工作取得", "2022年，我单位政府信息公开工作取得")
    text = edit(text, "（二）认真落实", "2022年，认真落实")
    assert [f.location.section for f in check(text).findings if f.code == "YEAR_MISMATCH"] == [5]


def test_fee_statement_missing_message():
    text = edit(BASE, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")
    [fee] = check(text).findings
    assert (fee.code, fee.message, fee.location.section) == (
        "FEE_STATEMENT_MISSING",
        "2021版格式要求在第六部分报告依据《政府信息公开信息处理费管理办法》收取信息处理费的情况"
        "（发出收费通知的件数和总金额；未收取的也应写明），本报告未提及信息处理费。",
        6,
    )


def test_a_fee_named_outside_section_6_is_a_fee_statement():
    text = edit(BASE, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")
    assert findings(edit(text, "明确专人负责。", "明确专人负责。本年度未收取信息处理费。")) == []


def test_without_section_6_the_fee_is_not_asked_for_and_in_2020_neither():
    text = edit(BASE, "（一）信息处理费收取情况。本年度未收取信息处理费。", "（一）其他事项。无。")
    assert findings(as_2020(in_2019_layout(text))) == []


_SECTION5 = (
    "我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度还不够；"
    "二是政策解读形式较为单一，群众参与度不高。下一步，我单位将进一步完善工作机制，加强业务培训，"
    "提升政府信息公开工作质效。"
)


@pytest.mark.parametrize(
    ("section5", "missing"),
    [
        ("无。", "只有2个字；没有写存在的问题；没有写改进措施"),
        (
            "我单位政府信息公开工作总体运行平稳，各项工作按照计划推进，群众满意度较好，本年度各项任务均已按时完成。",
            "没有写存在的问题；没有写改进措施",
        ),
        ("存在的问题是公开内容不够丰富，解读形式较为单一，部分栏目更新不及时，群众反映的意见较多。", "没有写改进措施"),
        ("下一步我单位将进一步完善工作机制，加强业务培训，提升政府信息公开工作的质量和效果。", "没有写存在的问题"),
        ("问题：人员不足。改进：加强培训。", "只有16个字"),
    ],
)
def test_section5_thin_says_what_is_missing(section5, missing):
    [thin] = check(edit(BASE, _SECTION5, section5)).findings
    assert (thin.code, thin.message, thin.location.section) == (
        "SECTION5_THIN",
        f"第五部分“存在的主要问题及改进情况”内容单薄：{missing}。",
        5,
    )


def test_a_section5_of_thirty_characters_is_long_enough():
    thirty = "存在问题是人员不足，培训不够。下一步将加强培训，完善机制提升质效。"
    assert len(thirty) == 33
    assert findings(edit(BASE, _SECTION5, thirty[3:])) == []
    assert findings(edit(BASE, _SECTION5, thirty[4:])) == [
        ("SECTION5_THIN", "第五部分“存在的主要问题及改进情况”内容单薄：只有29个字。")
    ]


def test_a_peoples_government_must_report_on_article_50():
    text = edit(BASE, "将政务公开纳入年度绩效考核，本年度未发生责任追究情况。", "定期召开工作会议。")
    assert findings(text) == []  # 河西区民政局 is a department, not a people's government
    government = text.replace("河西区民政局", "河西区人民政府")
    assert findings(government) == [
        (
            "SECTION5_THIN",
            "人民政府的年度报告还应报告政府信息公开工作考核、社会评议和责任追究结果情况"
            "（《政府信息公开条例》第五十条），本报告未提及。",
        )
    ]
    assert findings(edit(government, "定期召开工作会议。", "开展社会评议。")) == []


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "missing"),
    [
        ("河西区民政局政府信息公开工作年度报告", "年度（正文显示为2023年度报告）"),
        ("2023年政府信息公开工作年度报告", "机关名称"),
        ("河西区民政局2023年政府信息公开工作报告", "“年度报告”字样"),
        ("河西区民政局2023年度工作年度报告", "“政府信息公开”字样"),
        ("政府信息公开工作年度报告", "年度、机关名称（正文显示为2023年度报告）"),
    ],
)
def test_title_incomplete_names_what_is_missing(title, missing):
    [incomplete] = check(edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", title)).findings
    assert (incomplete.code, incomplete.message, incomplete.evidence) == (
        "TITLE_INCOMPLETE",
        f"标题“{title}”缺少{missing}；标准标题为“××（机关名称）××年政府信息公开工作年度报告”。",
        title,
    )


@pytest.mark.parametrize(
    "title",
    [
        "河西区民政局2023年政府信息公开工作年报",
        "河西区民政局2023年度政府信息公开工作报告",
        "河西区民政局2023年政府信息公开年度工作报告",
    ],
)
def test_complete_titles(title):
    assert findings(edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", title)) == []


def test_dates_missing_late_and_on_time():
    assert findings(edit(BASE, "\n2024年1月6日", "")) == [
        ("DATE_MISSING", "未找到发布日期：报告末尾通常应有发布机关署名和日期。")
    ]
    late = "落款日期为{}，晚于各部门和乡镇、街道年度报告2024年1月31日的发布期限（《政府信息公开条例》第四十九条）。"
    assert findings(edit(BASE, "2024年1月6日", "2024年2月1日")) == [("PUBLISHED_LATE", late.format("2024年2月1日"))]
    assert findings(edit(BASE, "2024年1月6日", "2024年2月")) == [("PUBLISHED_LATE", late.format("2024年2月"))]
    assert findings(edit(BASE, "2024年1月6日", "2024年1月31日")) == []
    assert findings(edit(BASE, "2024年1月6日", "2024年1月")) == []


def test_a_county_governments_report_is_due_by_31_march():
    government = BASE.replace("河西区民政局", "河西区人民政府")
    assert findings(edit(government, "2024年1月6日", "2024年3月31日")) == []
    assert findings(edit(government, "2024年1月6日", "2024年4月1日")) == [
        (
            "PUBLISHED_LATE",
            "落款日期为2024年4月1日，晚于县级以上人民政府年度报告2024年3月31日的发布期限（《政府信息公开条例》第四十九条）。",
        )
    ]
    # a township's people's government is not a county-level one
    township = BASE.replace("河西区民政局", "清水镇人民政府")
    assert [c for c, _ in findings(edit(township, "2024年1月6日", "2024年2月1日"))] == ["PUBLISHED_LATE"]


def test_a_report_without_its_year_has_no_deadline():
    text = edit(BASE, "河西区民政局2023年政府信息公开工作年度报告", "河西区民政局政府信息公开工作年度报告")
    text = edit(text, "自2023年1月1日起至2023年12月31日止", "")
    text = edit(edit(text, "2024年1月6日", "2030年1月6日"), "2023年，河西区", "今年，河西区")
    text = edit(text, "落实2023年政务", "落实政务")
    result = check(text)
    assert result.report.year is None
    assert [f.code for f in result.findings] == ["TITLE_INCOMPLETE"]


# --- input and status ---------------------------------------------------------------------------


def test_not_a_report():
    result = check("关于召开会议的通知\n\n请各单位准时参加。\n")
    assert findings("关于召开会议的通知\n\n请各单位准时参加。\n") == [
        ("NOT_A_REPORT", "该文件看起来不是政府信息公开工作年度报告：没有找到报告标题、规定的章节或统计表。")
    ]
    assert result.status is Status.FAIL


def test_scanned_pages_are_named():
    report = check(BASE).report
    some = run(report.model_copy(update={"pages": 5, "scanned_pages": [2, 4]}))
    assert [(f.code, f.message, f.location.page) for f in some] == [
        (
            "NO_TEXT_LAYER",
            "第2、4页是扫描图片，没有文字层，其中的内容无法核对；请上传由 Word 等直接导出、带文字层的 PDF。",
            2,
        )
    ]
    assert status_of(some) is Status.UNREADABLE
    every = run(report.model_copy(update={"pages": 2, "scanned_pages": [1, 2], "looks_like_report": False}))
    assert [(f.code, f.message) for f in every] == [
        (
            "NO_TEXT_LAYER",
            "整个文件都是扫描图片，没有文字层，其中的内容无法核对；请上传由 Word 等直接导出、带文字层的 PDF。",
        )
    ]


def test_status_follows_the_worst_severity():
    assert check(BASE).status is Status.PASS
    assert check(edit(BASE, "\n2024年1月6日", "")).status is Status.PASS  # info only
    assert check(edit(BASE, "2024年1月6日", "2024年2月1日")).status is Status.WARN
    assert check(edit(BASE, "\n五、存在的主要问题及改进情况\n", "\n")).status is Status.FAIL


def test_findings_come_errors_first_then_by_section_and_line():
    text = edit(BASE, "2024年1月6日", "2024年2月1日")  # a warning, no section
    text = edit(text, "\n五、存在的主要问题及改进情况\n", "\n")  # an error
    text = with_row("（一）予以公开", (5, "/", 0, 0, 0, 0, 6), text)  # a warning in section 三
    text = edit(text, "\n三、收到和处理", "\n二、收到和处理")  # info in section 三
    assert [f.code for f in check(text).findings] == [
        "SECTION_MISSING",
        "PUBLISHED_LATE",
        "CELL_BLANK",
        "SECTION_ORDER",
    ]


# --- messages built outside the report rules -----------------------------------------------------


def test_body_unknown_messages():
    assert body_unknown_message("某某中心", []) == (
        "报告中的机关名称“某某中心”与名册中的机关均不匹配，名册中也没有相近的名称。如该机关应当报送年报，请将其添加到名册。"
    )
    assert body_unknown_message(None, ["甲局"]) == (
        "未能从报告中识别出发布机关的名称，无法与名册中的机关对应；请核对报告的标题和落款。"
    )
    assert body_unknown_message("财政所", ["甲财政所", "乙财政所"], ambiguous=True) == (
        "报告中的机关名称“财政所”与名册中的多个机关相同：甲财政所、乙财政所，无法确定是哪一个。"
        "请在名册中修改其名称或别名，使之可以区分。"
    )
    assert body_unknown_message("河西民政局", ["河西区民政局", "河东区民政局", "河西区财政局", "河西区教育局"]) == (
        "报告中的机关名称“河西民政局”与名册中的机关均不匹配；最接近的有：河西区民政局、河东区民政局、河西区财政局。"
        "如为同一机关，请在名册中为其添加别名。"
    )
    # ambiguous with no names to offer is an unknown name
    assert body_unknown_message("某某中心", [], ambiguous=True).endswith(
        "名册中也没有相近的名称。如该机关应当报送年报，请将其添加到名册。"
    )


def test_report_overdue_message():
    assert report_overdue_message("河西区民政局", 2023, date(2024, 1, 31)) == (
        "河西区民政局应于2024年1月31日前发布2023年政府信息公开工作年度报告（《政府信息公开条例》第四十九条），"
        "截至期限仍未收到其报告。请督促其尽快发布并上传；如已发布，请上传报告文件。"
    )
    assert report_overdue_message("", 2023, date(2024, 3, 31)).startswith("名册中的该机关应于2024年3月31日前发布2023年")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "未知"), (float("inf"), "无上限"), (0, "0"), (12, "12"), (Decimal("1.50"), "1.50"), (2.5, "2.5")],
)
def test_fmt_number(value, shown):
    assert fmt_number(value) == shown


# --- history -------------------------------------------------------------------------------------

_ZERO = [0, 0, 0, 0, 0, 0, 0]


def facts(year: int, *, table3=None, table2=None, prose=None, fmt: str = "2021") -> YearFacts:
    rows = {key: list(_ZERO) for key in ("new", "carried_in", "results_total", "carried_out")} | (table3 or {})
    return YearFacts(year=year, format=fmt, agency="河西区民政局", table3=rows, table2=table2, prose=prose or {})


def test_carryover_mismatch_message():
    current = facts(2023, table3={"carried_in": [2, 0, 0, 0, 0, 0, 2]})
    previous = facts(2022, table3={"carried_out": [3, 0, 0, 0, 0, 0, 3]})
    found = run_history(current, History(previous=previous))
    tail = "本年度的上年结转数应等于上一年度结转下年度继续办理的数量。"
    assert [(f.message, f.location.column, f.expected, f.actual) for f in found] == [
        (
            "表三“自然人”列：2023年度报告的“二、上年结转政府信息公开申请数量”为2，"
            f"而2022年度报告的“四、结转下年度继续办理”为3；{tail}",
            "natural",
            3,
            2,
        ),
        (
            "表三“总计”列：2023年度报告的“二、上年结转政府信息公开申请数量”为2，"
            f"而2022年度报告的“四、结转下年度继续办理”为3；{tail}",
            "total",
            3,
            2,
        ),
    ]


def test_in_force_continuity_message():
    # Given 规章 continuing (4 + 1 - 0 = 5) and 行政规范性文件 not (9 + 3 - 1 = 11, printed 12)
    current = facts(2023, table2={"regulations": [1, 0, 5], "normative_documents": [3, 1, 12]})
    previous = facts(2022, table2={"regulations": [0, 0, 4], "normative_documents": [2, 0, 9]})
    found = run_history(current, History(previous=previous))
    assert [(f.code, f.message, f.location.row, f.location.column, f.expected, f.actual) for f in found] == [
        (
            "IN_FORCE_CONTINUITY",
            "表二“第二十条第（一）项·行政规范性文件”：2022年度报告的现行有效件数为9，2023年度本年制发3件、"
            "本年废止1件，现行有效件数应为9+3-1=11，但报告为12。如有文件因有效期届满等原因失效，请在报告中说明。",
            "normative_documents",
            "in_force",
            11,
            12,
        )
    ]
    # a repeal counts against: 9 + 3 - 0 = 12 holds
    previous_zero = facts(2022, table2={"regulations": [0, 0, 4], "normative_documents": [2, 0, 9]})
    holding = facts(2023, table2={"regulations": [1, 0, 5], "normative_documents": [3, 0, 12]})
    assert run_history(holding, History(previous=previous_zero)) == []
    # and only when both years use the 2021 layout
    assert run_history(current, History(previous=previous.model_copy(update={"format": "2019"}))) == []
    assert run_history(current.model_copy(update={"format": "2019"}), History(previous=previous)) == []


def test_hierarchy_sum_message():
    children = [
        ChildFacts(body_id="a", name="甲镇人民政府", facts=facts(2023, table3={"new": [0, 0, 0, 0, 0, 0, 4]})),
        ChildFacts(body_id="b", name="乙局", facts=facts(2023, table3={"new": [0, 0, 0, 0, 0, 0, 6]})),
    ]
    current = facts(2023, table3={"new": [0, 0, 0, 0, 0, 0, 11]})
    found = run_history(current, History(children=children, sums_children=True))
    assert [(f.code, f.message, f.location.row, f.location.column, f.expected, f.actual) for f in found] == [
        (
            "HIERARCHY_SUM",
            "表三“一、本年新收政府信息公开申请数量”的总计为11，而下属2个机关2023年度报告中该项总计之和为10"
            "（甲镇人民政府4、乙局6）；汇总报告的数字应等于下属机关报告之和。",
            "new",
            "total",
            10,
            11,
        )
    ]
    adds_up = facts(2023, table3={"new": [0, 0, 0, 0, 0, 0, 10]})
    assert run_history(adds_up, History(children=children, sums_children=True)) == []


_PROSE = (
    "我局坚持以公开为常态、不公开为例外，围绕民政重点工作，及时发布社会救助、养老服务、婚姻登记、"
    "殡葬管理等方面的政策文件和办事指南，主动回应群众关切，做好政策解读，完善依申请公开办理机制，"
    "严格按照法定程序和时限答复申请人，加强政府网站和政务新媒体管理，"
    "定期开展内容巡查，确保信息发布准确及时，将政务公开纳入年度绩效考核，接受社会监督。"
    "存在的问题是公开内容不够丰富，解读形式较为单一。下一步将加强培训，完善机制，提升公开质量。"
    "同时认真办理人大代表建议和政协提案，按时公开办理结果。"
)


def test_text_reuse_message():
    # Given two years whose section 一 prose is the same text, numbers apart
    previous = facts(2022, prose={"1": "2022年，" + _PROSE})
    current = facts(2023, prose={"1": "2023年，" + _PROSE})
    [reuse] = run_history(current, History(previous=previous))
    quote = re.sub(r"\s", "", ("2023年，" + _PROSE))[:59] + "…"
    assert reuse.code == "TEXT_REUSE"
    assert reuse.message == (
        "第一部分的文字有100%与2022年度报告相同（不计数字、日期、标点和空白），超过50%。"
        "2023年度报告应反映本年度的工作情况，请核实是否沿用了上年度报告的文字。"
        f"重复的最长一段在第一部分：“{quote}”。"
    )
    assert (reuse.expected, reuse.actual, reuse.location.section) == (50, 100, 1)


# --- scans read by OCR ------------------------------------------------------------------------------


def read_unsure(
    cells: Sequence[tuple[str, str, str, str, float | None]], pages: list[int], total: int = 5, text: str = BASE
) -> Report:
    """The handmade report as if OCR had read ``pages`` of ``total`` and was unsure of ``cells``:
    (table, row, column, what it read, its confidence)."""
    report = check(text).report
    tables = {}
    for name in ("table2", "table3", "table4"):
        table = report.table(name)
        assert table is not None
        rows = dict(table.rows)
        for where, key, column, raw, confidence in cells:
            if where != name:
                continue
            row = rows[key]
            placed = list(row.placements[0])
            placed[row.columns.index(column)] = Cell(raw=raw, kind=CellKind.UNCERTAIN, confidence=confidence)
            rows[key] = row.model_copy(update={"placements": [tuple(placed)]})
        tables[name] = table.model_copy(update={"rows": rows})
    return report.model_copy(update={**tables, "pages": total, "ocr_pages": pages})


def test_pages_read_by_ocr_are_named():
    some = run(read_unsure([], [2, 4]))
    assert [(f.code, f.severity, f.message, f.location.page) for f in some] == [
        (
            "READ_BY_OCR",
            Severity.INFO,
            "第2、4页是扫描图片，已通过文字识别（OCR）读取；识别把握不足的单元格不参与核对，核查结果请以原件为准。",
            2,
        )
    ]
    assert status_of(some) is Status.PASS
    every = run(read_unsure([], [1, 2], total=2))
    assert [f.message for f in every] == [
        "整个文件都是扫描图片，已通过文字识别（OCR）读取；识别把握不足的单元格不参与核对，核查结果请以原件为准。"
    ]


def test_an_unsure_cell_is_named_with_what_was_read_and_how_sure():
    # Given 本年新收's 自然人 (10) read as 18 at 62%: the new-requests balance would have failed
    found = run(read_unsure([("table3", "new", "natural", "18", 0.62)], [1, 2, 3], total=3))
    assert [(f.code, f.message, f.location.table, f.location.row, f.location.column) for f in found] == [
        (
            "READ_BY_OCR",
            "整个文件都是扫描图片，已通过文字识别（OCR）读取；识别把握不足的单元格不参与核对，核查结果请以原件为准。",
            None,
            None,
            None,
        ),
        (
            "OCR_LOW_CONFIDENCE",
            "表三“一、本年新收政府信息公开申请数量”行“自然人”列（识别为“18”，把握62%）的文字识别把握不足，"
            "未参与勾稽关系等核对，请对照原件人工核对。",
            "table3",
            "new",
            "natural",
        ),
    ]


def test_unsure_cells_past_five_are_counted_and_table_4_names_its_column():
    cells = [
        ("table3", "granted", "natural", "", None),
        ("table3", "granted", "commercial", "7", 0.5),
        ("table3", "partial", "total", "1?", 0.31),
        ("table3", "denied_1", "other", "0", 0.79),
        ("table4", "cases", "review_upheld", "3", 0.4),
        ("table4", "cases", "suit_total", "12345678901234567890", 0.2),
        ("table4", "cases", "post_review_suit_pending", "2", 0.66),
    ]
    [low] = [f for f in run(read_unsure(cells, [3])) if f.code == "OCR_LOW_CONFIDENCE"]
    assert low.message == (
        "表三“（一）予以公开”行“自然人”列（识别为“（空）”）、"
        "表三“（一）予以公开”行“商业企业”列（识别为“7”，把握50%）、"
        "表三“（二）部分公开（区分处理的，只计这一情形，不计其他情形）”行“总计”列（识别为“1?”，把握31%）、"
        "表三“1.属于国家秘密”行“其他”列（识别为“0”，把握79%）、"
        "表四“行政复议·结果维持”列（识别为“3”，把握40%）等7个单元格的文字识别把握不足，"
        "未参与勾稽关系等核对，请对照原件人工核对。"
    )
    assert (low.location.table, low.location.row, low.location.column) == ("table3", "granted", "natural")
    assert low.evidence == "（一）予以公开 5 1 0 0 0 0 6"  # the handmade table's row


def test_five_unsure_cells_are_all_named_and_table_2_names_its_layouts_labels():
    cells = [
        ("table2", "licensing", "decisions", "2S", 0.45),
        ("table3", "new", "natural", "10", 0.7),
        ("table3", "new", "total", "14", 0.7),
        ("table3", "carried_out", "natural", "1", 0.7),
        ("table3", "carried_out", "total", "3", 0.7),
    ]
    [low] = [f for f in run(read_unsure(cells, [2], text=as_2020(in_2019_layout()))) if f.code == "OCR_LOW_CONFIDENCE"]
    assert low.message == (
        "表二“第二十条第（五）项·行政许可”行“处理决定数量”列（识别为“2S”，把握45%）、"
        "表三“一、本年新收政府信息公开申请数量”行“自然人”列（识别为“10”，把握70%）、"
        "表三“一、本年新收政府信息公开申请数量”行“总计”列（识别为“14”，把握70%）、"
        "表三“四、结转下年度继续办理”行“自然人”列（识别为“1”，把握70%）、"
        "表三“四、结转下年度继续办理”行“总计”列（识别为“3”，把握70%）的文字识别把握不足，"
        "未参与勾稽关系等核对，请对照原件人工核对。"
    )
