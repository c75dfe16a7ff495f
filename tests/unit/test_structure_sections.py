"""Every section can be the missing one; structure findings with their whole messages.

The report is tests/unit/handmade.py's, typed by hand; every expected message is typed here too,
so that a fault in nianbao.spec (a title, an ordinal, a row's label) fails these tests instead of
moving the report and its expectation together.
"""

from __future__ import annotations

import pytest

from tests.unit.handmade import (
    BASE,
    HEADINGS,
    check,
    edit,
    findings,
    messages,
    with_row,
    with_table4,
    without_heading,
    without_section,
)

pytestmark = pytest.mark.unit

MISSING = {
    1: "缺少第一部分“总体情况”。",
    2: "缺少第二部分“主动公开政府信息情况”。",
    3: "缺少第三部分“收到和处理政府信息公开申请情况”。",
    4: "缺少第四部分“政府信息公开行政复议、行政诉讼情况”。",
    5: "缺少第五部分“存在的主要问题及改进情况”。",
    6: "缺少第六部分“其他需要报告的事项”。",
}
TABLE_MISSING = {
    2: "未找到表二（主动公开政府信息情况）。",
    3: "未找到表三（收到和处理政府信息公开申请情况）。",
    4: "未找到表四（政府信息公开行政复议、行政诉讼情况）。",
}


def test_the_handmade_report_is_clean():
    assert findings(BASE) == []


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6])
def test_each_section_whose_heading_is_dropped_is_the_one_missing_and_nothing_else_is_found(number):
    # Given the clean report with one section's heading dropped (its text and table stay)
    result = check(without_heading(number))
    # Then that section, and only it, is missing: one finding, naming it, at that section
    assert [(f.code, f.message) for f in result.findings] == [("SECTION_MISSING", MISSING[number])]
    assert result.findings[0].location.section == number
    assert sorted(result.report.sections) == [n for n in range(1, 7) if n != number]


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6])
def test_each_section_dropped_whole_is_missing_with_its_table_and_no_other_error(number):
    result = check(without_section(number))
    expected = [("SECTION_MISSING", MISSING[number])]
    if number in TABLE_MISSING:
        expected.append(("TABLE_MISSING", TABLE_MISSING[number]))
    assert [(f.code, f.message) for f in result.findings] == expected
    assert [f.location.section for f in result.findings] == [number] * len(expected)


def test_two_sections_missing_are_both_named_in_order():
    text = without_heading(5, without_heading(2))
    assert findings(text) == [("SECTION_MISSING", MISSING[2]), ("SECTION_MISSING", MISSING[5])]


def test_a_section_printed_after_a_later_one_is_out_of_order():
    # Given section 四 moved after section 五
    four = BASE[BASE.index(f"\n{HEADINGS[4]}\n") : BASE.index(f"\n{HEADINGS[5]}\n")]
    five = BASE[BASE.index(f"\n{HEADINGS[5]}\n") : BASE.index(f"\n{HEADINGS[6]}\n")]
    result = check(edit(BASE, four + five, five + four))
    # Then section 四 is reported, at its heading, and section 五 is not
    assert [(f.code, f.message, f.location.section, f.evidence) for f in result.findings] == [
        (
            "SECTION_ORDER",
            "第四部分“政府信息公开行政复议、行政诉讼情况”出现在第五部分之后，"
            "与标准顺序不同（也可能是排版或文本提取打乱了顺序，请核对原文）。",
            4,
            "四、政府信息公开行政复议、行政诉讼情况",
        )
    ]


def test_a_section_after_two_later_ones_names_the_last_of_them():
    # Given section 二 printed after sections 三 and 四
    two = BASE[BASE.index(f"\n{HEADINGS[2]}\n") : BASE.index(f"\n{HEADINGS[3]}\n")]
    three_four = BASE[BASE.index(f"\n{HEADINGS[3]}\n") : BASE.index(f"\n{HEADINGS[5]}\n")]
    assert messages(edit(BASE, two + three_four, three_four + two), "SECTION_ORDER") == [
        "第二部分“主动公开政府信息情况”出现在第四部分之后，与标准顺序不同（也可能是排版或文本提取打乱了顺序，请核对原文）。"
    ]


def test_a_heading_with_the_wrong_ordinal():
    result = check(edit(BASE, "\n三、收到和处理", "\n二、收到和处理"))
    assert [(f.code, f.message, f.location.section) for f in result.findings] == [
        ("SECTION_ORDER", "“收到和处理政府信息公开申请情况”的标题序号为“二”，标准格式中应为“三”。", 3)
    ]


@pytest.mark.parametrize("ordinal", ["3、", "第三部分 "])
def test_a_heading_numbered_in_digits_or_as_a_part_has_no_wrong_ordinal(ordinal):
    assert findings(edit(BASE, "\n三、收到和处理", f"\n{ordinal}收到和处理")) == []


def test_an_empty_table_3_is_one_finding_at_its_header():
    # Given Table 3 with its header and no row
    start = BASE.index("\n一、本年新收")
    text = BASE[:start] + BASE[BASE.index(f"\n\n{HEADINGS[4]}") :]
    result = check(text)
    [empty] = result.findings
    assert (empty.code, empty.message, empty.location.section, empty.location.table) == (
        "TABLE_EMPTY",
        "表三（收到和处理政府信息公开申请情况）有表头但没有填写任何数字。",
        3,
        "table3",
    )
    assert empty.evidence is None


def test_an_empty_table_4_names_table_4():
    text = edit(BASE, "\n1\t0\t0\t1\t2\t0\t1\t0\t0\t1\t0\t0\t0\t0\t0\n", "\n")
    assert findings(text) == [("TABLE_EMPTY", "表四（政府信息公开行政复议、行政诉讼情况）有表头但没有填写任何数字。")]


@pytest.mark.parametrize(
    ("line", "message", "where"),
    [
        (
            "\t\t5.属于三类内部事务信息\t0\t0\t0\t0\t0\t0\t0",
            "表三缺少“5.属于三类内部事务信息”一行。",
            ("table3", "denied_5"),
        ),
        (
            "\t（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t1\t0\t0\t0\t0\t0\t1",
            None,  # its 1s leave the results short: the balance findings come too
            ("table3", "partial"),
        ),
        ("规章\t0\t0\t0", "表二缺少“第二十条第（一）项·规章”一行。", ("table2", "regulations")),
        ("行政强制\t2", "表二缺少“第二十条第（六）项·行政强制”一行。", ("table2", "enforcement")),
    ],
)
def test_a_missing_row_is_named_with_its_block(line, message, where):
    result = check(edit(BASE, f"\n{line}\n", "\n"))
    missing = [f for f in result.findings if f.code == "ROW_MISSING"]
    assert [(f.location.section, f.location.table, f.location.row) for f in missing] == [(int(where[0][-1]), *where)]
    if message is not None:
        assert [(f.code, f.message) for f in result.findings] == [("ROW_MISSING", message)]
    else:
        assert missing[0].message == "表三缺少“（二）部分公开（区分处理的，只计这一情形，不计其他情形）”一行。"


def test_other_handling_printed_as_one_row_names_its_three_items():
    # Given the 2021 layout with （六）其他处理 printed as the 2019 format's single row of zeros
    three = (
        "\n\t（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0"
        "\n\t\t2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0"
        "\n\t\t3.其他\t0\t0\t0\t0\t0\t0\t0\n"
    )
    result = check(edit(BASE, three, "\n\t（六）其他处理\t0\t0\t0\t0\t0\t0\t0\n"))
    assert [(f.code, f.message, f.location.row) for f in result.findings] == [
        (
            "ROW_MISSING",
            "表三“（六）其他处理”只印了一行，缺少其下的三项"
            "（“1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请”"
            "“2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请”“3.其他”）；"
            "这一行的数字按三项之和参与核对。",
            "other",
        )
    ]


# --- the shape of a row -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            (10, 2, 1, 0, 1, 14),
            "表三“一、本年新收政府信息公开申请数量”行有6个单元格，应为7个；缺少的数值位置不明，"
            "无法确定各数值对应的列，涉及这些数值的核对将按所有可能的排列进行。",
        ),
        (
            (10, 2, 1, 0, 0, 0, 1, 14),
            "表三“一、本年新收政府信息公开申请数量”行有8个单元格，应为7个；多出的数值位置不明，"
            "无法确定各数值对应的列，涉及这些数值的核对将按所有可能的排列进行。",
        ),
    ],
)
def test_a_row_with_a_cell_too_few_or_too_many(cells, message):
    result = check(with_row("一、本年新收政府信息公开申请数量", cells))
    shapes = [f for f in result.findings if f.code == "ROW_SHAPE"]
    assert [(f.message, f.location.row, f.evidence) for f in shapes] == [
        (message, "new", "一、本年新收政府信息公开申请数量 " + " ".join(str(c) for c in cells))
    ]


def test_a_row_whose_every_placement_is_the_same_says_so():
    result = check(with_row("2.没有现成信息需要另行制作", (0,) * 8))
    assert findings(with_row("2.没有现成信息需要另行制作", (0,) * 8)) == [
        (
            "ROW_SHAPE",
            "表三“2.没有现成信息需要另行制作”行有8个单元格，应为7个；多出的数值位置不明，各种可能的排列结果相同。",
        )
    ]
    assert result.findings[0].location.row == "unable_2"


def test_table_4_short_of_too_many_cells_is_left_unknown():
    assert findings(with_table4((1, 0, 0, 1, 2, 0, 1, 0, 0, 1))) == [
        (
            "ROW_SHAPE",
            "表四有10个单元格，应为15个；缺少的数值位置不明，可能的排列过多，无法确定各数值对应的列，"
            "该行各数值按未知处理，不参与核对。",
        )
    ]


def test_table_4_with_a_cell_too_many():
    [shape] = check(with_table4((1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0))).findings
    assert (shape.code, shape.message) == (
        "ROW_SHAPE",
        "表四有16个单元格，应为15个；多出的数值位置不明，无法确定各数值对应的列，涉及这些数值的核对将按所有可能的排列进行。",
    )


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("约1", "表三“（一）予以公开”行“商业企业”列的“约1”不是数字。"),
        ("-1", "表三“（一）予以公开”行“商业企业”列的“-1”是负数，该栏只能填写非负数。"),
        ("1.5", "表三“（一）予以公开”行“商业企业”列的“1.5”不是整数，该栏应填写件数。"),
        (
            "12345678901234567890",
            "表三“（一）予以公开”行“商业企业”列的“12345678…（共20位）”位数过多（超过15位），"
            "不是有效的件数或金额，请核对原文。",
        ),
    ],
)
def test_an_invalid_table_3_cell(raw, message):
    result = check(with_row("（一）予以公开", (5, raw, 0, 0, 0, 0, 6)))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.location.table, f.location.row, f.location.column) for f in invalid] == [
        (message, "table3", "granted", "commercial")
    ]


@pytest.mark.parametrize(
    ("old", "new", "message", "column"),
    [
        (
            "行政许可\t25",
            "行政许可\t2.5",
            "表二“第二十条第（五）项·行政许可”行“本年处理决定数量”列的“2.5”不是整数，该栏应填写件数。",
            "decisions",
        ),
        (
            "行政规范性文件\t3\t1\t12",
            "行政规范性文件\t3\t-1\t12",
            "表二“第二十条第（一）项·行政规范性文件”行“本年废止件数”列的“-1”是负数，该栏只能填写非负数。",
            "repealed",
        ),
        (
            "行政事业性收费\t1.5",
            "行政事业性收费\t-1.5",
            "表二“第二十条第（八）项·行政事业性收费”行“本年收费金额（单位：万元）”列的“-1.5”是负数，该栏只能填写非负数。",
            "fee_amount",
        ),
    ],
)
def test_an_invalid_table_2_cell_names_its_block_and_column(old, new, message, column):
    result = check(edit(BASE, old, new))
    assert [(f.code, f.message, f.location.column) for f in result.findings] == [("CELL_INVALID", message, column)]


def test_an_amount_in_wan_yuan_may_have_decimals():
    assert findings(edit(BASE, "行政事业性收费\t1.5", "行政事业性收费\t0.25")) == []


def test_each_of_two_equal_invalid_cells_in_a_row_is_named_by_its_column():
    result = check(with_row("（一）予以公开", (5, "-1", "-1", 0, 0, 0, 6)))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.location.column) for f in invalid] == [
        ("表三“（一）予以公开”行“商业企业”列的“-1”是负数，该栏只能填写非负数。", "commercial"),
        ("表三“（一）予以公开”行“科研机构”列的“-1”是负数，该栏只能填写非负数。", "research"),
    ]


def test_an_invalid_table_4_cell_names_its_column():
    result = check(with_table4((1, 0, 0, "一", 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0)))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.location.column) for f in invalid] == [
        ("表四“行政复议·尚未审结”列的“一”不是数字。", "review_pending")
    ]


def test_an_invalid_cell_of_a_row_that_cannot_be_placed_names_the_row_only():
    result = check(with_row("（一）予以公开", (5, "约1", 0, 0, 0, 6)))
    invalid = [f for f in result.findings if f.code == "CELL_INVALID"]
    assert [(f.message, f.location.row, f.location.column) for f in invalid] == [
        ("表三“（一）予以公开”行的“约1”不是数字。", "granted", None)
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("/", "表三“（一）予以公开”行“商业企业”列填写了“/”，应填写数字，没有的填0。"),
        ("", "表三“（一）予以公开”行“商业企业”列为空，应填写数字，没有的填0。"),
    ],
)
def test_one_blank_cell(raw, message):
    result = check(with_row("（一）予以公开", (5, raw, 0, 0, 0, 0, 6)))
    blank = [f for f in result.findings if f.code == "CELL_BLANK"]
    assert [(f.message, f.location.row, f.location.column) for f in blank] == [(message, "granted", "commercial")]
    assert not [f for f in result.findings if f.severity.value == "error"]


def test_a_whole_blank_row_is_one_finding():
    result = check(with_row("（一）予以公开", ("/",) * 7))
    blank = [f for f in result.findings if f.code == "CELL_BLANK"]
    assert [(f.message, f.location.row, f.location.column) for f in blank] == [
        ("表三“（一）予以公开”行全部未填写数字，应填写数字，没有的填0。", "granted", None)
    ]


def test_two_blank_cells_of_one_row_are_two_findings_in_column_order():
    result = check(with_row("（一）予以公开", (5, "/", "—", 0, 0, 0, 6)))
    assert [f.message for f in result.findings if f.code == "CELL_BLANK"] == [
        "表三“（一）予以公开”行“商业企业”列填写了“/”，应填写数字，没有的填0。",
        "表三“（一）予以公开”行“科研机构”列填写了“—”，应填写数字，没有的填0。",
    ]


def test_a_whole_blank_column_of_table_3_is_one_finding():
    # Given Table 3 with its 商业企业 column left empty in every one of its 25 rows
    lines = []
    for line in BASE.split("\n"):
        cells = line.split("\t")
        if len(cells) >= 9 and cells[-1].isdigit() and "\t".join(cells[-7:]).replace("\t", "").isdigit():
            cells[-6] = ""
        lines.append("\t".join(cells))
    result = check("\n".join(lines))
    blank = [f for f in result.findings if f.code == "CELL_BLANK" and f.location.table == "table3"]
    assert [(f.message, f.location.row, f.location.column) for f in blank] == [
        ("表三“商业企业”列全部未填写数字（共25行），应填写数字，没有的填0。", None, "commercial")
    ]
    assert blank[0].evidence == "一、本年新收政府信息公开申请数量 10 □ 1 0 0 1 14"


def test_two_whole_blank_columns_come_in_column_order():
    lines = []
    for line in BASE.split("\n"):
        cells = line.split("\t")
        if len(cells) >= 9 and "".join(cells[-7:]).isdigit():
            cells[-2] = cells[-5] = ""
        lines.append("\t".join(cells))
    blank = [f for f in check("\n".join(lines)).findings if f.code == "CELL_BLANK" and f.location.table == "table3"]
    assert [f.message for f in blank] == [
        "表三“科研机构”列全部未填写数字（共25行），应填写数字，没有的填0。",
        "表三“其他”列全部未填写数字（共25行），应填写数字，没有的填0。",
    ]


def test_a_blank_table_4_cell_is_named_by_its_column_and_never_folded():
    result = check(with_table4((1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, "", 0)))
    assert [(f.code, f.message) for f in result.findings] == [
        ("CELL_BLANK", "表四“行政诉讼·复议后起诉·尚未审结”列为空，应填写数字，没有的填0。")
    ]
