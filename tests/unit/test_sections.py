import pytest

from nianbao.extract import lines_from_text
from nianbao.parse.sections import find_headings, heading_of

pytestmark = pytest.mark.unit


def number_of(text: str) -> int | None:
    hit = heading_of(lines_from_text(text)[0])
    return hit[0].number if hit else None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("一、总体情况", 1),
        ("## 一、总体情况", 1),
        ("**一、总体情况**", 1),
        ("一．总体情况", 1),  # full-width dot
        ("一. 总体情况", 1),
        ("第一部分 总体情况", 1),
        ("一、总 体 情 况", 1),  # spaces inside words
        ("二、主动公开政府信息情况", 2),
        ("三、收到和处理政府信息公开申请情况", 3),
        ("### 三、收到和处理政府信息公开 申请情况", 3),
        ("三、依申请公开政府信息情况", 3),
        ("四、政府信息公开行政复议、行政诉讼情况", 4),
        ("四、因政府信息公开工作被申请行政复议和提起行政诉讼情况", 4),
        ("五、存在的主要问题及改进情况", 5),
        ("五、政府信息公开工作存在的主要问题及改进情况", 5),
        ("六、其他需要报告的事项", 6),
        ("总体情况", 1),  # a standard title on its own line
        ("一、总体情况。2023年，我镇认真贯彻……", 1),  # an inline heading with its paragraph
    ],
)
def test_headings_are_found_by_meaning(text, number):
    assert number_of(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "一是加强组织领导，明确专人负责。",  # an enumerated point, not a heading
        "四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0",  # a Table 3 row
        "三、本年度办理结果\t(一) 予以公开\t0\t0\t0\t0\t0\t0\t0",
        "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0",
        "（一）主动公开情况。坚持把政府信息公开作为依法行政的重要举措。",  # a sub-heading
        "行政复议 行政诉讼",  # Table 4's header
        "1.属于国家秘密",
        "报告主要包括：总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况。",
    ],
)
def test_lines_that_only_look_like_headings_are_not_headings(text):
    assert number_of(text) is None


def test_a_section_is_taken_once_so_enumerated_points_later_stay_text():
    lines = lines_from_text("二、主动公开政府信息情况\n正文\n五、存在的主要问题及改进情况\n一、主动公开的意识不强。")
    assert [h.number for h in find_headings(lines)] == [2, 5]


def test_an_ordinal_other_than_the_sections_own_is_kept_only_when_it_reads_like_a_heading():
    # Given section 二 missing, so the next heading is numbered 二
    lines = lines_from_text("一、总体情况\n二、收到和处理政府信息公开申请情况\n")
    headings = find_headings(lines)
    assert [(h.number, h.ordinal) for h in headings] == [(1, "一"), (3, "二")]
    assert not headings[1].ordinal_matches
    # But a numbered sentence that happens to contain a section's words is not a heading
    assert find_headings(lines_from_text("1.存在的问题较多\n")) == []


def test_headings_in_document_order_even_when_extracted_out_of_order():
    lines = lines_from_text("五、存在的主要问题及改进情况\n四、政府信息公开行政复议、行政诉讼情况\n")
    assert [h.number for h in find_headings(lines)] == [5, 4]
