"""Ruled tables on the pages of a PDF that hold them.

pdfium lists a page's path objects in microseconds; their straight, axis-aligned segments are the
table's rules. pdfplumber's table finder (its "explicit" strategy: the same merging of rules,
intersections, cells and tables it runs on pdfminer's objects) turns those rules into cells,
merged cells included, and pdfium reads the text inside each cell.

pdfminer, which pdfplumber parses pages with, is the slow part (it interprets the whole content
stream of a page). It runs where it adds something: on one sample table page per document, to
cross-check the two text layers; on cells whose pdfium text is garbled; and as pdfplumber's
complete ``find_tables`` on a page whose pdfium rules make no table although the page holds one.
"""

from __future__ import annotations

import ctypes
import io
import re
import time
from dataclasses import dataclass, field
from typing import Any

from nianbao.extract.document import BBox, ExtractError
from nianbao.extract.pdf_preflight import PDFMINER_OPERATORS, PageCheck, pdfminer_errors
from nianbao.normalize import squeeze

_GARBLED = re.compile(r"\(cid:\d+\)|[\ue000-\uf8ff\ufffd\x00-\x08\x0e-\x1f]")
_STRAIGHT = 0.5  # points a rule may lean and still be horizontal or vertical
_FALLBACK_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


@dataclass(slots=True)
class GridRow:
    cells: list[str]
    boxes: list[BBox | None]
    top: float


@dataclass(slots=True)
class Grid:
    bbox: BBox
    rows: list[GridRow]


@dataclass(slots=True)
class CrossCheck:
    """How pdfium's and pdfminer's text compared on the cells both were asked to read."""

    cells: int = 0
    agreed: int = 0
    pdfminer_empty: int = 0  # pdfminer read nothing there (CFF fonts, for one)
    pdfium_garbled: int = 0  # pdfium read garbage there; pdfminer's text was used
    disagreements: list[str] = field(default_factory=list)
    too_complex: list[int] = field(default_factory=list)  # table pages too heavy for pdfminer
    odd_fonts: list[int] = field(default_factory=list)  # table pages with fonts pdfminer would choke on

    def notes(self) -> list[str]:
        notes = []
        if self.too_complex:
            pages = "、".join(str(n) for n in self.too_complex)
            notes.append(f"第 {pages} 页内容过于复杂（超过 {PDFMINER_OPERATORS} 条绘图指令），表格只用 pdfium 读取")
        if self.odd_fonts:
            pages = "、".join(str(n) for n in self.odd_fonts)
            notes.append(f"第 {pages} 页的字体声明了异常庞大的字符范围，表格只用 pdfium 读取")
        if self.cells:
            notes.append(f"文字层交叉核对：{self.cells} 个单元格中 {self.agreed} 个两种读法一致")
        if self.pdfminer_empty:
            notes.append(f"表格中 {self.pdfminer_empty} 个单元格只有 pdfium 读得出文字（pdfminer 读不出）")
        if self.pdfium_garbled:
            notes.append(f"表格中 {self.pdfium_garbled} 个单元格 pdfium 读出乱码，改用 pdfminer 的读法")
        if self.disagreements:
            notes.append("两种读法不一致的单元格：" + "；".join(self.disagreements[:5]))
        return notes


def rules(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vertical and horizontal rules of a pdfium page, as pdfplumber line objects
    (top-left origin)."""
    from pypdfium2 import raw  # noqa: PLC0415

    height = page.get_height()
    vertical: list[dict[str, Any]] = []
    horizontal: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=3):
        matrix = obj.get_matrix()
        start = previous = None
        for index in range(raw.FPDFPath_CountSegments(obj.raw)):
            segment = raw.FPDFPath_GetPathSegment(obj.raw, index)
            raw.FPDFPathSegment_GetPoint(segment, x, y)
            point = matrix.on_point(x.value, y.value)
            kind = raw.FPDFPathSegment_GetType(segment)
            if kind == raw.FPDF_SEGMENT_LINETO and previous is not None:
                _add_rule(previous, point, height, vertical, horizontal)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = point
            previous = point
            if raw.FPDFPathSegment_GetClose(segment) and start is not None:
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
    left, right = sorted((x0, x1))
    top, bottom = sorted((height - y0, height - y1))
    line = {"object_type": "line", "x0": left, "x1": right, "top": top, "bottom": bottom,
            "width": right - left, "height": bottom - top, "doctop": top}  # fmt: skip
    if right - left <= _STRAIGHT and bottom - top > _STRAIGHT:
        line["x0"] = line["x1"] = (left + right) / 2
        vertical.append(line)
    elif bottom - top <= _STRAIGHT and right - left > _STRAIGHT:
        line["top"] = line["bottom"] = line["doctop"] = (top + bottom) / 2
        horizontal.append(line)


def _cell_text(text: str | None) -> str:
    """A cell's text with its wraps removed (Chinese needs no space where a line wrapped)."""
    parts = [p.strip() for p in (text or "").splitlines() if p.strip()]
    out = parts[0] if parts else ""
    for part in parts[1:]:
        latin = out[-1:].isascii() and out[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        out += (" " if latin else "") + part
    return out


def _pdfium_cell(textpage: Any, height: float, box: BBox) -> str:
    x0, top, x1, bottom = box
    return _cell_text(textpage.get_text_bounded(x0 + 0.5, height - bottom + 0.5, x1 - 0.5, height - top - 0.5))


def _grids(tables: list[Any], textpage: Any, height: float) -> list[Grid]:
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
                x0, top, x1, bottom = box
                boxes.append((round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2)))
                cells.append(_pdfium_cell(textpage, height, box))
            rows.append(GridRow(cells, boxes, row.bbox[1]))
        x0, top, x1, bottom = table.bbox
        grids.append(Grid((x0, top, x1, bottom), rows))
    return grids


def find_grids(page: Any, textpage: Any) -> list[Grid]:
    """The ruled tables pdfium's rules make, cells read by pdfium."""
    from pdfplumber.table import TableFinder  # noqa: PLC0415

    vertical, horizontal = rules(page)
    if len(vertical) < 2 or len(horizontal) < 2:
        return []
    settings = {"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                "explicit_vertical_lines": vertical, "explicit_horizontal_lines": horizontal}  # fmt: skip
    finder = TableFinder(None, settings)  # type: ignore[arg-type]  # explicit rules never read the page
    return _grids(finder.tables, textpage, page.get_height())


@dataclass(slots=True)
class TablePage:
    """A page that holds a table, as read so far."""

    number: int  # 1-based
    grids: list[Grid] = field(default_factory=list)


def _mine(plumbed: Any, grids: list[Grid], check: CrossCheck, *, sample: bool) -> None:
    """Read the grid cells with pdfminer: cross-check them (``sample``) and replace garbled ones."""
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
    if _GARBLED.search(pdfium_text) and miner and not _GARBLED.search(miner):
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


_SAMPLE_CELLS = 20  # a page needs this many cells to be worth cross-checking


def _pdfium_grids(pdf: Any, number: int) -> list[Grid]:
    """The grids pdfium's rules make on a page; none where pdfium fails on the page."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError:
        return []
    try:
        textpage = page.get_textpage()
        try:
            return find_grids(page, textpage)
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return []
    finally:
        page.close()


def read_tables(
    data: bytes,
    pdf: Any,
    numbers: dict[int, int],
    check: CrossCheck,
    deadline: float,
    *,
    checked: dict[int, PageCheck] | None = None,
) -> dict[int, list[Grid]]:
    """The grids of the pages ``numbers`` (1-based, each with its count of characters), keyed by
    page number. The cross-check samples the table page with the least text: pdfminer's cost
    grows with a page's content, and any page of the document's fonts tells whether the two
    text layers agree. pdfminer does not read a page the preflight found (``checked``) to hold
    more than ``PDFMINER_OPERATORS`` operators or a font with a huge range of codes."""
    found: dict[int, list[Grid]] = {}
    suspect: set[int] = set()  # pages whose pdfium text needs pdfminer
    missing: set[int] = set()  # table pages pdfium's rules made no table of
    for number in numbers:
        if time.monotonic() > deadline:
            raise ExtractError("处理超时：表格过多或过于复杂")
        found[number] = _pdfium_grids(pdf, number)
        cells = [c for grid in found[number] for row in grid.rows for c in row.cells]
        if any(_GARBLED.search(c) for c in cells):
            suspect.add(number)
        if not found[number]:
            missing.add(number)
    checked = checked or {}
    check.too_complex = sorted(n for n in found if n in checked and checked[n].operators > PDFMINER_OPERATORS)
    light = [n for n in found if n not in check.too_complex]
    worth = [n for n in light if sum(len(r.cells) for g in found[n] for r in g.rows) >= _SAMPLE_CELLS]
    sample = min(worth or light, key=lambda n: numbers[n], default=None)
    sampled = {sample} if sample is not None and found.get(sample) else set()
    candidates = (suspect | missing | sampled) - set(check.too_complex)
    check.odd_fonts = sorted(n for n in candidates if n in checked and not checked[n].pdfminer_safe())
    wanted = sorted(candidates - set(check.odd_fonts))
    if wanted:
        _with_pdfminer(data, wanted, found, repair=suspect | missing, sample=sample, check=check, deadline=deadline)
    return found


def _with_pdfminer(
    data: bytes,
    numbers: list[int],
    found: dict[int, list[Grid]],
    *,
    repair: set[int],
    sample: int | None,
    check: CrossCheck,
    deadline: float,
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
                if not found[number] and number in repair:
                    found[number] = _plumbed_grids(plumbed)
                else:
                    _mine(plumbed, found[number], check, sample=number == sample)
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
