"""Rosters of bodies (nianbao.roster) and matching a report's agency to its body (nianbao.bodies).

Every expected value is written by hand: rejected lines and reasons, keys, similarity scores
(difflib's ratio is 2·M/T: M matched characters, T the two lengths together).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nianbao.bodies import MatchVia, match_body, normalize_name, provisional_body_id
from nianbao.model import Severity
from nianbao.roster import MAX_ROWS, Body, BodyKind, Roster, parse_roster
from nianbao.rules.catalog import CODES, body_unknown_message

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER = "body_id,name,aliases,kind,parent_body_id,division\n"

# One county roster with good and bad rows; the line numbers are the file's.
MIXED = (
    HEADER  # 1
    + "G,湟中区人民政府,湟中县人民政府,人民政府,,630122\n"  # 2 ok
    + "D1,湟中区人民政府办公室,区政府办,部门,G,630122\n"  # 3 ok
    + "D2,湟中区财政局,,部门,G,630122\n"  # 4 ok
    + "\n"  # 5 blank: skipped
    + "T1,西宁市湟中区共和镇人民政府,共和镇|共和镇政府,乡镇,G,630122101\n"  # 6 ok
    + "D2,湟中区教育局,,部门,G,630122\n"  # 7 duplicate id of line 4
    + "D3,湟中区教育局,,局,G,630122\n"  # 8 unknown kind
    + "D4,湟中区卫生健康局,,部门,G,6301\n"  # 9 division above the roster's
    + "D5,湟中区审计局,,部门,G,63O122\n"  # 10 a letter O in the division
    + "D6,,,部门,G,630122\n"  # 11 no name
    + "D7,湟中区医疗保障局,,部门,G\n"  # 12 five cells
    + "D8,湟中区统计局,,部门,G,630122,多余\n"  # 13 seven cells
    + "D9,湟中区林业和草原局,,部门,G,630122,,\n"  # 14 ok: trailing empty cells (spreadsheet export)
    + "D10,=1+2,,其他,X99,630122\n"  # 15 ok: a formula is text; the parent lives in another roster
    + "D11,湟中区人民政府办公室,,部门,G,630122\n"  # 16 same name as line 3, same division
    + "D12,湟中区交通运输局,,部门,D12,630122\n"  # 17 its own parent
    + "P:1,湟中区水务局,,部门,G,630122\n"  # 18 reserved id prefix
    + ",,,,,\n"  # 19 blank: skipped
    + "D13,@湟中区档案馆,,其他,,630122\n"  # 20 ok
)
MIXED_ACCEPTED = ["G", "D1", "D2", "T1", "D9", "D10", "D13"]
MIXED_REJECTED = [
    (7, "机关编码“D2”与第4行重复"),
    (8, "类型“局”无法识别，应为人民政府、部门、乡镇、街道、其他之一"),
    (9, "区划代码“6301”不在本名册的区划“630122”之内"),
    (10, "区划代码“63O122”应为2至12位数字"),
    (11, "机关名称为空"),
    (12, "列数不符：表头有6列，该行有5列"),
    (13, "列数不符：表头有6列，该行有7列"),
    (16, "名称或别名“湟中区人民政府办公室”与第3行的机关“湟中区人民政府办公室”相同（同一区划内无法区分）"),
    (17, "上级机关编码不能是本机关自身"),
    (18, "机关编码不能以“P:”开头（保留给名册之外的机关）"),
]


def rejected(roster: Roster) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in roster.rejected]


def ids(roster: Roster) -> list[str]:
    return [b.body_id for b in roster.bodies]


def body(
    body_id: str, name: str, division: str = "630122", aliases: Sequence[str] = (), kind: BodyKind = BodyKind.DEPARTMENT
) -> Body:
    return Body(body_id=body_id, name=name, aliases=list(aliases), kind=kind, division=division)


# --- reading a roster ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (MIXED.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + MIXED.encode("utf-8"), "utf-8-sig"),
        (MIXED.encode("gb18030"), "gb18030"),
        (MIXED.replace("\n", "\r\n").encode("gb18030"), "gb18030"),  # Windows line ends
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gb18030-crlf"],
)
def test_each_bad_row_is_rejected_on_its_line_with_its_reason(data, encoding):
    # Given a roster with good and bad rows, in each encoding offices save CSV files in
    roster = parse_roster(data, "630122")
    # Then the good rows are bodies, every bad row is rejected with its line and reason
    assert roster.refused is None
    assert roster.encoding == encoding
    assert roster.rows == 17  # data rows: the header and the two blank lines not counted
    assert ids(roster) == MIXED_ACCEPTED
    assert rejected(roster) == MIXED_REJECTED
    assert roster.rejected[0].text == "D2,湟中区教育局,,部门,G,630122"  # the printed row, on one line


def test_accepted_rows_keep_what_the_roster_says():
    roster = parse_roster(MIXED.encode(), "630122")
    by_id = {b.body_id: b for b in roster.bodies}
    assert by_id["G"] == Body(
        body_id="G", name="湟中区人民政府", aliases=["湟中县人民政府"], kind=BodyKind.GOVERNMENT, division="630122"
    )
    assert by_id["D1"].parent_body_id == "G"
    assert by_id["D1"].aliases == ["区政府办"]
    # 共和镇政府 is the same key as 共和镇 (a government is named by its place): kept once
    assert by_id["T1"].aliases == ["共和镇"]
    assert by_id["T1"].kind is BodyKind.TOWNSHIP
    assert by_id["T1"].division == "630122101"
    # CSV injection: a name starting with = or @ is data, kept exactly as printed
    assert by_id["D10"].name == "=1+2"
    assert by_id["D13"].name == "@湟中区档案馆"
    # a parent outside the file is kept (it may be in the city's roster) and listed
    assert by_id["D10"].parent_body_id == "X99"
    assert roster.external_parents == ["X99"]
    assert all(b.sums_children is False for b in roster.bodies)


def test_chinese_headers_and_headers_in_any_case_and_spacing():
    chinese = "机关编码,机关名称,别名,类型,上级机关编码,区划代码,汇总下级\nG,共和镇人民政府,,乡镇,,630122101,是\n"
    english = (
        " Body ID ,NAME,Aliases,KIND,Parent-Body_Id,division,Sums Children\nG,共和镇人民政府,,乡镇,,630122101,TRUE\n"
    )
    for text in (chinese, english):
        roster = parse_roster(text.encode(), "630122")
        assert roster.refused is None
        assert rejected(roster) == []
        assert [(b.body_id, b.name, b.sums_children) for b in roster.bodies] == [("G", "共和镇人民政府", True)]


def test_optional_columns_may_be_left_out_and_a_remarks_column_is_ignored():
    text = "division,kind,name,body_id,备注\n630122,部门,湟中区财政局,D2,年中新设\n"
    roster = parse_roster(text.encode(), "630122")
    assert rejected(roster) == []
    assert roster.bodies == [body("D2", "湟中区财政局")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("否", False), ("true", True), ("False", False), ("1", True), ("0", False), ("", False)],
)
def test_sums_children_values(value, expected):
    text = f"{HEADER.strip()},sums_children\nG,湟中区人民政府,,人民政府,,630122,{value}\n"
    roster = parse_roster(text.encode(), "630122")
    assert [b.sums_children for b in roster.bodies] == [expected]


def test_an_unreadable_sums_children_value_rejects_the_row():
    text = f"{HEADER.strip()},sums_children\nG,湟中区人民政府,,人民政府,,630122,也许\n"
    assert rejected(parse_roster(text.encode(), "630122")) == [
        (2, "汇总下级“也许”无法识别，应为 是/否、true/false 或 1/0")
    ]


def test_a_row_with_several_problems_names_them_all():
    text = HEADER + "D20,,,局,,999\n"
    assert rejected(parse_roster(text.encode(), "630122")) == [
        (
            2,
            "机关名称为空；类型“局”无法识别，应为人民政府、部门、乡镇、街道、其他之一；区划代码“999”不在本名册的区划“630122”之内",
        )
    ]


def test_names_ids_and_codes_out_of_bounds():
    long_name = "湟" * 65
    text = (
        HEADER
        + f"D1,{long_name},,部门,,630122\n"  # 2
        + "D2,——,,部门,,630122\n"  # 3 punctuation only
        + "D 3,湟中区统计局,,部门,,630122\n"  # 4 a space in the id
        + f"{'D' * 65},湟中区水务局,,部门,,630122\n"  # 5
        + "D4,湟中区商务局,,部门,,1234567890123\n"  # 6 thirteen digits
        + "D5,湟中区民政局,,,,630122\n"  # 7 no kind
        + "D6,湟中区司法局,,部门,,\n"  # 8 no division
        + ",湟中区应急管理局,,部门,,630122\n"  # 9 no id
        + "Ｄ７,湟中区　自然资源局,,部门,,６３０１２２０１\n"  # 10 ok: full-width id and division
    )
    roster = parse_roster(text.encode(), "630122")
    assert rejected(roster) == [
        (2, f"机关名称超过64个字符（“{'湟' * 39}…”）"),
        (3, "机关名称“——”中没有文字"),
        (4, "机关编码“D 3”中不能有空格"),
        (5, "机关编码超过64个字符"),
        (6, "区划代码“1234567890123”应为2至12位数字"),
        (7, "类型为空"),
        (8, "区划代码为空"),
        (9, "机关编码为空"),
    ]
    # the id and the division are read as ASCII; the name keeps its words, one space between
    assert roster.bodies == [body("D7", "湟中区 自然资源局", division="63012201")]


def test_control_and_invisible_characters_reject_the_row():
    text = HEADER + "D1,湟中区\u200b财政局,,部门,,630122\n" + "D2,湟中区\x1b[31m教育局,,部门,,630122\n"
    assert rejected(parse_roster(text.encode(), "630122")) == [
        (2, "含有控制字符或不可见的格式字符（如零宽空格）"),
        (3, "含有控制字符或不可见的格式字符（如零宽空格）"),
    ]


def test_a_cell_broken_over_lines_or_an_unclosed_quote_is_rejected_with_its_span():
    text = HEADER + 'D1,"湟中区\n财政局",,部门,,630122\n' + "D2,湟中区教育局,,部门,,630122\n"
    roster = parse_roster(text.encode(), "630122")
    assert rejected(roster) == [(2, "该行跨越第2至3行（单元格中有换行，或引号未闭合）")]
    assert ids(roster) == ["D2"]
    unclosed = HEADER + 'D1,"湟中区财政局,,部门,,630122\nD2,湟中区教育局,,部门,,630122\n'
    roster = parse_roster(unclosed.encode(), "630122")
    assert rejected(roster) == [(2, "该行跨越第2至3行（单元格中有换行，或引号未闭合）；列数不符：表头有6列，该行有2列")]
    assert roster.bodies == []


def test_a_cell_too_long_for_the_csv_module_rejects_its_row_only():
    text = HEADER + f"D1,{'湟' * 200_000},,部门,,630122\n" + "D2,湟中区教育局,,部门,,630122\n"
    roster = parse_roster(text.encode(), "630122")
    assert rejected(roster) == [(2, "单元格过长，无法按 CSV 读取")]
    assert ids(roster) == ["D2"]


def test_a_cycle_of_parents_is_rejected():
    text = HEADER + "A,湟中区甲局,,部门,B,630122\nB,湟中区乙局,,部门,A,630122\nC,湟中区丙局,,部门,A,630122\n"
    roster = parse_roster(text.encode(), "630122")
    assert rejected(roster) == [(2, "上级机关关系成环：A → B → A"), (3, "上级机关关系成环：A → B → A")]
    assert ids(roster) == ["C"]  # its parent is rejected, but a parent outside the roster is allowed


def test_the_same_name_in_two_divisions_is_allowed():
    text = HEADER + "T1,财政所,,其他,,630122101\nT2,财政所,,其他,,630122102\n"
    assert ids(parse_roster(text.encode(), "630122")) == ["T1", "T2"]


def test_a_tab_separated_utf16_export_is_read():
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    text = HEADER.replace(",", "\t") + "G\t湟中区人民政府\t\t人民政府\t\t630122\n"
    roster = parse_roster(text.encode("utf-16"), "630122")
    assert (roster.encoding, ids(roster), rejected(roster)) == ("utf-16", ["G"], [])


# --- refusing a whole file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "名册为空：没有表头，也没有机关"),
        (b"\n\n , ,\n", "名册为空：没有表头，也没有机关"),
        (
            "body_id,nmae,kind,division\nG,湟中区人民政府,人民政府,630122\n".encode(),
            "第1行的表头有误：缺少必需的列：name（机关名称）；无法识别的列：“nmae”。可用的列为：body_id（机关编码）、"
            "name（机关名称）、aliases（别名）、kind（类型）、parent_body_id（上级机关编码）、division（区划代码）、"
            "sums_children（汇总下级）",
        ),
        (  # no header: the first row is data
            "G,湟中区人民政府,,人民政府,,630122\n".encode(),
            "第1行的表头有误：第3列没有列名；第5列没有列名；缺少必需的列：body_id（机关编码）、name（机关名称）、"
            "kind（类型）、division（区划代码）；无法识别的列：“G”、“湟中区人民政府”、“人民政府”、“630122”。可用的列为：body_id（机关编码）、"
            "name（机关名称）、aliases（别名）、kind（类型）、parent_body_id（上级机关编码）、division（区划代码）、"
            "sums_children（汇总下级）",
        ),
        (
            b"body_id,name,name,kind,,division\n",
            "第1行的表头有误：列“name”重复；第5列没有列名。可用的列为：body_id（机关编码）、name（机关名称）、"
            "aliases（别名）、kind（类型）、parent_body_id（上级机关编码）、division（区划代码）、sums_children（汇总下级）",
        ),
        (
            bytes(range(256)) * 8,
            "无法识别文件的文字编码，可能不是文本文件；请将名册另存为 UTF-8 或 GB18030 编码的 CSV 文件",
        ),
    ],
    ids=["empty", "blank", "misspelt", "no-header", "duplicate-and-unnamed", "binary"],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_reason(data, reason):
    roster = parse_roster(data, "630122")
    assert roster.refused == reason
    assert roster.bodies == []
    assert roster.rejected == []


def test_a_roster_over_20000_rows_is_refused_and_20000_are_read():
    rows = "".join(f"D{i},湟中区第{i}办公室,,部门,,630122\n" for i in range(20_001))
    roster = parse_roster((HEADER + rows).encode(), "630122")
    assert roster.refused == "名册有 20001 行，超过 20000 行的上限；请按区划拆分后分别上传"
    assert roster.bodies == []
    assert MAX_ROWS == 20_000
    fits = parse_roster((HEADER + rows[: rows.index("D20000,")]).encode(), "630122")
    assert (fits.refused, len(fits.bodies), fits.rejected) == (None, 20_000, [])


def test_a_roster_over_5_mb_is_refused():
    data = (HEADER + "#" * (5 * 1024 * 1024)).encode()
    assert parse_roster(data, "630122").refused == "名册文件有 5.0 MB，超过 5 MB 的上限；请按区划拆分后分别上传"


def test_a_roster_named_for_no_division_is_refused():
    roster = parse_roster(MIXED.encode(), "湟中区")
    assert roster.refused == "名册文件名中的区划代码“湟中区”应为2至12位数字"
    assert roster.bodies == []


def test_a_file_of_mojibake_is_refused():
    data = codecs.BOM_UTF8 + HEADER.encode() + b"G,\xff\xfe\xfd\xfc,,\xff,,630122\n" * 40
    assert parse_roster(data, "630122").refused == (
        "名册按 utf-8-sig 解码后乱码过多；请将名册另存为 UTF-8 或 GB18030 编码的 CSV 文件"
    )


cells = st.sampled_from(["G", "湟中区人民政府", "人民政府", "630122", "", "=1", '"', "\n", "|", "P:1", "\x00", "Ｄ"])


@PROPERTY
@given(
    header=st.sampled_from([HEADER, "机关编码\t机关名称\t类型\t区划代码\n", ""]),
    rows=st.lists(st.lists(st.one_of(cells, st.text(max_size=8)), max_size=8), max_size=6),
    separator=st.sampled_from([",", "\t", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
)
def test_parse_roster_never_raises(header, rows, separator, encoding):
    text = header + "".join(separator.join(row) + "\n" for row in rows)
    roster = parse_roster(text.encode(encoding, errors="replace"), "630122")
    assert roster.refused is not None or all(b.division.startswith("630122") for b in roster.bodies)


@PROPERTY
@given(data=st.binary(max_size=400))
def test_parse_roster_never_raises_on_bytes(data):
    parse_roster(data, "63")


# --- the name key --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # a government's office: 人民政府办公室 = 政府办公室 = 政府办
        ("湟中区人民政府办公室", "湟中区政府办"),
        ("湟中区政府办公室", "湟中区政府办"),
        ("湟中区政府办", "湟中区政府办"),
        # a bare 办公室 is not a government's office (it may be the 区委's or the 人大's)
        ("湟中区办公室", "湟中区办公室"),
        # a government is named by its place
        ("昂思多镇人民政府", "昂思多镇"),
        ("城东区韵家口镇政府", "城东区韵家口镇"),
        ("昂思多镇", "昂思多镇"),
        # full-width spaces, half-width spaces, punctuation, a Kangxi radical (⼈ U+2F08) from a PDF font
        ("西宁市　湟中区　财政局", "西宁市湟中区财政局"),
        (" 湟中区 （ 财政局 ）", "湟中区财政局"),
        ("湟中区⼈民政府办公室", "湟中区政府办"),
        # full-width Latin letters, and the 管委会 abbreviation
        ("ＸＹ开发区管理委员会", "xy开发区管委会"),
        ("西宁市湟中区鲁沙尔镇街道办事处", "西宁市湟中区鲁沙尔镇街道"),
        ("鲁沙尔街道办", "鲁沙尔街道"),
        # kept apart: 区 and 县, place prefixes
        ("湟中县人民政府", "湟中县"),
        ("西宁市湟中区共和镇人民政府", "西宁市湟中区共和镇"),
        # no letters at all
        ("——（）", ""),
        ("人民政府", "政府"),
    ],
)
def test_normalize_name(name, key):
    assert normalize_name(name) == key


def test_the_key_keeps_what_tells_bodies_apart():
    assert normalize_name("湟中区人民政府") != normalize_name("湟中县人民政府")
    assert normalize_name("西宁市湟中区共和镇人民政府") != normalize_name("共和镇人民政府")
    assert normalize_name("湟中区人民政府办公室") != normalize_name("湟中区办公室")
    assert normalize_name("湟中区人民政府") != normalize_name("湟中区人民政府办公室")


# Names built from the words the rules act on, with spaces and punctuation in between.
words = st.sampled_from(
    ["湟中区", "共和镇", "人民政府", "政府", "办公室", "政府办", "街道办事处", "管理委员会", "财政局"]
)
noise = st.one_of(st.just(""), st.sampled_from([" ", "\u3000", "（", "）", "·", "-", "Ａ", "a"]))
domain_names = st.lists(st.tuples(words, noise).map("".join), min_size=1, max_size=6).map("".join)
# The rules' fragments alone, so that they meet in every order (人民人民政府, 政府政府办公室公室).
fragment = st.sampled_from(["人民", "政府", "办", "公室", "街道", "事处", "管理委员会", "县"])
fragments = st.lists(fragment, max_size=10).map("".join)


@PROPERTY
@given(name=st.one_of(fragments, domain_names, st.text(max_size=30)))
@example(name="人民人民政府")  # a rule whose result holds its own pattern again
@example(name="政府政府办公室公室")
@example(name="湟中区街道办事处政府")
@example(name="\u1100-\u1161")  # Hangul jamo that compose once the hyphen between them is gone
def test_normalize_name_is_idempotent(name):
    key = normalize_name(name)
    assert normalize_name(key) == key


def spaced_full_width(name: str) -> str:
    """The name as a PDF may print it: full-width ASCII and a space after each character."""
    return " ".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


@PROPERTY
@given(
    name=domain_names.filter(lambda n: normalize_name(n) != ""),
    aliases=st.lists(domain_names.filter(lambda n: normalize_name(n) != ""), max_size=3),
)
def test_a_body_matches_its_own_name_and_every_alias(name, aliases):
    own = body("B", name, aliases=aliases)
    elsewhere = body("E", name, division="630102", aliases=aliases)  # an unrelated division: never a candidate
    for printed in [name, *aliases]:
        for agency in (printed, spaced_full_width(printed)):
            found = match_body(agency, "630122", [elsewhere, own])
            assert found.body == own
            assert found.via is MatchVia.SAME


# --- matching ------------------------------------------------------------------------------------

COUNTY = [
    body("G", "湟中区人民政府", kind=BodyKind.GOVERNMENT, aliases=["湟中县人民政府"]),
    body("D1", "湟中区人民政府办公室"),
    body("D2", "湟中区财政局"),
    body("D3", "湟中区教育局"),
    body("D4", "湟中区卫生健康局"),
    body("T1", "西宁市湟中区共和镇人民政府", division="630122101", kind=BodyKind.TOWNSHIP, aliases=["共和镇"]),
    body("C", "西宁市人民政府", division="6301", kind=BodyKind.GOVERNMENT),
    body("O", "湟中区财政局", division="630102"),  # another county's namesake
]


@pytest.mark.parametrize(
    ("agency", "body_id", "via", "matched"),
    [
        ("湟中区人民政府办公室", "D1", MatchVia.SAME, "湟中区人民政府办公室"),
        ("湟中区政府办公室", "D1", MatchVia.SAME, "湟中区人民政府办公室"),
        ("湟中区政府办", "D1", MatchVia.SAME, "湟中区人民政府办公室"),
        ("湟中县人民政府", "G", MatchVia.SAME, "湟中县人民政府"),  # an alias
        ("湟中区", "G", MatchVia.SAME, "湟中区人民政府"),  # the place names its government
        ("湟中区\u3000财政局", "D2", MatchVia.SAME, "湟中区财政局"),  # full-width space
        ("共和镇", "T1", MatchVia.BELOW, "共和镇"),  # a township's report filed in the county's folder
        ("共 和 镇 政 府", "T1", MatchVia.BELOW, "共和镇"),
        ("西宁市人民政府", "C", MatchVia.ABOVE, "西宁市人民政府"),
    ],
)
def test_match_by_name_or_alias(agency, body_id, via, matched):
    found = match_body(agency, "630122", COUNTY)
    assert (found.body.body_id if found.body else None, found.via, found.matched) == (body_id, via, matched)
    assert found.closest == ()


def test_a_bare_office_is_not_the_government_office():
    found = match_body("湟中区办公室", "630122", COUNTY)
    assert found.body is None
    # 湟中区办公室 (6 characters) against the keys 湟中区 (3, M=3: 6/9) and 湟中区政府办 (6, M=4 湟中区+办:
    # 8/12), then 湟中区教育局 and 湟中区财政局 (6, M=3: 6/12); ties by name (教 U+6559 before 财 U+8D22)
    assert [(c.body_id, c.score) for c in found.closest] == [("G", 0.667), ("D1", 0.667), ("D3", 0.5)]


def test_a_close_name_matches_nothing_and_lists_the_closest_names_in_order():
    found = match_body("湟中区财政所", "630122", COUNTY)
    assert found.body is None
    assert found.key == "湟中区财政所"
    # keys: 湟中区财政局 M=5 (湟中区财政): 10/12; 湟中区(人民政府) M=3: 6/9; 湟中区政府办(公室) M=4 (湟中区 + 政):
    # 8/12; then 湟中区教育局 6/12 and 湟中区卫生健康局 6/14. The two at 2/3: the shorter name first.
    assert [(c.body_id, c.name, c.score) for c in found.closest] == [
        ("D2", "湟中区财政局", 0.833),
        ("G", "湟中区人民政府", 0.667),
        ("D1", "湟中区人民政府办公室", 0.667),
    ]
    assert found.closest_names == ["湟中区财政局", "湟中区人民政府", "湟中区人民政府办公室"]


def test_bodies_of_an_unrelated_division_are_neither_matched_nor_suggested():
    found = match_body("湟中区财政局", "630102", COUNTY)
    assert found.body is not None
    assert found.body.body_id == "O"
    found = match_body("湟中区财政局", "630105", COUNTY)
    assert (found.body, found.closest) == (None, ())


def test_the_upload_division_comes_first_then_below_then_above():
    same = body("S", "财政所", division="630122")
    below = body("B", "财政所", division="630122101")
    above = body("A", "财政所", division="6301")
    assert match_body("财政所", "630122", [above, below, same]).body == same
    assert match_body("财政所", "630122", [above, below]).body == below
    assert match_body("财政所", "630122", [above]).body == above


def test_two_matching_bodies_of_one_tier_match_neither():
    first = body("B1", "财政所", division="630122101")
    second = body("B2", "财政所", division="630122102")
    found = match_body("财政所", "630122", [first, second])
    assert (found.body, found.ambiguous) == (None, True)
    assert [c.body_id for c in found.closest] == ["B1", "B2"]
    # from a township's own folder there is one candidate
    assert match_body("财政所", "630122102", [first, second]).body == second


def test_no_agency_or_no_division_matches_nothing():
    assert match_body(None, "630122", COUNTY).body is None
    assert match_body("——", "630122", COUNTY).closest == ()
    assert match_body("湟中区财政局", "", COUNTY).body is None  # "" would otherwise prefix every division
    assert match_body("湟中区财政局", "６３０１２２", COUNTY).body == COUNTY[2]


# --- provisional ids -----------------------------------------------------------------------------


def test_provisional_body_ids():
    assert provisional_body_id("630122", "湟中区 某某中心") == "P:630122:湟中区某某中心"
    assert provisional_body_id("630122", "湟中区某某中心") == provisional_body_id("630122", "湟中区　某某中心")
    assert provisional_body_id("630122", None) == "P:630122:未识别"
    assert provisional_body_id("630122", "——") == "P:630122:未识别"
    assert provisional_body_id("630102", None) == "P:630102:未识别"
    assert provisional_body_id("not a division", "某局") == "P:000000:某局"
    long = "西宁市湟中区鲁沙尔镇人民代表大会主席团办公室综合服务中心信息公开工作领导小组"  # 38 characters
    # the first 16 characters, then the first 16 hex digits of its SHA-256 (sha256sum)
    assert provisional_body_id("630122", long) == "P:630122:西宁市湟中区鲁沙尔镇人民代表大会~a0105c09a3d41ae7"


# --- the finding ---------------------------------------------------------------------------------


def test_body_unknown_is_an_info_finding():
    assert CODES["BODY_UNKNOWN"].severity is Severity.INFO
    assert CODES["BODY_UNKNOWN"].title == "机关未在名册中"


def test_body_unknown_message_names_the_closest_roster_names():
    found = match_body("湟中区财政所", "630122", COUNTY)
    assert body_unknown_message(found.agency, found.closest_names) == (
        "报告中的机关名称“湟中区财政所”与名册中的机关均不匹配；最接近的有：湟中区财政局、湟中区人民政府、"
        "湟中区人民政府办公室。"
        "如为同一机关，请在名册中为其添加别名。"
    )
    assert body_unknown_message("某某中心", []) == (
        "报告中的机关名称“某某中心”与名册中的机关均不匹配，名册中也没有相近的名称。如该机关应当报送年报，请将其添加到名册。"
    )
    assert body_unknown_message(None, []) == (
        "未能从报告中识别出发布机关的名称，无法与名册中的机关对应；请核对报告的标题和落款。"
    )
    assert body_unknown_message("财政所", ["财政所", "财政所"], ambiguous=True) == (
        "报告中的机关名称“财政所”与名册中的多个机关相同：财政所、财政所，无法确定是哪一个。"
        "请在名册中修改其名称或别名，使之可以区分。"
    )
    # a name is one line of text in the message, however it was printed
    assert body_unknown_message("某\n局\x1b[2J", []).startswith("报告中的机关名称“某 局”")
