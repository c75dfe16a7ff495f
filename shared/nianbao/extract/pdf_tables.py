"""Ruled tables on the pages of a PDF that hold them.

pdfium lists a page's path objects in microseconds; their straight, axis-aligned segments are the
table's rules. pdfplumber's table finder, as its "explicit" strategy runs it (the merging of rules,
intersections, cells and tables it also runs on pdfminer's objects), turns those rules into cells,
merged cells included, and pdfium reads the text inside each cell. The finder works on the rules
alone: pdfminer does not parse the page for it.

pdfminer, which pdfplumber parses pages with, is the slow part: it interprets the whole content
stream of a page, some 30 times as long as everything else a page costs. It is consulted only
where pdfium's reading of a table gives a reason (``cross_check``):

- a table page whose pdfium text is suspect (``suspect``): a cell with replacement, private-use
  or control characters, a text cell that matches none of the tables' labels (the words of the
  national formats' rows, columns and headers), or a cell of digits that does not parse as a
  number. pdfminer reads the page's cells; a suspect cell whose pdfminer reading is sound takes
  it, and every cell both read is counted as agreeing or not;
- a page with table words and rules of which pdfium's rules make no table: pdfplumber's complete
  ``find_tables`` runs there.

A clean document never starts pdfminer's interpreter (``pdf_preflight`` only walks pdfminer's
object tree). pdfminer never reads a page the preflight found too heavy or holding a font with a
huge range of codes.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nianbao.extract.document import BBox, ExtractError
from nianbao.extract.pdf_preflight import PDFMINER_OPERATORS, PageCheck, pdfminer_errors
from nianbao.model import CellKind
from nianbao.normalize import classify, squeeze

_GARBLED = re.compile(r"\(cid:\d+\)|[\ue000-\uf8ff\ufffd\x00-\x08\x0e-\x1f]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_LETTER = re.compile(r"[\W_]")  # what labels are compared without: punctuation, spaces, marks
_STRAIGHT = 0.5  # points a rule may lean and still be horizontal or vertical
_FALLBACK_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# What the tables print besides the spec's row and column labels: headers, block titles, the
# balance note, and the furniture some offices add. A cell sharing no wording with these and the
# spec is what a font pdfium maps wrongly reads as.
_HEADER_WORDS = (
    "信息内容", "申请人情况", "法人或其他组织", "三、本年度办理结果", "（三）不予公开", "（四）无法提供",
    "（五）不予处理", "（六）其他处理", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", "序号", "项目", "单位：件", "备注", "合计", "数量",
)  # fmt: skip


@dataclass(slots=True)
class GridRow:
    cells: list[str]
    boxes: list[BBox | None]
    top: float
    confidence: list[float] | None = None  # each cell's, where OCR read it


@dataclass(slots=True)
class Grid:
    bbox: BBox
    rows: list[GridRow]


@dataclass(slots=True)
class CrossCheck:
    """How pdfium's table text fared, and how it compared with pdfminer's where that was read."""

    read: int = 0  # cells pdfium read text in
    suspect: int = 0  # of those, cells whose pdfium text is suspect
    suspect_pages: list[int] = field(default_factory=list)
    cells: int = 0  # cells of suspect pages both were asked to read
    agreed: int = 0
    pdfminer_empty: int = 0  # pdfminer read nothing there (CFF fonts, for one)
    pdfium_garbled: int = 0  # pdfium's reading was suspect and pdfminer's sound: pdfminer's was used
    disagreements: list[str] = field(default_factory=list)
    too_complex: list[int] = field(default_factory=list)  # pages needing pdfminer, too heavy for it
    odd_fonts: list[int] = field(default_factory=list)  # pages needing pdfminer, with fonts it would choke on

    def notes(self) -> list[str]:
        notes = []
        if self.too_complex:
            pages = "、".join(str(n) for n in self.too_complex)
            notes.append(f"第 {pages} 页内容过于复杂（超过 {PDFMINER_OPERATORS} 条绘图指令），表格只用 pdfium 读取")
        if self.odd_fonts:
            pages = "、".join(str(n) for n in self.odd_fonts)
            notes.append(f"第 {pages} 页的字体声明了异常庞大的字符范围，表格只用 pdfium 读取")
        if self.suspect_pages:
            pages = "、".join(str(n) for n in self.suspect_pages)
            notes.append(
                f"表格文字由 pdfium 读取；第 {pages} 页有 {self.suspect} 个单元格的文字可疑"
                "（乱码、对不上表格的标签或数字无法解析），已用 pdfminer 交叉核对"
            )
        elif self.read:
            notes.append(f"表格文字由 pdfium 读取：{self.read} 个单元格均无可疑文字，未用 pdfminer 复核")
        if self.cells:
            notes.append(f"文字层交叉核对：{self.cells} 个单元格中 {self.agreed} 个两种读法一致")
        if self.pdfminer_empty:
            notes.append(f"表格中 {self.pdfminer_empty} 个单元格只有 pdfium 读得出文字（pdfminer 读不出）")
        if self.pdfium_garbled:
            notes.append(f"表格中 {self.pdfium_garbled} 个单元格 pdfium 读出乱码或无法辨认的文字，改用 pdfminer 的读法")
        if self.disagreements:
            notes.append("两种读法不一致的单元格：" + "；".join(self.disagreements[:5]))
        return notes


# --- suspect text ---------------------------------------------------------------------------------


@cache
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """The characters and the pairs of adjacent characters of every label the tables print (both
    formats' rows, columns and blocks, with their keywords and variants), in matching form."""
    from nianbao.spec.formats import FORMATS  # noqa: PLC0415 - only PDF tables need it

    words: list[str] = list(_HEADER_WORDS)
    for spec in FORMATS.values():
        for block in spec.table2.blocks:
            words.append(block.label)
            words.extend(w for column in block.columns for w in (column.label, *column.variants))
            words.extend(w for row in block.rows for w in (row.label, *row.keywords, *row.variants))
        words.extend(w for column in spec.table3.columns for w in (column.label, *column.variants))
        words.extend(w for row in spec.table3.rows for w in (row.label, *row.keywords, *row.variants))
        words.extend(part for column in spec.table4.columns for part in column.label.split("·"))
    letters = [_NOT_LETTER.sub("", squeeze(w)) for w in words]
    characters = frozenset("".join(letters))
    pairs = frozenset(w[i : i + 2] for w in letters for i in range(len(w) - 1))
    return characters, pairs


def suspect(text: str) -> bool:
    """Whether pdfium's reading of a cell gives reason to ask pdfminer: replacement, private-use or
    control characters; a cell of digits (no Chinese) that is no number; or a text cell that
    matches no label, that is, fewer than half of its pairs of adjacent letters (punctuation and
    spaces left out) occur in the tables' labels. A label wrapped, cut by a page break, numbered
    or worded a little differently keeps most of them; the characters of a font mapped wrongly
    share none."""
    if not text:
        return False
    if _GARBLED.search(text):
        return True
    kind, _ = classify(text)
    if kind is not CellKind.TEXT:
        return False
    words = _NOT_LETTER.sub("", squeeze(text))
    if not _CJK.search(words) and any(c.isdigit() for c in words):
        return True
    characters, pairs = _vocabulary()
    if len(words) < 2:
        return bool(words) and words not in characters
    known = sum(words[i : i + 2] in pairs for i in range(len(words) - 1))
    return 2 * known < len(words) - 1


# --- pdfium's rules ---------------------------------------------------------------------------------


def page_objects(page: Any, kind: int, max_depth: int) -> Iterator[Any]:
    """The raw page objects of type ``kind`` on a pdfium page, forms descended into as pypdfium2's
    ``get_objects(filter=[kind], max_depth=max_depth)`` does, without its wrapper for each object
    (most of the cost of listing a page's paths)."""
    import pypdfium2 as pdfium  # noqa: PLC0415
    from pypdfium2 import raw  # noqa: PLC0415

    def walk(parent: Any, count: Any, get: Any, level: int) -> Iterator[Any]:
        objects = count(parent)
        if objects < 0:
            raise pdfium.PdfiumError("Failed to get number of pageobjects.")
        for index in range(objects):
            obj = get(parent, index)
            if not obj:
                raise pdfium.PdfiumError("Failed to get pageobject.")
            found = raw.FPDFPageObj_GetType(obj)
            if found == kind:
                yield obj
            if found == raw.FPDF_PAGEOBJ_FORM and level < max_depth - 1:
                yield from walk(obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, level + 1)

    return walk(page.raw, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, 0)


def rules(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vertical and horizontal rules of a pdfium page, as pdfplumber line objects
    (top-left origin). Each path's points are taken through its own matrix."""
    import pypdfium2 as pdfium  # noqa: PLC0415
    from pypdfium2 import raw  # noqa: PLC0415

    height = page.get_height()
    vertical: list[dict[str, Any]] = []
    horizontal: list[dict[str, Any]] = []
    x, y, matrix = ctypes.c_float(), ctypes.c_float(), raw.FS_MATRIX()
    x_ref, y_ref, matrix_ref = ctypes.byref(x), ctypes.byref(y), ctypes.byref(matrix)
    count, segment_at, point_of = raw.FPDFPath_CountSegments, raw.FPDFPath_GetPathSegment, raw.FPDFPathSegment_GetPoint
    type_of, closes, line_to, move_to = (
        raw.FPDFPathSegment_GetType, raw.FPDFPathSegment_GetClose, raw.FPDF_SEGMENT_LINETO, raw.FPDF_SEGMENT_MOVETO,
    )  # fmt: skip
    for obj in page_objects(page, raw.FPDF_PAGEOBJ_PATH, 3):
        if not raw.FPDFPageObj_GetMatrix(obj, matrix_ref):
            raise pdfium.PdfiumError("Failed to get matrix of pageobject.")
        a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
        start = previous = None
        for index in range(count(obj)):
            segment = segment_at(obj, index)
            point_of(segment, x_ref, y_ref)
            px, py = x.value, y.value
            point = (a * px + c * py + e, b * px + d * py + f)
            kind = type_of(segment)
            if kind == line_to and previous is not None:
                _add_rule(previous, point, height, vertical, horizontal)
            if kind == move_to:
                start = point
            previous = point
            if closes(segment) and start is not None:
                _add_rule(point, start, height, vertical, horizontal)
    return vertical, horizontal


def _add_rule(
    a: tuple[float, float],
    b: tuple[float, float],
    height: float,
    vertical: list[dict[str, Any]],
    horizontal: list[dict[str, Any]],
) -> None:
    (x0, y0), (x1, y1) = a, b
    if not math.isfinite(x0 + y0 + x1 + y1):  # a damaged path: no rule (and no NaN in the geometry)
        return
    left, right = sorted((x0, x1))
    top, bottom = sorted((height - y0, height - y1))
    if right - left <= _STRAIGHT and bottom - top > _STRAIGHT:
        vertical.append(line_object((left + right) / 2, top, (left + right) / 2, bottom))
    elif bottom - top <= _STRAIGHT and right - left > _STRAIGHT:
        horizontal.append(line_object(left, (top + bottom) / 2, right, (top + bottom) / 2))


def line_object(x0: float, top: float, x1: float, bottom: float) -> dict[str, Any]:
    """A rule as pdfplumber's line object (top-left origin, points): what its table finder takes."""
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top, "doctop": top}  # fmt: skip


# --- pdfplumber's explicit table finder, on pdfium's rules ---------------------------------------


@dataclass(slots=True)
class FoundRow:
    cells: list[BBox | None]  # None where a merged cell covers the column
    top: float


@dataclass(slots=True)
class FoundTable:
    """A table the rules make."""

    bbox: BBox
    rows: list[FoundRow]


def find_tables(vertical: list[dict[str, Any]], horizontal: list[dict[str, Any]]) -> list[FoundTable]:
    """The tables pdfplumber's ``TableFinder`` makes of explicit rules (``rules``): it never reads
    the page, so pdfminer does not parse it."""
    from pdfplumber.table import TableFinder  # noqa: PLC0415 - only pages with rules need it

    settings = {"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                "explicit_vertical_lines": vertical, "explicit_horizontal_lines": horizontal}  # fmt: skip
    finder = TableFinder(None, settings)  # type: ignore[arg-type]
    return [FoundTable(t.bbox, [FoundRow(list(row.cells), row.bbox[1]) for row in t.rows]) for t in finder.tables]


# --- pdfium's cell text ---------------------------------------------------------------------------


def _cell_text(text: str | None) -> str:
    """A cell's text with its wraps removed (Chinese needs no space where a line wrapped)."""
    lines = (text or "").splitlines()
    if len(lines) == 1:  # most cells
        return lines[0].strip()
    parts = [p.strip() for p in lines if p.strip()]
    out = parts[0] if parts else ""
    for part in parts[1:]:
        latin = out[-1:].isascii() and out[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        out += (" " if latin else "") + part
    return out


class _CellReader:
    """pdfium's text inside cell boxes (top-left coordinates, half a point in from the rules):
    pypdfium2's ``get_text_bounded`` with one buffer for every cell of the page instead of a count
    and a fresh buffer for each."""

    def __init__(self, textpage: Any, height: float) -> None:
        from pypdfium2 import raw  # noqa: PLC0415

        self._textpage = textpage
        self._handle = textpage.raw
        self._height = height
        self._get = raw.FPDFText_GetBoundedText
        self._size = 2 * max(textpage.count_chars(), 0) + 64  # UTF-16 units: room for every character
        self._buffer = (ctypes.c_ushort * self._size)()

    def read(self, box: BBox) -> str:
        x0, top, x1, bottom = box
        left, upper, right, lower = x0 + 0.5, self._height - top - 0.5, x1 - 0.5, self._height - bottom + 0.5
        copied = self._get(self._handle, left, upper, right, lower, self._buffer, self._size)
        if copied >= self._size:  # more than the page's characters: read it as pypdfium2 does
            return _cell_text(self._textpage.get_text_bounded(left, lower, right, upper))
        data = ctypes.string_at(self._buffer, 2 * copied).decode("utf-16-le", "ignore")
        return _cell_text(data[:-1] if data.endswith("\x00") else data)  # pdfium counts the terminator


def _grids(tables: list[FoundTable], textpage: Any, height: float) -> list[Grid]:
    reader = _CellReader(textpage, height)
    grids = []
    for table in tables:
        rows = []
        for row in table.rows:
            cells: list[str] = []
            boxes: list[BBox | None] = []
            for box in row.cells:
                if box is None:  # covered by a merged cell
                    cells.append("")
                    boxes.append(None)
                    continue
                boxes.append(rounded_box(box))
                cells.append(reader.read(box))
            rows.append(GridRow(cells, boxes, row.top))
        grids.append(Grid(table.bbox, rows))
    return grids


def rounded_box(box: BBox) -> BBox:
    """A cell's box as grids keep it: to a hundredth of a point."""
    x0, top, x1, bottom = box
    return (round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2))


def find_grids(page: Any, textpage: Any) -> list[Grid]:
    """The ruled tables pdfium's rules make, cells read by pdfium."""
    vertical, horizontal = rules(page)
    if len(vertical) < 2 or len(horizontal) < 2:
        return []
    return _grids(find_tables(vertical, horizontal), textpage, page.get_height())


def page_grids(page: Any, textpage: Any) -> list[Grid]:
    """``find_grids``, or none where pdfium fails on the page's objects."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    try:
        return find_grids(page, textpage)
    except pdfium.PdfiumError:
        return []


# --- pdfminer, where pdfium's reading gives a reason ----------------------------------------------


def _mine(plumbed: Any, grids: list[Grid], check: CrossCheck, *, sample: bool) -> None:
    """Read the grid cells with pdfminer: cross-check them (``sample``) and replace suspect ones."""
    from pdfplumber.table import Table  # noqa: PLC0415

    for grid in grids:
        for row in grid.rows:
            boxes = [b for b in row.boxes if b is not None]
            if not boxes:
                continue
            mined = Table(plumbed, boxes).extract()  # one row: the cells in order
            texts = iter(_cell_text(t) for t in (mined[0] if mined else []))
            for index, box in enumerate(row.boxes):
                if box is None:
                    continue
                miner = next(texts, "")
                _compare(row, index, miner, check, sample=sample)


def _compare(row: GridRow, index: int, miner: str, check: CrossCheck, *, sample: bool) -> None:
    pdfium_text = row.cells[index]
    if miner and suspect(pdfium_text) and not suspect(miner):
        check.pdfium_garbled += 1
        row.cells[index] = miner
        return
    if not sample or not (pdfium_text or miner):
        return
    check.cells += 1
    if not miner:
        check.pdfminer_empty += 1
    elif squeeze(miner) == squeeze(pdfium_text):
        check.agreed += 1
    else:
        check.disagreements.append(f"“{pdfium_text}” / “{miner}”")


def cross_check(
    data: bytes,
    found: dict[int, list[Grid]],
    check: CrossCheck,
    deadline: float,
    *,
    checked: dict[int, PageCheck] | None = None,
) -> set[int]:
    """Consult pdfminer on the table pages ``found`` (1-based page number: pdfium's grids) where
    pdfium's reading gives a reason: cells whose text is ``suspect`` are read again and repaired,
    a page whose rules made no table is searched by pdfplumber's own finder. ``found`` is updated
    in place; the pages pdfminer found tables on where pdfium found none are returned. pdfminer does not read a
    page the preflight found (``checked``) to hold more than ``PDFMINER_OPERATORS`` operators or a
    font with a huge range of codes."""
    flagged: set[int] = set()  # pages whose pdfium text needs pdfminer
    missing: set[int] = set()  # table pages pdfium's rules made no table of
    for number, grids in found.items():
        cells = [c for grid in grids for row in grid.rows for c in row.cells if c]
        check.read += len(cells)
        doubtful = sum(1 for c in cells if suspect(c))
        if doubtful:
            check.suspect += doubtful
            flagged.add(number)
        if not grids:
            missing.add(number)
    check.suspect_pages = sorted(flagged)
    checked = checked or {}
    candidates = flagged | missing
    check.too_complex = sorted(n for n in candidates if n in checked and checked[n].operators > PDFMINER_OPERATORS)
    candidates -= set(check.too_complex)
    check.odd_fonts = sorted(n for n in candidates if n in checked and not checked[n].pdfminer_safe())
    wanted = sorted(candidates - set(check.odd_fonts))
    if not wanted:
        return set()
    _with_pdfminer(data, wanted, found, check=check, deadline=deadline)
    return {n for n in missing if found[n]}


def _with_pdfminer(
    data: bytes, numbers: list[int], found: dict[int, list[Grid]], *, check: CrossCheck, deadline: float
) -> None:
    import pdfplumber  # noqa: PLC0415 - only table pages that need pdfminer pay for it
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException  # noqa: PLC0415

    try:
        plumber = pdfplumber.open(io.BytesIO(data), pages=numbers)
    except Exception:
        return
    errors: tuple[type[BaseException], ...] = (PdfminerException, MalformedPDFException, *pdfminer_errors())
    try:
        # pdfplumber walks pdfminer's page tree here, and again on close: a tree pdfminer cannot
        # walk leaves the pages to pdfium (the data is in memory: nothing to release).
        plumbed_pages = plumber.pages
    except errors:
        return
    try:
        for plumbed in plumbed_pages:  # pdfminer may find fewer pages than pdfium, or others
            number = plumbed.page_number
            if number not in found:
                continue
            if time.monotonic() > deadline:
                raise ExtractError("处理超时：表格过多或过于复杂")
            try:
                if found[number]:
                    _mine(plumbed, found[number], check, sample=True)
                else:
                    found[number] = _plumbed_grids(plumbed)
            except Exception:  # noqa: S112 - a page pdfminer cannot parse keeps pdfium's reading
                continue
            finally:
                plumbed.close()
    finally:
        plumber.close()


def _plumbed_grids(plumbed: Any) -> list[Grid]:
    """pdfplumber's own table finding on pdfminer's objects: the fallback for odd rules."""
    grids = []
    for table in plumbed.find_tables(_FALLBACK_SETTINGS):
        rows = []
        for row, texts in zip(table.rows, table.extract(), strict=True):
            cells = ["" if box is None else _cell_text(text) for box, text in zip(row.cells, texts, strict=True)]
            boxes: list[BBox | None] = [
                None if b is None else (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))
                for b in row.cells
            ]
            rows.append(GridRow(cells, boxes, row.bbox[1]))
        x0, top, x1, bottom = table.bbox
        grids.append(Grid((x0, top, x1, bottom), rows))
    return grids
