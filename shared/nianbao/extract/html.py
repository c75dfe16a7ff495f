"""HTML pages as government websites publish them: GB2312/GB18030 or UTF-8, the report in the
page's flow or inside a layout table, its statistics in <table>s with rowspan and colspan.

A table that holds another table is a layout table: its cells are read as flowing text. Any
other table is a data table: each row becomes a grid line, a position covered by a rowspan or
colspan being an empty cell.

What cannot be text is dropped from the bytes before parsing (scripts, styles, comments, inline
``data:`` pictures), and what remains is bounded (``MAX_HTML_BYTES``); so is the size of each data
table after its spans are expanded, per table and per page, before it is expanded.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from nianbao.extract.document import Document, ExtractError, GridBudget, Line, grid_line
from nianbao.extract.text import decode

MB = 1024 * 1024
# A report page is 10-100 KB of markup, 1-2 MB when Word exported it with inline styles; past 10 MB
# lxml and the walk take over 2 s and 150 MB, and the page is no report.
MAX_HTML_BYTES = 10 * MB

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Chinese sites declare gb2312 or gbk and use characters only GB18030 has: read them as GB18030.
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "hz-gb-2312"}
# Python codecs that are no text encoding of a web page although codecs.lookup finds them.
_NOT_PAGE_ENCODINGS = {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"}
_DROPPED = re.compile(rb"<(script|style)\b|<!--", re.IGNORECASE)
_CLOSERS = {
    b"script": re.compile(rb"</script\s*>", re.IGNORECASE),
    b"style": re.compile(rb"</style\s*>", re.IGNORECASE),
}
_DATA_URI = re.compile(rb"data:[\w/+.\-]*(?:;[\w=.+\-]*)*;base64,[A-Za-z0-9+/=]{256,}", re.IGNORECASE)
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


def strip(data: bytes) -> bytes:
    """``data`` without scripts, styles, comments and long base64 ``data:`` URIs, in one linear pass.

    Markup is ASCII, and in the encodings pages come in (UTF-8, GB18030, Big5) no byte below 0x40
    is part of a multi-byte character, so ``<`` starts a tag wherever it is found. An element left
    open drops the rest of the page, as a browser would.
    """
    out: list[bytes] = []
    position = 0
    while match := _DROPPED.search(data, position):
        out.append(data[position : match.start()])
        if match.group(1):
            closer = _CLOSERS[match.group(1).lower()].search(data, match.end())
            position = closer.end() if closer else len(data)
        else:
            end = data.find(b"-->", match.end())
            position = end + 3 if end >= 0 else len(data)
    out.append(data[position:])
    return _DATA_URI.sub(b"data:,", b"".join(out))


def _declared(data: bytes, declared: str) -> str | None:
    """``data`` decoded as its ``<meta>`` declares, if that is a text encoding that reads the ASCII
    of the page as ASCII (a declaration found by reading the page as ASCII cannot be UTF-16)."""
    try:
        codec = codecs.lookup("gb18030" if declared in _GB else declared)
    except LookupError:
        return None
    if not getattr(codec, "_is_text_encoding", True) or codec.name in _NOT_PAGE_ENCODINGS:
        return None
    try:
        text = data.decode(codec.name, errors="replace")
    except UnicodeError:  # a codec that refuses the replace handler
        return None
    return text if "charset" in text[:8192].lower() else None


def _decode(data: bytes) -> str:
    match = _CHARSET.search(data[:4096])
    if match:
        text = _declared(data, match.group(1).decode("ascii").lower())
        if text is not None:
            return text
    return decode(data)[0]


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _layout_tables(root: Any) -> set[Any]:
    """The tables that hold another table, found in one pass (each table marks its ancestors, up
    to the first one already marked)."""
    layout: set[Any] = set()
    for table in root.iter("table"):
        for ancestor in table.iterancestors("table"):
            if ancestor in layout:
                break
            layout.add(ancestor)
    return layout


def _grid(table: Any, budget: GridBudget) -> list[list[str]]:
    """The table's rows with row- and column-spans expanded (covered positions empty).

    The positions the cells cover are counted (and bounded) before anything is expanded; a
    rowspan reaching past the last row counts only the rows there are.
    """
    rows = [
        [(cell, _span(cell.get("rowspan")), _span(cell.get("colspan"))) for cell in tr.xpath("./td|./th")]
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    ]
    size = sum(colspan * min(rowspan, len(rows) - r) for r, row in enumerate(rows) for _, rowspan, colspan in row)
    budget.spend(size, f"按跨行跨列展开后有 {size} 个单元格")
    below: list[int] = []  # per column: how many more rows a rowspan from above covers
    grid: list[list[str]] = []
    for row in rows:
        out: list[str] = []
        after = [max(n - 1, 0) for n in below]
        for cell, rowspan, colspan in row:
            while len(out) < len(below) and below[len(out)]:
                out.append("")
            column = len(out)
            out.append(_text(cell))
            out.extend([""] * (colspan - 1))
            if rowspan > 1:
                after.extend([0] * (column + colspan - len(after)))
                for covered in range(column, column + colspan):
                    after[covered] = max(after[covered], rowspan - 1)
        while len(out) < len(below) and below[len(out)]:
            out.append("")
        grid.append(out)
        below = after
    return grid


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


class _Flow:
    """Walks the page in document order and cuts its text into lines at block boundaries.

    The walk recurses: libxml2 nests elements at most 255 deep unless asked for ``huge_tree``.
    """

    def __init__(self, layout: set[Any]) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []
        self.layout = layout
        self.budget = GridBudget("网页")

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.lines.append(Line(len(self.lines) + 1, text))
        self.buffer = []

    def walk(self, element: Any) -> None:
        if not isinstance(element.tag, str):  # a comment or processing instruction: no text of the page
            return
        tag = element.tag
        if tag in _SKIP or _FURNITURE.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return
        if tag == "table" and element not in self.layout:
            self.flush()
            rows = [cells for cells in _grid(element, self.budget) if any(cells)]
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
    from lxml import etree  # noqa: PLC0415

    page = strip(data)
    if len(page) > MAX_HTML_BYTES:
        raise ExtractError(
            f"网页去掉脚本、样式和内嵌图片后仍有 {len(page) / MB:.1f} MB，超过 {MAX_HTML_BYTES // MB} MB 的上限，"
            "不像是一篇报告；请提供报告的正文页面"
        )
    text = _XML_DECLARATION.sub("", _decode(page))
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.LxmlError, ValueError) as error:
        raise ExtractError("网页内容无法解析") from error
    published = _published_meta(root)
    flow = _Flow(_layout_tables(root))
    body = root.find("body")
    flow.walk(body if body is not None else root)
    flow.flush()
    if not flow.lines:
        raise ExtractError("网页中没有正文文字")
    return Document(source=source, kind="html", lines=flow.lines, published_meta=published)


# The names government sites' content systems give the publication date in <meta> (TRS, Hanweb,
# the CMS of gov.cn), and the standard ones; compared in lower case.
_DATE_META = ("pubdate", "publishdate", "articlepubdate", "firstpublishedtime", "pubtime", "publishtime",
              "article:published_time", "dcterms.issued", "dc.date.issued", "dc.date")  # fmt: skip


def _published_meta(root: Any) -> str | None:
    """The first publication date a ``<meta>`` of the page gives (name or property), as written."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name in _DATE_META and content and name not in found:
            found[name] = content[:64]
    return next((found[name] for name in _DATE_META if name in found), None)
