"""A synthetic report as the text tools export from it: what aggregators, archives and offices
publish when they republish a PDF or a Word file as text or markdown.

From a PDF (``to_pdf``), each tool's own reading:

- ``pdftotext -layout``: the page's geometry kept with spaces; ``-raw``: content-stream order.
  Plain ``pdftotext`` (its own reading order) is not offered: it takes a ruled table's cells one
  per line in an order of its own, which may print a row's 总计 before its other cells, or a Word
  export's table column by column; the numbers no longer say which cell they are.
- pdfplumber ``extract_text`` and pypdfium2 ``get_text_range``: line by line, cells joined by
  spaces. pdfminer reads no text from fpdf2's CFF fonts, so pdfplumber is not offered there.

Written from the document's blocks, as converters write markdown tables:

- ``markdown-shifted``: markitdown's way (through mammoth or an HTML table): a merged cell once,
  in its first row, the rows below it shifted left; a column span as the text and empty cells.
- ``markdown-repeated``: a merged cell's text repeated into every position it covers (pandas'
  ``read_html``), so a row's first cells are its block labels: ``| 三、本年度办理结果 | （三）不予公开 |
  1.属于国家秘密 | 0 | …``. Header cells may be broken into fragments over extra rows.
- ``markdown-per-row``: one small table per row under a heading that is the row's label, with
  generic column names (数据1…数据7), as web-to-markdown tools write pages whose tables they split.
- ``interleaved``: rows as space-separated lines, a row-spanning label's characters one per line
  between the rows it spans (三、本年度办理结果 reads 三, 、, 本… down the page).

The truth of every cell is the ``Truth`` rendered: no export changes a number.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from tests.synth.blocks import Block, Cell, Grid, Heading, Paragraph, blocks
from tests.synth.to_pdf import FixtureUnavailable, Generator, to_pdf
from tests.synth.truth import Truth


class Export(StrEnum):
    PDFTOTEXT_LAYOUT = "pdftotext-layout"
    PDFTOTEXT_RAW = "pdftotext-raw"
    PDFPLUMBER = "pdfplumber"
    PYPDFIUM2 = "pypdfium2"
    MARKDOWN_SHIFTED = "markdown-shifted"
    MARKDOWN_REPEATED = "markdown-repeated"
    MARKDOWN_PER_ROW = "markdown-per-row"
    INTERLEAVED = "interleaved"


FROM_PDF = (Export.PDFTOTEXT_LAYOUT, Export.PDFTOTEXT_RAW, Export.PDFPLUMBER, Export.PYPDFIUM2)
# What each PDF generator's files can be exported with (see the module's docstring).
PDF_EXPORTS: dict[Generator, tuple[Export, ...]] = {
    "reportlab": FROM_PDF,
    "fpdf2": (Export.PDFTOTEXT_LAYOUT, Export.PDFTOTEXT_RAW, Export.PYPDFIUM2),
    "libreoffice": FROM_PDF,
}
_PLACEHOLDER = "/"  # a blank cell in space-separated text, where an empty one would vanish


def export(truth: Truth, kind: Export, rng: random.Random, generator: Generator = "reportlab") -> str:
    """``truth`` as ``kind`` exports it (from a PDF made by ``generator`` for the PDF tools)."""
    document = blocks(truth, rng)
    if kind in FROM_PDF:
        if kind not in PDF_EXPORTS[generator]:
            raise ValueError(f"{kind} does not read {generator}'s PDFs")
        return pdf_text(to_pdf(document, generator), kind)
    if kind is Export.INTERLEAVED:
        return _document(document, _interleaved, heading=str)
    if kind is Export.MARKDOWN_PER_ROW:
        return _document(document, _per_row, heading=lambda text: f"### {text}")
    fragments = kind is Export.MARKDOWN_REPEATED and rng.random() < 0.5
    empty_header = rng.random() < 0.5  # an HTML table without <th>: markitdown heads it with empty cells

    def table(grid: Grid) -> list[str]:
        return _markdown(grid, repeated=kind is Export.MARKDOWN_REPEATED, fragments=fragments, empty=empty_header)

    return _document(document, table, heading=lambda text: f"**{text}**")


def pdf_text(pdf: bytes, kind: Export) -> str:
    """The text ``kind`` reads from ``pdf``."""
    if kind is Export.PDFPLUMBER:
        import pdfplumber  # noqa: PLC0415

        with pdfplumber.open(io.BytesIO(pdf)) as document:
            return "\n".join(page.extract_text() or "" for page in document.pages)
    if kind is Export.PYPDFIUM2:
        import pypdfium2 as pdfium  # noqa: PLC0415

        document = pdfium.PdfDocument(pdf)
        try:
            return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        finally:
            document.close()
    if shutil.which("pdftotext") is None:
        raise FixtureUnavailable("pdftotext (poppler-utils) is not installed")
    mode = {Export.PDFTOTEXT_LAYOUT: "-layout", Export.PDFTOTEXT_RAW: "-raw"}[kind]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "report.pdf")
        path.write_bytes(pdf)
        command = ["pdftotext", mode, "-enc", "UTF-8", str(path), "-"]
        # a fixed tool (poppler's, wherever the system put it) on a file of our own
        done = subprocess.run(command, capture_output=True, check=True, timeout=60)  # noqa: S603
    return done.stdout.decode("utf-8")


def _document(document: Sequence[Block], table: object, *, heading: object) -> str:
    lines: list[str] = []
    for block in document:
        if isinstance(block, Heading):
            lines.extend([heading(block.text), ""])  # type: ignore[operator]
        elif isinstance(block, Paragraph):
            lines.extend([block.text, ""])
        elif isinstance(block, Grid):
            lines.extend([*table(block), ""])  # type: ignore[operator]
    return "\n".join(lines) + "\n"


def _covering(grid: Grid) -> list[list[tuple[int, int]]]:
    """For every position, the (row, column) of the cell that covers it."""
    owner = [[(-1, -1)] * len(grid.rows[0]) for _ in grid.rows]
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    owner[r + dr][c + dc] = (r, c)
    return owner


def _cell(grid: Grid, at: tuple[int, int]) -> Cell:
    cell = grid.rows[at[0]][at[1]]
    assert cell is not None
    return cell


def _pipe(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _markdown(grid: Grid, *, repeated: bool, fragments: bool, empty: bool) -> list[str]:
    owner = _covering(grid)
    rows: list[list[str]] = []
    for r, row in enumerate(owner):
        cells: list[str] = []
        for c, at in enumerate(row):
            cell = _cell(grid, at)
            if repeated and (at[1] == c or not any(ch.isdigit() for ch in cell.text)):
                cells.append(cell.text)  # a label repeated over its span (a number is not)
            elif repeated:
                cells.append("")
            elif at[0] == r:  # shifted: a cell spanning from a row above is left out
                cells.append(cell.text if at[1] == c else "")
        rows.append(cells)
    if fragments:
        rows = _fragmented(rows, grid.header_rows)
    width = len(grid.rows[0])
    if empty:
        return [_pipe([""] * width), _pipe(["---"] * width), *(_pipe(r) for r in rows)]
    return [_pipe(rows[0]), _pipe(["---"] * len(rows[0])), *(_pipe(r) for r in rows[1:])]


def _fragmented(rows: list[list[str]], header_rows: int) -> list[list[str]]:
    """Each header row broken into two: the first half of every cell's text, then the rest."""
    out: list[list[str]] = []
    for index, row in enumerate(rows):
        if index >= header_rows or not any(len(text) > 3 for text in row):
            out.append(row)
            continue
        out.append([text[: (len(text) + 1) // 2] for text in row])
        out.append([text[(len(text) + 1) // 2 :] for text in row])
    return out


def _values(grid: Grid, r: int, owner: list[list[tuple[int, int]]]) -> tuple[list[str], list[str]]:
    """Row ``r``'s own labels (not spans from above) and its values (placeholders for blanks)."""
    labels: list[str] = []
    values: list[str] = []
    for c, at in enumerate(owner[r]):
        if at[1] != c:
            continue
        cell = _cell(grid, at)
        if c < _label_columns(grid):
            if at[0] == r:
                labels.append(cell.text)
        else:
            values.append(cell.text or _PLACEHOLDER)
    return labels, values


def _label_columns(grid: Grid) -> int:
    return {"table2": 1, "table3": 3, "table4": 0}[grid.name]


def _data_rows(grid: Grid) -> range:
    first = grid.header_rows if grid.name != "table2" else 0
    return range(first, len(grid.rows))


def _per_row(grid: Grid) -> list[str]:
    owner = _covering(grid)
    if grid.name == "table4":
        width = len(grid.rows[0])
        values = [_cell(grid, (len(grid.rows) - 1, c)).text for c in range(width)]
        return [_pipe(f"数据{n}" for n in range(1, width + 1)), _pipe(["---"] * width), _pipe(values)]
    lines: list[str] = []
    for r in _data_rows(grid):
        labels, values = _values(grid, r, owner)
        if not any(any(ch.isdigit() for ch in v) or v == _PLACEHOLDER for v in values) or not values:
            lines += [f"### {''.join(labels)}", ""]  # a block's label or header: a heading of its own
            continue
        lines += [f"#### {''.join(labels)}", ""]
        lines += [_pipe(f"数据{n}" for n in range(1, len(values) + 1)), _pipe(["---"] * len(values)), _pipe(values)]
        lines.append("")
    return lines


def _interleaved(grid: Grid) -> list[str]:
    """Rows one per line; a label spanning rows printed one character a line between them."""
    owner = _covering(grid)
    if grid.name != "table3":
        return [" ".join([*_values(grid, r, owner)[0], *_values(grid, r, owner)[1]]) for r in range(len(grid.rows))]
    between: dict[int, list[str]] = {}  # row -> characters printed before it
    for r, row in enumerate(grid.rows):
        for cell in row:
            if cell is None or cell.rowspan < 2 or r < grid.header_rows:
                continue
            for n, char in enumerate(cell.text):
                at = r + min(cell.rowspan - 1, n * cell.rowspan // len(cell.text) + 1)
                between.setdefault(at, []).append(char)
    lines = [" ".join(_cell(grid, (0, c)).text for c in range(len(grid.rows[0])) if grid.rows[0][c])]
    lines += [" ".join(c.text for c in row if c) for row in grid.rows[1 : grid.header_rows]]
    for r in range(grid.header_rows, len(grid.rows)):
        lines += between.get(r, [])
        labels, values = _values(grid, r, owner)
        own = [text for text in labels if not any(text == s.text and s.rowspan > 1 for s in grid.rows[r] if s)]
        lines.append(" ".join([*own, *values]))
    return lines
