"""Bytes to ``Document``: the file type is told from the bytes, never from the name.

PDF, Word (.docx), HTML and plain text are read; anything else is an ``ExtractError`` saying
what the file is and what to send instead. PDF, Word and HTML libraries are imported only when
such a file arrives.
"""

from __future__ import annotations

import io
import re
import zipfile

from nianbao.extract.document import BBox, Document, ExtractError, Line, grid_line, lines_from_text
from nianbao.extract.docx import MAX_CENTRAL_DIRECTORY, MAX_ENTRIES, ZIP_ERRORS, central_directory
from nianbao.extract.limits import Limits
from nianbao.extract.text import decode, extract_text

__all__ = [
    "BBox",
    "Document",
    "ExtractError",
    "Limits",
    "Line",
    "decode",
    "extract",
    "extract_text",
    "grid_line",
    "lines_from_text",
    "size_text",
    "sniff",
]

_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "ole"),  # legacy .doc / .xls / .wps
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"II*\x00", "image"),  # TIFF, as scanners write it
    (b"MM\x00*", "image"),
)
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<body[\s>]|<table[\s>]|<head[\s>]", re.IGNORECASE)
_WORD_HEADER = re.compile(rb"PK\x03\x04.{26}word/document\.xml", re.DOTALL)  # a local header naming that part
_UNSUPPORTED = {
    "zip": "压缩包或非 Word 的 Office 文件",
    "ole": "旧版 Office 文件（.doc/.xls/.wps）",
}


def sniff(data: bytes) -> str:
    """The kind of a file from its bytes: pdf, docx, zip, ole, image, html or text."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:  # some producers put bytes before the header; readers accept that
        return "pdf"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            if kind == "zip":
                return "docx" if _is_docx(data) else "zip"
            return kind
    if head.startswith(b"<") and _HTML.search(head):
        return "html"
    return "text"


def _is_docx(data: bytes) -> bool:
    """A zip holding word/document.xml, or whose local headers name that part when its central
    directory is damaged, oversized or disagrees with them (the Word reader then says which)."""
    declared = central_directory(data)
    if declared is not None and declared[0] <= MAX_ENTRIES and declared[1] <= MAX_CENTRAL_DIRECTORY:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return True
        except ZIP_ERRORS:
            pass
    return _WORD_HEADER.search(data) is not None


def size_text(count: int) -> str:
    """A byte count as officials read it: KB below a megabyte, MB from there."""
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} KB"


def extract(data: bytes, source: str, limits: Limits | None = None) -> Document:
    """Read ``data`` into a ``Document`` or raise ``ExtractError`` saying why it cannot be read."""
    limits = limits or Limits.from_env()
    if len(data) > limits.max_bytes:
        raise ExtractError(f"文件大小 {size_text(len(data))}，超过 {size_text(limits.max_bytes)} 的上限")
    kind = sniff(data)
    if kind == "pdf":
        from nianbao.extract.pdf import extract_pdf  # noqa: PLC0415 - keeps pypdfium2/pdfplumber off cold starts

        return extract_pdf(data, source, limits)
    if kind == "docx":
        from nianbao.extract.docx import extract_docx  # noqa: PLC0415

        return extract_docx(data, source)
    if kind == "html":
        from nianbao.extract.html import extract_html  # noqa: PLC0415

        return extract_html(data, source)
    if kind == "text":
        return extract_text(data, source)
    if kind == "image":
        from nianbao.extract.ocr import extract_image  # noqa: PLC0415 - the OCR libraries load only for scans

        return extract_image(data, source, limits)
    raise ExtractError(f"这是{_UNSUPPORTED[kind]}，无法读取；请提供 PDF、Word（.docx）、网页或文本格式的报告")
