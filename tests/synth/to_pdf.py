"""Render report blocks as PDF the ways real reports are made.

Three generators, each leaving its own traces in the file:

- ``reportlab``: platypus, WenQuanYi Micro Hei embedded as a TrueType subset, CJK word wrap, ruled
  tables whose long labels wrap inside their cells. Tables break between any two rows as Word's
  do: the header rows are repeated and a merged cell crossing the break continues on the next page,
  its text printed on the part holding more of its rows (see ``split_grid``).
- ``fpdf2``: Noto Sans CJK (a CFF/OpenType font) through ``FPDF.table``. pdfminer, and so
  pdfplumber, reads no text at all from these files (fpdf2 gives the CID font an embedded
  encoding CMap named ``Adobe-Identity-UCS``, which pdfminer looks up by name and does not know);
  pdfium reads it. fpdf2 never breaks a row-spanning group, so Table 3's results block moves to a
  page of its own; paragraphs are broken into lines here (fpdf2 would split numbers).
- ``libreoffice``: the Word rendering (``to_docx``) exported by ``soffice --headless``, as offices
  "save as PDF" from Word; a merged cell's text may itself be split over the page break.

All tables are fully ruled; Table 3 of a typical report runs over a page break (reportlab and
LibreOffice; fpdf2 only when the break falls before the results block). A scanned page is a page
holding one image and no text. Missing fonts or LibreOffice raise ``FixtureUnavailable``.
"""

from __future__ import annotations

import atexit
import io
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Literal

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus import Paragraph as RLParagraph

from tests.synth.blocks import Block, Cell, Grid, Heading, Paragraph, ScannedPage
from tests.synth.to_docx import to_docx
from tests.synth.to_html import scanned_png

Generator = Literal["reportlab", "fpdf2", "libreoffice"]
GENERATORS: tuple[Generator, ...] = ("reportlab", "fpdf2", "libreoffice")

WQY_MICROHEI = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
NOTO_SANS_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_SANS_CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
NOTO_SC_INDEX = 2  # JP, KR, SC, TC, HK: the simplified-Chinese face of the collection

# A4 page and margins in millimetres (top, bottom, left, right): Word's default top and bottom,
# the official-document sides (GB/T 9704).
PAGE_MM = (210.0, 297.0)
MARGINS_MM = (25.4, 25.4, 28.0, 26.0)
SCAN_WIDTH_MM = 150.0
BODY_PT, TITLE_PT = 12.0, 18.0
TABLE_PT = {"table2": 10.5, "table3": 10.5, "table4": 9.0}
SOFFICE_TIMEOUT_S = 300.0
FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)


class FixtureUnavailable(RuntimeError):  # noqa: N818 - reads as a condition, like FileNotFoundError
    """A font or program a generator needs is not installed; tests should skip, not fail."""


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise FixtureUnavailable(f"{what} not found at {path}; install it to render this PDF fixture")
    return path


def _titles(blocks: Sequence[Block]) -> set[int]:
    """Indexes of the title paragraphs: centred paragraphs before the first heading."""
    titles: set[int] = set()
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            break
        if isinstance(block, Paragraph) and block.align == "center":
            titles.add(index)
    return titles


# --- reportlab -----------------------------------------------------------------------------------
def split_grid(grid: Grid, at: int) -> tuple[Grid, Grid]:
    """Break a grid before row ``at`` as Word does at a page break: the header rows are repeated on
    the second part, and a merged cell crossing the break continues there, its text printed on the
    part that holds more of its rows (Word centres it vertically over the whole merge)."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell is not None:
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        owner[r + dr, c + dc] = (r, c)
    first: list[list[Cell | None]] = [list(row) for row in grid.rows[:at]]
    rest: list[list[Cell | None]] = [list(row) for row in grid.rows[: grid.header_rows]]
    rest += [list(row) for row in grid.rows[at:]]
    for c in range(len(grid.rows[0])):
        r, c0 = owner[at, c]
        cell = grid.rows[r][c0]
        if r == at or c0 != c or cell is None:
            continue  # starts at the break, or covered by a column span handled at its first column
        above, below = at - r, r + cell.rowspan - at
        text_above = above >= below
        first[r][c] = Cell(cell.text if text_above else "", above, cell.colspan)
        rest[grid.header_rows][c] = Cell("" if text_above else cell.text, below, cell.colspan)
    return (
        Grid(grid.name, first, grid.header_rows, grid.widths),
        Grid(grid.name, rest, grid.header_rows, grid.widths),
    )


class _GridTable(Flowable):  # type: ignore[misc]
    """A ruled table that breaks between any two rows, merged cells included (reportlab's own
    Table only breaks outside row spans, and Table 3's 20-row merge is taller than a page)."""

    def __init__(self, grid: Grid, build: Callable[[Grid], Table]) -> None:
        super().__init__()
        self.grid, self.build = grid, build
        self.table = build(grid)
        self.hAlign = "CENTER"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        self.width, self.height = self.table.wrap(availWidth, availHeight)
        return self.width, self.height

    def draw(self) -> None:
        self.table.drawOn(self.canv, 0, 0)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        for at in range(len(self.grid.rows) - 1, self.grid.header_rows, -1):  # a body row at least
            first, rest = split_grid(self.grid, at)
            table = self.build(first)
            if table.wrap(availWidth, availHeight)[1] <= availHeight:
                return [table, _GridTable(rest, self.build)]
        return []


def _reportlab(blocks: Sequence[Block]) -> bytes:
    """Platypus; texts are escaped because reportlab's Paragraph reads its text as markup."""
    font = "WenQuanYiMicroHei"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(_require(WQY_MICROHEI, "WenQuanYi Micro Hei")), subfontIndex=0))
    align = {"left": TA_JUSTIFY, "center": TA_CENTER, "right": TA_RIGHT}
    body = ParagraphStyle("body", fontName=font, fontSize=BODY_PT, leading=BODY_PT * 1.5, wordWrap="CJK")
    title = ParagraphStyle("title", body, fontSize=TITLE_PT, leading=TITLE_PT * 1.5, alignment=TA_CENTER)
    title.spaceAfter = 12
    heading = ParagraphStyle("heading", body, firstLineIndent=2 * BODY_PT, spaceBefore=4, spaceAfter=4)
    top, bottom, left, right = (m * mm for m in MARGINS_MM)
    text_width = A4[0] - left - right

    def table(grid: Grid) -> Table:
        size = TABLE_PT.get(grid.name, 10.5)
        style = ParagraphStyle(f"cell{size}", body, fontSize=size, leading=size * 1.3, alignment=TA_CENTER)
        commands: list[tuple[object, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
        data: list[list[object]] = []
        for r, row in enumerate(grid.rows):
            data.append([RLParagraph(escape(cell.text), style) if cell and cell.text else "" for cell in row])
            for c, cell in enumerate(row):
                if cell is not None and (cell.rowspan > 1 or cell.colspan > 1):
                    commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
        widths = [text_width * w / sum(grid.widths) for w in grid.widths]
        return Table(data, colWidths=widths, repeatRows=grid.header_rows, style=TableStyle(commands))

    story: list[Flowable] = []
    titles = _titles(blocks)
    for index, block in enumerate(blocks):
        match block:
            case Heading(text):
                story.append(RLParagraph(escape(text), heading))
            case Paragraph(text, where):
                style = title if index in titles else ParagraphStyle("p", body, alignment=align[where])
                if where == "left":
                    style.firstLineIndent = 2 * BODY_PT
                story.append(RLParagraph(escape(text), style))
            case Grid():
                story += [_GridTable(block, table), Spacer(1, BODY_PT)]
            case ScannedPage():
                png = scanned_png(block, width=720)
                width = SCAN_WIDTH_MM * mm
                story += [PageBreak(), Image(io.BytesIO(png), width=width, height=width * 297 / 210)]
                if index + 1 < len(blocks):
                    story.append(PageBreak())
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        topMargin=top,
        bottomMargin=bottom,
        leftMargin=left,
        rightMargin=right,
        title="",
        author="",
        invariant=True,  # no timestamp or random ID: the same blocks give the same bytes
    )
    document.build(story)
    return out.getvalue()


# --- fpdf2 ---------------------------------------------------------------------------------------
_NO_LINE_START = set("，。、；：？！）》」』”’%")  # kinsoku: never first on a line
_UNBROKEN = re.compile(r"[0-9A-Za-z.\-/]+|.", re.DOTALL)  # numbers and Latin words stay whole


def cjk_lines(text: str, width: float, measure: Callable[[str], float], *, indent: float = 0) -> list[str]:
    """Break Chinese text into lines of at most ``width`` as Word does: between any two characters,
    except inside a number or Latin word, and never before closing punctuation (which hangs past
    the margin instead). The first line is ``indent`` shorter."""
    lines: list[str] = []
    line = ""
    for token in _UNBROKEN.findall(text):
        room = width - (indent if not lines else 0)
        if line and measure(line + token) > room and token not in _NO_LINE_START:
            lines.append(line)
            line = ""
        line += token
    return [*lines, line] if line or not lines else lines


def _fpdf2(blocks: Sequence[Block]) -> bytes:
    family = "NotoSansCJK"
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(FIXED_DATE)  # the file ID hashes it: the same blocks give the same bytes
    top, bottom, left, right = MARGINS_MM
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(auto=True, margin=bottom)
    pdf.add_font(family, "", _require(NOTO_SANS_CJK, "Noto Sans CJK"), collection_font_number=NOTO_SC_INDEX)
    pdf.add_font(family, "B", _require(NOTO_SANS_CJK_BOLD, "Noto Sans CJK Bold"), collection_font_number=NOTO_SC_INDEX)
    pdf.add_page()
    pt = 25.4 / 72  # millimetres per point
    text_width = PAGE_MM[0] - left - right

    def lines(text: str, size: float, align: str, *, indent: bool) -> None:
        """fpdf2's own wrapping breaks CJK text inside numbers: lay the lines out here."""
        first = 2 * size * pt if indent else 0.0
        for number, line in enumerate(cjk_lines(text, text_width, pdf.get_string_width, indent=first)):
            if number == 0:
                pdf.set_x(left + first)
            pdf.cell(0, size * 1.6 * pt, line, align=align, new_x="LMARGIN", new_y="NEXT")

    titles = _titles(blocks)
    for index, block in enumerate(blocks):
        match block:
            case Heading(text):
                pdf.set_font(family, "B", BODY_PT)
                pdf.ln(1)
                lines(text, BODY_PT, "L", indent=True)
            case Paragraph(text) if index in titles:
                pdf.set_font(family, "B", TITLE_PT)
                lines(text, TITLE_PT, "C", indent=False)
                pdf.ln(4)
            case Paragraph(text, where):
                pdf.set_font(family, "", BODY_PT)
                lines(text, BODY_PT, {"left": "L", "center": "C", "right": "R"}[where], indent=where == "left")
            case Grid():
                # A row-spanning group must fit on one page in fpdf2: Table 3's 20-row merge needs 9 pt.
                size = min(TABLE_PT.get(block.name, 10.5), 9)
                pdf.set_font(family, "", size)
                with pdf.table(
                    col_widths=block.widths,
                    width=text_width,
                    first_row_as_headings=block.header_rows > 0,
                    num_heading_rows=block.header_rows,
                    repeat_headings=1,
                    headings_style=FontFace(emphasis="NONE"),
                    text_align="CENTER",
                    v_align="MIDDLE",
                    line_height=size * 1.3 * pt,
                    padding=1,
                    wrapmode=WrapMode.CHAR,
                ) as table:
                    for row in block.rows:
                        cells = table.row()
                        for cell in row:
                            if cell is not None:
                                cells.cell(cell.text, rowspan=cell.rowspan, colspan=cell.colspan)
                pdf.ln(BODY_PT * pt)
            case ScannedPage():
                pdf.add_page()
                png = io.BytesIO(scanned_png(block, width=720))
                pdf.image(png, x=(PAGE_MM[0] - SCAN_WIDTH_MM) / 2, y=top, w=SCAN_WIDTH_MM)
                if index + 1 < len(blocks):
                    pdf.add_page()
    return bytes(pdf.output())


# --- LibreOffice ---------------------------------------------------------------------------------
_soffice_lock = threading.Lock()
_soffice_profile: Path | None = None


def _profile() -> Path:
    """This process's own LibreOffice profile: parallel processes never share one (a shared profile
    makes a second soffice hand its job to the first, or fail), and later calls skip the first-run
    setup. Removed when the process exits."""
    global _soffice_profile  # noqa: PLW0603 - one profile per process, made on first use
    if _soffice_profile is None:
        _soffice_profile = Path(tempfile.mkdtemp(prefix="nianbao-soffice-profile-"))
        atexit.register(shutil.rmtree, _soffice_profile, ignore_errors=True)
    return _soffice_profile


def docx_to_pdf_many(documents: Sequence[bytes], *, timeout: float = SOFFICE_TIMEOUT_S) -> list[bytes]:
    """Convert .docx files to PDF with one ``soffice --headless --convert-to pdf`` run (starting
    LibreOffice costs more than converting a report). Returns the PDFs in the order given."""
    if not documents:
        return []
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FixtureUnavailable("LibreOffice (soffice) is not installed; it renders the 'libreoffice' PDF fixtures")
    with _soffice_lock, tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as work:
        folder = Path(work)
        sources = [folder / f"report{index:04d}.docx" for index in range(len(documents))]
        for source, data in zip(sources, documents, strict=True):
            source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation={_profile().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            *map(str, sources),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"soffice did not convert {len(documents)} files within {timeout:.0f} s") from error
        results = [folder / "out" / f"{source.stem}.pdf" for source in sources]
        missing = [path.name for path in results if not path.exists()]
        if missing:
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise RuntimeError(f"soffice (exit {done.returncode}) did not write {', '.join(missing)}: {detail}")
        return [path.read_bytes() for path in results]


def _libreoffice(blocks: Sequence[Block]) -> bytes:
    return docx_to_pdf_many([to_docx(blocks)])[0]


def to_pdf(blocks: Sequence[Block], generator: Generator) -> bytes:
    """The blocks as a PDF file's bytes, made by ``generator`` (one of ``GENERATORS``).

    Raises ``FixtureUnavailable`` when the generator's font or program is not installed.
    """
    renderers = {"reportlab": _reportlab, "fpdf2": _fpdf2, "libreoffice": _libreoffice}
    if generator not in renderers:
        raise ValueError(f"unknown PDF generator {generator!r}; expected one of {', '.join(GENERATORS)}")
    return renderers[generator](blocks)
