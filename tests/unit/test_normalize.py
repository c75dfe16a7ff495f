from decimal import Decimal

import pytest

from nianbao.model import CellKind
from nianbao.normalize import classify, cn_to_int, compact, display, squeeze, to_int

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("0", CellKind.NUMBER, 0),
        (" 12 ", CellKind.NUMBER, 12),
        ("１２", CellKind.NUMBER, 12),  # full-width digits
        ("1,234", CellKind.NUMBER, 1234),
        ("816.44 万元", CellKind.NUMBER, Decimal("816.44")),
        ("3件", CellKind.NUMBER, 3),
        ("-3", CellKind.NUMBER, -3),
        ("1.5", CellKind.NUMBER, Decimal("1.5")),
        ("", CellKind.BLANK, None),
        ("  ", CellKind.BLANK, None),
        ("/", CellKind.PLACEHOLDER, None),
        ("-", CellKind.PLACEHOLDER, None),
        ("—", CellKind.PLACEHOLDER, None),
        ("——", CellKind.PLACEHOLDER, None),
        ("------", CellKind.PLACEHOLDER, None),
        ("无", CellKind.PLACEHOLDER, None),
        ("不适用", CellKind.PLACEHOLDER, None),
        ("约5", CellKind.TEXT, None),
        ("规章", CellKind.TEXT, None),
        ("1. 属于国家秘密", CellKind.TEXT, None),
    ],
)
def test_classify_keeps_zero_blank_and_placeholders_distinct(raw, kind, value):
    # When a printed cell is classified / Then zero, blank, placeholder and text stay apart
    assert classify(raw) == (kind, value)


def test_classify_zero_is_a_number_not_a_blank():
    assert classify("0")[0] is CellKind.NUMBER
    assert classify("")[0] is CellKind.BLANK


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十四", 14),
        ("十", 10),
        ("二十", 20),
        ("一百零五", 105),
        ("二〇二四", 2024),
        ("零", 0),
        ("abc", None),
        ("", None),
        # 万 and 亿, and the spoken shortening of the next unit down
        ("一万二千三百", 12_300),
        ("一万零一", 10_001),
        ("一万五", 15_000),
        ("一万零五", 10_005),
        ("十二万", 120_000),
        ("三亿零五万", 300_050_000),
        ("一万亿", 1_000_000_000_000),
        ("一百五", 150),
        ("三千二", 3_200),
        ("三千零二", 3_002),
        ("一千零一十", 1_010),
        ("万", None),
        ("零万", None),
        ("一万万五五", None),
    ],
)
def test_chinese_numerals(text, value):
    assert cn_to_int(text) == value


def test_to_int_reads_both_numeral_systems():
    assert to_int("14") == 14
    assert to_int("十四") == 14
    assert to_int("１４") == 14


def test_normal_forms():
    # Given full-width brackets, ideographic spaces and a Kangxi radical from a PDF font
    text = "（一）\u3000予以 公开 ⼀"
    # Then matching forms drop the whitespace and unify widths; display restores Chinese punctuation
    assert compact(text) == "(一)予以公开一"
    assert squeeze("“三安全一稳定”—") == "三安全一稳定-"
    assert display("(一)予以公开,部分:是") == "（一）予以公开，部分：是"
