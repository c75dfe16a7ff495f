"""Bytes to ``Document``: the file type is told from the bytes, not from the name."""

from __future__ import annotations

from nianbao.extract.document import Document, ExtractError, Line, lines_from_text
from nianbao.extract.text import decode, extract_text

__all__ = [
    "Document",
    "ExtractError",
    "Line",
    "decode",
    "extract",
    "extract_text",
    "lines_from_text",
    "sniff",
]

_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "ole"),  # legacy .doc / .xls
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)


def sniff(data: bytes) -> str:
    """The kind of a file from its first bytes: pdf, zip, ole, image or text."""
    head = data[:1024].lstrip()
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return "text"


def extract(data: bytes, source: str) -> Document:
    """Read ``data`` into a ``Document`` or raise ``ExtractError`` saying why it cannot be read."""
    kind = sniff(data)
    if kind == "text":
        return extract_text(data, source)
    names = {"pdf": "PDF", "zip": "压缩包或 Office 文档", "ole": "旧版 Office 文档", "image": "图片"}
    raise ExtractError(f"暂不支持读取{names[kind]}文件，请提供文本（.txt/.md）格式的报告")
