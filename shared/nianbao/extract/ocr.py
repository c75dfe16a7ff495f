"""Scanned pages read by OCR: rapidocr-onnxruntime (PaddleOCR's detection and recognition models in
ONNX, inside the wheel; CPU only, nothing downloaded) and OpenCV, which it brings.

A scanned page becomes what a PDF page with a text layer becomes (``pdf._Page``), so the parser and
the rules need nothing new:

1. The page is turned upright: the angle of its long ruling lines (a tilt of up to a few degrees on
   the scanner's glass) is measured and undone.
2. The rules are found on the image: the dark pixels that survive an opening with a long thin
   horizontal (or vertical) kernel are the ruling lines, and each connected piece of them is one
   rule. pdfplumber's table finder, as for a PDF's drawn rules, makes them into tables, rows and
   cells, merged cells included.
3. Each cell is cut out inside its rules, split into its lines of text by where the ink is, and each
   line read by recognition alone: recognition on a crop reads a lone digit that detection on the
   whole page misses. A cell's confidence is its least sure line's; a value cell whose reading is
   digits but for a round mark ("。", "O") reads that mark as the 0 it is.
4. The text outside the tables is read by detection and recognition on the page with the tables
   blanked, each detected line with its box.

Boxes are in points from the page's top left, as pdfium's are (a PDF page's points; an image's
pixels at its resolution). Importing this module costs nothing: the OCR libraries load on the first
page that needs them, and ``available()`` says whether they are installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nianbao.extract.document import BBox, Document, ExtractError
from nianbao.extract.limits import Limits
from nianbao.extract.pdf_tables import FoundTable, Grid, GridRow, find_tables, line_object, rounded_box

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Gray = NDArray[Any]  # a page's grey levels (uint8), or its ink (0 or 255)

# Rules are at least this long (points): a cell's side. Strokes of the characters are shorter.
_MIN_HORIZONTAL_RULE = 28.0
_MIN_VERTICAL_RULE = 16.0
_MAX_SKEW = 5.0  # degrees: the largest tilt looked for
_SKEW_WIDTH = 800  # pixels: the tilt is measured on a copy of the page this wide
_INSET = 1.6  # points cut from each side of a cell: its rules and their blur
_MIN_INK = 2  # dark pixels a row of a cell needs to hold writing (grain leaves single ones)
_MIN_LINE = 2.5  # points: a run of inked rows shorter than this is a speck, not a line of text
_LINE_GAP = 1.2  # points: inked runs closer than this are one line (a character's strokes)
_PAD = 2.0  # points of white kept around a line of text for the recogniser
_MIN_CONTRAST = 24  # grey levels between a crop's darkest and lightest pixel before it is stretched
_ZERO_LIKE = str.maketrans("。oO〇○", "00000")
_DIGITS_BUT_ROUND = re.compile(r"[0-9。oO〇○]+")


# What a process that reads a scan may need: detection on a 150-dpi A4 page asks onnxruntime for
# about 1.5 GB of address space (its peak resident memory is about 850 MB).
MEMORY_MB = 2048


def available() -> bool:
    """Whether scans are read by OCR here: its libraries are installed (the zip function has none),
    and ``NIANBAO_OCR`` does not turn it off ("off"), as for a process that must not take the memory."""
    if os.environ.get("NIANBAO_OCR", "").strip().lower() in {"off", "0", "false", "no"}:
        return False
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@contextlib.contextmanager
def _memory() -> Iterator[None]:
    """onnxruntime's failed allocations (C++ ``std::bad_alloc``, raised as its own error) as the
    ``MemoryError`` they are: a process limit then reads as one (``nianbao.isolate``)."""
    try:
        yield
    except MemoryError:
        raise
    except Exception as error:
        if "bad_alloc" in str(error):
            raise MemoryError(f"OCR ran out of memory: {error}") from error
        raise


@dataclass(slots=True)
class TextLine:
    text: str
    box: BBox


@dataclass(slots=True)
class OcrPage:
    """What OCR read on a page: its tables (each cell with its confidence) and its lines of text."""

    width: float  # points
    height: float
    tables: list[Grid]
    lines: list[TextLine]


class _Engine:
    """One rapidocr engine a process, built on first use (it loads two ONNX models: 0.2 s)."""

    _lock = threading.Lock()
    _engine: Any = None

    @classmethod
    def get(cls) -> Any:
        with cls._lock:
            if cls._engine is None:
                from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - heavy, and only scans need it

                cls._engine = RapidOCR()
            return cls._engine


def read_page(gray: Gray, scale: float) -> OcrPage:
    """OCR of one page image (grey levels) of ``scale`` pixels per point."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    gray, _ = _upright(gray, scale)
    ink = _ink(gray)
    vertical, horizontal = _rules(ink, scale)
    found = find_tables(vertical, horizontal) if len(vertical) >= 2 and len(horizontal) >= 2 else []
    with _memory():
        engine = _Engine.get()
        tables = [_read_table(table, gray, ink, scale, engine) for table in found]
        blanked = gray.copy()
        for table in found:
            x0, top, x1, bottom = (round(v * scale) for v in table.bbox)
            cv2.rectangle(blanked, (x0 - 2, top - 2), (x1 + 2, bottom + 2), 255, thickness=-1)
        lines = _read_lines(np.ascontiguousarray(blanked), scale, engine)
    height, width = gray.shape
    return OcrPage(width / scale, height / scale, tables, lines)


# --- the page upright ---------------------------------------------------------------------------


def _ink(gray: Gray) -> Gray:
    """Dark pixels (255) against the paper (0), with the lighting evened out (phone photos)."""
    import cv2  # noqa: PLC0415

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def _upright(gray: Gray, scale: float) -> tuple[Gray, float]:
    """The page turned back by its tilt, and the angle it was turned by (degrees, counterclockwise;
    0 and the page itself when it lies straight).

    The tilt is the angle at which the page's rows of ink line up best: turned by it, the ink's
    horizontal projection is sharpest (rules and lines of text fall each into few rows). Searched on
    a smaller copy, in quarter degrees within ``_MAX_SKEW``, then in fiftieths around the best."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    height, width = gray.shape
    shrink = min(1.0, _SKEW_WIDTH / width)
    ink = cv2.resize(_ink(gray), None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    center = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(center, angle, 1.0)
        turned = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR)
        rows = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    def search(angles: Any) -> float:  # the sharpest angle; of equally sharp ones, the least
        return max((round(float(a), 2) for a in angles), key=lambda a: (sharpness(a), -abs(a)))

    coarse = search(np.arange(-_MAX_SKEW, _MAX_SKEW + 1e-9, 0.25))
    angle = search(np.arange(coarse - 0.24, coarse + 0.2401, 0.02))
    if abs(angle) < 0.02:  # under a pixel over the page's width
        return gray, 0.0
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    upright = cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    return upright, angle


# --- rules and cells ----------------------------------------------------------------------------


def _rules(ink: Gray, scale: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vertical and horizontal rules of the image as pdfplumber line objects, in points."""
    import cv2  # noqa: PLC0415

    def pieces(kernel: tuple[int, int]) -> list[tuple[int, int, int, int]]:
        lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        return [tuple(int(v) for v in stats[i][:4]) for i in range(1, count)]  # type: ignore[misc]

    horizontal = [
        line_object(x / scale, (y + h / 2) / scale, (x + w) / scale, (y + h / 2) / scale)
        for x, y, w, h in pieces((round(_MIN_HORIZONTAL_RULE * scale), 1))
    ]
    vertical = [
        line_object((x + w / 2) / scale, y / scale, (x + w / 2) / scale, (y + h) / scale)
        for x, y, w, h in pieces((1, round(_MIN_VERTICAL_RULE * scale)))
    ]
    return vertical, horizontal


def _text_rows(ink: Gray, scale: float) -> list[tuple[int, int]]:
    """The rows of pixels each line of writing in ``ink`` spans (top, bottom), top to bottom."""
    import numpy as np  # noqa: PLC0415

    inked = (ink > 0).sum(axis=1) >= _MIN_INK
    runs: list[list[int]] = []
    for row in np.flatnonzero(inked):
        if runs and row - runs[-1][1] <= _LINE_GAP * scale:
            runs[-1][1] = int(row)
        else:
            runs.append([int(row), int(row)])
    return [(top, bottom + 1) for top, bottom in runs if bottom + 1 - top >= _MIN_LINE * scale]


def _line_crops(gray: Gray, ink: Gray, box: BBox, scale: float) -> list[Gray]:
    """The lines of writing inside a cell's box, each cut out with a little white around it."""
    import numpy as np  # noqa: PLC0415

    inset = _INSET * scale
    x0, top, x1, bottom = (round(box[0] * scale + inset), round(box[1] * scale + inset),
                           round(box[2] * scale - inset), round(box[3] * scale - inset))  # fmt: skip
    if x1 - x0 < 2 or bottom - top < 2:
        return []
    cell_gray, cell_ink = gray[top:bottom, x0:x1], ink[top:bottom, x0:x1]
    pad = round(_PAD * scale)
    crops = []
    for row_top, row_bottom in _text_rows(cell_ink, scale):
        columns = np.flatnonzero((cell_ink[row_top:row_bottom] > 0).sum(axis=0))
        left, right = int(columns[0]), int(columns[-1]) + 1
        crop = cell_gray[row_top:row_bottom, left:right].astype(np.float32)
        low, high = float(crop.min()), float(crop.max())
        if high - low >= _MIN_CONTRAST:  # a photo's grey writing on grey paper: black on white
            crop = (crop - low) * (255.0 / (high - low))
        crops.append(np.pad(crop.astype(np.uint8), pad, constant_values=255))
    return crops


def _read_table(table: FoundTable, gray: Gray, ink: Gray, scale: float, engine: Any) -> Grid:
    """The table's cells read: one recognition batch for every line of every cell."""
    import cv2  # noqa: PLC0415

    crops: list[Gray] = []
    owners: list[tuple[int, int]] = []  # (row, cell) of each crop
    for r, row in enumerate(table.rows):
        for c, box in enumerate(row.cells):
            if box is None:
                continue
            for crop in _line_crops(gray, ink, box, scale):
                crops.append(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
                owners.append((r, c))
    read, _ = engine.text_rec(crops) if crops else ([], 0.0)
    texts: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for owner, (text, confidence) in zip(owners, read, strict=True):
        texts.setdefault(owner, []).append((text, float(confidence)))
    rows = []
    for r, row in enumerate(table.rows):
        cells, boxes, confidence = [], [], []
        for c, box in enumerate(row.cells):
            parts = texts.get((r, c), [])
            cells.append(_cell_text("".join(text for text, _ in parts)))
            boxes.append(None if box is None else rounded_box(box))
            confidence.append(min((score for _, score in parts), default=1.0))
        rows.append(GridRow(cells, boxes, row.top, confidence))
    return Grid(table.bbox, rows)


def _cell_text(text: str) -> str:
    """A cell's reading, a value cell's round marks read as the zeros they are."""
    text = text.strip()
    if _DIGITS_BUT_ROUND.fullmatch(text) and not text.isdigit():
        return text.translate(_ZERO_LIKE)
    return text


# --- text outside the tables --------------------------------------------------------------------


def _read_lines(gray: Gray, scale: float, engine: Any) -> list[TextLine]:
    """Detection and recognition on the page: its lines of text, top to bottom."""
    found, _ = engine(gray, use_cls=False)
    lines = []
    for points, text, _ in found or []:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = (min(xs) / scale, min(ys) / scale, max(xs) / scale, max(ys) / scale)
        lines.append(TextLine(str(text).strip(), box))
    return sorted(lines, key=lambda line: (line.box[1], line.box[0]))


# --- image files --------------------------------------------------------------------------------

MAX_PIXELS = 60_000_000  # a page's pixels: an A3 page at 400 dpi is 31 million
_DEFAULT_DPI = 150.0  # an image that does not say its resolution
_DPI = (72.0, 600.0)
NO_OCR = (
    "这是一个图片文件（扫描件），没有文字层；本环境未安装文字识别（OCR），无法核对；请提供带文字层的 PDF、Word 或文本"
)


def extract_image(data: bytes, source: str, limits: Limits) -> Document:
    """A PNG, JPEG, GIF or TIFF (every page of a multi-page TIFF) read by OCR."""
    from PIL import Image, ImageSequence, UnidentifiedImageError  # noqa: PLC0415

    from nianbao.extract.pdf import lines_of, scanned_page  # noqa: PLC0415

    if not available():
        raise ExtractError(NO_OCR, code="NO_TEXT_LAYER")
    deadline = time.monotonic() + limits.max_seconds
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:  # Pillow's own bound, twice its warning's: past ours
        raise ExtractError(f"图片像素数超过 {MAX_PIXELS // 1_000_000} 百万像素的上限，可能是恶意构造的文件") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ExtractError("图片文件已损坏或格式无法识别") from error
    count = getattr(image, "n_frames", 1)
    if count > limits.max_pages:
        raise ExtractError(f"图片共 {count} 页，超过 {limits.max_pages} 页的上限")
    pages, unread, read = [], [], []
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        if time.monotonic() > deadline:
            raise ExtractError(f"处理超时（超过 {limits.max_seconds:g} 秒），扫描页过多或过大")
        width, height = frame.size
        if width * height > MAX_PIXELS:
            raise ExtractError(
                f"图片第 {number} 页为 {width}×{height} 像素，超过 {MAX_PIXELS // 1_000_000} 百万像素的上限"
            )
        try:
            gray = _gray(frame)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ExtractError(f"图片第 {number} 页已损坏，无法解码") from error
        scale = _dpi(frame.info.get("dpi")) / 72
        page = scanned_page(number, read_page(gray, scale))
        if page is None:
            unread.append(number)
        else:
            read.append(number)
            pages.append(page)
    return Document(
        source=source, kind="image", lines=lines_of(pages), pages=count, scanned_pages=unread, ocr_pages=read
    )


def _gray(frame: Any) -> Gray:
    import numpy as np  # noqa: PLC0415

    return np.ascontiguousarray(np.asarray(frame.convert("L"), dtype=np.uint8))


def _dpi(given: Any) -> float:
    """An image's resolution as it states it (PNG, JPEG and TIFF can), within bounds."""
    try:
        dpi = float(given[0])
    except (TypeError, ValueError, IndexError):
        return _DEFAULT_DPI
    low, high = _DPI
    return min(max(dpi, low), high) if dpi > 1 else _DEFAULT_DPI
