"""A report typed by hand, and small edits of it, for tests whose expectations must not come from
the code under test.

Every number in the report, and so every number a test built on it expects, is typed here: none is
read from ``nianbao.spec`` or computed by the checker (tests/synth builds its tables from the spec,
so a fault in the spec moves the synthetic report and its expectation together). The report is the
2021 format, 河西区民政局 for 2023, published 6 January 2024; the checker finds nothing in it.

Table 3, by column (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计)::

    一、本年新收            10  2  1  0  0  1  14
    二、上年结转             1  0  0  0  0  0   1
    （一）予以公开           5  1  0  0  0  0   6
    （二）部分公开           1  0  0  0  0  0   1
    4.保护第三方合法权益     1  0  0  0  0  0   1
    1.本机关不掌握相关政府信息 2 0 1  0  0  0   3
    2.重复申请               1  0  0  0  0  0   1
    （七）总计              10  1  1  0  0  0  12
    四、结转下年度继续办理   1  1  0  0  0  1   3

(every other row all zero). Table 4: 行政复议 1 0 0 1 2; 未经复议直接起诉 0 1 0 0 1; 复议后起诉 0 0 0 0 0.
Table 2: 规章 0 0 0; 行政规范性文件 3 1 12; 行政许可 25; 行政处罚 40; 行政强制 2; 行政事业性收费 1.5.
The prose states no count of requests, reviews or lawsuits: a test adds the sentence it needs.
"""

from __future__ import annotations

from nianbao.model import CheckResult
from tests.conftest import check_text

HEADINGS = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}
# The standard titles, as the messages quote them (the headings without their ordinal).
TITLES = {number: heading[2:] for number, heading in HEADINGS.items()}

_PREAMBLE = (
    "根据《中华人民共和国政府信息公开条例》要求，现发布本报告。"
    "本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"
)
_SECTION1 = [
    "2023年，河西区民政局认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。",
    "（一）主动公开情况。坚持把政府信息公开作为依法行政的重要举措，明确专人负责。",
    "（二）监督保障情况。将政务公开纳入年度绩效考核，本年度未发生责任追究情况。",
]
_TABLE2 = [
    "第二十条第（一）项\t\t\t",
    "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
    "规章\t0\t0\t0",
    "行政规范性文件\t3\t1\t12",
    "第二十条第（五）项\t\t\t",
    "信息内容\t本年处理决定数量\t\t",
    "行政许可\t25",
    "第二十条第（六）项\t\t\t",
    "信息内容\t本年处理决定数量\t\t",
    "行政处罚\t40",
    "行政强制\t2",
    "第二十条第（八）项\t\t\t",
    "信息内容\t本年收费金额（单位：万元）\t\t",
    "行政事业性收费\t1.5",
]
_TABLE3_HEADER = [
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t申请人情况\t\t\t\t\t\t总计\t",
    "\t\t自然人\t法人或其他组织\t\t\t\t\t\t",
    "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t",
]
_ZERO = (0, 0, 0, 0, 0, 0, 0)
# (the label cells as printed, the seven numbers)
_TABLE3: list[tuple[tuple[str, ...], tuple[int, ...]]] = [
    (("一、本年新收政府信息公开申请数量", ""), (10, 2, 1, 0, 0, 1, 14)),
    (("二、上年结转政府信息公开申请数量", ""), (1, 0, 0, 0, 0, 0, 1)),
    (("三、本年度办理结果", "（一）予以公开"), (5, 1, 0, 0, 0, 0, 6)),
    (("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), (1, 0, 0, 0, 0, 0, 1)),
    (("", "（三）不予公开", "1.属于国家秘密"), _ZERO),
    (("", "", "2.其他法律行政法规禁止公开"), _ZERO),
    (("", "", "3.危及“三安全一稳定”"), _ZERO),
    (("", "", "4.保护第三方合法权益"), (1, 0, 0, 0, 0, 0, 1)),
    (("", "", "5.属于三类内部事务信息"), _ZERO),
    (("", "", "6.属于四类过程性信息"), _ZERO),
    (("", "", "7.属于行政执法案卷"), _ZERO),
    (("", "", "8.属于行政查询事项"), _ZERO),
    (("", "（四）无法提供", "1.本机关不掌握相关政府信息"), (2, 0, 1, 0, 0, 0, 3)),
    (("", "", "2.没有现成信息需要另行制作"), _ZERO),
    (("", "", "3.补正后申请内容仍不明确"), _ZERO),
    (("", "（五）不予处理", "1.信访举报投诉类申请"), _ZERO),
    (("", "", "2.重复申请"), (1, 0, 0, 0, 0, 0, 1)),
    (("", "", "3.要求提供公开出版物"), _ZERO),
    (("", "", "4.无正当理由大量反复申请"), _ZERO),
    (("", "", "5.要求行政机关确认或重新出具已获取信息"), _ZERO),
    (("", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"), _ZERO),
    (("", "", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"), _ZERO),
    (("", "", "3.其他"), _ZERO),
    (("", "（七）总计"), (10, 1, 1, 0, 0, 0, 12)),
    (("四、结转下年度继续办理", ""), (1, 1, 0, 0, 0, 1, 3)),
]
_TABLE4_HEADER = [
    "行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t",
    "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t",
    "\t\t\t\t\t" + "\t".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2),
]
TABLE4 = (1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0)
_SECTION5 = [
    "我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度还不够；"
    "二是政策解读形式较为单一，群众参与度不高。下一步，我单位将进一步完善工作机制，加强业务培训，"
    "提升政府信息公开工作质效。"
]
_SECTION6 = [
    "（一）信息处理费收取情况。本年度未收取信息处理费。",
    "（二）认真落实2023年政务公开工作要点，按时办理人大代表建议和政协提案。",
]
SIGNATURE = ["河西区民政局", "2024年1月6日"]


def _row(labels: tuple[str, ...], cells: tuple[object, ...]) -> str:
    return "\t".join([*labels, *(str(c) for c in cells)])


def _section(number: int) -> list[str]:
    body = {
        1: _SECTION1,
        2: _TABLE2,
        3: _TABLE3_HEADER + [_row(labels, cells) for labels, cells in _TABLE3],
        4: [*_TABLE4_HEADER, _row((), TABLE4)],
        5: _SECTION5,
        6: _SECTION6,
    }[number]
    return ["", HEADINGS[number], "", *body]


BASE = (
    "\n".join(
        [
            "河西区民政局2023年政府信息公开工作年度报告",
            "",
            _PREAMBLE,
            *(line for number in HEADINGS for line in _section(number)),
            "",
            *SIGNATURE,
        ]
    )
    + "\n"
)


def check(text: str) -> CheckResult:
    return check_text(text, "handmade.txt")


def findings(text: str) -> list[tuple[str, str]]:
    """Every finding of ``text`` as (code, message), in the checker's order."""
    return [(f.code, f.message) for f in check(text).findings]


def messages(text: str, code: str) -> list[str]:
    return [f.message for f in check(text).findings if f.code == code]


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    """``text`` with ``old`` replaced; fails when ``old`` is not there (an edit that did nothing)."""
    assert old in text, f"not in the report: {old!r}"
    return text.replace(old, new, count)


def without_heading(number: int, text: str = BASE) -> str:
    """The heading of section ``number`` dropped; its text and tables stay where they were."""
    return edit(text, f"\n{HEADINGS[number]}\n", "\n")


def without_section(number: int, text: str = BASE) -> str:
    """Section ``number`` dropped whole: its heading, its prose and its table."""
    start = text.index(f"\n{HEADINGS[number]}\n")
    after = HEADINGS.get(number + 1)
    end = text.index(f"\n{after}\n") if after else text.index("\n" + SIGNATURE[0] + "\n" + SIGNATURE[1])
    return text[:start] + text[end:]


def with_paragraph(number: int | None, paragraph: str, text: str = BASE) -> str:
    """``paragraph`` as the first line of section ``number`` (None: of the preamble)."""
    if number is None:
        return edit(text, _PREAMBLE, paragraph + _PREAMBLE)
    return edit(text, f"\n{HEADINGS[number]}\n\n", f"\n{HEADINGS[number]}\n\n{paragraph}\n")


def with_row(label: str, cells: tuple[object, ...] | list[object], text: str = BASE) -> str:
    """The Table 3 row whose own label is ``label`` printed with ``cells`` instead of its numbers."""
    [(labels, numbers)] = [(labels, numbers) for labels, numbers in _TABLE3 if label in labels]
    return edit(text, "\n" + _row(labels, numbers) + "\n", "\n" + _row(labels, tuple(cells)) + "\n")


def with_table4(cells: tuple[object, ...] | list[object], text: str = BASE) -> str:
    return edit(text, "\n" + _row((), TABLE4) + "\n", "\n" + _row((), tuple(cells)) + "\n")


# --- the 2019 layout ---------------------------------------------------------------------------

TABLE2_2019 = "\n".join(
    [
        "第二十条第（一）项\t\t\t",
        "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
        "规章\t0\t0\t0",
        "规范性文件\t3\t3\t12",
        "第二十条第（五）项\t\t\t",
        "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
        "行政许可\t20\t-2\t25",
        "其他对外管理服务事项\t4\t0\t9",
        "第二十条第（六）项\t\t\t",
        "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
        "行政处罚\t30\t1\t40",
        "行政强制\t2\t0\t2",
        "第二十条第（八）项\t\t\t",
        "信息内容\t上一年项目数量\t本年增/减\t",
        "行政事业性收费\t3\t0",
        "第二十条第（九）项\t\t\t",
        "信息内容\t采购项目数量\t采购总金额\t",
        "政府集中采购\t2\t35.5",
    ]
)
_OTHER_2021 = (
    "\n\t（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0"
    "\n\t\t2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0"
    "\n\t\t3.其他\t0\t0\t0\t0\t0\t0\t0\n"
)


def in_2019_layout(text: str = BASE) -> str:
    """The report with Table 2 in the 2019 layout and （六）其他处理 as its single row."""
    start, end = text.index("第二十条第（一）项"), text.index("\n\n三、收到和处理")
    return edit(text[:start] + TABLE2_2019 + text[end:], _OTHER_2021, "\n\t（六）其他处理\t0\t0\t0\t0\t0\t0\t0\n")


def as_2020(text: str) -> str:
    """The report moved to 2020 (title, period, opening sentence, date, section 六)."""
    for old, new in [
        ("2023年政府信息公开", "2020年政府信息公开"),
        ("2023年1月1日起至2023年12月31日", "2020年1月1日起至2020年12月31日"),
        ("2024年1月6日", "2021年1月6日"),
        ("2023年，河西区", "2020年，河西区"),
        ("落实2023年政务", "落实2020年政务"),
    ]:
        text = edit(text, old, new)
    return text
