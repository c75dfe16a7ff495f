"""PDF: pypdfium2 reads the text of every page (fast, and right where pdfminer reads nothing, as
with CFF CJK fonts); on pages that hold a ruled table, pdfium's path objects give the rules,
pdfplumber's table finder (``pdf_tables.find_tables``) turns them into cells, and pdfium reads
their text too. A page with pictures and no text (a scan) is rendered and read by OCR
(``ocr.read_page``) where the OCR libraries are installed, into the same page structure.

Each page is loaded once: its text, its tables and the text around them are read with one text
page. pdfminer (through pdfplumber) is consulted only where pdfium's table text is suspect or its
rules made no table (``pdf_tables.cross_check``); a clean document never starts pdfminer's
interpreter. Each table row becomes a grid line whose cells keep their page and box. Text outside
tables is pdfium's, read band by band between the tables (and the page margins, where page numbers
are dropped), so its lines and spaces are pdfium's own. A page with images and no text is a scan.

Where they are: every line keeps its page and the page's size; a table row keeps each cell's box
(the rules' grid), and a line of text outside the tables the box of its characters, taken from
pdfium's text rectangles of that line (``_LineBoxes``). Boxes are in the page's top-left
coordinates here; findings convert them to PDF user space (``nianbao.model.user_space``).

Before pdfium parses the file, ``pdf_preflight`` refuses decompression and operator bombs. A page
pdfium cannot load (a page tree that claims more pages than it holds, damage) is skipped and noted;
a file none of whose pages loads is unreadable.

pypdfium2 and pdfplumber are imported here, on the path that needs them, not at import time.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nianbao.extract import pdf_tables
from nianbao.extract.document import BBox, Document, ExtractError, Line, grid_line
from nianbao.extract.limits import Limits
from nianbao.extract.pdf_preflight import PageCheck, check_pages, check_streams
from nianbao.extract.pdf_tables import CrossCheck, Grid, GridRow, cross_check, page_objects
from nianbao.normalize import squeeze

if TYPE_CHECKING:
    import pypdfium2

    from nianbao.extract import ocr

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
    # (top, lines) of the text outside tables, each line with its box where pdfium gives one
    bands: list[tuple[float, list[tuple[str, BBox | None]]]] = field(default_factory=list)
    ruled: bool = False  # has table words and enough path objects to hold a ruled table
    # the text outside tables has been read: while the page's text page is open the first time (a
    # text page costs about 0.2 ms to build, as much as its lines' boxes); again only where
    # pdfminer found tables pdfium's rules did not make
    text_read: bool = False
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

    return any(True for _ in page_objects(page, raw.FPDF_PAGEOBJ_IMAGE, 2))


def _is_ruled(page: Any) -> bool:
    from pypdfium2 import raw  # noqa: PLC0415

    paths = page_objects(page, raw.FPDF_PAGEOBJ_PATH, 2)
    return sum(1 for _ in itertools.islice(paths, _MIN_RULES)) >= _MIN_RULES


def _read_page(pdf: pypdfium2.PdfDocument, index: int, scanned: list[int], ocr: list[int]) -> _Page:
    page = pdf[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            if textpage.count_chars() == 0:
                if _is_scan(page):
                    read = _read_scan(page, index + 1)
                    (scanned if read is None else ocr).append(index + 1)
                    if read is not None:
                        return read
                return _Page(index + 1, width, height, "")
            text = textpage.get_text_range()
            tabular = any(word in squeeze(text) for word in TABLE_WORDS) and _is_ruled(page)
            read = _Page(index + 1, width, height, text, ruled=tabular)
            if tabular:  # looked up in the module, where tests replace it
                read.tables = pdf_tables.page_grids(page, textpage)
            _read_text(read, textpage)  # the text around the tables, with this text page
            return read
        finally:
            textpage.close()
    finally:
        page.close()


@dataclass(slots=True)
class _Reading:
    pages: list[_Page] = field(default_factory=list)  # the pages pdfium can load
    scanned: list[int] = field(default_factory=list)  # of those, scans OCR could not read (or is not installed)
    ocr: list[int] = field(default_factory=list)  # scans OCR read
    failed: list[int] = field(default_factory=list)  # pages pdfium cannot load


def _read_pages(pdf: pypdfium2.PdfDocument, limits: Limits, deadline: float) -> _Reading:
    import pypdfium2 as pdfium  # noqa: PLC0415

    reading = _Reading()
    for index in range(len(pdf)):
        if time.monotonic() > deadline:
            raise ExtractError(f"处理超时（超过 {limits.max_seconds:g} 秒），文件可能过大或过于复杂")
        try:
            reading.pages.append(_read_page(pdf, index, reading.scanned, reading.ocr))
        except pdfium.PdfiumError:
            reading.failed.append(index + 1)
    if not reading.pages:
        raise ExtractError(f"PDF 的 {len(pdf)} 页都无法载入，文件已损坏")
    return reading


# A scan is rendered at its pictures' own resolution, within these bounds (dots per inch).
_SCAN_DPI = (100.0, 300.0)
_DEFAULT_SCAN_DPI = 200.0


def _read_scan(page: Any, number: int) -> _Page | None:
    """A page with pictures and no text, read by OCR where it is installed; None where it is not or
    it reads nothing there."""
    from nianbao.extract import ocr  # noqa: PLC0415 - light; it imports the OCR libraries on first use

    if not ocr.available():
        return None
    dpi = _scan_dpi(page)
    gray = page.render(scale=dpi / 72, grayscale=True).to_numpy()
    return scanned_page(number, ocr.read_page(gray.reshape(gray.shape[0], gray.shape[1]), dpi / 72))


def _scan_dpi(page: Any) -> float:
    """The resolution of the page's largest picture as it is placed on the page."""
    from pypdfium2 import raw  # noqa: PLC0415

    best = None
    for image in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        width_px, _ = image.get_px_size()
        left, _, right, _ = image.get_bounds()
        if right > left and (best is None or width_px > best[0]):
            best = (width_px, width_px / ((right - left) / 72))
    low, high = _SCAN_DPI
    return min(max(best[1], low), high) if best else _DEFAULT_SCAN_DPI


def scanned_page(number: int, read: ocr.OcrPage) -> _Page | None:
    """A page OCR read, as pdfium's reading of a page with text would be: its tables, and each line
    of text outside them with its box (page numbers in the margins dropped); None when OCR read
    nothing on it (a blank page, or a picture with no writing)."""
    if not read.tables and not any(line.text for line in read.lines):
        return None
    page = _Page(number, read.width, read.height, "\n".join(line.text for line in read.lines), text_read=True)
    page.tables = read.tables
    margin = page.height * _MARGIN
    for line in read.lines:
        in_margin = line.box[3] <= margin or line.box[1] >= page.height - margin
        if line.text and not (in_margin and _PAGE_NUMBER.match(line.text)):
            page.bands.append((line.box[1], [(line.text, line.box)]))
    return page


def _page_list(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:10])
    return f"第 {shown} 页" + (f"等 {len(numbers)} 页" if len(numbers) > 10 else "")


def _cross_check(
    data: bytes, pages: list[_Page], check: CrossCheck, deadline: float, *, checked: dict[int, PageCheck]
) -> None:
    """pdfminer's reading where pdfium's table text is suspect or its rules made no table; a page
    pdfminer found tables on has its text outside them read again."""
    found = {page.number: page.tables for page in pages if page.ruled}
    if not found:
        return
    renewed = cross_check(data, found, check, deadline, checked=checked)
    for page in pages:
        if page.number in renewed:
            page.tables, page.bands, page.text_read = found[page.number], [], False


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
        if not page.text or page.text_read:
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
                _read_text(page, textpage)
            finally:
                textpage.close()
        except pdfium.PdfiumError:
            pass
        finally:
            pdfium_page.close()


def _read_text(page: _Page, textpage: Any) -> None:
    """Read the text outside the page's tables once; a page pdfium fails on keeps what it had."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    page.text_read = True
    try:
        _read_bands(page, textpage)
    except pdfium.PdfiumError:
        page.bands = []


def _read_bands(page: _Page, textpage: Any) -> None:
    """pdfium's text of each band outside the tables, page numbers in the margins dropped, each
    line with its box."""
    boxes = _LineBoxes(page, textpage)
    for top, bottom, in_margin in _bands(page):
        text = textpage.get_text_bounded(0, page.height - bottom, page.width, page.height - top)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if in_margin:
            lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
        if lines:
            page.bands.append((top, [(line, boxes.find(line, top, bottom)) for line in lines]))


_MAX_TRIES = 4  # occurrences of a line's text tried before its box is left unknown


class _LineBoxes:
    """The boxes of a page's lines of text, from pdfium's text rectangles.

    A band's line (``get_text_bounded``) is found in the page's text (``get_text_range``, whose
    offsets are pdfium's character indices on nearly every page), and pdfium's rectangles of those
    characters (one per text object) are joined. A line is found from where the previous one ended,
    as both texts follow pdfium's character order; a match whose box lies outside the band (the
    same words elsewhere on the page) is passed over. A line not found, or a page whose text and
    characters do not line up, keeps no box: never a wrong one.

    The price is two ctypes calls a line (three or more for a line of several runs), about 3 µs:
    some 10 ms for 100 pages of prose. Reading a page without tables with the text page that
    ``_read_page`` already built (``text_read``) saves more than that, so the check as a whole is
    no slower (``bench/pdf_throughput.py``)."""

    def __init__(self, page: _Page, textpage: Any) -> None:
        from pypdfium2 import raw  # noqa: PLC0415

        self._text = page.text
        self._height = page.height
        self._handle = textpage.raw
        # where a text index is not a character index (pdfium left out or added characters), the
        # characters of a line are not known: its box is not given
        self._usable = len(page.text) == textpage.count_chars()
        self._cursor = 0
        self._count_rects = raw.FPDFText_CountRects
        self._get_rect = raw.FPDFText_GetRect
        self._values = (ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double())
        self._refs = tuple(ctypes.byref(value) for value in self._values)

    def find(self, line: str, top: float, bottom: float) -> BBox | None:
        """The box of ``line``, printed between ``top`` and ``bottom`` (top-left coordinates)."""
        if not self._usable:
            return None
        start = self._cursor
        for _ in range(_MAX_TRIES):
            index = self._text.find(line, start)
            if index < 0:
                return None
            box = self._box(index, len(line))
            if box is not None and top - 1 <= (box[1] + box[3]) / 2 <= bottom + 1:
                self._cursor = index + len(line)
                return box
            start = index + 1
        return None

    def _box(self, index: int, count: int) -> BBox | None:
        """The union of pdfium's rectangles of ``count`` characters from ``index``, top-left.
        Written for speed: it runs for every line of every page."""
        handle, get, (left, top, right, bottom), refs = self._handle, self._get_rect, self._values, self._refs
        rects = self._count_rects(handle, index, count)
        if rects <= 0:
            return None
        get(handle, 0, *refs)  # left, top, right, bottom, in user space
        x0, y1, x1, y0 = left.value, top.value, right.value, bottom.value
        for rect in range(1, rects):  # a line of several text objects (LibreOffice: one per run)
            get(handle, rect, *refs)
            x0, x1 = min(x0, left.value), max(x1, right.value)
            y0, y1 = min(y0, bottom.value), max(y1, top.value)
        return (x0, self._height - y1, x1, self._height - y0)  # top-left, as the tables' boxes are


def lines_of(pages: list[_Page]) -> list[Line]:
    """The document's lines, page by page: each table row and each line of text, top to bottom."""
    lines: list[Line] = []
    for page in pages:
        size = (page.width, page.height)
        items: list[tuple[float, tuple[str, BBox | None] | tuple[GridRow, bool]]] = [
            (top + index * 1e-3, text) for top, texts in page.bands for index, text in enumerate(texts)
        ]
        items.extend((row.top, (row, len(grid.rows) > 1)) for grid in page.tables for row in grid.rows)
        items.sort(key=lambda item: item[0])
        for _, item in items:
            number = len(lines) + 1
            if isinstance(item[0], GridRow):
                row, positioned = item
                lines.append(
                    grid_line(
                        number,
                        row.cells,
                        page=page.number,
                        boxes=row.boxes,
                        positioned=positioned,
                        page_size=size,
                        confidence=row.confidence,
                    )
                )
            else:
                text, box = item
                lines.append(Line(number, text, page=page.number, box=box, page_size=size))
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
        reading = _read_pages(pdf, limits, deadline)
        pages = reading.pages
        check = CrossCheck()
        _cross_check(data, pages, check, deadline, checked=checked)  # OCR's pages are not ruled: left alone
        _text_outside_tables(pdf, pages, deadline)
    finally:
        pdf.close()
    notes = check.notes()
    if reading.failed:
        notes.insert(
            0, f"PDF 声称有 {count} 页，其中{_page_list(reading.failed)}无法载入（页面树有误或文件损坏），已跳过"
        )
    return Document(  # the pages that could be read (a page tree may claim more)
        source=source, kind="pdf", lines=lines_of(pages), pages=len(pages), scanned_pages=reading.scanned,
        ocr_pages=reading.ocr, notes=notes,
    )  # fmt: skip
