"""Reports as text tools export them (tests/synth/exports.py): read cell for cell, and no
error-level finding when the numbers balance; a planted imbalance is still found.

The PDF exports render a PDF and run a tool on it, so they take a few seeds each; the markdown and
interleaved exports are written directly and take more.
"""

from __future__ import annotations

import random
import shutil

import pytest

from nianbao.contract import report_dict
from nianbao.spec import FormatVersion
from tests.conftest import check_text
from tests.synth import blank_cells, random_truth
from tests.synth.exports import PDF_EXPORTS, Export, export
from tests.synth.to_pdf import FixtureUnavailable

pytestmark = pytest.mark.unit

WRITTEN = (Export.MARKDOWN_SHIFTED, Export.MARKDOWN_REPEATED, Export.MARKDOWN_PER_ROW, Export.INTERLEAVED)
PDF_CASES = [
    pytest.param(generator, kind, id=f"{generator}-{kind}")
    for generator, kinds in PDF_EXPORTS.items()
    for kind in kinds
]


def _truth(seed: int):
    rng = random.Random(seed)
    version = (FormatVersion.V2019, FormatVersion.V2021)[seed % 2]
    return random_truth(rng, version=version, busy=rng.random())


def _table3(truth) -> dict[str, list[int | None]]:
    return truth.expected_tables()["table3"]  # type: ignore[no-any-return]


def _errors(result) -> list[tuple[str, str | None]]:
    return [(f.code, f.location.row) for f in result.findings if f.severity == "error"]


def _read_back(truth, text: str) -> None:
    result = check_text(text)
    assert report_dict(result)["tables"] == truth.expected_tables()
    assert _errors(result) == []


@pytest.mark.parametrize("kind", WRITTEN)
def test_a_written_export_is_read_cell_for_cell(kind):
    for seed in range(10):
        # Given a balanced report, exported as markdown or interleaved text
        truth = _truth(seed)
        text = export(truth, kind, random.Random(seed))
        # Then every cell is read and nothing is an error
        _read_back(truth, text)


@pytest.mark.parametrize(("generator", "kind"), PDF_CASES)
def test_a_pdf_export_is_read_cell_for_cell(generator, kind):
    if shutil.which("pdftotext") is None and kind.startswith("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    for seed in range(2 if generator == "libreoffice" else 3):
        # Given a balanced report made into a PDF and exported to text by a common tool
        truth = _truth(seed)
        try:
            text = export(truth, kind, random.Random(seed), generator)
        except FixtureUnavailable as missing:
            pytest.skip(str(missing))
        # Then every cell is read and nothing is an error
        _read_back(truth, text)


@pytest.mark.parametrize("kind", [*WRITTEN, Export.PDFTOTEXT_LAYOUT, Export.PDFTOTEXT_RAW])
def test_a_planted_imbalance_is_found_in_every_export(kind):
    # Given a report whose 予以公开 total is one more than its applicants' cells add up to
    truth = _truth(3)
    row = list(truth.table3["granted"])
    row[6] = int(row[6] or 0) + 1
    planted = truth.with_cell("table3", "granted", 6, row[6])
    text = export(planted, kind, random.Random(3))
    # When it is checked
    result = check_text(text)
    # Then that row's total is the finding, with the numbers the office can check
    totals = [f for f in result.findings if f.code == "T3_ROW_TOTAL"]
    assert [(f.location.row, f.expected, f.actual) for f in totals] == [("granted", row[6] - 1, row[6])]


HEADER = (
    "三、收到和处理政府信息公开申请情况",
    "申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
)


def test_numbers_printed_before_their_labels_take_the_rows_due():
    # Given a text export that reads a ruled table's cells one per line and prints three rows'
    # numbers before their labels (hand-typed: 2.重复申请 0 0 1 0 0 0 1, 3.要求提供公开出版物 all 0,
    # 4.无正当理由大量反复申请 2 0 0 0 0 0 2), after a complete 1.信访举报投诉类申请 row
    head = ["（五）不予处理", "1.信访举报投诉类申请", "1", "0", "0", "0", "0", "0", "1"]
    numbers = ["0", "0", "1", "0", "0", "0", "1"] + ["0"] * 7 + ["2", "0", "0", "0", "0", "0", "2"]
    labels = ["2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量", "反复申请"]
    text = "\n".join([*HEADER, *head, *numbers, *labels, "四、政府信息公开行政复议、行政诉讼情况"])  # fmt: skip
    # When it is read
    table3 = report_dict(check_text(text))["tables"]["table3"]
    # Then each run of seven numbers is the next row in print order
    assert table3["refused_1"] == [1, 0, 0, 0, 0, 0, 1]
    assert table3["refused_2"] == [0, 0, 1, 0, 0, 0, 1]
    assert table3["refused_3"] == [0, 0, 0, 0, 0, 0, 0]
    assert table3["refused_4"] == [2, 0, 0, 0, 0, 0, 2]


def test_a_header_cell_between_a_label_and_its_numbers_does_not_make_it_the_total_row():
    # Given 上年结转's label, then the results block's name and a repeated header's 总计, then its numbers
    text = "\n".join([*HEADER, "一、本年新收政府信息公开申请数量 5 0 0 0 0 0 5", "二、上年结转政府信息公开申请数量",
                      "三、本", "年度办", "理结果", "总计", "3 0 0 0 0 0 3", "（一）予以公开 8 0 0 0 0 0 8",
                      "（七）总计 8 0 0 0 0 0 8", "四、结转下年度继续办理 0 0 0 0 0 0 0"])  # fmt: skip
    # When it is read
    table3 = report_dict(check_text(text))["tables"]["table3"]
    # Then the numbers are 上年结转's, and the 总计 row is the one labelled so
    assert table3["carried_in"] == [3, 0, 0, 0, 0, 0, 3]
    assert table3["results_total"] == [8, 0, 0, 0, 0, 0, 8]


def test_blank_cells_in_text_that_keeps_the_layout_are_placed_by_where_the_numbers_sit():
    # Given reports with blank cells, exported with pdftotext -layout: a blank cell is only a wider gap
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    exact = rows = 0
    for seed in range(4):
        rng = random.Random(seed)
        truth = blank_cells(_truth(seed), rng, share=0.15, placeholders=False)
        result = check_text(export(truth, Export.PDFTOTEXT_LAYOUT, random.Random(seed)))
        table3 = report_dict(result)["tables"]["table3"]
        expected = _table3(truth)
        for key, cells in expected.items():
            # Then every row is read right or left uncertain (every cell unknown), never misread
            assert table3[key] in (cells, [None] * 7), (seed, key)
            exact += table3[key] == cells
            rows += 1
        assert _errors(result) == []
    # and most rows are read right: those whose page shows complete rows to place their numbers by
    assert exact >= 0.8 * rows, (exact, rows)


def _laid_out(rows: list[tuple[str, list[tuple[int, str]]]]) -> str:
    """Lines with each value at a character offset, as pdftotext -layout sets them."""
    lines = []
    for label, values in rows:
        line = list(label.ljust(80))
        for at, value in values:
            line[at : at + len(value)] = value
        lines.append("".join(line).rstrip())
    return "\n".join(lines)


COLUMNS = (30, 36, 42, 48, 54, 60, 66)  # where this table's seven columns are


def test_a_value_between_two_columns_leaves_its_row_uncertain():
    # Given a laid-out table whose complete rows put the columns at COLUMNS, and a short row
    # (hand-typed) whose middle value sits halfway between two columns
    complete = [(label, [(at, "1") for at in COLUMNS[:6]] + [(COLUMNS[6], "6")]) for label in
                ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开")]  # fmt: skip
    placed = ("（二）部分公开", [(30, "2"), (48, "3"), (66, "5")])
    between = ("1.属于国家秘密", [(30, "2"), (45, "3"), (66, "5")])
    text = _laid_out([*complete, placed, between])
    # When it is read
    table3 = report_dict(check_text("\n".join([*HEADER, text])))["tables"]["table3"]
    # Then the row whose values sit at columns is placed, and the other is left uncertain
    assert table3["partial"] == [2, None, None, 3, None, None, 5]
    assert table3["denied_1"] == [None] * 7


def test_table_2_printed_one_cell_a_line_keeps_each_row_whole():
    # Given Table 2 as a text export that reads its grid one cell a line (hand-typed, 2021 format)
    lines = ["二、主动公开政府信息情况", "第二十条第（一）项", "信息内容",
             "本年制发件数", "本年废止件数", "现行有效件数", "规章", "1", "7", "2", "行政规范性文件", "2", "106", "106",
             "第二十条第（五）项", "信息内容", "本年处理决定数量", "行政许可", "12",
             "三、收到和处理政府信息公开申请情况"]  # fmt: skip
    # When it is read
    table2 = report_dict(check_text("\n".join(lines)))["tables"]["table2"]
    # Then each row has its own cells, none spilling into a row of its own
    assert table2["regulations"] == [1, 7, 2]
    assert table2["normative_documents"] == [2, 106, 106]
    assert table2["licensing"] == [12]


def test_label_less_numbers_that_overshoot_a_row_are_no_row():
    # Given a complete row, then two lines of four numbers (eight: no run of seven), then 2.重复申请
    head = ["（五）不予处理", "1.信访举报投诉类申请 1 0 0 0 0 0 1", "1 2 3 4", "5 6 7 8", "2.重复申请 0 0 0 0 0 0 0"]
    table3 = report_dict(check_text("\n".join([*HEADER, *head])))["tables"]["table3"]
    # Then the stray numbers take no row's place: 2.重复申请 keeps its own, and no row is made of them
    assert table3["refused_1"] == [1, 0, 0, 0, 0, 0, 1]
    assert table3["refused_2"] == [0, 0, 0, 0, 0, 0, 0]
