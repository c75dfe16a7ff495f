"""A cheap look at a PDF before pdfium loads its pages: refuse decompression and operator bombs.

pdfium inflates a stream whole when it needs it (a page's content when the page loads, a font
when its text is read, an object or xref stream when the document opens), keeps an object for
every drawing operator, and parses a form XObject anew at every ``Do`` that draws it; a few KB of
PDF can so ask for gigabytes. Two passes bound that first, each far cheaper than reading the file:

1. ``check_streams``, on the raw bytes, before pdfium parses anything: every stream whose
   dictionary asks for FlateDecode (or a chain of filters that can be decoded with a cap) is
   inflated chunk by chunk and thrown away, and refused past ``MAX_STREAM``. Pictures and embedded
   files are left alone: pdfium only inflates them to render, which we never do.
2. ``check_pages``, through pdfminer's lazy object access (never its interpreter): each page's
   content is inflated with a cap, its operators counted with a regular expression, and every
   form XObject it draws counted once (memoised) and multiplied by its uses, recursively. A page
   whose content or operators, so expanded, exceed ``MAX_PAGE_CONTENT`` or ``MAX_PAGE_OPERATORS``
   is refused. Where pdfminer cannot parse what pdfium can, the pass is skipped, not the file.

The operator count is an upper bound (words inside strings count too): it needs to be right to
within a factor of a few, against bounds some 300 times what a report page holds.

pdfminer, which reads table pages after pdfium, builds a dict entry per code of every range a
font declares (``/W`` widths, ToUnicode and embedded CMaps); a range of a billion codes, which
pdfium takes in its stride, costs it tens of GB. The second pass finds such fonts on each page
(and in the forms it draws), and pdfminer is kept off those pages. A predictor's ``/Columns`` is
allocated whole by pdfminer's decoder (which opens the xref streams), so an absurd one refuses
the file in the first pass.
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nianbao.extract.document import ExtractError

MB = 1024 * 1024
# Report pages (tests/fixtures/documents, LibreOffice, reportlab, fpdf2): 14-27 KB of content and
# 1,800-3,100 operators a page. pdfium keeps 150-450 bytes per operator (a rectangle about 350, a
# text object 450), so a million operators is at most about 450 MB; pdfminer, which reads table
# pages, takes about 70 µs and 2 KB per operator.
MAX_STREAM = 64 * MB  # any stream but a picture's: a whole embedded CJK font is 10-30 MB
MAX_PAGE_CONTENT = 32 * MB  # a page's content inflated, each form counted at every use
MAX_PAGE_OPERATORS = 1_000_000  # a page's operators, each form's counted at every use
PDFMINER_OPERATORS = 100_000  # past this, pdfminer does not read the page (7 s and 200 MB)
_FORM_DEPTH = 40  # forms nested deeper than this are not followed (pdfium stops there too)
MAX_CODE_RANGE = 65_536  # codes a font's width or CMap range may span before pdfminer is kept off the page
MAX_COLUMNS = 1_000_000  # a predictor's /Columns (the pixels of a picture's row, 5-20 in an xref stream)
_MAX_CMAP = 4 * MB
_CHUNK = 1 * MB

_DELIMITERS = rb"\s\[\]<>(){}/%"
# An operator: a token of regular characters that starts with a letter or a quote and is not a
# name (names follow a "/"); numbers start with a digit, sign or point. Counted as the letters and
# quotes that follow a delimiter other than "/" (or start the content): with every such delimiter
# mapped to a space, every letter and quote to "A" and anything else to "0", the count of " A".
_SEPARATORS = b" \t\n\r\f\v[]<>(){}%"
_OPERATOR_START = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'\""
_OPERATOR_MAP = bytes(
    ord(" ") if byte in _SEPARATORS else ord("A") if byte in _OPERATOR_START else ord("0") for byte in range(256)
)
_DO = re.compile(rb"/([^" + _DELIMITERS + rb"]+)\s*Do(?![^" + _DELIMITERS + rb"])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^" + _DELIMITERS + rb"]+)")
_CMAP_ENTRY = re.compile(rb"<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*(?:<[^>]*>|\[[^\]]*\]|\d+)")
_FILTER_NAME = re.compile(rb"/([^" + _DELIMITERS + rb"]+)")
_LENGTH = re.compile(rb"/Length\s+(\d{1,9})(?!\s+\d+\s+R)")
_COLUMNS = re.compile(rb"/Columns\s+\+?(\d{7,18})")  # 18 digits or the first 18 of more: past any bound
_NOT_INFLATED = re.compile(rb"/Subtype\s*/Image\b|/Type\s*/EmbeddedFile\b")
_FLATE = {"FlateDecode", "Fl"}
_LZW = {"LZWDecode", "LZW"}
_RUN_LENGTH = {"RunLengthDecode", "RL"}
_ASCII85 = {"ASCII85Decode", "A85"}
_ASCII_HEX = {"ASCIIHexDecode", "AHx"}


class _TooBigError(Exception):
    """Decoding went past its cap."""


def _inflate(chunks: Iterator[bytes | memoryview], cap: int, *, keep: bool) -> bytes:
    """Inflate a zlib stream fed in ``chunks``, at most ``_CHUNK`` of output at a time; raise
    ``_TooBigError`` past ``cap``. Stops at the end of the stream; corrupt data ends it where it breaks
    (pdfium keeps what it inflated up to there too). Returns the output if ``keep``."""
    inflater = zlib.decompressobj()
    out: list[bytes] = []
    size = 0

    def take(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > cap:
            raise _TooBigError
        if keep:
            out.append(piece)

    try:
        for chunk in chunks:
            pending: bytes | memoryview = chunk
            while pending:
                take(inflater.decompress(pending, _CHUNK))
                if inflater.eof:
                    return b"".join(out)
                pending = inflater.unconsumed_tail
        take(inflater.flush())  # what the input's last bits still hold (part of one match at most)
    except zlib.error:
        pass
    return b"".join(out)


def _run_length(data: bytes, cap: int) -> bytes:
    """RunLengthDecode (up to 128 bytes out for 2 in) with a cap."""
    out = bytearray()
    position = 0
    while position < len(data):
        length = data[position]
        if length == 128:
            break
        if length < 128:
            out += data[position + 1 : position + 2 + length]
            position += 2 + length
        else:
            out += data[position + 1 : position + 2] * (257 - length)
            position += 2
        if len(out) > cap:
            raise _TooBigError
    return bytes(out)


def _lzw(data: bytes, cap: int) -> bytes:
    """LZWDecode with a cap, through pdfminer's decoder (a generator of strings)."""
    import io  # noqa: PLC0415

    from pdfminer.lzw import LZWDecoder  # noqa: PLC0415

    out: list[bytes] = []
    size = 0
    try:
        for piece in LZWDecoder(io.BytesIO(data)).run():
            size += len(piece)
            if size > cap:
                raise _TooBigError
            out.append(piece)
    except (EOFError, IndexError, ValueError):  # a truncated or corrupt code stream ends the data
        pass
    return b"".join(out)


def decode(data: bytes, filters: list[str], cap: int, *, keep: bool = True) -> bytes | None:
    """``data`` through ``filters`` with each stage capped (``_TooBigError`` past ``cap``); None at the
    first filter that cannot be decoded with a cap (pictures' codecs, Crypt). Unless ``keep``, the
    output of a last FlateDecode is only measured (and empty)."""
    from pdfminer.ascii85 import ascii85decode, asciihexdecode  # noqa: PLC0415 - both only shrink data

    for index, name in enumerate(filters):
        if name in _FLATE:
            data = _inflate(iter([data]), cap, keep=keep or index < len(filters) - 1)
        elif name in _LZW:
            data = _lzw(data, cap)
        elif name in _RUN_LENGTH:
            data = _run_length(data, cap)
        elif name in _ASCII85:
            data = ascii85decode(data)
        elif name in _ASCII_HEX:
            data = asciihexdecode(data)
        else:
            return None
    if len(data) > cap:
        raise _TooBigError
    return data


def _chunks(view: memoryview, start: int, first: int) -> Iterator[memoryview]:
    """The file from ``start`` in chunks, ``first`` bytes (the stream's /Length) and then growing:
    zlib keeps what it does not use of a chunk as a copy, so a chunk should not run far past the
    stream's end."""
    size = max(first + 16, 4096)
    while start < len(view):
        yield view[start : start + size]
        start += size
        size = min(size * 2, _CHUNK)


def check_streams(data: bytes, deadline: float) -> None:
    """Refuse a file with a stream (pictures and embedded files aside) that inflates past
    ``MAX_STREAM``: each is inflated from where it starts, through to the end of its compressed
    data, whatever its /Length and wherever an ``endstream`` appears."""
    for columns in _COLUMNS.finditer(data):
        if int(columns.group(1)) > MAX_COLUMNS:
            raise ExtractError(
                f"PDF 中数据流的解码参数异常（/Columns {int(columns.group(1))}），文件已损坏或是恶意构造的文件"
            )
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        if time.monotonic() > deadline:
            raise ExtractError("处理超时：PDF 的数据流过多")
        window = data[max(0, match.start() - 4096) : match.start() + 2]
        dictionary = window[window.rfind(b"obj") + 1 :]  # from the object's header (none: the window)
        filters = _FILTER.search(dictionary)
        if filters is None or _NOT_INFLATED.search(dictionary):
            continue
        names = [n.decode("latin-1") for n in _FILTER_NAME.findall(filters.group(1))]
        if not names or names[0] not in _FLATE:
            continue
        try:
            length = _LENGTH.search(dictionary)
            chunks = _chunks(view, match.end(), int(length.group(1)) if length else 0)
            first = _inflate(chunks, MAX_STREAM, keep=len(names) > 1)
            if len(names) > 1:
                decode(first, names[1:], MAX_STREAM, keep=False)
        except _TooBigError as error:
            raise ExtractError(
                f"PDF 中有一个数据流解压后超过 {MAX_STREAM // MB} MB，可能是压缩炸弹（恶意构造的文件）"
            ) from error
        except ValueError:  # pdfminer's ASCII85/hex decoders on what is not: the stream is left to pdfium
            continue


# --- the pages, through pdfminer -----------------------------------------------------------------


def pdfminer_errors() -> tuple[type[BaseException], ...]:
    """What pdfminer raises on a file it cannot parse: its own errors and, parsing malformed objects,
    whatever Python's operations on them raise."""
    from pdfminer.psexceptions import PSException  # noqa: PLC0415

    return (
        PSException, ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError, EOFError,
        OverflowError, RecursionError, UnicodeError, NotImplementedError, zlib.error, struct.error,
    )  # fmt: skip


@dataclass(slots=True)
class _Cost:
    operators: int
    size: int
    resources: list[Any] = field(default_factory=list)  # what the content and its forms draw with


@dataclass
class PageCheck:
    """What the preflight learnt of a page it let through: its operators (forms counted at every
    use), and, asked for a page pdfminer is to read, whether its fonts are safe for pdfminer
    (looked at only then: parsing a font's widths costs as much as the rest of the preflight)."""

    operators: int
    pages: _Pages
    resources: list[Any]
    _safe: bool | None = None

    def pdfminer_safe(self) -> bool:
        """No font of the page (or of a form it draws) declares a range of codes over ``MAX_CODE_RANGE``."""
        if self._safe is None:
            self._safe = not any(self.pages.font_hazard(resources) for resources in self.resources)
        return self._safe


def _span(low: bytes, high: bytes) -> int:
    return int(re.sub(rb"\s", b"", high) or b"0", 16) - int(re.sub(rb"\s", b"", low) or b"0", 16)


def _cmap_hazard(cmap: bytes) -> bool:
    """A ``bfrange``/``cidrange`` of a CMap spanning more than ``MAX_CODE_RANGE`` codes."""
    for keyword in (b"bfrange", b"cidrange"):
        position = 0
        while (start := cmap.find(b"begin" + keyword, position)) >= 0:
            end = cmap.find(b"end" + keyword, start)
            body = cmap[start : end if end >= 0 else len(cmap)]
            if any(_span(m.group(1), m.group(2)) > MAX_CODE_RANGE for m in _CMAP_ENTRY.finditer(body)):
                return True
            position = end if end >= 0 else len(cmap)
    return False


def _widths_hazard(widths: list[Any], numbers: int) -> bool:
    """A ``/W`` (``numbers`` = 3) or ``/W2`` (5) entry ``first last ...`` spanning too many codes."""
    run: list[Any] = []
    for value in widths:
        if isinstance(value, list):
            run = []
        elif isinstance(value, int | float):
            run.append(value)
            if len(run) == numbers:
                if isinstance(run[0], int) and isinstance(run[1], int) and run[1] - run[0] > MAX_CODE_RANGE:
                    return True
                run = []
    return False


@dataclass
class _Pages:
    """pdfminer's objects, resolved within bounds (pdfminer's own ``resolve1`` loops forever on a
    reference to itself)."""

    document: Any
    errors: tuple[type[BaseException], ...]
    deadline: float
    memo: dict[tuple[int, int], _Cost] = field(default_factory=dict)
    drawing: set[int] = field(default_factory=set)  # forms being counted (a cycle draws nothing more)
    fonts: dict[int, tuple[Any, bool]] = field(default_factory=dict)  # by the id of the font's dictionary

    def resolve(self, value: Any) -> Any:
        from pdfminer.pdftypes import PDFObjRef  # noqa: PLC0415

        for _ in range(32):
            if not isinstance(value, PDFObjRef):
                return value
            try:
                value = self.document.getobj(value.objid)
            except self.errors:
                return None
        return None

    def dictionary(self, value: Any) -> dict[str, Any]:
        from pdfminer.pdftypes import PDFStream  # noqa: PLC0415

        value = self.resolve(value)
        if isinstance(value, PDFStream):
            value = value.attrs
        return value if isinstance(value, dict) else {}

    def name(self, value: Any) -> str | None:
        value = self.resolve(value)
        name = getattr(value, "name", None)
        if isinstance(name, bytes):
            return name.decode("latin-1")
        return name if isinstance(name, str) else None

    def pages(self, limit: int) -> Iterator[dict[str, Any]]:
        """The page dictionaries in order (resources inherited), at most ``limit`` of them."""
        from pdfminer.pdftypes import PDFObjRef  # noqa: PLC0415

        reference = self.document.catalog.get("Pages")
        stack: list[tuple[dict[str, Any], Any, Any]] = [(self.dictionary(reference), None, reference)]
        seen: set[int] = set()
        visited = 0
        while stack and visited < 4 * limit + 100:
            node, resources, reference = stack.pop()
            visited += 1
            if isinstance(reference, PDFObjRef):
                if reference.objid in seen:
                    continue
                seen.add(reference.objid)
            resources = node.get("Resources", resources)
            kids = self.resolve(node.get("Kids"))
            if self.name(node.get("Type")) == "Pages" or (isinstance(kids, list) and "Contents" not in node):
                for kid in reversed(kids if isinstance(kids, list) else []):
                    stack.append((self.dictionary(kid), resources, kid))
                continue
            yield {**node, "Resources": resources}
            limit -= 1
            if limit <= 0:
                return

    def content(self, reference: Any, cap: int) -> bytes | None:
        """A content stream decoded within ``cap`` (``_TooBigError`` past it); None when it cannot be."""
        from pdfminer.pdftypes import PDFStream  # noqa: PLC0415

        stream = self.resolve(reference)
        if not isinstance(stream, PDFStream):
            return None
        if stream.data is not None:  # decoded by pdfminer already
            return decode(stream.data, [], cap)
        data, names = stream.rawdata, self.filters(stream.attrs)
        if data is not None and stream.decipher is not None and stream.objid is not None and stream.genno is not None:
            try:
                data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
            except self.errors:
                data = None
        if data is None or names is None:
            return None
        try:
            return decode(data, names, cap)
        except ValueError:  # pdfminer's ASCII85/hex decoders on what is not
            return None

    def filters(self, attrs: dict[str, Any]) -> list[str] | None:
        """A stream's filter names; None if one cannot be resolved."""
        filters = self.resolve(attrs.get("Filter", attrs.get("F")))
        names: list[str] = []
        for item in filters if isinstance(filters, list) else [filters] if filters else []:
            name = self.name(item)
            if name is None:
                return None
            names.append(name)
        return names

    def form(self, resources: Any, name: bytes) -> tuple[tuple[int, int], Any, Any] | None:
        """The form XObject ``name`` in ``resources``: (memo key, stream reference, its resources)."""
        from pdfminer.pdftypes import PDFObjRef  # noqa: PLC0415

        xobjects = self.dictionary(self.dictionary(resources).get("XObject"))
        key = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        reference = xobjects.get(key.decode("utf-8", errors="replace"), xobjects.get(key.decode("latin-1")))
        if not isinstance(reference, PDFObjRef):
            return None
        attrs = self.dictionary(reference)
        if self.name(attrs.get("Subtype")) != "Form":
            return None
        own = attrs.get("Resources")
        return (reference.objid, 0 if own is not None else id(resources)), reference, own or resources

    def font_hazard(self, resources: Any) -> bool:
        """A font of ``resources`` whose widths or CMaps declare a huge range of codes."""
        for value in self.dictionary(self.dictionary(resources).get("Font")).values():
            font = self.dictionary(value)
            if id(font) not in self.fonts:
                self.fonts[id(font)] = (font, self._font_hazard(font))  # the font kept: its id stays its own
            if self.fonts[id(font)][1]:
                return True
        return False

    def _font_hazard(self, font: dict[str, Any]) -> bool:
        descendants = self.resolve(font.get("DescendantFonts"))
        for descendant in descendants[:1] if isinstance(descendants, list) else []:
            cid_font = self.dictionary(descendant)
            for key, numbers in (("W", 3), ("W2", 5)):
                widths = self.resolve(cid_font.get(key))
                if isinstance(widths, list) and _widths_hazard([self.resolve(v) for v in widths], numbers):
                    return True
        for key in ("ToUnicode", "Encoding"):
            try:
                cmap = self.content(font.get(key), _MAX_CMAP)
            except _TooBigError:
                return True
            if cmap is not None and _cmap_hazard(cmap):
                return True
        return False

    def cost(self, content: bytes, resources: Any, page: int, depth: int = 0) -> _Cost:
        """The operators and bytes of ``content``, each form it draws counted at every use."""
        if time.monotonic() > self.deadline:
            raise ExtractError("处理超时：PDF 页面过于复杂")
        operators = _count_operators(content)
        total = _Cost(operators, len(content), [resources])
        _check(total, page)
        if depth >= _FORM_DEPTH:
            return total
        for name, uses in Counter(m.group(1) for m in _DO.finditer(content)).items():
            found = self.form(resources, name)
            if found is None or found[0][0] in self.drawing:
                continue
            key, reference, form_resources = found
            if key not in self.memo:
                self.drawing.add(key[0])
                try:
                    data = self.content(reference, MAX_PAGE_CONTENT)
                except _TooBigError as error:
                    raise _content_error(page) from error
                self.memo[key] = _Cost(0, 0) if data is None else self.cost(data, form_resources, page, depth + 1)
                self.drawing.discard(key[0])
            total.operators += uses * self.memo[key].operators
            total.size += uses * self.memo[key].size
            total.resources.extend(r for r in self.memo[key].resources if all(r is not t for t in total.resources))
            _check(total, page)
        return total


def _count_operators(content: bytes) -> int:
    """The operators of ``content``."""
    mapped = content.translate(_OPERATOR_MAP)
    return mapped.count(b" A") + mapped.startswith(b"A")


def _content_error(page: int) -> ExtractError:
    return ExtractError(
        f"PDF 第 {page} 页的内容解压后超过 {MAX_PAGE_CONTENT // MB} MB，可能是压缩炸弹（恶意构造的文件）"
    )


def _check(cost: _Cost, page: int) -> None:
    if cost.size > MAX_PAGE_CONTENT:
        raise _content_error(page)
    if cost.operators > MAX_PAGE_OPERATORS:
        raise ExtractError(
            f"PDF 第 {page} 页的绘图指令超过 {MAX_PAGE_OPERATORS} 条（重复引用的表单对象逐次计入），"
            "远超正常页面，可能是恶意构造的文件"
        )


def check_pages(data: bytes, max_pages: int, deadline: float) -> dict[int, PageCheck]:
    """Refuse a page whose content or operators, forms expanded, pass the bounds; return what was
    learnt of each page (1-based page numbers), or nothing when pdfminer cannot walk the file."""
    import io  # noqa: PLC0415

    from pdfminer.pdfdocument import PDFDocument  # noqa: PLC0415 - pdfminer comes with pdfplumber
    from pdfminer.pdfparser import PDFParser  # noqa: PLC0415

    errors = pdfminer_errors()
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
    except errors:
        return {}
    pages = _Pages(document, errors, deadline)
    checked: dict[int, PageCheck] = {}
    for number, page in enumerate(pages.pages(max_pages), start=1):
        contents = pages.resolve(page.get("Contents"))
        size = 0
        parts: list[bytes] = []
        for reference in contents if isinstance(contents, list) else [page.get("Contents")]:
            try:
                part = pages.content(reference, MAX_PAGE_CONTENT - size)
            except _TooBigError as error:
                raise _content_error(number) from error
            if part is not None:
                parts.append(part)
                size += len(part)
        content = parts[0] if len(parts) == 1 else b"\n".join(parts)
        del parts
        cost = pages.cost(content, page.get("Resources"), number)
        checked[number] = PageCheck(cost.operators, pages, cost.resources)
    return checked
