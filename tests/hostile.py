"""Hostile and damaged files, built in memory: each builder returns the bytes of one attack.

The bombs are real: read the naive way (python-docx's ``row.cells``, ``ZipFile.read``, pdfium on
the page, a dict per covered HTML position) each of them takes gigabytes or minutes. Build them
freely (each takes milliseconds; most are a few KB, the zip bomb 1 MB, the two oversized pages
44-47 MB), but only ever *check* them in a child process with an address-space limit (see
tests/unit/test_hostile_files.py), so that a regression fails a test instead of taking the
machine down.

``HOSTILE`` maps a stable, descriptive name to each builder. ``READABLE`` maps the names of the
files that are fine reports under the attack to the builder of the file each must read exactly
like (a committed fixture, or the same report without the attack); every other file must be
``unreadable`` with ``INPUT_UNREADABLE``.
"""

from __future__ import annotations

import base64
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "documents"
DOCX_BASE = "r2021.docx"
HTML_BASE = "r2021-utf8.html"
PDF_BASE = "r2021-reportlab.pdf"
MB = 1024 * 1024


def fixture(name: str) -> bytes:
    return (DOCUMENTS / name).read_bytes()


# --- deflate without the data: repeated content compressed once --------------------------------


def _raw_deflate(data: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


@dataclass(frozen=True)
class Deflated:
    """A raw deflate stream of ``head + unit * count + tail``, built without holding that data."""

    data: bytes
    crc: int  # CRC-32 of the inflated data (what a zip entry declares)
    adler: int  # Adler-32 of the inflated data (what a zlib stream ends with)
    size: int


def _adler32_combine(first: int, second: int, length: int) -> int:
    """The Adler-32 of A + B from those of A and B (``length`` = len(B)), as zlib's own combine."""
    base = 65521
    a1, b1 = first & 0xFFFF, first >> 16
    a2, b2 = second & 0xFFFF, second >> 16
    a = (a1 + a2 - 1) % base
    b = (b1 + b2 + length * (a1 - 1)) % base
    return (b << 16) | a


def deflate_repeated(head: bytes, unit: bytes, count: int, tail: bytes, *, crc: bool = True) -> Deflated:
    """Each segment is compressed on its own and ends in a full flush (byte-aligned, dictionary
    reset), so one compressed block of repeats can be concatenated any number of times."""
    per_block = max(1, MB // len(unit))
    blocks, rest = divmod(count, per_block)
    block = unit * per_block
    end = unit * rest + tail
    checksum = 0
    if crc:  # CRC-32 has no cheap combine in Python: run it over the data (about 2.5 GB/s)
        checksum = zlib.crc32(head)
        for _ in range(blocks):
            checksum = zlib.crc32(block, checksum)
        checksum = zlib.crc32(end, checksum)
    adler, block_adler = zlib.adler32(head), zlib.adler32(block)
    for _ in range(blocks):
        adler = _adler32_combine(adler, block_adler, len(block))
    adler = _adler32_combine(adler, zlib.adler32(end), len(end))
    data = _raw_deflate(head, final=False) + _raw_deflate(block, final=False) * blocks + _raw_deflate(end, final=True)
    return Deflated(data, checksum, adler, len(head) + len(block) * blocks + len(end))


def zlib_repeated(unit: bytes, count: int) -> bytes:
    """A zlib stream (PDF's FlateDecode) of ``unit * count``."""
    deflated = deflate_repeated(b"", unit, count, b"", crc=False)
    return b"\x78\xda" + deflated.data + struct.pack(">I", deflated.adler)


# --- zip archives, written by hand so that sizes, methods and offsets can lie -------------------


@dataclass(frozen=True)
class Entry:
    name: str
    payload: bytes  # as stored in the archive (already compressed)
    method: int = zipfile.ZIP_DEFLATED
    crc: int = 0
    size: int = 0  # declared uncompressed size


def entry(name: str, content: bytes, method: int = zipfile.ZIP_DEFLATED) -> Entry:
    if method == zipfile.ZIP_STORED:
        payload = content
    elif method == zipfile.ZIP_DEFLATED:
        payload = _raw_deflate(content, final=True)
    else:
        raise ValueError(method)
    return Entry(name, payload, method, zlib.crc32(content), len(content))


def write_zip(entries: list[Entry]) -> bytes:
    out = bytearray()
    central = bytearray()
    for item in entries:
        name = item.name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, item.method, 0, 33, item.crc,
                           len(item.payload), item.size, len(name), 0)  # fmt: skip
        out += name + item.payload
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, item.method, 0, 33, item.crc,
                               len(item.payload), item.size, len(name), 0, 0, 0, 0, 0, offset)  # fmt: skip
        central += name
    start = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def _docx_entries(replace: dict[str, bytes] | None = None) -> list[Entry]:
    with zipfile.ZipFile(DOCUMENTS / DOCX_BASE) as archive:
        return [entry(n, (replace or {}).get(n, archive.read(n))) for n in archive.namelist()]


def _document_xml() -> bytes:
    with zipfile.ZipFile(DOCUMENTS / DOCX_BASE) as archive:
        return archive.read("word/document.xml")


def _docx_with(document: bytes) -> bytes:
    return write_zip(_docx_entries({"word/document.xml": document}))


def _before_section(document: bytes, xml: bytes) -> bytes:
    """``xml`` inserted at the end of the body (before the final section properties)."""
    cut = document.rindex(b"<w:sectPr")
    return document[:cut] + xml + document[cut:]


def _cell(text: str, props: str = "") -> bytes:
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>".encode()


# --- Word ---------------------------------------------------------------------------------------


def docx_zip_bomb() -> bytes:
    """A Word file whose document.xml really inflates to 320 MB of paragraphs (about 1 MB on disk):
    python-docx reads it whole and lxml builds a tree of some 4 GB."""
    document = _document_xml()
    head, tail = document[: document.index(b"<w:body>") + 8], document[document.index(b"</w:body>") :]
    bomb = deflate_repeated(head, "<w:p><w:r><w:t>一</w:t></w:r></w:p>".encode(), 320 * MB // 38, tail)
    entries = [e for e in _docx_entries() if e.name != "word/document.xml"]
    return write_zip([*entries, Entry("word/document.xml", bomb.data, zipfile.ZIP_DEFLATED, bomb.crc, bomb.size)])


def docx_declared_size_lie() -> bytes:
    """The fixture, but document.xml's compressed data goes on past the document into 320 MB of
    padding; the central directory declares the document's true size and CRC. ``ZipFile.read``
    inflates all of the data in one call before cutting it to the declared size (gigabytes); a
    reader that stops at the declared size reads the report normally."""
    document = _document_xml()
    bomb = deflate_repeated(document, b" ", 320 * MB, b"")
    entries = [e for e in _docx_entries() if e.name != "word/document.xml"]
    lie = Entry("word/document.xml", bomb.data, zipfile.ZIP_DEFLATED, zlib.crc32(document), len(document))
    return write_zip([*entries, lie])


def docx_many_entries() -> bytes:
    """The fixture plus 5,000 empty entries: a central directory no Word file has."""
    return write_zip(_docx_entries() + [entry(f"customXml/pad{i}.xml", b"", zipfile.ZIP_STORED) for i in range(5000)])


def docx_compression_ratio() -> bytes:
    """The fixture plus a 100 MB part of nothing but spaces, compressed 1000:1 (about 100 KB)."""
    pad = deflate_repeated(b"<pad>", b" ", 100 * MB, b"</pad>")
    return write_zip(
        [*_docx_entries(), Entry("customXml/item2.xml", pad.data, zipfile.ZIP_DEFLATED, pad.crc, pad.size)]
    )


# bz2.compress(b"\0" * (400 * MB), 9): 337 bytes that inflate to 400 MB. zipfile hands a BZIP2
# entry's compressed bytes to the decompressor without an output limit, so even a chunked read
# takes it all in one call.
_BZIP2_400MB = base64.b64decode(
    "QlpoOTFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkm"
    "U1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAggADCATUZCoCWpCoCXMUFZJlNZDgni3wFf"
    "jkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAlqQqAlzFBWSZTWQ4J4t8BX45AAMAAAAgg"
    "ADCATUZCoCWpCoCXMUFZJlNZDgni3wFfjkAAwAAACCAAMIBNRkKgJakKgJcxQVkmU1kOCeLfAV+OQADAAAAIIAAwgE1GQqAl"
    "qQqAlzFBWSZTWYlY8/sAMIpgAMAAAgAACCAAMMwFKaYkILYkhBeLuSKcKEgwF7JDAA=="
)


def docx_bzip2_bomb() -> bytes:
    """The fixture with document.xml as a BZIP2 entry of 337 bytes that inflates to 400 MB, its
    declared size a modest 100 KB (Word only ever writes stored or deflated entries)."""
    entries = [e for e in _docx_entries() if e.name != "word/document.xml"]
    bomb = Entry("word/document.xml", _BZIP2_400MB, zipfile.ZIP_BZIP2, 0, 100_000)
    return write_zip([*entries, bomb])


def docx_gridspan_bomb() -> bytes:
    """A table of 200 rows whose single cell spans 10,000,000 grid columns: python-docx's
    ``row.cells`` yields one cell object per spanned column (minutes, gigabytes)."""
    row = b"<w:tr>" + _cell("x", '<w:gridSpan w:val="10000000"/>') + b"</w:tr>"
    table = b"<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/></w:tblGrid>" + row * 200 + b"</w:tbl>"
    return _docx_with(_before_section(_document_xml(), table))


def docx_vmerge_first_row() -> bytes:
    """The fixture with the first cell of Table 2's first row marked as a vertical-merge
    continuation (there is nothing above it to continue): python-docx raises ValueError; Word shows
    an ordinary cell."""
    document = _document_xml()
    first = document.index(b"<w:gridSpan", document.index(b"<w:tbl>"))
    return _docx_with(document[:first] + b"<w:vMerge/>" + document[first:])


def docx_vmerge_chain() -> bytes:
    """The fixture plus a two-column table of 3,000 rows after Table 4, its first column one vertical merge:
    python-docx walks the chain up recursively for every row (quadratic, then RecursionError)."""
    rows = [b"<w:tr>" + _cell("附表", '<w:vMerge w:val="restart"/>') + _cell("1") + b"</w:tr>"]
    rows += [b"<w:tr>" + _cell("", "<w:vMerge/>") + _cell("1") + b"</w:tr>"] * 2999
    table = b"<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>" + b"".join(rows) + b"</w:tbl>"
    document = _document_xml()
    cut = document.rindex(b"</w:tbl>") + len(b"</w:tbl>")  # after Table 4, before sections 5 and 6
    return _docx_with(document[:cut] + table + document[cut:])


def docx_renamed_root() -> bytes:
    """The fixture with document.xml's root element renamed (w:document to w:documentx)."""
    document = _document_xml().replace(b"<w:document ", b"<w:documentx ").replace(b"</w:document>", b"</w:documentx>")
    return _docx_with(document)


def docx_central_directory_damaged() -> bytes:
    """The fixture with its central directory's first record truncated into the next one (the
    file-name length of the first entry set to 60,000): zipfile reads names out of the following
    records and fails with an error of its own."""
    data = bytearray(fixture(DOCX_BASE))
    start = data.index(b"PK\x01\x02")
    data[start + 28 : start + 30] = struct.pack("<H", 60000)
    return bytes(data)


def docx_central_directory_bad_method() -> bytes:
    """The fixture with document.xml's compression method in the central directory set to 99 (an
    AES-encrypted entry, which zipfile cannot read: NotImplementedError)."""
    data = bytearray(fixture(DOCX_BASE))
    position = data.index(b"PK\x01\x02")
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack("<3H", data[position + 28 : position + 34])
        if data[position + 46 : position + 46 + name_length] == b"word/document.xml":
            data[position + 10 : position + 12] = struct.pack("<H", 99)
            break
        position += 46 + name_length + extra + comment
    return bytes(data)


# --- HTML ---------------------------------------------------------------------------------------


def _html_with(body: bytes) -> bytes:
    page = fixture(HTML_BASE)
    cut = page.rindex(b"</body>")
    return page[:cut] + body + page[cut:]


def html_span_bomb() -> bytes:
    """A table of 10 rows of 100 cells, each with rowspan=100 and colspan=100 (the most the
    reader honours): a reader that records every covered position (rows past the table's end
    included) keeps 10,000,000 of them, 1.3 GB."""
    row = b"<tr>" + b'<td rowspan="100" colspan="100">x</td>' * 100 + b"</tr>"
    return _html_with(b"<table>" + row * 10 + b"</table>")


def html_huge_page() -> bytes:
    """A 47 MB page (under the 50 MB file limit): the fixture padded with 600,000 paragraphs of
    filler text. Parsed whole, it takes lxml, the walk and the rules 8 s and 560 MB."""
    return _html_with("<p>本网站由某某政府办公室主办，此段为重复填充文字。</p>".encode() * 600_000)


def html_deep_nesting() -> bytes:
    """The fixture with 100,000 nested <div>s after the article. libxml2 stops nesting at 255
    levels, which keeps a recursive walk of the tree within Python's stack; this file fails if
    the parser is ever asked for deeper trees (``huge_tree``) without the walk being changed."""
    return _html_with(b"<div>" * 100_000 + b"x" + b"</div>" * 100_000)


def html_nested_tables() -> bytes:
    """The fixture with 3,000 tables nested one inside the other (libxml2 keeps 85 levels of
    them): telling layout tables from data tables must stay linear in the page."""
    return _html_with(b"<table><tr><td>" * 3000 + b"x" + b"</td></tr></table>" * 3000)


def _charset(name: bytes) -> bytes:
    page = fixture(HTML_BASE)
    return re.sub(rb'<meta charset="utf-8">', b'<meta charset="' + name + b'">', page, count=1)


def html_charset_idna() -> bytes:
    """The fixture declaring ``charset=idna``: a Python codec, but not a text encoding (decoding
    raises UnicodeError). The page is UTF-8 and must be read as such."""
    return _charset(b"idna")


def html_charset_undefined() -> bytes:
    """The fixture declaring ``charset=undefined``: Python's codec that raises on any input."""
    return _charset(b"undefined")


def html_charset_utf16() -> bytes:
    """The fixture declaring ``charset=utf-16`` while its bytes are UTF-8 (browsers ignore a UTF-16
    declaration found by reading the page as ASCII)."""
    return _charset(b"utf-16")


# --- PDF ----------------------------------------------------------------------------------------


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (numbered from 1; object 1 is the catalog) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, attrs: bytes = b"", *, flate: int = 0) -> bytes:
    """A stream object; ``flate`` times compressed (a chain of FlateDecode filters)."""
    for _ in range(flate):
        data = zlib.compress(data, 9)
    filters = b" /Filter [" + b" /FlateDecode" * flate + b" ]" if flate else b""
    return b"<< /Length %d%s %s >>\nstream\n%s\nendstream" % (len(data), filters, attrs, data)


_TEXT = b"BT /F1 14 Tf 72 760 Td (Annual report) Tj ET\n"


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 4 0 R >> %s >> >>"
)


def one_page(
    content_object: bytes, resources: bytes = b"", extra: tuple[bytes, ...] = (), font: bytes = HELVETICA
) -> bytes:
    """A one-page PDF: objects 1-4 are catalog, pages, page and font (/F1), 5 the page's content;
    ``extra`` objects are numbered from 6."""
    catalog, pages = b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return pdf([catalog, pages, _PAGE % resources, font, content_object, *extra])


def pdf_flate_bomb() -> bytes:
    """A page whose content stream inflates to 1 GB of spaces, compressed twice (FlateDecode
    twice) into a few KB: pdfium inflates it whole when it loads the page (2 GB)."""
    once = zlib_repeated(b" ", 1024 * MB)
    data = zlib.compress(once, 9)
    content = b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n%s\nendstream" % (len(data), data)
    return one_page(content)


def pdf_font_bomb() -> bytes:
    """A page of text whose embedded font file inflates to 1 GB (twice compressed, a few KB):
    pdfium inflates the font when it reads the page's text."""
    once = zlib_repeated(b"\0", 1024 * MB)
    data = zlib.compress(once, 9)
    font_file = b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n%s\nendstream" % (len(data), data)
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0"
        b" /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>"
    )
    bomb = b"<< /Type /Font /Subtype /TrueType /BaseFont /Bomb /FirstChar 32 /LastChar 126 /FontDescriptor 6 0 R >>"
    return one_page(stream(_TEXT), font=bomb, extra=(descriptor, font_file))


def pdf_operator_bomb() -> bytes:
    """A page of 15,000,000 ``q`` operators (30 MB inflated, a few KB compressed twice): each saves
    the graphics state, and pdfium keeps every copy (about 2.5 GB)."""
    once = zlib_repeated(b"q\n", 15_000_000)
    data = zlib.compress(once, 9)
    return one_page(b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n%s\nendstream" % (len(data), data))


def pdf_xobject_fanout() -> bytes:
    """A page that draws a form XObject which draws the next one 100 times, five levels deep: ten
    billion rectangles for three objects of a few bytes each (pdfium parses every use anew)."""
    levels = 5
    forms = []
    for level in range(levels):
        number = 6 + level
        if level == levels - 1:
            body = b"0 0 1 1 re f\n"
            resources = b""
        else:
            body = b"/X Do\n" * 100
            resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
        forms.append(stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] " + resources))
    return one_page(stream(_TEXT + b"/X Do\n"), b"/XObject << /X 6 0 R >>", tuple(forms))


def pdf_text_page() -> bytes:
    """A plain one-page PDF with the same text as the cycle: what the cycle must read as."""
    return one_page(stream(_TEXT))


def pdf_xobject_cycle() -> bytes:
    """A page of text that draws a form XObject drawing itself (a cycle, not a bomb): pdfium stops
    the recursion, and the text is read."""
    form = stream(
        b"0 0 1 1 re f /X Do\n",
        b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 6 0 R >> >>",
    )
    return one_page(stream(_TEXT + b"/X Do\n"), b"/XObject << /X 6 0 R >>", (form,))


_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Table def
1 begincodespacerange <0000> <FFFF> endcodespacerange
4 beginbfchar <0001> <672C> <0002> <5E74> <0003> <65B0> <0004> <6536> endbfchar
%s
endcmap CMapName currentdict /CMap defineresource pop end end"""


def _table_page(*, ranges: bytes = b"", widths: bytes = b"[1 4 1000]") -> bytes:
    """A page that reads as a table page (the table word 本年新收 in a CID font through its
    ToUnicode CMap, and ruled lines pdfium's rules make no table of, so pdfminer is asked to find
    one)."""
    rules = b"".join(b"%d 500 m %d 600 l S\n" % (x, x) for x in range(100, 500, 50))
    font = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R]"
        b" /ToUnicode 7 0 R >>"
    )
    cid_font = (
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe)"
        b" /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /W " + widths + b" >>"
    )
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -200 1000 800] /ItalicAngle 0"
        b" /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>"
    )
    content = stream(b"BT /F1 24 Tf 72 700 Td <0001000200030004> Tj ET\n" + rules)
    return one_page(content, font=font, extra=(cid_font, stream(_CMAP % ranges), descriptor))


def pdf_table_page() -> bytes:
    """The table page with sound fonts: what the two range bombs must read as."""
    return _table_page()


def pdf_tounicode_range_bomb() -> bytes:
    """A table page whose font's ToUnicode CMap maps the range <00010000>-<FFFFFFFF> (codes the
    page never uses): pdfium reads the page in milliseconds; pdfminer, asked to find the table,
    adds a dict entry per code (4 billion: 1.4 GB in 8 s before MemoryError under a 1.5 GB limit,
    tens of GB without one)."""
    return _table_page(ranges=b"1 beginbfrange <00010000> <FFFFFFFF> <0041> endbfrange")


def pdf_cid_widths_bomb() -> bytes:
    """A table page whose CID font gives one width to codes 1 to 999,999,999 (``/W [1 999999999
    1000]``): nothing to pdfium, a billion dict entries to pdfminer."""
    return _table_page(widths=b"[1 999999999 1000]")


def pdf_predictor_columns() -> bytes:
    """A page whose file has a cross-reference stream with a PNG predictor of /Columns
    2,000,000,000. pdfium rebuilds the cross references from the objects and reads the page;
    pdfminer, opening the file, allocates a list of two billion ints before decoding a byte."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE % b"",
        HELVETICA,
        stream(_TEXT),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    rows = b"".join(b"\x00" + struct.pack(">BIH", 1, offset, 0) for offset in [0, *offsets, len(out)])
    data = zlib.compress(rows)
    start = len(out)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode"
        b" /DecodeParms << /Predictor 12 /Columns 2000000000 >> /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (len(objects) + 1, len(objects) + 2, len(data), data)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def pdf_lying_page_count() -> bytes:
    """The fixture with its page tree claiming 9 pages where it holds 3: pdfium reports 9 and
    fails to load the last six (PdfiumError). The three real pages hold the whole report."""
    data = fixture(PDF_BASE)
    assert data.count(b"/Count 3") == 1
    return data.replace(b"/Count 3", b"/Count 9")


def pdf_no_loadable_page() -> bytes:
    """A page tree that claims 3 pages and holds none: no page can be loaded."""
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 3 >>"])


# --- text ---------------------------------------------------------------------------------------


def report_text() -> str:
    """A synthetic report (tests/synth, seed 0) as tab-separated text."""
    from tests.synth import Layout, random_truth, render_text  # noqa: PLC0415

    return render_text(random_truth(random.Random(0)), Layout.TABS, random.Random(0))


def utf8_report() -> bytes:
    """The same report in UTF-8: what the UTF-16 files must read as."""
    return report_text().encode()


def utf16_no_bom_report() -> bytes:
    """The fixture report as UTF-16LE text without a byte-order mark (what Notepad's "Unicode"
    gives without its BOM): full of NUL bytes, and still a fine report."""
    return report_text().encode("utf-16-le")


def utf16be_no_bom_report() -> bytes:
    """The same report as UTF-16BE without a byte-order mark."""
    return report_text().encode("utf-16-be")


def text_huge() -> bytes:
    """A 44 MB text file (under the 50 MB file limit): the report followed by 1,100,000 filler lines."""
    return report_text().encode() + "\n此行为填充文字，重复出现。".encode() * 1_100_000


HOSTILE: dict[str, Callable[[], bytes]] = {
    "docx_zip_bomb": docx_zip_bomb,
    "docx_declared_size_lie": docx_declared_size_lie,
    "docx_many_entries": docx_many_entries,
    "docx_compression_ratio": docx_compression_ratio,
    "docx_bzip2_bomb": docx_bzip2_bomb,
    "docx_gridspan_bomb": docx_gridspan_bomb,
    "docx_vmerge_first_row": docx_vmerge_first_row,
    "docx_vmerge_chain": docx_vmerge_chain,
    "docx_renamed_root": docx_renamed_root,
    "docx_central_directory_damaged": docx_central_directory_damaged,
    "docx_central_directory_bad_method": docx_central_directory_bad_method,
    "html_span_bomb": html_span_bomb,
    "html_huge_page": html_huge_page,
    "html_deep_nesting": html_deep_nesting,
    "html_nested_tables": html_nested_tables,
    "html_charset_idna": html_charset_idna,
    "html_charset_undefined": html_charset_undefined,
    "html_charset_utf16": html_charset_utf16,
    "pdf_flate_bomb": pdf_flate_bomb,
    "pdf_font_bomb": pdf_font_bomb,
    "pdf_operator_bomb": pdf_operator_bomb,
    "pdf_xobject_fanout": pdf_xobject_fanout,
    "pdf_xobject_cycle": pdf_xobject_cycle,
    "pdf_tounicode_range_bomb": pdf_tounicode_range_bomb,
    "pdf_cid_widths_bomb": pdf_cid_widths_bomb,
    "pdf_predictor_columns": pdf_predictor_columns,
    "pdf_lying_page_count": pdf_lying_page_count,
    "pdf_no_loadable_page": pdf_no_loadable_page,
    "utf16_no_bom_report": utf16_no_bom_report,
    "utf16be_no_bom_report": utf16be_no_bom_report,
    "text_huge": text_huge,
}

# Fine reports under an attack, each with the file it must read exactly like.
READABLE: dict[str, Callable[[], bytes]] = {
    "docx_declared_size_lie": partial(fixture, DOCX_BASE),
    "docx_vmerge_first_row": partial(fixture, DOCX_BASE),
    "docx_vmerge_chain": partial(fixture, DOCX_BASE),
    "html_deep_nesting": partial(fixture, HTML_BASE),
    "html_nested_tables": partial(fixture, HTML_BASE),
    "html_charset_idna": partial(fixture, HTML_BASE),
    "html_charset_undefined": partial(fixture, HTML_BASE),
    "html_charset_utf16": partial(fixture, HTML_BASE),
    "pdf_lying_page_count": partial(fixture, PDF_BASE),
    "pdf_xobject_cycle": pdf_text_page,
    "pdf_tounicode_range_bomb": pdf_table_page,
    "pdf_cid_widths_bomb": pdf_table_page,
    "utf16_no_bom_report": utf8_report,
    "utf16be_no_bom_report": utf8_report,
}
