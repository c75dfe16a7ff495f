r"""Text from outside (a report, a file name, an S3 key) made safe to show: in an email notice, on a
terminal, in a spreadsheet.

Untrusted text stays text: it can never add a line, move the cursor, recolour or retitle a
terminal, reorder what follows it (bidi overrides), or grow without bound.

- ``clean_text``: one line of plain text. Terminal escape sequences (CSI, OSC, DCS ...) are dropped
  whole; line breaks (``\r \n \v \f``, U+001C-U+001E, U+0085, U+2028, U+2029) and tabs become a
  space; every other control or format character (Unicode categories Cc and Cf: ESC, NUL, bidi
  overrides and isolates, zero-width characters, the BOM) and lone surrogates are dropped; runs of
  spaces become one; the ends are trimmed; the result is bounded, a cut marked with ``…``.
- ``escape_name``: for names an official must still recognise (file names, S3 keys, version ids):
  the same characters are shown as escapes instead (``\n``, ``\t``, ``\x1b``, ``\u202e``; a byte
  that was not UTF-8 in a file name, kept by Python as a lone surrogate, as ``\xff``); bounded in
  the middle, so the end of the name (the file) stays. Backslashes are left as they are.
- ``printable_text``: ``clean_text`` restricted to what ``str.isprintable`` accepts (for email
  subjects): other separators (U+3000, no-break space) become a space, private-use and unassigned
  code points are dropped too.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

# Everything str.splitlines() splits on, and the tab: these become a space in clean text.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_SPACED = LINE_BREAKS | {"\t"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
ELLIPSIS = "…"

# ECMA-48 sequences, 7-bit (ESC ...) and 8-bit (C1) forms. A string sequence (OSC, DCS, SOS, PM,
# APC) runs to its terminator (BEL or ST); an unterminated one loses its introducer only, and the
# rest is shown as text.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement, erasing
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS, ...
    r"|\x1b[ -/]*[0-~]"  # any other escape (charset switches, RIS, ...)
)
_CUT_SEQUENCE = re.compile(r"(?:\x1b\[?|\x9b)[0-?]*[ -/]*\Z")  # an escape sequence a cut left unfinished
_SPACES = re.compile(r" {2,}")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@cache
def _unsafe() -> re.Pattern[str]:
    """A character class of every code point in Cc, Cf, Cs, Zl or Zp (built on first use: ~0.1 s)."""
    codes = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in _UNSAFE_CATEGORIES]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    body = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return re.compile(f"[{body}]")


def unsafe_characters(text: str) -> list[str]:
    """The control, format, line-separating characters and lone surrogates in ``text``."""
    return _unsafe().findall(text)


def escape(char: str) -> str:
    r"""One character as an escape a reader can see: \n, \x1b, \u202e, \U000e0001; a lone
    surrogate U+DC80..U+DCFF (an undecodable byte of a file name) as the byte, \xff."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def bounded(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def bounded_middle(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters in the middle, keeping its start and end."""
    if limit is None or len(text) <= limit:
        return text
    keep = max(limit - 1, 0)
    tail = keep // 2
    return text[: keep - tail] + ELLIPSIS + (text[-tail:] if tail else "")


def clean_text(text: str | None, limit: int | None = None) -> str:
    """One line of plain text (see the module): no line breaks, controls or escape sequences."""
    if not text:
        return ""
    cut = False
    if limit is not None and len(text) > 8 * limit + 64:  # bound the work on a huge input
        text, cut = _CUT_SEQUENCE.sub("", text[: 8 * limit + 64]), True
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _unsafe().sub(lambda m: " " if m.group() in _SPACED else "", text)
    text = _SPACES.sub(" ", text).strip()
    if cut and limit is not None and len(text) < limit:
        return text + ELLIPSIS  # shorter than the limit once cleaned, but there was more
    return bounded(text, limit)


def escape_name(text: str | None, limit: int | None = None) -> str:
    r"""A name with its unsafe characters shown as escapes (``a\nb``), cut in the middle to ``limit``."""
    if not text:
        return ""
    return bounded_middle(_unsafe().sub(lambda m: escape(m.group()), text), limit)


def printable_text(text: str | None, limit: int | None = None) -> str:
    """``clean_text`` with only characters ``str.isprintable`` accepts (email subjects)."""
    text = clean_text(text, limit)
    if text.isprintable():
        return text
    kept = "".join(c if c.isprintable() else " " if unicodedata.category(c) == "Zs" else "" for c in text)
    return _SPACES.sub(" ", kept).strip()
