"""Plain text and markdown: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 (with or without
BOM), or whatever charset-normalizer recognises. Undecodable bytes never raise; unreadable input
gives an ``ExtractError`` with the reason."""

from __future__ import annotations

import codecs
import re

from nianbao.extract.document import Document, ExtractError, lines_from_text

MB = 1024 * 1024
# A text report is 50-300 KB (UTF-8 Chinese at three bytes a character); past 10 MB the parser and
# the rules take over 2 s and 150 MB, and the file is no report.
MAX_TEXT_BYTES = 10 * MB
# A decoding is accepted when at most this share of its characters are U+FFFD.
_MAX_REPLACED = 0.01
_SAMPLE = 8192
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _share(pattern: re.Pattern[str], text: str) -> float:
    return len(pattern.findall(text)) / max(len(text), 1)


def _cjk_share_of_non_ascii(text: str) -> float:
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return len(_CJK.findall(text)) / non_ascii if non_ascii else 1.0


def utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """``(text, encoding)`` if ``data`` is Chinese text in UTF-16 without a byte-order mark.

    The ASCII of the text (digits, punctuation, line ends) puts NUL bytes at every other position,
    after the character in UTF-16LE and before it in UTF-16BE; CJK characters have few (U+4E00
    一 has one on the other side). The decoding must then read as Chinese text: CJK characters,
    no control characters, next to no U+FFFD.
    """
    sample = data[:_SAMPLE]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < 4 or min(even, odd) * 4 > max(even, odd):
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    text = data[: len(data) // 2 * 2].decode(encoding, errors="replace")
    head = text[:_SAMPLE]
    if not _CJK.search(head) or _cjk_share_of_non_ascii(head) < 0.6:
        return None
    if _share(_CONTROL, head) > 0.01 or text.count("\ufffd") / max(len(text), 1) > _MAX_REPLACED:
        return None
    return text, encoding


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise ``ExtractError`` when the bytes are not text."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data[:_SAMPLE] and (utf16 := utf16_without_bom(data)):  # text never holds NUL otherwise
        return utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030 accepts many byte strings that are not Chinese; trust it only when the result is.
    candidates: list[tuple[float, str, str]] = []
    for encoding in ("gb18030", "utf-8"):
        text = data.decode(encoding, errors="replace")
        replaced = text.count("\ufffd") / max(len(text), 1)
        if replaced <= _MAX_REPLACED and _cjk_share_of_non_ascii(text) >= 0.6:
            candidates.append((replaced, encoding, text))
    if candidates:
        _, encoding, text = min(candidates)
        return text, encoding
    import charset_normalizer  # noqa: PLC0415 - the last resort (Big5, UTF-16 without BOM...): rarely loaded

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ExtractError("无法识别文件的文字编码，可能不是文本文件")
    return str(best), best.encoding


def extract_text(data: bytes, source: str) -> Document:
    if len(data) > MAX_TEXT_BYTES:
        raise ExtractError(
            f"文本文件有 {len(data) / MB:.1f} MB，超过 {MAX_TEXT_BYTES // MB} MB 的上限，不像是一篇报告；请提供报告本身"
        )
    if not data.strip():
        raise ExtractError("文件为空")
    if b"\x00" in data[:_SAMPLE] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        utf16 = utf16_without_bom(data)
        if utf16 is None:
            raise ExtractError("文件包含二进制内容，不是文本文件")
        text, encoding = utf16
    else:
        text, encoding = decode(data)
    if _share(_CONTROL, text) > 0.01 or text.count("\ufffd") / max(len(text), 1) > 0.05:
        raise ExtractError(f"文件内容无法按文本读取（按 {encoding} 解码后乱码过多）")
    return Document(source=source, kind="text", lines=lines_from_text(text), encoding=encoding)
