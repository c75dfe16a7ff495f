"""Every kind of count stated in prose (requests, carried in, carried out, reviews, lawsuits) is
compared with its table wherever it is written, and says nothing when it agrees.

The report is tests/unit/handmade.py's: Table 3's 总计 column prints 新收 14, 上年结转 1, 结转下年度 3;
Table 4 prints 行政复议 总计 2, 未经复议直接起诉 总计 1, 复议后起诉 总计 0. Its prose states no count,
so the sentence a test adds is the first of its kind.
"""

from __future__ import annotations

import pytest

from tests.unit.handmade import BASE, check, edit, findings, with_paragraph, with_row, with_table4

pytestmark = pytest.mark.unit

WHERE = {None: "报告开头", 1: "第一部分", 2: "第二部分", 3: "第三部分", 4: "第四部分", 5: "第五部分", 6: "第六部分"}
SECTIONS = list(WHERE)

# kind: (a sentence that disagrees, what the message says the table holds, where the finding
# points (table, row, column), the table's value, the count stated)
DISAGREE = {
    "requests": (
        "全年共收到政府信息公开申请20件。",
        "表三“本年新收政府信息公开申请数量”的总计为14",
        ("table3", "new", "total"),
        14,
        20,
    ),
    "carried_in": (
        "上年结转政府信息公开申请5件。",
        "表三“上年结转政府信息公开申请数量”的总计为1",
        ("table3", "carried_in", "total"),
        1,
        5,
    ),
    "carried_out": (
        "结转下年度继续办理7件。",
        "表三“结转下年度继续办理”的总计为3",
        ("table3", "carried_out", "total"),
        3,
        7,
    ),
    "review": ("被申请行政复议6件。", "表四行政复议的总计为2", ("table4", "cases", "review_total"), 2, 6),
    "suit": (
        "被提起行政诉讼4件。",
        "表四行政诉讼（直接起诉与复议后起诉）的总计为1",
        ("table4", "cases", "suit_total"),
        1,
        4,
    ),
}
AGREE = {
    "requests": ["全年共收到政府信息公开申请14件。", "本年度受理政府信息公开申请15件。"],  # 15: with the 1 carried in
    "carried_in": ["上年结转政府信息公开申请1件。", "上年度结转的申请一件。"],
    "carried_out": ["结转下年度继续办理3件。", "结转至下一年度的申请共3件。"],
    "review": ["因政府信息公开被申请行政复议2件。", "行政复议案件两件。"],
    "suit": ["被提起行政诉讼1件。", "因政府信息公开工作引起的行政诉讼案件共计1件。"],
}


@pytest.mark.parametrize("number", SECTIONS)
@pytest.mark.parametrize("kind", list(DISAGREE))
def test_a_count_that_disagrees_is_reported_from_any_section(kind, number):
    sentence, table_says, (table, row, column), expected, actual = DISAGREE[kind]
    # Given the clean report with one sentence stating a wrong count, in section `number`
    result = check(with_paragraph(number, sentence))
    # Then one finding quotes the clause, names where it was written and what the table says
    [finding] = result.findings
    assert finding.code == "TEXT_TABLE_MISMATCH"
    assert finding.message == f"{WHERE[number]}写道“{sentence[:-1]}”，但{table_says}。"
    assert (finding.location.section, finding.location.table, finding.location.row, finding.location.column) == (
        number,
        table,
        row,
        column,
    )
    assert (finding.expected, finding.actual, finding.evidence) == (expected, actual, sentence[:-1])


@pytest.mark.parametrize("number", SECTIONS)
@pytest.mark.parametrize("kind", list(AGREE))
def test_a_count_that_agrees_is_silent_in_any_section(kind, number):
    for sentence in AGREE[kind]:
        assert findings(with_paragraph(number, sentence)) == [], sentence


def test_all_five_kinds_in_one_paragraph_give_five_findings_in_the_order_written():
    paragraph = "".join(DISAGREE[kind][0] for kind in DISAGREE)
    assert [m for _, m in findings(with_paragraph(5, paragraph))] == [
        "第五部分写道“全年共收到政府信息公开申请20件”，但表三“本年新收政府信息公开申请数量”的总计为14。",
        "第五部分写道“上年结转政府信息公开申请5件”，但表三“上年结转政府信息公开申请数量”的总计为1。",
        "第五部分写道“结转下年度继续办理7件”，但表三“结转下年度继续办理”的总计为3。",
        "第五部分写道“被申请行政复议6件”，但表四行政复议的总计为2。",
        "第五部分写道“被提起行政诉讼4件”，但表四行政诉讼（直接起诉与复议后起诉）的总计为1。",
    ]


def test_only_the_first_claim_of_a_kind_is_compared():
    # Given a wrong count in section 一 and another wrong one in section 五
    text = with_paragraph(5, "全年共收到政府信息公开申请30件。", with_paragraph(1, "全年共收到政府信息公开申请20件。"))
    assert [m for _, m in findings(text)] == [
        "第一部分写道“全年共收到政府信息公开申请20件”，但表三“本年新收政府信息公开申请数量”的总计为14。"
    ]
    # and a right count first hides a wrong one after it
    text = with_paragraph(5, "全年共收到政府信息公开申请30件。", with_paragraph(1, "全年共收到政府信息公开申请14件。"))
    assert findings(text) == []


@pytest.mark.parametrize(
    ("sentence", "messages"),
    [
        (
            "本年度未收到政府信息公开申请。",
            ["第三部分写道“本年度未收到政府信息公开申请”，但表三“本年新收政府信息公开申请数量”的总计为14。"],
        ),
        (
            "全年未发生政府信息公开行政复议案件。",
            ["第三部分写道“全年未发生政府信息公开行政复议案件”，但表四行政复议的总计为2。"],
        ),
        (
            "无行政诉讼。",
            ["第三部分写道“无行政诉讼”，但表四行政诉讼（直接起诉与复议后起诉）的总计为1。"],
        ),
        (
            "本年度未发生政府信息公开行政复议和行政诉讼案件。",
            [
                "第三部分写道“本年度未发生政府信息公开行政复议和行政诉讼案件”，但表四行政复议的总计为2。",
                "第三部分写道“本年度未发生政府信息公开行政复议和行政诉讼案件”，"
                "但表四行政诉讼（直接起诉与复议后起诉）的总计为1。",
            ],
        ),
        (
            "行政复议和行政诉讼各1件。",
            ["第三部分写道“行政复议和行政诉讼各1件”，但表四行政复议的总计为2。"],  # the lawsuits agree
        ),
        (
            "行政复议和行政诉讼共5件。",
            ["第三部分写道“行政复议和行政诉讼共5件”，但表四行政复议与行政诉讼的总计之和为3。"],
        ),
    ],
)
def test_zero_and_joint_claims(sentence, messages):
    assert [m for _, m in findings(with_paragraph(3, sentence))] == messages


@pytest.mark.parametrize("sentence", ["行政复议和行政诉讼共3件。", "行政复议和行政诉讼均为0件。"])
def test_a_joint_claim_that_agrees_or_a_zero_that_tables_cannot_contradict(sentence):
    text = with_paragraph(1, sentence)
    if "均为0" in sentence:
        # Given a Table 4 that is all zeros, "均为0件" agrees with both blocks
        text = with_table4((0,) * 15, text)
    assert findings(text) == []


def test_a_count_whose_table_is_missing_or_empty():
    # Given a claim about reviews while Table 4 is not printed at all
    no_table = BASE[: BASE.index("\n行政复议\t")] + BASE[BASE.index("\n\n五、存在的主要问题") :]
    text = with_paragraph(1, "被申请行政复议6件。", no_table)
    assert findings(text) == [
        ("TABLE_MISSING", "未找到表四（政府信息公开行政复议、行政诉讼情况）。"),
        ("TEXT_TABLE_MISMATCH", "第一部分写道“被申请行政复议6件”，但表四缺失。"),
    ]
    # and while it is printed without numbers
    empty = edit(BASE, "\n1\t0\t0\t1\t2\t0\t1\t0\t0\t1\t0\t0\t0\t0\t0\n", "\n")
    assert findings(with_paragraph(1, "被申请行政复议6件。", empty)) == [
        ("TABLE_EMPTY", "表四（政府信息公开行政复议、行政诉讼情况）有表头但没有填写任何数字。"),
        ("TEXT_TABLE_MISMATCH", "第一部分写道“被申请行政复议6件”，但表四没有填写任何数据。"),
    ]
    # a zero said of an empty table contradicts nothing
    assert [c for c, _ in findings(with_paragraph(1, "未发生行政复议。", empty))] == ["TABLE_EMPTY"]


def test_a_total_left_blank_is_read_from_its_parts():
    # Given 新收 with its 总计 cell blank: the six applicant cells still add up to 14
    text = with_row("一、本年新收政府信息公开申请数量", (10, 2, 1, 0, 0, 1, "/"))
    assert [m for _, m in findings(with_paragraph(1, "全年共收到政府信息公开申请20件。", text))] == [
        "第一部分写道“全年共收到政府信息公开申请20件”，但表三“本年新收政府信息公开申请数量”的总计为14。",
        "表三“一、本年新收政府信息公开申请数量”行“总计”列填写了“/”，应填写数字，没有的填0。",
    ]
    # while with a part blank too nothing can be said
    text = with_row("一、本年新收政府信息公开申请数量", (10, "/", 1, 0, 0, 1, "/"))
    assert "TEXT_TABLE_MISMATCH" not in {
        c for c, _ in findings(with_paragraph(1, "全年共收到政府信息公开申请20件。", text))
    }


def test_a_table_4_total_left_blank_is_read_from_its_parts():
    text = with_table4((1, 0, 0, 1, "/", 0, 1, 0, 0, 1, 0, 0, 0, 0, 0), with_paragraph(1, "被申请行政复议6件。"))
    assert [m for _, m in findings(text)] == [
        "第一部分写道“被申请行政复议6件”，但表四行政复议的总计为2。",
        "表四“行政复议·总计”列填写了“/”，应填写数字，没有的填0。",
    ]
    # the lawsuits add the direct suits and the suits after review
    text = with_table4((1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 2, 0, 0, 2), with_paragraph(1, "被提起行政诉讼4件。"))
    assert [m for _, m in findings(text)] == [
        "第一部分写道“被提起行政诉讼4件”，但表四行政诉讼（直接起诉与复议后起诉）的总计为3。"
    ]


def test_a_row_with_several_placements_gives_every_value_it_may_hold():
    # Given 新收 printed with one cell short: its 总计 is the 14 printed last, or, when the gap is
    # the 总计 cell itself, the sum of the six printed: 10 + 2 + 1 + 0 + 1 + 14 = 28
    text = with_row("一、本年新收政府信息公开申请数量", (10, 2, 1, 0, 1, 14))
    said = [
        m
        for c, m in findings(with_paragraph(1, "全年共收到政府信息公开申请20件。", text))
        if c == "TEXT_TABLE_MISMATCH"
    ]
    assert said == [
        "第一部分写道“全年共收到政府信息公开申请20件”，但表三“本年新收政府信息公开申请数量”的总计为14或28。"
    ]
