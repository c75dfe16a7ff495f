import codecs
import random

import pytest
from PIL import Image

from nianbao.extract import ExtractError, decode, extract, sniff
from tests.synth.scan import png

pytestmark = pytest.mark.unit

TEXT = "一、总体情况\n2023年，我镇认真贯彻落实《条例》。\n规章\t0\t\t3\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
    ],
)
def test_decodes_the_encodings_reports_come_in(data, encoding):
    # Given a report in one of the encodings offices use / When decoded
    text, found = decode(data)
    # Then the text is recovered and the encoding named
    assert text == TEXT
    assert found == encoding


def test_a_few_corrupt_bytes_in_a_gb18030_file_do_not_crash_and_do_not_lose_the_text():
    data = ("政府信息公开工作年度报告" * 40).encode("gb18030")
    corrupt = data[:100] + b"\xff" + data[100:]
    text, encoding = decode(corrupt)
    assert encoding == "gb18030"
    assert text.count("政府信息公开工作年度报告") >= 39


def test_lines_keep_blank_cells_between_tabs():
    document = extract(TEXT.encode(), "r.txt")
    row = document.lines[2]
    assert row.cells == ["规章", "0", "", "3"]
    assert row.number == 3
    assert document.lines[0].cells is None


def test_lines_are_normalised_for_matching_but_keep_what_was_printed():
    document = extract("（一）予以公开 １２".encode(), "r.txt")
    line = document.lines[0]
    assert line.raw == "（一）予以公开 １２"
    assert line.text == "(一)予以公开 12"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        (b"   \n\n", "文件为空"),
        (b"\x00\x01\x02\x03binary\x00" * 50, "二进制"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04" + b"\x00" * 40, "压缩包"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "旧版 Office"),
    ],
)
def test_unreadable_inputs_say_why(data, reason):
    with pytest.raises(ExtractError) as caught:
        extract(data, "x")
    assert reason in caught.value.reason
    assert caught.value.code == "INPUT_UNREADABLE"


def test_an_image_file_is_read_as_a_scan_and_a_damaged_one_is_unreadable():
    assert extract(png(Image.new("L", (300, 300), 255), 150), "scan.pdf").kind == "image"
    with pytest.raises(ExtractError) as caught:
        extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "scan.pdf")
    assert (caught.value.code, caught.value.reason) == ("INPUT_UNREADABLE", "图片文件已损坏或格式无法识别")


def test_random_high_bytes_are_refused_not_decoded_into_garbage():
    rng = random.Random(7)
    data = bytes(rng.randrange(128, 256) for _ in range(3000))
    with pytest.raises(ExtractError):
        extract(data, "noise.bin")


def test_sniff_looks_at_bytes_not_names():
    assert sniff(b"  %PDF-1.4") == "pdf"
    assert sniff("报告".encode()) == "text"
    assert sniff(b"\xef\xbb\xbf<!DOCTYPE html><html><body>x</body></html>") == "html"
    assert sniff(b"<html><head><meta charset=gb2312></head>") == "html"
    assert sniff("<一、总体情况>".encode()) == "text"
