"""Reading scans by OCR (extract/ocr.py): the pieces on drawn images, the uncertain cell through the
parser and the rules, and whole scans through ``check_bytes`` and ``nianbao check``."""

from __future__ import annotations

import dataclasses
import io
import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from nianbao.check import check_bytes
from nianbao.cli import app
from nianbao.extract import ExtractError, Limits, extract, ocr
from nianbao.extract.ocr import (
    _as_number,
    _cell_text,
    _clean,
    _decode,
    _line_crops,
    _numeral_groups,
    _Reading,
    _rules,
    _ruling,
    _text_rows,
    _upright,
    _value_cells,
    _writing,
    extract_image,
)
from nianbao.extract.pdf import scanned_page
from nianbao.extract.pdf_tables import find_tables
from nianbao.model import Cell, CellKind, Report, Status
from nianbao.parse import parse
from nianbao.rules import run
from nianbao.spec import FormatVersion
from tests.synth.blocks import blocks
from tests.synth.scan import Scan, degrade, image_only_pdf, png, rasterise, scanned_report, tiff
from tests.synth.to_pdf import WQY_MICROHEI, FixtureUnavailable, to_pdf
from tests.synth.truth import Truth, random_truth

pytestmark = pytest.mark.unit

SCALE = 150 / 72  # pixels per point at 150 dpi


def truth() -> Truth:
    return random_truth(random.Random(5), version=FormatVersion.V2021, year=2023)


@pytest.fixture(scope="module")
def text_pdf() -> bytes:
    try:
        return to_pdf(blocks(truth(), random.Random(5)), "reportlab")
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def scan() -> bytes:
    """The same report scanned: 150 dpi, tilted by 0.7°, grain, JPEG quality 70, image-only PDF."""
    try:
        return scanned_report(truth(), random.Random(5), Scan(tilt=0.7, grain=6.0, jpeg_quality=70), "pdf")
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))


# --- the pieces, on drawn images -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "shown"),
    [("。", "0"), ("1O", "10"), ("O", "0"), ("〇", "0"), ("12", "12"), ("（一）予以公开", "（一）予以公开"), ("", "")],
)
def test_a_round_mark_among_digits_is_a_zero_and_nothing_else_changes(read, shown):
    assert _cell_text(read) == shown


def test_a_cell_splits_into_its_lines_of_writing_and_specks_are_none():
    ink = np.zeros((60, 80), np.uint8)
    ink[5:15, 10:70] = 255  # a line of writing, 10 px tall
    ink[30:42, 10:40] = 255  # another
    ink[50, 20] = ink[50, 60] = 255  # grain: two dark pixels on one row
    assert _text_rows(ink, SCALE) == [(5, 15), (30, 42)]


def test_a_faint_line_of_writing_is_cut_out_black_on_white():
    # Given a photo's cell: grey strokes (110) on grey paper (170)
    gray = np.full((40, 100), 170, np.uint8)
    gray[10:25, 20:80:4] = 110
    ink = np.where(gray == 110, 255, 0).astype(np.uint8)
    [crop] = _line_crops(gray, ink, (0, 0, 100 / SCALE, 40 / SCALE), SCALE)
    # Then the strokes are black and the paper white
    assert sorted({int(v) for v in np.unique(crop)}) == [0, 255]


def test_grain_and_slivers_of_rule_are_no_writing_but_small_marks_by_it_are():
    ink = np.zeros((40, 200), np.uint8)
    ink[10:25, 60:70] = 255  # a digit
    ink[22:25, 72:75] = 255  # a decimal point beside it (9 px)
    ink[10:25, 78:88] = 255  # another digit
    ink[18:20, 110:125] = 255  # a dash alone, 15 px long and 2 tall
    ink[5, 20] = ink[30, 160] = ink[31, 160] = 255  # grain: specks of 1 and 2 px
    ink[8:11, 150:153] = 255  # a blot of grain (9 px) far from any writing
    ink[0:12, 0:2] = 255  # what is left of the cell's left rule along its side
    ink[39:40, 40:190] = 255  # and of its bottom rule
    ink[15:17, 0:30] = 255  # a stroke that reaches the side ("一" near the rule) is not a rule
    cleaned = _clean(ink, SCALE)
    kept = {(y, x) for y, x in zip(*np.nonzero(cleaned), strict=True)}
    assert cleaned[10:25, 60:70].all()
    assert cleaned[10:25, 78:88].all()
    assert cleaned[22:25, 72:75].all()
    assert cleaned[18:20, 110:125].all()
    assert cleaned[15:17, 2:30].all()
    assert not {(5, 20), (30, 160), (31, 160), (9, 151), (5, 0), (39, 100)} & kept


def test_a_numbers_crop_spans_the_number_not_the_grain_around_it():
    # Given a wide cell (a photo's grey paper, 170) holding a 0 in its middle and grain at both ends
    gray = np.full((40, 400), 170, np.uint8)
    gray[12:28, 195:205] = 60
    gray[20:22, 30:32] = gray[15:17, 360:362] = 120
    ink = np.where(gray < 150, 255, 0).astype(np.uint8)
    [crop] = _line_crops(gray, ink, (0, 0, 400 / SCALE, 40 / SCALE), SCALE)
    # Then the crop is the 0 with its padding, black on white
    pad = round(2.0 * SCALE)
    assert crop.shape[1] == 10 + 2 * pad
    assert crop.min() == 0
    assert crop.max() == 255


def test_the_rules_are_taken_from_the_writing_and_the_characters_kept():
    image = grid_image()
    image[200:230, 520:526] = 0  # a "1" in a cell
    ink = 255 - image
    writing = _writing(ink, _ruling(ink, SCALE), SCALE)
    assert not writing[100, 150:250].any()
    assert not writing[150:170, 300].any()
    assert writing[205:225, 521:525].all()  # the "1" kept


CHARACTERS = ["blank", "0", "1", "6", "O", "。", "需", "W", "E", "M", ".", "-", " "]


def scores(*steps: dict[str, float]) -> np.ndarray:
    """A recogniser's scores, one row per step; what a step does not name is the blank."""
    out = np.zeros((len(steps), len(CHARACTERS)), np.float32)
    for t, step in enumerate(steps):
        for character, score in step.items():
            out[t, CHARACTERS.index(character)] = score
        out[t, 0] = 1.0 - sum(step.values())
    return out


def read(*steps: dict[str, float]) -> _Reading:
    return _decode(scores(*steps), CHARACTERS, _numeral_groups(tuple(CHARACTERS)), len(steps))


def test_a_lone_zero_read_as_a_number_takes_the_scores_of_the_round_marks():
    reading = read({}, {"0": 0.55, "O": 0.2, "。": 0.15}, {})
    assert (reading.text, reading.digits) == ("0", "0")
    assert reading.confidence == pytest.approx(0.55)  # the free reading's: the 0's own score
    assert reading.digits_confidence == pytest.approx(0.9)  # the number's: 0, O and 。 together


def test_a_step_surely_no_numeral_makes_the_number_unsure():
    reading = read({"6": 0.97}, {}, {"需": 0.9, "6": 0.02}, {})
    assert (reading.text, reading.digits) == ("6需", "6")
    assert reading.digits_confidence == pytest.approx(0.1)  # the share the gap and numerals held at 需


def test_repeated_digits_apart_are_two_and_together_one():
    assert read({"1": 0.9}, {"1": 0.95}, {}, {"1": 0.99}).digits == "11"
    assert read({"1": 0.9}, {}, {"0": 0.5, "O": 0.4}, {".": 0.9}, {"6": 0.9}).digits == "10.6"


def lines(text: str, confidence: float, digits: str, digits_confidence: float) -> list[_Reading]:
    return [_Reading(text, confidence, digits, digits_confidence)]


@pytest.mark.parametrize(
    ("reading", "shown"),
    [
        (lines("0", 0.55, "0", 0.9), ("0", 0.9)),  # a zero: as sure as the round marks make it
        (lines("12", 0.97, "12", 0.9), ("12", 0.97)),
        (lines("-", 0.9, "-", 0.9), ("-", 0.9)),  # a placeholder stays
        (lines("6需", 0.86, "6", 0.12), ("6", 0.12)),  # a mark from the next cell: unsure
        (lines("WEOM", 0.85, "0", 0.3), ("0", 0.3)),  # letters: the number, unsure
        (lines("1.2.3", 0.95, "1.2.3", 0.95), ("123", 0.0)),  # no number: its digits, not sure at all
        (lines("", 0.0, "", 0.0), ("0", 0.0)),  # ink read as nothing: not blank, unsure
        (lines("本年制发件数", 0.97, "", 0.0), ("本年制发件数", 0.97)),  # words surely read stay
        (lines("商业企业", 0.6, "", 0.0), ("0", 0.0)),
        ([], ("", 1.0)),  # no ink: blank
    ],
)
def test_a_value_cells_reading_is_a_number_or_unsure(reading, shown):
    text, confidence = _as_number(reading)
    assert text == shown[0]
    assert confidence == pytest.approx(shown[1])


def table(*rows: list[str]) -> dict[tuple[int, int], list[_Reading]]:
    """Readings of a table's cells ("" for no ink, "text@0.5" for a reading that unsure)."""
    out = {}
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell:
                text, _, sure = cell.partition("@")
                confidence = float(sure or 0.97)
                out[(r, c)] = lines(text, confidence, "".join(ch for ch in text if ch.isdigit()), confidence)
    return out


def test_the_value_cells_are_the_value_columns_cells_in_the_rows_of_values():
    read = table(
        ["第二十条第（一）项", "", "", ""],
        ["信息内容", "本年制发件数", "本年废止件数", "商业企@0.5"],  # a header, one cell unsure
        ["规章", "2", "6需@0.86", "7"],
        ["行政规范性文件", "WEOM", "0", ""],
        ["行政许可", "K1@0.5", "", ""],
    )
    values = _value_cells(read, [4] * 5)
    assert values == {(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (4, 1)}


def test_a_table_of_values_alone_has_every_column_a_value_column():
    read = table(
        ["行政复议", "", "行政诉讼", ""],
        ["结果维持", "总计", "结果维持", "总计"],
        ["MO", "1", "0", "1"],  # Table 4: no label, its first value misread
    )
    assert _value_cells(read, [4] * 3) == {(2, 0), (2, 1), (2, 2), (2, 3)}


def grid_image(width: int = 900, height: int = 500) -> np.ndarray:
    """A ruled table of 4 columns and 4 rows whose first column's last three cells are merged."""
    image = np.full((height, width), 255, np.uint8)
    xs, ys = [100, 300, 450, 600, 800], [100, 180, 260, 340, 420]
    for y in ys:
        cv2.line(image, (xs[0], y), (xs[-1], y), 0, 2)
    for x in xs:
        cv2.line(image, (x, ys[0]), (x, ys[-1]), 0, 2)
    image[ys[2] - 2 : ys[2] + 3, xs[0] + 3 : xs[1] - 2] = 255  # the merged cell: two rules erased
    image[ys[3] - 2 : ys[3] + 3, xs[0] + 3 : xs[1] - 2] = 255
    return image


def test_the_rules_of_a_drawn_table_make_its_cells_merged_ones_included():
    ink = 255 - grid_image()
    vertical, horizontal = _rules(ink, SCALE)
    [table] = find_tables(vertical, horizontal)
    assert len(table.rows) == 4
    assert [sum(cell is not None for cell in row.cells) for row in table.rows] == [4, 4, 3, 3]
    x0, top, x1, bottom = table.bbox
    assert (round(x0 * SCALE), round(top * SCALE), round(x1 * SCALE), round(bottom * SCALE)) == (100, 100, 800, 420)


def test_rules_broken_by_grain_are_bridged_and_still_make_the_cells():
    # Given the drawn table with every rule broken by a pixel of paper every 8 pixels (a faint rule
    # in a dim corner of a photo, after thresholding)
    ink = 255 - grid_image()
    ink[:, ::8] = 0
    ink[::8, :] = 0
    # Then its rules still make its four rows, the merged cells included
    [table] = find_tables(*_rules(ink, SCALE))
    assert [sum(cell is not None for cell in row.cells) for row in table.rows] == [4, 4, 3, 3]


@pytest.mark.parametrize("angle", [-2.0, -0.6, 0.9, 2.0])
def test_a_tilted_page_is_turned_back_by_its_tilt(angle):
    image = grid_image()
    matrix = cv2.getRotationMatrix2D((450, 250), angle, 1.0)
    tilted = cv2.warpAffine(image, matrix, (900, 500), borderValue=255)
    upright, skew = _upright(tilted, SCALE)
    assert skew == pytest.approx(-angle, abs=0.1)
    vertical, horizontal = _rules(255 - upright, SCALE)
    assert len(find_tables(vertical, horizontal)) == 1


def test_an_untilted_page_is_left_as_it_is():
    image = grid_image()
    upright, skew = _upright(image, SCALE)
    assert skew == 0.0
    assert upright is image


# --- an uncertain cell through the parser and the rules ------------------------------------------


def unsure(pdf: bytes, label: str, column: int, read: str, confidence: float):
    """The document of ``pdf`` as if OCR had read it, the cell ``column`` (0: 自然人) of Table 3's row
    ``label`` read as ``read`` with ``confidence``, every other cell sure."""
    document = extract(pdf, "scan.pdf")
    for line in document.lines:
        if not (line.grid and line.cells):
            continue
        sure = [0.99] * len(line.cells)
        if label in "".join(line.cells):
            at = len(line.cells) - 7 + column
            line.cells[at] = read
            sure[at] = confidence
        line.confidence = sure
    return dataclasses.replace(document, ocr_pages=list(range(1, (document.pages or 0) + 1)))


def table3_cell(report: Report, row: str, column: str) -> Cell:
    assert report.table3 is not None
    cell = report.table3.rows[row].cell(column)
    assert cell is not None
    return cell


def test_a_cell_read_unsure_takes_no_part_in_the_balance_and_is_named_once(text_pdf):
    # Given 予以公开's 自然人 misread as 7 (it is not) with 41% confidence
    report = parse(unsure(text_pdf, "予以公开", 0, "7", 0.41))
    cell = table3_cell(report, "granted", "natural")
    assert (cell.kind, cell.raw, cell.confidence, cell.value) == (CellKind.UNCERTAIN, "7", 0.41, None)
    findings = run(report)
    # Then no balance finding rests on it, and one info finding names it with what was read
    assert not [f for f in findings if f.code.startswith(("T3_", "T4_"))]
    [low] = [f for f in findings if f.code == "OCR_LOW_CONFIDENCE"]
    assert low.message == (
        "表三“（一）予以公开”行“自然人”列（识别为“7”，把握41%）的文字识别把握不足，"
        "未参与勾稽关系等核对，请对照原件人工核对。"
    )
    assert (low.severity.value, low.location.table, low.location.row, low.location.column) == (
        "info", "table3", "granted", "natural",
    )  # fmt: skip
    assert low.location.bbox is not None  # the cell's own box
    [read] = [f for f in findings if f.code == "READ_BY_OCR"]
    assert (
        read.message
        == "整个文件都是扫描图片，已通过文字识别（OCR）读取；识别把握不足的单元格不参与核对，核查结果请以原件为准。"
    )


def test_the_same_misreading_read_sure_is_a_balance_error(text_pdf):
    wrong = int(str(truth().table3["granted"][0])) + 5
    findings = run(parse(unsure(text_pdf, "予以公开", 0, str(wrong), 0.95)))
    assert "T3_ROW_TOTAL" in {f.code for f in findings}
    assert "OCR_LOW_CONFIDENCE" not in {f.code for f in findings}


def test_a_blank_cell_read_unsure_stays_blank_and_an_unsure_table_is_not_empty(text_pdf):
    report = parse(unsure(text_pdf, "予以公开", 1, "", 0.3))
    assert table3_cell(report, "granted", "commercial").kind is CellKind.BLANK
    document = unsure(text_pdf, "予以公开", 0, "5", 0.5)
    for line in document.lines:
        if line.grid and line.confidence:
            line.confidence = [0.1] * len(line.confidence)  # every cell unsure
    findings = run(parse(document))
    assert not {"TABLE_EMPTY", "CELL_BLANK", "CELL_INVALID"} & {f.code for f in findings}
    [low] = [f for f in findings if f.code == "OCR_LOW_CONFIDENCE"]
    assert "等" in low.message
    assert low.message.count("识别为") == 5


# --- whole scans ---------------------------------------------------------------------------------


def test_a_scanned_report_is_read_by_ocr_and_checked_like_any_other(scan, text_pdf):
    result = check_bytes(scan, "scan.pdf")
    original = check_bytes(text_pdf, "report.pdf")
    assert result.report.read_by == "ocr"
    assert result.report.ocr_pages == [1, 2, 3]
    assert result.report.scanned_pages == []
    assert result.report.table3 is not None
    assert original.report.table3 is not None
    assert result.report.table3.rows["granted"].values() == original.report.table3.rows["granted"].values()
    assert result.report.title == original.report.title
    assert set(result.report.sections) == {1, 2, 3, 4, 5, 6}
    codes = {f.code for f in result.findings}
    assert "NO_TEXT_LAYER" not in codes
    assert "READ_BY_OCR" in codes
    assert not [f for f in result.findings if f.severity.value == "error"]


def test_a_value_cell_holding_a_stray_character_is_uncertain_never_an_error(text_pdf):
    # Given the report scanned, and a "需" written beside 予以公开's 自然人 count on the page
    line = next(x for x in extract(text_pdf, "report.pdf").lines if x.grid and "予以公开" in "".join(x.cells or []))
    assert line.boxes is not None
    assert line.page is not None
    box = line.boxes[len(line.boxes) - 7]
    assert box is not None
    _, top, x1, bottom = box
    pages = rasterise(text_pdf, 150)
    page = pages[line.page - 1].copy()
    size = round(10 * SCALE)
    ImageDraw.Draw(page).text(
        (round((x1 - 3) * SCALE) - size, round((top + bottom) / 2 * SCALE) - size // 2),
        "需",
        fill=0,
        font=ImageFont.truetype(str(WQY_MICROHEI), size),
    )
    pages[line.page - 1] = page
    result = check_bytes(tiff([degrade(p, Scan(grain=4.0), random.Random(1)) for p in pages], 150), "scan.tif")
    # Then the cell is uncertain, named as such, and no error rests on it
    assert result.report.read_by == "ocr"
    assert table3_cell(result.report, "granted", "natural").kind is CellKind.UNCERTAIN
    assert [f.code for f in result.findings if f.severity.value == "error"] == []
    [low] = [f for f in result.findings if f.code == "OCR_LOW_CONFIDENCE"]
    assert "（一）予以公开”行“自然人”列" in low.message


def test_nianbao_check_prints_a_scans_tables_and_findings(scan, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(scan)
    out = CliRunner().invoke(app, ["check", str(path), "--jobs", "1"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "READ_BY_OCR" in out.output
    assert truth().agency in out.output
    assert "通过" in out.output or "有警告" in out.output


def test_a_blank_scanned_page_has_no_text_layer_even_with_ocr():
    blank = Image.new("L", (1241, 1754), 250)
    result = check_bytes(image_only_pdf([blank], 150), "blank.pdf")
    assert result.report.scanned_pages == [1]
    assert result.report.ocr_pages == []
    assert [f.code for f in result.findings] == ["NO_TEXT_LAYER"]


def test_page_images_are_read_as_a_scanned_pdf_is(scan):
    pages = scanned_report(truth(), random.Random(5), Scan(tilt=-0.4, grain=5.0), "png")
    document = extract(pages[1], "page2.png")
    assert (document.kind, document.ocr_pages, document.scanned_pages) == ("image", [1], [])
    assert any("予以公开" in line.text for line in document.lines)


# --- image files that cannot be read -------------------------------------------------------------


def test_a_damaged_image_is_unreadable_with_the_reason():
    with pytest.raises(ExtractError, match="图片文件已损坏"):
        extract_image(b"\x89PNG\r\n\x1a\nbroken", "x.png", Limits())


def test_an_image_over_the_pixel_bound_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 7_000)).save(buffer, format="PNG")  # 70 million pixels, a small file
    with pytest.raises(ExtractError, match="超过 60 百万像素的上限"):
        extract_image(buffer.getvalue(), "x.png", Limits())


def test_an_image_past_pillows_own_bomb_bound_is_refused_with_the_reason():
    buffer = io.BytesIO()
    Image.new("1", (15_000, 13_000)).save(buffer, format="PNG")  # 195 million pixels in 24 KB
    with pytest.raises(ExtractError, match="超过 60 百万像素的上限，可能是恶意构造的文件"):
        extract_image(buffer.getvalue(), "x.png", Limits())


def test_a_tiff_of_more_pages_than_the_limit_is_refused():
    pages = [Image.new("L", (200, 200), 255)] * 3
    with pytest.raises(ExtractError, match="图片共 3 页，超过 2 页的上限"):
        extract_image(tiff(pages, 150), "x.tif", Limits(max_pages=2))


def test_without_the_ocr_libraries_an_image_has_no_text_layer(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ExtractError) as raised:
        extract(png(Image.new("L", (200, 200), 255), 150), "x.png")
    assert raised.value.code == "NO_TEXT_LAYER"
    assert "未安装文字识别" in raised.value.reason


def test_with_ocr_turned_off_a_scanned_pdf_keeps_no_text_layer(monkeypatch, scan):
    monkeypatch.setenv("NIANBAO_OCR", "off")
    result = check_bytes(scan, "scan.pdf")
    assert result.report.scanned_pages == [1, 2, 3]
    assert result.report.read_by == "text"
    assert [f.code for f in result.findings] == ["NO_TEXT_LAYER"]


def test_ocr_is_on_where_installed_unless_turned_off(monkeypatch):
    assert ocr.available()
    for off in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv("NIANBAO_OCR", off)
        assert not ocr.available()
    monkeypatch.setenv("NIANBAO_OCR", "on")
    assert ocr.available()


def test_onnxruntimes_failed_allocation_is_a_memory_error():
    with pytest.raises(MemoryError, match="OCR ran out of memory"), ocr._memory():
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : std::bad_alloc")
    with pytest.raises(RuntimeError, match="something else"), ocr._memory():
        raise RuntimeError("something else")


def test_damaged_scans_give_a_result(scan):
    rng = random.Random(3)
    for _ in range(4):
        damaged = bytearray(scan)
        start = rng.randrange(len(damaged) // 4, len(damaged))
        damaged[start : start + 2000] = bytes(rng.randrange(256) for _ in range(2000))
        result = check_bytes(bytes(damaged), "damaged.pdf")  # a result, never an exception
        assert result.report.read_by == "ocr" or result.status is Status.UNREADABLE


def test_a_scans_page_number_in_the_margin_is_dropped_and_its_text_kept():
    lines = [
        ocr.TextLine("一、总体情况", (90.0, 100.0, 200.0, 112.0)),
        ocr.TextLine("- 2 -", (280.0, 800.0, 310.0, 812.0)),  # the bottom margin
        ocr.TextLine("2", (280.0, 400.0, 290.0, 412.0)),  # a lone number mid-page stays
    ]
    page = scanned_page(2, ocr.OcrPage(595.0, 842.0, [], lines))
    assert page is not None
    assert [text for _, band in page.bands for text, _ in band] == ["一、总体情况", "2"]
    assert scanned_page(3, ocr.OcrPage(595.0, 842.0, [], [])) is None  # nothing read: no page
