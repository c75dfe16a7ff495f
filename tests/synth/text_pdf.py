"""Print a text report to PDF the way a word processor would: each line a line, and each
tab-separated line a row of ruled cells (blank cells drawn empty). Used to show that a report's
findings do not depend on whether it is read as text or as a PDF."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tests.synth.to_pdf import WQY_MICROHEI, _require

_FONT = "WQY-text"
_MARGIN = 18 * mm
_GAP = 8  # points between rows: wider than pdfplumber's join tolerance, so every row stays a table of its own


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, str(_require(WQY_MICROHEI, "WenQuanYi Micro Hei")), subfontIndex=0))


def text_to_pdf(text: str) -> bytes:
    """``text`` as a PDF: lines as paragraphs, tab-separated lines as one-row ruled tables."""
    _register()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=10, leading=14, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=_FONT, fontSize=7, leading=9, wordWrap="CJK")
    width = A4[0] - 2 * _MARGIN
    story: list[Flowable] = []
    for line in text.splitlines():
        if "\t" in line:
            fields = line.split("\t")
            row = [Paragraph(escape(f.strip()), cell) for f in fields]
            table = Table([row], colWidths=[width / len(fields)] * len(fields))
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))  # fmt: skip
            story.extend([table, Spacer(1, _GAP)])
        elif line.strip():
            story.append(Paragraph(escape(line), body))
        else:
            story.append(Spacer(1, 6))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                      bottomMargin=_MARGIN, invariant=True).build(story)  # fmt: skip
    return out.getvalue()
