"""PDF: pypdfium2 reads the text of every page (fast, and right where pdfminer reads nothing, as
with CFF CJK fonts); pdfplumber finds the geometry of ruled tables, only on pages that hold one.

Each table row becomes a grid line whose cells keep their page and box. A cell's text comes from
pdfminer (through pdfplumber) and from pdfium; where both read, they are cross-checked, and
pdfium's text is used where pdfminer's is empty or garbled. Text outside tables is pdfium's, read
band by band between the tables (and the page margins, where page numbers are dropped), so its
lines and spaces are pdfium's own. A page with images and no text is a scan.

Before pdfium parses the file, ``pdf_preflight`` refuses decompression and operator bombs. A page
pdfium cannot load (a page tree that claims more pages than it holds, damage) is skipped and noted;
a file none of whose pages loads is unreadable.

pypdfium2 and pdfplumber are imported here, on the path that needs them, not at import time.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nianbao.extract.document import Document, ExtractError, Line, grid_line
from nianbao.extract.limits import Limits
from nianbao.extract.pdf_preflight import PageCheck, check_pages, check_streams
from nianbao.extract.pdf_tables import CrossCheck, Grid, GridRow, read_tables
from nianbao.normalize import squeeze

if TYPE_CHECKING:
    import pypdfium2

# Words only the tables print (headers and row labels), never the prose around them.
TABLE_WORDS = (
    "第二十条", "信息内容", "申请人情况", "自然人", "商业企业", "本年新收", "予以公开", "国家秘密", "不予公开",
    "无法提供", "不予处理", "其他处理", "结果维持", "结果纠正", "尚未审结",
)  # fmt: skip
_MIN_RULES = 4  # path objects a page needs before its table words can be a ruled table
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*\d{1,4})?(?:\s*页)?[-—–\s]*$")
_MARGIN = 0.07  # share of the page height where running headers and page numbers sit


@dataclass(slots=True)
class _Page:
    number: int
    width: float
    height: float
    text: str
    bands: list[tuple[float, list[str]]] = field(default_factory=list)  # (top, lines) of text outside tables
    ruled: bool = False  # has enough path objects to hold a ruled table
    tables: list[Grid] = field(default_factory=list)


def _open(data: bytes) -> pypdfium2.PdfDocument:
    import pypdfium2 as pdfium  # noqa: PLC0415 - only PDFs pay for it

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        message = str(error).lower()
        if "password" in message:
            raise ExtractError("PDF 已加密，需要密码才能打开；请提供未加密的版本") from error
        if "security" in message:
            raise ExtractError("PDF 受安全策略保护，无法读取") from error
        raise ExtractError("PDF 文件已损坏或不完整，无法打开") from error


def _is_scan(page: Any) -> bool:
    from pypdfium2 import raw  # noqa: PLC0415

    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _is_ruled(page: Any) -> bool:
    from pypdfium2 import raw  # noqa: PLC0415

    paths = page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2)
    return sum(1 for _ in itertools.islice(paths, _MIN_RULES)) >= _MIN_RULES


def _read_page(pdf: pypdfium2.PdfDocument, index: int, scanned: list[int]) -> _Page:
    page = pdf[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            if textpage.count_chars() == 0:
                if _is_scan(page):
                    scanned.append(index + 1)
                return _Page(index + 1, width, height, "")
            text = textpage.get_text_range()
            tabular = any(word in squeeze(text) for word in TABLE_WORDS) and _is_ruled(page)
            return _Page(index + 1, width, height, text, ruled=tabular)
        finally:
            textpage.close()
    finally:
        page.close()


def _read_pages(
    pdf: pypdfium2.PdfDocument, limits: Limits, deadline: float
) -> tuple[list[_Page], list[int], list[int]]:
    """The pages pdfium can load, the scanned ones among them, and the ones it cannot load."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    pages: list[_Page] = []
    scanned: list[int] = []
    failed: list[int] = []
    for index in range(len(pdf)):
        if time.monotonic() > deadline:
            raise ExtractError(f"处理超时（超过 {limits.max_seconds:g} 秒），文件可能过大或过于复杂")
        try:
            pages.append(_read_page(pdf, index, scanned))
        except pdfium.PdfiumError:
            failed.append(index + 1)
    if not pages:
        raise ExtractError(f"PDF 的 {len(pdf)} 页都无法载入，文件已损坏")
    return pages, scanned, failed


def _page_list(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:10])
    return f"第 {shown} 页" + (f"等 {len(numbers)} 页" if len(numbers) > 10 else "")


def _tables(
    data: bytes,
    pages: list[_Page],
    pdf: pypdfium2.PdfDocument,
    check: CrossCheck,
    deadline: float,
    *,
    checked: dict[int, PageCheck],
) -> None:
    """Add the ruled tables of the pages that hold one."""
    numbers = {p.number: len(p.text) for p in pages if p.ruled}
    found = read_tables(data, pdf, numbers, check, deadline, checked=checked)
    for page in pages:
        page.tables = found.get(page.number, [])


def _bands(page: _Page) -> list[tuple[float, float, bool]]:
    """The horizontal bands of ``page`` outside its tables: (top, bottom, in a margin)."""
    cuts = sorted((grid.bbox[1], grid.bbox[3]) for grid in page.tables)
    margin = page.height * _MARGIN
    edges = sorted({0.0, margin, page.height - margin, page.height})
    bands: list[tuple[float, float, bool]] = []
    for top, bottom in itertools.pairwise(edges):
        in_margin = bottom <= margin or top >= page.height - margin
        start = top
        for table_top, table_bottom in cuts:
            if table_bottom <= start or table_top >= bottom:
                continue
            if table_top > start:
                bands.append((start, table_top, in_margin))
            start = max(start, table_bottom)
        if start < bottom:
            bands.append((start, bottom, in_margin))
    return bands


def _text_outside_tables(pdf: pypdfium2.PdfDocument, pages: list[_Page], deadline: float) -> None:
    import pypdfium2 as pdfium  # noqa: PLC0415

    for page in pages:
        if not page.text:
            continue
        if time.monotonic() > deadline:
            raise ExtractError("处理超时：页面过多或过于复杂")
        try:
            pdfium_page = pdf[page.number - 1]
        except pdfium.PdfiumError:  # loaded once already: keep what that reading found (its tables)
            continue
        try:
            textpage = pdfium_page.get_textpage()
            try:
                _read_bands(page, textpage)
            finally:
                textpage.close()
        except pdfium.PdfiumError:
            pass
        finally:
            pdfium_page.close()


def _read_bands(page: _Page, textpage: Any) -> None:
    """pdfium's text of each band outside the tables, page numbers in the margins dropped."""
    for top, bottom, in_margin in _bands(page):
        text = textpage.get_text_bounded(0, page.height - bottom, page.width, page.height - top)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if in_margin:
            lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
        if lines:
            page.bands.append((top, lines))


def _lines(pages: list[_Page]) -> list[Line]:
    lines: list[Line] = []
    for page in pages:
        items: list[tuple[float, str | tuple[GridRow, bool]]] = [
            (top + index * 1e-3, text) for top, texts in page.bands for index, text in enumerate(texts)
        ]
        items.extend((row.top, (row, len(grid.rows) > 1)) for grid in page.tables for row in grid.rows)
        items.sort(key=lambda item: item[0])
        for _, item in items:
            number = len(lines) + 1
            if isinstance(item, tuple):
                row, positioned = item
                lines.append(grid_line(number, row.cells, page=page.number, boxes=row.boxes, positioned=positioned))
            else:
                lines.append(Line(number, item, page=page.number))
    return lines


def extract_pdf(data: bytes, source: str, limits: Limits | None = None) -> Document:
    """Read a PDF into a Document, or raise ``ExtractError`` saying why it cannot be read."""
    limits = limits or Limits.from_env()
    deadline = time.monotonic() + limits.max_seconds
    check_streams(data, deadline)
    pdf = _open(data)
    try:
        count = len(pdf)
        if count == 0:
            raise ExtractError("PDF 没有任何页面")
        if count > limits.max_pages:
            raise ExtractError(f"PDF 共 {count} 页，超过 {limits.max_pages} 页的上限")
        checked = check_pages(data, count, deadline)
        pages, scanned, failed = _read_pages(pdf, limits, deadline)
        check = CrossCheck()
        _tables(data, pages, pdf, check, deadline, checked=checked)
        _text_outside_tables(pdf, pages, deadline)
    finally:
        pdf.close()
    notes = check.notes()
    if failed:
        notes.insert(0, f"PDF 声称有 {count} 页，其中{_page_list(failed)}无法载入（页面树有误或文件损坏），已跳过")
    return Document(  # the pages that could be read (a page tree may claim more)
        source=source, kind="pdf", lines=_lines(pages), pages=len(pages), scanned_pages=scanned, notes=notes
    )
