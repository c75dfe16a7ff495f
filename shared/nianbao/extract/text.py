"""Plain text and markdown: UTF-8 (with or without BOM), GB18030/GBK, or whatever
charset-normalizer recognises. Undecodable bytes never raise; unreadable input gives an
``ExtractError`` with the reason."""

from __future__ import annotations

import codecs
import re

from nianbao.extract.document import Document, ExtractError, lines_from_text

# A decoding is accepted when at most this share of its characters are U+FFFD.
_MAX_REPLACED = 0.01
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _share(pattern: re.Pattern[str], text: str) -> float:
    return len(pattern.findall(text)) / max(len(text), 1)


def _cjk_share_of_non_ascii(text: str) -> float:
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return len(_CJK.findall(text)) / non_ascii if non_ascii else 1.0


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise ``ExtractError`` when the bytes are not text."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
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
    if not data.strip():
        raise ExtractError("文件为空")
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ExtractError("文件包含二进制内容，不是文本文件")
    text, encoding = decode(data)
    if _share(_CONTROL, text) > 0.01 or text.count("\ufffd") / max(len(text), 1) > 0.05:
        raise ExtractError(f"文件内容无法按文本读取（按 {encoding} 解码后乱码过多）")
    return Document(source=source, kind="text", lines=lines_from_text(text), encoding=encoding)
