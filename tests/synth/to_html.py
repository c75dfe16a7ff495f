"""Render report blocks as a government website's article page.

Real pages wrap the report in navigation, scripts and footers, declare their charset in a
``<meta>`` tag (old sites say ``gb2312`` while serving GB18030 bytes), print headings as bold
paragraphs or ``<h3>``, and lay tables out with ``border="1"`` and row/column spans. Old sites
also nest the whole article inside a one-cell layout table, so the data tables sit inside another
table. Scanned pages come as an ``<img>`` with no text.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.synth.blocks import Block, Grid, Heading, Paragraph, ScannedPage

# Fonts a scanned page is drawn with, first found wins; without one its lines are drawn as bars.
SCAN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)

_HEAD_SCRIPT = """\
var _hmt = _hmt || [];
(function () {
  var hm = document.createElement("script");
  hm.src = "https://hm.example.gov.cn/hm.js?0f3c5a";
  var s = document.getElementsByTagName("script")[0];
  s.parentNode.insertBefore(hm, s);
})();
function setFontSize(size) {
  document.getElementById("zoom").style.fontSize = size + "px";
}"""

_NAV = ("首页", "机构概况", "政务公开", "政府信息公开指南", "政府信息公开制度", "政府信息公开年报", "互动交流")
_FOOTER = (
    "版权所有 © 本级人民政府办公室　承办单位：大数据中心",  # © is not in GB2312: only GB18030 decodes it
    "网站标识码：5101000001　备案号：蜀ICP备05000001号-1　公安机关备案号：51010002000001",
    "建议使用1920×1080分辨率浏览本网站",
)

_CSS = """\
body { font-family: "Microsoft YaHei", "宋体", sans-serif; margin: 0; color: #333; }
.nav a { margin: 0 12px; color: #fff; text-decoration: none; }
.nav { background: #b50000; padding: 8px; }
.article { width: 1000px; margin: 0 auto; }
.article table { border-collapse: collapse; margin: 0 auto; }
.article td { padding: 4px; text-align: center; font-size: 14px; }
.footer { border-top: 2px solid #b50000; text-align: center; font-size: 12px; color: #666; }"""


def scanned_png(page: ScannedPage, *, width: int = 480) -> bytes:
    """A page image as a scanner would give it: an A4-shaped grayscale PNG with the page's lines
    drawn as pixels (no text layer anywhere), slightly skewed."""
    height = round(width * 297 / 210)
    image = Image.new("L", (width, height), 238)  # greyish paper on a white scanner bed
    draw = ImageDraw.Draw(image)
    size = max(10, width // 30)
    font_path = next((p for p in SCAN_FONTS if p.exists()), None)
    font = ImageFont.truetype(str(font_path), size=size) if font_path else None
    top = height // 10
    for number, line in enumerate(page.lines):
        y = top + number * size * 2
        if font is not None:
            draw.text((width // 8, y), line, fill=30, font=font)
        else:  # no CJK font: lines of "ink" where the text would be
            draw.rectangle((width // 8, y, width // 8 + size * len(line), y + size), fill=60)
    image = image.rotate(0.6, fillcolor=255)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _cell_html(grid: Grid, r: int, c: int, *, old_style: bool) -> str:
    cell = grid.rows[r][c]
    assert cell is not None
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    text = escape(cell.text)
    if not text:
        text = "&nbsp;" if old_style else ""  # Word-exported pages keep a space in empty cells
    elif old_style:
        text = f'<span style="font-size:12px;font-family:宋体">{text}</span>'
    return f"<td{attrs}>{text}</td>"


def _table_html(grid: Grid, *, old_style: bool) -> list[str]:
    total = sum(grid.widths)
    cols = "".join(f'<col width="{w / total * 100:.0f}%">' for w in grid.widths)
    lines = [f'<table border="1" cellspacing="0" cellpadding="0" class="{grid.name}" style="width:100%">']
    lines += [f"<colgroup>{cols}</colgroup>", "<tbody>"]
    for r, row in enumerate(grid.rows):
        cells = "".join(_cell_html(grid, r, c, old_style=old_style) for c, cell in enumerate(row) if cell is not None)
        lines.append(f"<tr>{cells}</tr>")
    lines += ["</tbody>", "</table>"]
    return lines


def _block_html(block: Block, *, old_style: bool) -> list[str]:
    match block:
        case Heading(text):
            if old_style:
                return [f'<p style="text-indent:2em"><strong>{escape(text)}</strong></p>']
            return [f"<h3>{escape(text)}</h3>"]
        case Paragraph(text, align):
            style = "text-indent:2em" if align == "left" else f"text-align:{align}"
            body = escape(text)
            if old_style:
                body = f'<span style="font-size:16px;font-family:仿宋_GB2312">{body}</span>'
            return [f'<p style="{style}">{body}</p>']
        case Grid():
            return _table_html(block, old_style=old_style)
        case ScannedPage():
            data = base64.b64encode(scanned_png(block, width=240)).decode("ascii")
            return [f'<p style="text-align:center"><img src="data:image/png;base64,{data}" width="600" alt=""></p>']
    raise TypeError(f"not a block: {block!r}")


def to_html(blocks: Sequence[Block], *, encoding: str = "utf-8", layout_table: bool = False) -> bytes:
    """The blocks as a government website article page, encoded in ``encoding``.

    ``encoding="gb18030"`` declares ``charset=gb2312`` in the ``<meta>`` tag, as many old sites do,
    while the bytes are GB18030. ``layout_table=True`` gives the old-site look: the article sits in
    a one-cell layout ``<table>`` (so the data tables are nested in it), headings are bold
    paragraphs rather than ``<h3>``, text is wrapped in font ``<span>``s and empty cells hold
    ``&nbsp;``. Navigation, a breadcrumb, scripts and a footer surround the report, as on real pages.
    """
    old_style = layout_table
    declared = "gb2312" if encoding.lower().replace("-", "") == "gb18030" else encoding
    title = next((b.text for b in blocks if isinstance(b, Paragraph) and b.align == "center"), "政府信息公开")
    article: list[str] = []
    for block in blocks:
        article.extend(_block_html(block, old_style=old_style))
    nav = "".join(f'<a href="/col/col{1000 + i}/index.html">{name}</a>' for i, name in enumerate(_NAV))
    footer = "".join(f"<p>{escape(line)}</p>" for line in _FOOTER)
    content = [
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
        "政府信息公开年报</div>",
        '<div class="tools">【字体：<a href="javascript:setFontSize(18)">大</a> '
        '<a href="javascript:setFontSize(16)">中</a> <a href="javascript:setFontSize(14)">小</a>】'
        '【<a href="javascript:window.print()">打印</a>】</div>',
        '<div id="zoom" class="content">',
        *article,
        "</div>",
    ]
    if layout_table:
        content = [
            '<table width="1000" border="0" cellspacing="0" cellpadding="0" align="center">',
            '<tr><td valign="top">',
            *content,
            "</td></tr>",
            "</table>",
        ]
    page = [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
        if old_style
        else "<!DOCTYPE html>",
        "<html>",
        "<head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
        if old_style
        else f'<meta charset="{declared}">',
        f"<title>{escape(title)}_政务公开</title>",
        f'<meta name="ArticleTitle" content="{escape(title)}">',
        f"<style>\n{_CSS}\n</style>",
        f'<script type="text/javascript">\n{_HEAD_SCRIPT}\n</script>',
        "</head>",
        "<body>",
        f'<div class="nav">{nav}</div>',
        '<div class="article">',
        *content,
        "</div>",
        f'<div class="footer">{footer}</div>',
        '<script type="text/javascript">document.write("<p>访问量：" + 102938 + "</p>");</script>',
        "</body>",
        "</html>",
    ]
    return ("\n".join(page) + "\n").encode(encoding)
