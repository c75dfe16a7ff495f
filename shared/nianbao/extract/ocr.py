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
3. Each cell is cut out inside its rules, its writing taken from the ink without the rules, grain
   and slivers of rule, split into its lines of text, and each line read by recognition alone:
   recognition on a crop reads a lone digit that detection on the whole page misses. A cell's
   confidence is its least sure line's. The value cells (found by which cells of a table read as
   words) are also read as numbers from the same pass: what is no number there (a stray mark,
   letters, nothing) is an unsure number, never text that would change the row's shape.
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
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from nianbao.extract.document import OCR_MIN_CONFIDENCE, BBox, Document, ExtractError
from nianbao.extract.limits import Limits
from nianbao.extract.pdf_tables import FoundTable, Grid, GridRow, find_tables, line_object, rounded_box
from nianbao.model import CellKind
from nianbao.normalize import VALUE_KINDS, classify

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
_RULE_GAP = 0.6  # points: a break in a rule this short (grain in a dim photo) is bridged
_RULE_EDGE = 0.5  # points: the blur along a rule's ink that goes with it
_SPECK = 0.8  # square points: a blot of ink smaller than this is grain (a decimal point is twice it)
_BLOT = 2.5  # square points: a blot smaller than this is grain unless it lies by the writing
_NEAR = 3.0  # points: how near
_DASH = 2.0  # points: a blot this long is a dash
_SLIVER = 1.2  # points: a piece of ink this thin along a cell's edge is what is left of a rule
_GAMMA = 0.5  # a stretched crop's grey levels raised to this: a blurred stroke's grey edge pales
_STROKE_EDGE = 1.2  # points around the strokes of writing kept from the page's grey
_ZERO_LIKE = str.maketrans("。oO〇○", "00000")
_DIGITS_BUT_ROUND = re.compile(r"[0-9。oO〇○]+")
_NUMERALS = frozenset("0123456789.-")  # what a value cell's number is written in
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# What a process that reads a scan may need: detection on a 150-dpi A4 page asks onnxruntime for
# about 1.5 GB of address space (its peak resident memory is about 800 MB).
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
    ruling = _ruling(ink, scale)
    vertical, horizontal = _rules(ink, scale, ruling)
    found = find_tables(vertical, horizontal) if len(vertical) >= 2 and len(horizontal) >= 2 else []
    writing = _writing(ink, ruling, scale) if found else ink
    with _memory():
        engine = _Engine.get()
        tables = [_read_table(table, gray, writing, scale, engine) for table in found]
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


def _ruling(ink: Gray, scale: float) -> tuple[Gray, Gray]:
    """The ink of the image's vertical and horizontal rules: what survives an opening with a long
    thin kernel (the strokes of the characters are shorter), once the short breaks along a rule
    are bridged (in a dim corner of a photo, grain breaks a faint rule into pieces)."""
    import cv2  # noqa: PLC0415

    gap = max(1, round(_RULE_GAP * scale))

    def opened(kernel: tuple[int, int], bridge: tuple[int, int]) -> Gray:
        closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        return cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))

    return (
        opened((1, round(_MIN_VERTICAL_RULE * scale)), (1, gap + 1)),
        opened((round(_MIN_HORIZONTAL_RULE * scale), 1), (gap + 1, 1)),
    )


def _rules(
    ink: Gray, scale: float, ruling: tuple[Gray, Gray] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vertical and horizontal rules of the image as pdfplumber line objects, in points: each
    connected piece of the rules' ink (``_ruling``) is one rule."""
    import cv2  # noqa: PLC0415

    def pieces(lines: Gray) -> list[tuple[int, int, int, int]]:
        count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        return [tuple(int(v) for v in stats[i][:4]) for i in range(1, count)]  # type: ignore[misc]

    upright, across = ruling if ruling is not None else _ruling(ink, scale)
    horizontal = [
        line_object(x / scale, (y + h / 2) / scale, (x + w) / scale, (y + h / 2) / scale)
        for x, y, w, h in pieces(across)
    ]
    vertical = [
        line_object((x + w / 2) / scale, y / scale, (x + w / 2) / scale, (y + h) / scale)
        for x, y, w, h in pieces(upright)
    ]
    return vertical, horizontal


def _writing(ink: Gray, ruling: tuple[Gray, Gray], scale: float) -> Gray:
    """The ink that is writing: the rules taken away, with their blurred edges. A cell's box comes
    from rules that pdfplumber snaps together, so it can lie a few pixels off the rule its row
    shows; what is left of that rule inside the box would read as a "1" or a "|"."""
    import cv2  # noqa: PLC0415

    edge = max(1, round(_RULE_EDGE * scale))
    rules = cv2.dilate(cv2.bitwise_or(*ruling), cv2.getStructuringElement(cv2.MORPH_RECT, (2 * edge + 1,) * 2))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules))


def _clean(ink: Gray, scale: float) -> Gray:
    """A cell's writing without grain and without slivers of rule. Kept, grain stretches a line's
    crop over the empty cell, and the recogniser reads it as words, or as a "，" after a number.

    - a speck of a few pixels (``_SPECK``) is grain;
    - a small blot (``_BLOT``) is grain where it lies apart from the writing (``_NEAR``), unless it
      is as long as a dash: a decimal point, a "、" or a "：" lie next to the writing, a "-" alone
      in a cell is long;
    - a thin piece along a side of the cell is what is left of a rule."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return ink
    height, width = ink.shape
    x, y, w, h, area = (stats[:, i] for i in range(5))
    sliver = _SLIVER * scale
    upright = ((x == 0) | (x + w == width)) & (w <= sliver)  # along a side, as thin as a rule
    across = ((y == 0) | (y + h == height)) & (h <= sliver)  # along the top or the bottom
    keep = (area >= _SPECK * scale * scale) & ~upright & ~across
    keep[0] = False
    big = keep & (area >= _BLOT * scale * scale)
    small = keep & ~big & (w < _DASH * scale)
    if small.any():
        near = round(_NEAR * scale)
        around = cv2.dilate(
            big[labels].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (2 * near + 1,) * 2)
        )
        beside = np.zeros(count, bool)
        beside[np.unique(labels[around > 0])] = True
        keep &= ~small | beside
    return np.where(keep[labels], 255, 0).astype(np.uint8)


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
    """The lines of writing inside a cell's box, each cut out with a little white around it: only
    the writing (``_clean``) and the grey next to its strokes are kept, the rest is paper, and
    the line is stretched to black on white (a photo's grey writing on grey paper)."""
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    inset = _INSET * scale
    x0, top, x1, bottom = (round(box[0] * scale + inset), round(box[1] * scale + inset),
                           round(box[2] * scale - inset), round(box[3] * scale - inset))  # fmt: skip
    if x1 - x0 < 2 or bottom - top < 2:
        return []
    cell_gray, cell_ink = gray[top:bottom, x0:x1], _clean(ink[top:bottom, x0:x1], scale)
    reach = max(1, round(_STROKE_EDGE * scale))
    near = cv2.dilate(cell_ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)) > 0
    paper = cell_gray[~near]
    high = float(np.median(paper)) if paper.size else float(cell_gray.max())
    pad = round(_PAD * scale)
    crops = []
    for row_top, row_bottom in _text_rows(cell_ink, scale):
        columns = np.flatnonzero((cell_ink[row_top:row_bottom] > 0).sum(axis=0))
        left, right = int(columns[0]), int(columns[-1]) + 1
        crop = cell_gray[row_top:row_bottom, left:right].astype(np.float32)
        kept = near[row_top:row_bottom, left:right]
        low = float(crop[kept].min())
        if high - low >= _MIN_CONTRAST:  # black on white, the blur around a photo's strokes lightened
            crop = 255.0 * np.clip((crop - low) / (high - low), 0, 1) ** _GAMMA
        crop[~kept] = 255
        crops.append(np.pad(crop.astype(np.uint8), pad, constant_values=255))
    return crops


@dataclass(frozen=True, slots=True)
class _Reading:
    """What recognition made of one line of writing: the text it reads best and its confidence,
    and the best reading in the characters of a number (``_NUMERALS``) with its confidence."""

    text: str
    confidence: float
    digits: str
    digits_confidence: float


def _recognise(engine: Any, crops: list[Gray]) -> list[_Reading]:
    """Each crop read by the recogniser, as rapidocr's ``text_rec`` batches and reads them (the
    crops sorted by their width, ``rec_batch_num`` at a time, each batch as wide as its widest), the
    recogniser's scores per step kept so that a crop is read twice from one pass: freely, and as a
    number.

    As a number, each step scores the gap (CTC's blank) and each character of ``_NUMERALS``, a zero
    taking the scores of the round marks it looks like ("O", "o", "〇", "。"): a lone 0 is as much
    an "O" to the recogniser, and its own score alone is low. The number's confidence is its least
    sure character's, and no more than the share of the score the gap and those characters hold at
    any step: a step that is surely some other character ("6需", "WEOM") is writing that is not a
    number, and the reading is unsure however sure its digits are."""
    import numpy as np  # noqa: PLC0415

    recogniser = engine.text_rec
    characters: list[str] = recogniser.postprocess_op.character  # 0 is the blank
    groups = _numeral_groups(tuple(characters))
    ratios = [crop.shape[1] / crop.shape[0] for crop in crops]
    order = np.argsort(np.array(ratios), kind="stable")
    _, height, width = recogniser.rec_image_shape[:3]
    readings: list[_Reading | None] = [None] * len(crops)
    step = recogniser.rec_batch_num
    for begin in range(0, len(crops), step):
        batch = [int(i) for i in order[begin : begin + step]]
        widest = max(width / height, *(ratios[i] for i in batch))
        images = np.concatenate([recogniser.resize_norm_img(crops[i], widest)[np.newaxis, :] for i in batch])
        scores = recogniser.session(images.astype(np.float32))[0]
        for index, score in zip(batch, scores, strict=True):
            steps = min(len(score), int(np.ceil(len(score) * ratios[index] / widest)) + 1)
            readings[index] = _decode(score, characters, groups, steps)
    return [r for r in readings if r is not None]


@cache
def _numeral_groups(characters: tuple[str, ...]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each character of ``_NUMERALS`` with the recogniser's classes that stand for it."""
    groups: dict[str, list[int]] = {}
    for index, character in enumerate(characters):
        if index == 0:
            continue
        numeral = unicodedata.normalize("NFKC", character).translate(_ZERO_LIKE)
        if len(numeral) == 1 and numeral in _NUMERALS:
            groups.setdefault(numeral, []).append(index)
    return tuple((numeral, tuple(indices)) for numeral, indices in sorted(groups.items()))


def _decode(score: Any, characters: list[str], groups: tuple[tuple[str, tuple[int, ...]], ...], steps: int) -> _Reading:
    """One crop's scores (steps × classes) read freely (CTC's greedy decoding, as rapidocr's) and
    as a number (``_recognise``)."""
    import numpy as np  # noqa: PLC0415

    score = score[:steps]
    best = score.argmax(axis=1)
    text, sure = [], []
    for t, index in enumerate(best):
        if index != 0 and (t == 0 or best[t - 1] != index):
            text.append(characters[index])
            sure.append(float(score[t, index]))
    numerals = np.stack([score[:, list(indices)].sum(axis=1) for _, indices in groups], axis=1)
    allowed = np.concatenate([score[:, :1], numerals], axis=1)  # the gap, then each numeral
    held = float(allowed.sum(axis=1).min()) if steps else 0.0
    pick = allowed.argmax(axis=1)
    digits: list[str] = []
    digit_sure: list[float] = []
    for t, index in enumerate(pick):
        if index == 0:
            continue
        if t > 0 and pick[t - 1] == index:
            digit_sure[-1] = max(digit_sure[-1], float(allowed[t, index]))
            continue
        digits.append(groups[index - 1][0])
        digit_sure.append(float(allowed[t, index]))
    return _Reading(
        "".join(text),
        float(np.mean(sure)) if sure else 0.0,
        "".join(digits),
        min(min(digit_sure, default=0.0), held),
    )


def _read_table(table: FoundTable, gray: Gray, ink: Gray, scale: float, engine: Any) -> Grid:
    """The table's cells read: one recognition batch for every line of every cell; the value cells
    (``_value_cells``) read as numbers (``_as_number``)."""
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
    read = _recognise(engine, crops) if crops else []
    parts: dict[tuple[int, int], list[_Reading]] = {}
    for owner, reading in zip(owners, read, strict=True):
        parts.setdefault(owner, []).append(reading)
    values = _value_cells(parts, [len(row.cells) for row in table.rows])
    rows = []
    for r, row in enumerate(table.rows):
        cells, boxes, confidence = [], [], []
        for c, box in enumerate(row.cells):
            lines = parts.get((r, c), [])
            text, sure = _as_number(lines) if (r, c) in values else _free(lines)
            cells.append(text)
            boxes.append(None if box is None else rounded_box(box))
            confidence.append(sure)
        rows.append(GridRow(cells, boxes, row.top, confidence))
    return Grid(table.bbox, rows)


def _free(lines: list[_Reading]) -> tuple[str, float]:
    """A cell's free reading: its lines' text, and its least sure line's confidence (a cell with no
    writing is surely blank)."""
    return _cell_text("".join(line.text for line in lines)), min((line.confidence for line in lines), default=1.0)


def _as_number(lines: list[_Reading]) -> tuple[str, float]:
    """A value cell's reading.

    - A number or a placeholder read freely stays as read; a number the reading as a number agrees
      with is as sure as the surer of the two (a lone 0's score is split among the round marks).
    - Words read surely stay words: the cell is no value cell after all.
    - Anything else (a number with a stray mark, Latin letters, one character, nothing read from
      ink) is the reading as a number: a number, so that the row keeps its shape, and no surer
      than either reading; digits picked out of what is no number are not sure at all."""
    text, confidence = _free(lines)
    if not lines:
        return text, confidence
    digits = "".join(line.digits for line in lines)
    digits_sure = min(line.digits_confidence for line in lines)
    kind = classify(text)[0]
    if kind is CellKind.PLACEHOLDER:
        return text, confidence
    if kind in (CellKind.NUMBER, CellKind.TOO_LONG):
        return text, max(confidence, digits_sure) if text == digits else confidence
    if confidence >= OCR_MIN_CONFIDENCE and _is_words(text):
        return text, confidence
    if classify(digits)[0] in (CellKind.NUMBER, CellKind.TOO_LONG):
        return digits, min(confidence, digits_sure)
    return re.sub(r"\D", "", digits) or "0", 0.0


def _value_cells(parts: dict[tuple[int, int], list[_Reading]], shape: list[int]) -> set[tuple[int, int]]:
    """The cells of a table that hold values, of those with writing (a cell with none stays blank):
    its value columns' cells in its rows of values.

    The rows that hold a number read surely (``_as_number``) tell the value columns: in them, a
    value column's cells read as words (two Chinese characters or more: a label) less often than
    not. A row of values is one whose cells in the value columns read as words less often than not
    (a header's "自然人", "本年制发件数" are words)."""
    words = {owner: _is_words(_free(lines)[0]) for owner, lines in parts.items()}
    sure = set()
    for (r, _), lines in parts.items():
        text, confidence = _as_number(lines)
        if classify(text)[0] in (CellKind.NUMBER, CellKind.TOO_LONG) and confidence >= OCR_MIN_CONFIDENCE:
            sure.add(r)
    columns = set()
    for c in range(max(shape, default=0)):
        votes = [words[(r, c)] for r in sure if (r, c) in words]
        if 2 * sum(votes) < len(votes):
            columns.add(c)
    cells: set[tuple[int, int]] = set()
    for r, width in enumerate(shape):
        here = [(r, c) for c in range(width) if c in columns and (r, c) in words]
        if 2 * sum(words[owner] for owner in here) < len(here):
            cells.update(here)
    return cells


def _is_words(text: str) -> bool:
    """Whether a cell's reading is words: no number nor placeholder, two Chinese characters or more."""
    return classify(text)[0] not in VALUE_KINDS and len(_CJK.findall(text)) >= 2


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
