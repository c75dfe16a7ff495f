"""Word (.docx): the package opened by hand within bounds, paragraphs and tables in document order.

Nothing is inflated before the zip's central directory has been checked: its size and entry
count, the sum of the sizes it declares, each entry's compression ratio and method. Only the main
document part (and the package relationships that name it) is then read, in chunks that stop at
its declared size (``ZipFile.read`` inflates all of an entry's data in one call before cutting it
to that size). python-docx's XML classes give each paragraph's text, exactly as
``Paragraph.text`` does.

Tables are read from the XML (``w:tbl``/``w:tr``/``w:tc``, ``w:gridSpan``, ``w:vMerge``,
``w:gridBefore``), their size after spans bounded before any cell is built. A merged cell keeps its
text in its first grid position only; the positions it covers, across (``gridSpan``) and down
(``vMerge``), are empty cells, as in a printed table. A table nested in a cell is read as that
cell's text.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from typing import Any

from nianbao.extract.document import Document, ExtractError, GridBudget, Line, grid_line

MB = 1024 * 1024
# A Word report's package has 10-50 entries (a few hundred with many pictures) and unpacks to a
# few MB; its document.xml is 0.1-3 MB and compresses 5-35:1.
MAX_CENTRAL_DIRECTORY = 1 * MB  # checked before zipfile parses it: about 10,000 records
MAX_ENTRIES = 2_000
MAX_UNPACKED = 256 * MB  # the sum of the sizes the central directory declares
MAX_RATIO = 200  # for an entry of 1 MB or more (pictures excepted): deflate's most is 1032:1
MAX_DOCUMENT = 16 * MB  # document.xml; lxml takes about 12 times its size to parse it
_CHUNK = 64 * 1024
_PICTURES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".wdp", ".svg")
_DAMAGED = "Word 文件已损坏或不完整，无法打开"
# What zipfile raises on a damaged archive: its own error, and what its parsing of bad offsets,
# lengths, names (UTF-8 flagged names are decoded) and compressed data lets through.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, struct.error)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_DOCUMENT, _W_BODY, _W_P, _W_TBL, _W_TR, _W_TC = (f"{_W}{t}" for t in ("document", "body", "p", "tbl", "tr", "tc"))
_W_TCPR, _W_TRPR, _W_GRIDSPAN, _W_VMERGE, _W_GRIDBEFORE, _W_VAL = (
    f"{_W}{t}" for t in ("tcPr", "trPr", "gridSpan", "vMerge", "gridBefore", "val")
)
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= MB else f"{size / 1024:.0f} KB"


def central_directory(data: bytes) -> tuple[int, int] | None:
    """The entry count and size of a zip's central directory, as its end record declares them
    (zip64 included), read without parsing the directory; None when there is no end record."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if at < 0 or at + 22 > len(data):
        return None
    count, size = struct.unpack_from("<HI", data, at + 10)
    locator = at - 20
    if (count == 0xFFFF or size == 0xFFFFFFFF) and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", data, locator + 8)
        if offset + 56 <= len(data) and data[offset : offset + 4] == b"PK\x06\x06":
            count, size = struct.unpack_from("<QQ", data, offset + 32)
    return count, size


def open_package(data: bytes) -> zipfile.ZipFile:
    """The zip, its central directory within bounds, or ``ExtractError``."""
    declared = central_directory(data)
    if declared is not None:
        count, size = declared
        if count > MAX_ENTRIES or size > MAX_CENTRAL_DIRECTORY:
            raise ExtractError(f"Word 文件的压缩包目录异常庞大（{count} 个条目，{_mb(size)}），可能是恶意构造的文件")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as error:
        raise ExtractError(_DAMAGED + "（压缩包目录损坏）") from error
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ExtractError(f"Word 文件包含 {len(infos)} 个条目，超过 {MAX_ENTRIES} 个的上限，可能是恶意构造的文件")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED:
        raise ExtractError(
            f"Word 文件解压后共 {_mb(unpacked)}，超过 {_mb(MAX_UNPACKED)} 的上限，可能是压缩炸弹（恶意构造的文件）"
        )
    for info in infos:
        picture = info.filename.lower().endswith(_PICTURES)
        if info.file_size >= MB and not picture and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ExtractError(
                f"Word 文件中的“{info.filename}”压缩比异常（{info.compress_size} 字节解压为 {_mb(info.file_size)}），"
                "可能是压缩炸弹（恶意构造的文件）"
            )
    return archive


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """An entry's bytes, read in chunks that stop at its declared size (at most ``limit``)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ExtractError(f"Word 文件中的“{name}”有 {_mb(info.file_size)}，超过 {_mb(limit)} 的上限")
    if info.flag_bits & 0x1:
        raise ExtractError("Word 文件中的内容已加密，无法读取；请提供未加密的版本")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ExtractError(f"Word 文件中的“{name}”使用了 Word 不用的压缩方式（{info.compress_type}），无法读取")
    chunks: list[bytes] = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                chunks.append(chunk)
    except ZIP_ERRORS as error:
        raise ExtractError(_DAMAGED + f"（“{name}”的数据损坏）") from error
    return b"".join(chunks)


def _main_part(archive: zipfile.ZipFile) -> str:
    """The document part the package relationships name (``word/document.xml`` when they do not)."""
    from lxml import etree  # noqa: PLC0415

    names = set(archive.namelist())
    if "_rels/.rels" in names:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            root = etree.fromstring(read_member(archive, "_rels/.rels", MB), parser)
        except etree.LxmlError:
            root = None
        for relation in [] if root is None else root.iter(_RELS):
            if str(relation.get("Type", "")).endswith("/officeDocument"):
                target = posixpath.normpath(str(relation.get("Target", "")).lstrip("/"))
                if target in names:
                    return target
    return "word/document.xml"


def _int(element: Any, default: int) -> int:
    """A ``w:val`` integer (gridSpan, gridBefore); nonsense reads as ``default``."""
    if element is None:
        return default
    try:
        return max(int(str(element.get(_W_VAL, default))), 0)
    except ValueError:
        return default


def _cell_text(tc: Any) -> str:
    """A cell's paragraphs, and the text of any table nested in it, one per line."""
    texts: list[str] = []
    for child in tc:
        if child.tag == _W_P:
            texts.append(child.text)
        elif child.tag == _W_TBL:
            texts.extend(p.text for p in child.iter(_W_P))
    return "\n".join(texts)


def _table_rows(tbl: Any, budget: GridBudget) -> list[list[str]]:
    """The table's rows, cells at their grid positions (covered positions empty)."""
    layout: list[tuple[int, list[tuple[Any, int, bool]]]] = []
    columns = 0
    for tr in tbl.iterchildren(_W_TR):
        properties = tr.find(_W_TRPR)
        before = _int(None if properties is None else properties.find(_W_GRIDBEFORE), 0)
        cells = []
        width = before
        for tc in tr.iterchildren(_W_TC):
            tc_properties = tc.find(_W_TCPR)
            span = max(_int(None if tc_properties is None else tc_properties.find(_W_GRIDSPAN), 1), 1)
            merge = None if tc_properties is None else tc_properties.find(_W_VMERGE)
            continued = merge is not None and merge.get(_W_VAL, "continue") != "restart"
            cells.append((tc, span, continued))
            width += span
        layout.append((before, cells))
        columns = max(columns, width)
    budget.spend(len(layout) * columns, f"展开后为 {len(layout)} 行 × {columns} 列")  # before any cell is built
    rows: list[list[str]] = []
    for index, (before, cells) in enumerate(layout):
        out = [""] * before
        for tc, span, continued in cells:
            # A continuation in the first row has nothing to continue: Word shows it as a cell.
            out.append("" if continued and index > 0 else _cell_text(tc))
            out.extend([""] * (span - 1))
        rows.append(out)
    return rows


def extract_docx(data: bytes, source: str) -> Document:
    """Read a .docx into a Document, or raise ``ExtractError`` saying why it cannot be read."""
    from docx.oxml.parser import parse_xml  # noqa: PLC0415 - only Word files pay for python-docx
    from lxml import etree  # noqa: PLC0415

    with open_package(data) as archive:
        name = _main_part(archive)
        try:
            xml = read_member(archive, name, MAX_DOCUMENT)
        except KeyError as error:
            raise ExtractError(_DAMAGED + "（压缩包目录中没有正文部分 word/document.xml）") from error
    try:
        root = parse_xml(xml)
    except etree.LxmlError as error:
        raise ExtractError("Word 文件的正文不是有效的 XML，文件已损坏") from error
    if root.tag != _W_DOCUMENT:
        raise ExtractError(
            f"Word 文件的正文结构无法识别（根元素为 {etree.QName(root).localname}），文件已损坏或不是 Word 文档"
        )
    lines: list[Line] = []
    body = root.find(_W_BODY)
    budget = GridBudget("Word 文件")
    for item in [] if body is None else body:
        if item.tag == _W_TBL:
            rows = _table_rows(item, budget)
            for cells in rows:
                lines.append(grid_line(len(lines) + 1, [" ".join(c.split()) for c in cells], positioned=len(rows) > 1))
        elif item.tag == _W_P:
            for text in item.text.splitlines() or [""]:
                lines.append(Line(len(lines) + 1, text))
    return Document(source=source, kind="docx", lines=lines)
