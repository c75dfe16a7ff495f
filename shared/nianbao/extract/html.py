"""HTML pages as government websites publish them: GB2312/GB18030 or UTF-8, the report in the
page's flow or inside a layout table, its statistics in <table>s with rowspan and colspan.

A table that holds another table is a layout table: its cells are read as flowing text. Any
other table is a data table: each row becomes a grid line, a position covered by a rowspan or
colspan being an empty cell.
"""

from __future__ import annotations

import re
from typing import Any

from nianbao.extract.document import Document, ExtractError, Line, grid_line
from nianbao.extract.text import decode

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Chinese sites declare gb2312 or gbk and use characters only GB18030 has: read them as GB18030.
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "hz-gb-2312"}
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "table",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "center",
    ]
)
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "iframe", "svg", "header", "footer", "nav", "aside"}
)
# Site furniture around the article: menus, breadcrumbs, toolbars, footers (by class or id).
_FURNITURE = re.compile(
    r"header|footer|nav|menu|crumb|copyright|banner|sidebar|toolbar|tools|share|bottom|topbar|search|login|friendlink",
    re.IGNORECASE,
)


def _decode(data: bytes) -> str:
    match = _CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii").lower()
        encoding = "gb18030" if declared in _GB else declared
        try:
            return data.decode(encoding, errors="replace")
        except LookupError:
            pass
    return decode(data)[0]


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _is_layout(table: Any) -> bool:
    return bool(table.xpath(".//table"))


def _grid(table: Any) -> list[list[str]]:
    """The table's rows with row- and column-spans expanded (covered positions empty)."""
    rows = list(table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"))
    covered: dict[tuple[int, int], str] = {}
    grid: list[list[str]] = []
    for r, tr in enumerate(rows):
        out: list[str] = []
        c = 0
        for cell in tr.xpath("./td|./th"):
            while (r, c) in covered:
                out.append("")
                c += 1
            rowspan = _span(cell.get("rowspan"))
            colspan = _span(cell.get("colspan"))
            out.append(_text(cell))
            out.extend([""] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    covered[(r + dr, c + dc)] = ""
            c += colspan
        while (r, c) in covered:
            out.append("")
            c += 1
        grid.append(out)
    return grid


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


class _Flow:
    """Walks the page in document order and cuts its text into lines at block boundaries."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.lines.append(Line(len(self.lines) + 1, text))
        self.buffer = []

    def walk(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP or _FURNITURE.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return
        if tag == "table" and not _is_layout(element):
            self.flush()
            rows = [cells for cells in _grid(element) if any(cells)]
            for cells in rows:
                self.lines.append(grid_line(len(self.lines) + 1, cells, positioned=len(rows) > 1))
            return
        if tag == "br" or tag in _BLOCKS or tag in ("td", "th"):
            self.flush()
        if element.text and tag not in _SKIP:
            self.buffer.append(element.text)
        for child in element:
            self.walk(child)
            if child.tail:
                self.buffer.append(child.tail)
        if tag in _BLOCKS or tag in ("td", "th"):
            self.flush()


def extract_html(data: bytes, source: str) -> Document:
    """Read an HTML page into a Document, or raise ``ExtractError`` saying why it cannot be read."""
    import lxml.html  # noqa: PLC0415 - only HTML pages pay for it

    text = _XML_DECLARATION.sub("", _decode(data))
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as error:
        raise ExtractError("网页内容无法解析") from error
    flow = _Flow()
    body = root.find("body")
    flow.walk(body if body is not None else root)
    flow.flush()
    if not flow.lines:
        raise ExtractError("网页中没有正文文字")
    return Document(source=source, kind="html", lines=flow.lines)
