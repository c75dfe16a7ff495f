"""PDF, Word and HTML inputs: structure kept, and every bad file a clear, bounded result.

The PDFs here use reportlab's built-in Latin fonts (no CJK font needed); rendered Chinese reports
are covered by tests/unit/test_documents.py.
"""

from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from nianbao.check import check_bytes
from nianbao.extract import ExtractError, Limits, extract, sniff
from nianbao.model import Status

pytestmark = pytest.mark.unit


def pdf(pages: list[list[str]] | None = None, *, password: str | None = None, image_pages: int = 0) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, encrypt=password)
    for lines in pages if pages is not None else [["Annual report", "Section one"]]:
        for row, text in enumerate(lines):
            page.drawString(72, 760 - 18 * row, text)
        page.showPage()
    for _ in range(image_pages):
        picture = Image.new("L", (200, 80), 255)
        page.drawImage(ImageReader(picture), 72, 600, width=300, height=120)
        page.showPage()
    page.save()
    return buffer.getvalue()


def unreadable(data: bytes, limits: Limits | None = None) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        extract(data, "x", limits)
    return caught.value


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_text_is_read_in_order_with_pages():
    document = extract(pdf([["first line", "second line"], ["third line"]]), "r.pdf")
    assert [(line.text, line.page) for line in document.lines] == [
        ("first line", 1),
        ("second line", 1),
        ("third line", 2),
    ]
    assert (document.kind, document.pages, document.scanned_pages) == ("pdf", 2, [])


def test_page_numbers_in_the_margins_are_dropped():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 760, "body text")
    page.drawString(290, 30, "- 1 -")
    page.save()
    assert [line.text for line in extract(buffer.getvalue(), "r.pdf").lines] == ["body text"]


def test_an_encrypted_pdf_says_it_needs_a_password():
    assert "加密" in unreadable(pdf(password="secret")).reason


def test_a_truncated_pdf_is_unreadable_not_a_crash():
    data = pdf([["line"] * 30] * 5)
    error = unreadable(data[: len(data) // 3])
    assert "损坏" in error.reason or "不完整" in error.reason


def test_a_pdf_over_the_page_limit_is_refused():
    assert "上限" in unreadable(pdf([["a"], ["b"], ["c"]]), Limits(max_pages=2)).reason


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    assert "超过 0 KB 的上限" in unreadable(pdf(), Limits(max_bytes=100)).reason
    assert "超过 1.0 MB 的上限" in unreadable(b"x" * 2 * 1024 * 1024, Limits(max_bytes=1024 * 1024)).reason


def test_an_unreadable_result_says_what_kind_of_file_it_was():
    result = check_bytes(pdf(password="secret"), "locked.pdf")
    assert (result.status, result.report.file_type) == (Status.UNREADABLE, "pdf")


def test_a_pdf_that_takes_too_long_is_stopped():
    started = time.monotonic()
    assert "超时" in unreadable(pdf([["a"]] * 5), Limits(max_seconds=0)).reason
    assert time.monotonic() - started < 5


def test_an_image_only_page_is_a_scan_and_makes_the_report_unreadable():
    document = extract(pdf([["some text"]], image_pages=1), "r.pdf")
    assert document.scanned_pages == [2]
    result = check_bytes(pdf([["some text"]], image_pages=1), "r.pdf")
    assert result.status is Status.UNREADABLE
    assert [f.code for f in result.findings] == ["NO_TEXT_LAYER"]
    assert "第2页" in result.findings[0].message


def test_a_wholly_scanned_pdf_says_so():
    result = check_bytes(pdf([], image_pages=2), "scan.pdf")
    assert result.status is Status.UNREADABLE
    [finding] = result.findings
    assert finding.code == "NO_TEXT_LAYER"
    assert "整个文件" in finding.message


def test_a_word_file_named_pdf_is_read_as_word():
    document = docx.Document()
    document.add_paragraph("一、总体情况")
    buffer = io.BytesIO()
    document.save(buffer)
    assert sniff(buffer.getvalue()) == "docx"
    assert extract(buffer.getvalue(), "report.pdf").kind == "docx"


# --- Word -----------------------------------------------------------------------------------------


def word(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_word_tables_keep_cells_and_blank_the_positions_a_merge_covers():
    def build(document):
        document.add_paragraph("二、主动公开政府信息情况")
        table = document.add_table(rows=3, cols=4)
        table.cell(0, 0).merge(table.cell(0, 3)).text = "第二十条第（一）项"
        table.cell(1, 0).merge(table.cell(2, 0)).text = "规章"
        table.cell(1, 1).text = "1"
        table.cell(1, 2).text = ""
        table.cell(1, 3).text = "3"
        table.cell(2, 1).text = "4"
        document.add_paragraph("三、后文\n第二行")

    lines = extract(word(build), "r.docx").lines
    assert [line.cells for line in lines if line.grid] == [
        ["第二十条第（一）项", "", "", ""],
        ["规章", "1", "", "3"],
        ["", "4", "", ""],
    ]
    assert [line.text for line in lines if not line.grid] == ["二、主动公开政府信息情况", "三、后文", "第二行"]


def test_word_rows_that_start_later_and_tables_in_cells_keep_their_places():
    from tests.hostile import _before_section, _document_xml, _docx_with  # noqa: PLC0415

    def cell(content: str, props: str = "") -> str:
        return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"

    def p(text: str) -> str:
        return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"

    nested = "<w:tbl><w:tr>" + cell(p("x")) + cell(p("y")) + "</w:tr></w:tbl>"
    table = (
        "<w:tbl><w:tblPr/>"
        + "<w:tr>" + cell(p("a")) + cell(p("b")) + cell(p("c")) + "</w:tr>"
        + '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>' + cell(p("d")) + cell(p("e")) + "</w:tr>"
        + "<w:tr>" + cell(nested + p("")) + cell(p("z"), '<w:gridSpan w:val="2"/>') + "</w:tr>"
        + "</w:tbl>"
    )  # fmt: skip
    lines = extract(_docx_with(_before_section(_document_xml(), table.encode())), "r.docx").lines
    # A row that starts in the second column keeps its cells there; a nested table is its cell's text
    assert [line.cells for line in lines if line.grid][-3:] == [["a", "b", "c"], ["", "d", "e"], ["x y", "z", ""]]


def test_a_broken_word_file_is_unreadable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not xml")
        archive.writestr("[Content_Types].xml", "<nope/>")
    assert "Word" in unreadable(buffer.getvalue()).reason


def test_a_zip_that_is_not_word_is_unreadable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "压缩包" in unreadable(buffer.getvalue()).reason


# --- HTML -----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>年报</title><script>var x = "一、总体情况";</script></head><body>
<div class="nav">首页 政务公开</div><div class="crumb">当前位置：首页</div>
<table width="100%"><tr><td>
<p>某镇2023年政府信息公开工作年度报告</p><p><strong>二、主动公开政府信息情况</strong></p>
<table border="1">
<tr><td rowspan="2">规章</td><td colspan="2">1</td><td>3</td></tr>
<tr><td>4</td><td></td><td>6</td></tr>
</table>
<p>某镇人民政府<br>2024年1月8日</p>
</td></tr></table>
<div class="footer">建议使用1920×1080分辨率浏览本网站</div>
</body></html>"""


def test_html_pages_in_gb2312_are_read_with_layout_tables_opened_and_furniture_dropped():
    lines = extract(PAGE.encode("gb18030"), "r.html").lines
    assert [line.text for line in lines if not line.grid] == [
        "某镇2023年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "某镇人民政府",
        "2024年1月8日",
    ]
    assert [line.cells for line in lines if line.grid] == [["规章", "1", "", "3"], ["", "4", "", "6"]]


def test_embedded_pictures_scripts_and_comments_neither_count_towards_the_html_cap_nor_read_as_text():
    picture = b'<img src="data:image/png;base64,' + b"iVBORw0KGgo" * 1_200_000 + b'">'  # 13 MB
    noise = b"<script>var a = '<p>x</p>';</script><!-- <p>\xe4\xb8\x80\xe3\x80\x81</p> -->"
    page = PAGE.encode("gb18030").replace(b"<body>", b"<body>" + picture + noise)
    assert [line.text for line in extract(page, "r.html").lines] == [
        line.text for line in extract(PAGE.encode("gb18030"), "r.html").lines
    ]


def test_an_html_page_without_text_is_unreadable():
    assert "没有正文" in unreadable(b"<html><body><script>x()</script></body></html>").reason


# --- the cross-check's repairs -------------------------------------------------------------------


def ruled_pdf() -> bytes:
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle  # noqa: PLC0415

    buffer = io.BytesIO()
    table = Table([["label", "1", "2"], ["other", "3", "4"]], colWidths=[120, 60, 60])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
    SimpleDocTemplate(buffer, pagesize=A4).build([table])
    return buffer.getvalue()


def test_pdfium_rules_make_the_grid_that_pdfplumber_would():
    import pdfplumber  # noqa: PLC0415
    import pypdfium2 as pdfium  # noqa: PLC0415

    from nianbao.extract.pdf_tables import find_grids  # noqa: PLC0415

    data = ruled_pdf()
    page = pdfium.PdfDocument(data)[0]
    [grid] = find_grids(page, page.get_textpage())
    with pdfplumber.open(io.BytesIO(data)) as plumbed:
        [expected] = plumbed.pages[0].extract_tables()
    assert [row.cells for row in grid.rows] == expected
    assert all(box is not None for row in grid.rows for box in row.boxes)


def test_pdfminer_finds_the_table_when_pdfiums_rules_make_none(monkeypatch):
    from nianbao.extract import pdf, pdf_tables  # noqa: PLC0415

    monkeypatch.setattr(pdf, "TABLE_WORDS", ("label",))  # the Latin test page holds no Chinese table words
    monkeypatch.setattr(pdf_tables, "find_grids", lambda page, textpage: [])
    lines = extract(ruled_pdf(), "r.pdf").lines
    assert [line.cells for line in lines if line.grid] == [["label", "1", "2"], ["other", "3", "4"]]


def test_a_cell_pdfium_garbles_takes_pdfminers_reading():
    from nianbao.extract.pdf_tables import CrossCheck, GridRow, _compare  # noqa: PLC0415

    row, check = GridRow(["规章", "\ufffd\ufffd"], [None, None], 0.0), CrossCheck()
    _compare(row, 1, "12", check, sample=False)
    assert row.cells[1] == "12"
    assert check.pdfium_garbled == 1
    assert any("乱码" in note for note in check.notes())


def test_the_sample_page_counts_agreements_and_disagreements():
    from nianbao.extract.pdf_tables import CrossCheck, GridRow, _compare  # noqa: PLC0415

    row, check = GridRow(["规章", "12", "7"], [None, None, None], 0.0), CrossCheck()
    for index, mined in enumerate(["规章", "12", "1"]):
        _compare(row, index, mined, check, sample=True)
    assert (check.cells, check.agreed, check.disagreements) == (3, 2, ["“7” / “1”"])
    assert row.cells == ["规章", "12", "7"]  # pdfium's reading stands where it is not garbled
