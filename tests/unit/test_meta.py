from datetime import date

import pytest

from nianbao.extract import lines_from_text
from nianbao.parse.meta import detect_format, find_agency, find_date, find_date_in, find_title, prose_of, read_years
from nianbao.spec import FormatVersion

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("沙坡头区镇罗镇 2023 年政府信息公开 工作年度报告\n", "沙坡头区镇罗镇2023年政府信息公开工作年度报告"),
        ("城东区韵家口镇政府\n\n2020 年政府信息公开工作年度报告\n", "城东区韵家口镇政府2020年政府信息公开工作年度报告"),
        ("\n海东市平安区古城回族乡政府信息公开\n工作年度报告\n", "海东市平安区古城回族乡政府信息公开工作年度报告"),
        ("西宁市湟中区共和镇人民政府\n\n共和镇政府信息公开工作年度报告\n", "共和镇政府信息公开工作年度报告"),
        ("# 昂思多镇 2023 年政府信息公开 工作年度报告\n", "昂思多镇2023年政府信息公开工作年度报告"),
        ("一段很长的正文，不是标题。\n", None),
    ],
)
def test_title_is_joined_when_it_wraps(text, title):
    lines = lines_from_text(text)
    assert find_title(lines, len(lines))[0] == title


def test_agency_prefers_the_signature_then_the_unit_name_then_the_letterhead_then_the_title():
    signed = lines_from_text("标题年度报告\n正文。\n韵家口镇人民政府\n2021年1月19日\n")
    assert find_agency(signed, None) == "韵家口镇人民政府"
    unit = lines_from_text("单位名称：湟中区共和镇人民政府 主要负责人签名：\n正文。\n")
    assert find_agency(unit, None) == "湟中区共和镇人民政府"
    letterhead = lines_from_text("西宁市湟中区共和镇人民政府\n共和镇政府信息公开工作年度报告\n正文。\n")
    assert find_agency(letterhead, "共和镇政府信息公开工作年度报告") == "西宁市湟中区共和镇人民政府"
    titled = lines_from_text("正文。\n")
    assert find_agency(titled, "昂思多镇2023年政府信息公开工作年度报告") == "昂思多镇"


@pytest.mark.parametrize(
    ("text", "day", "month_only", "signer"),
    [
        ("2024年1月18日", date(2024, 1, 18), False, ""),
        ("二〇二四年一月十八日", date(2024, 1, 18), False, ""),
        ("二〇二四年元月八日", date(2024, 1, 8), False, ""),
        ("2024-01-18", date(2024, 1, 18), False, ""),
        ("（2024年1月18日）", date(2024, 1, 18), False, ""),
        ("发布日期：2024年1月18日", date(2024, 1, 18), False, ""),
        ("2024年1月8日发布", date(2024, 1, 8), False, ""),
        ("2024年1月", date(2024, 1, 1), True, ""),
        ("青川县清水镇人民政府2024年1月8日", date(2024, 1, 8), False, "青川县清水镇人民政府"),
    ],
)
def test_dates_end_a_line_that_holds_nothing_else_but_a_signature(text, day, month_only, signer):
    found = find_date_in(text)
    assert found is not None
    assert (found.day, found.month_only, found.signer) == (day, month_only, signer)


@pytest.mark.parametrize("text", ["2024年2月30日", "2024年1月18日召开会议", "会议于2024年1月18日", "〇二四年一月八日"])
def test_text_that_is_more_than_a_date_is_not_a_publication_date(text):
    assert find_date_in(text) is None


def test_the_publication_date_is_the_last_date_line():
    lines = lines_from_text("标题\n2023年1月1日\n正文。\n某某镇人民政府\n2024年1月18日\n\n")
    found = find_date(lines)[0]
    assert found is not None
    assert found.day == date(2024, 1, 18)


def test_years_from_title_period_and_body():
    lines = lines_from_text(
        "本报告统计数据从 2023 年 1 月 1 日至 2023 年 12 月 31 日。\n"
        "2023 年，我镇认真贯彻落实。2022年以来，群众满意。\n"
        "2019年，我镇取得一定成效。\n"
    )
    preamble = prose_of(lines, [0])
    section1 = prose_of(lines, [1])
    section5 = prose_of(lines, [2])
    years = read_years("某镇2023年政府信息公开工作年度报告", preamble, {1: section1, 5: section5})
    assert (years.title, years.period, years.body) == (2023, 2023, 2023)
    assert [(s.year, s.section) for s in years.statements] == [(2023, 1), (2022, 1), (2019, 5)]
    assert years.statements[2].origin.line == 3


def test_prose_joins_wrapped_lines_and_maps_offsets_back_to_lines():
    lines = lines_from_text("全年共受理依申请公\n\n开14件。\n第二段")
    prose = prose_of(lines, range(4))
    assert prose.text == "全年共受理依申请公开14件。\n第二段"
    assert prose.line_at(prose.text.index("14")) == 3
    assert prose.line_at(prose.text.index("第二段")) == 4


def test_format_is_told_by_markers():
    assert detect_format(["本年制发件数本年废止件数"], ["other_1"])[0] is FormatVersion.V2021
    assert detect_format(["本年新制作数量第(九)项"], ["other"])[0] is FormatVersion.V2019
    assert detect_format(["本年制发件数"], ["other"])[0] is FormatVersion.UNKNOWN  # one each: a tie
    assert detect_format([""], [])[0] is FormatVersion.UNKNOWN
