"""Text normalisation shared by the parser and the rules.

Reports mix full- and half-width forms, Kangxi radicals from PDF fonts, spaces inside words and
curly or straight quotes. Matching happens on NFKC text with whitespace removed; what is shown to
people keeps the printed form.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from nianbao.model import CellKind

_WS = re.compile(r"\s+")
# Quotes and brackets that wrap words without changing them; dashes printed in many widths.
_NOISE = str.maketrans(dict.fromkeys("“”\"'‘’「」『』《》〈〉*#", "") | dict.fromkeys("—–―─━－", "-"))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def compact(text: str) -> str:
    """NFKC with every whitespace character removed: the form prose is matched in."""
    return _WS.sub("", nfkc(text))


@lru_cache(maxsize=4096)
def squeeze(text: str) -> str:
    """``compact`` without quotes, markdown markers and dash variants: the form labels are matched in."""
    return compact(text).translate(_NOISE)


_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；", ":": "：", "!": "！", "?": "？"})


def display(text: str) -> str:
    """Normalised text shown back to officials, with Chinese (full-width) punctuation restored."""
    return text.translate(_FULL_WIDTH)


def collapse(text: str) -> str:
    """Printed text with runs of whitespace reduced to one space: the form shown in evidence."""
    return " ".join(text.split())


# --- cells --------------------------------------------------------------------------------------

# The most digits (integer and fraction together, leading zeros included) a printed number may
# have and still be read as a count or an amount. Real values stay far below it: a province's
# requests for a year number in the tens of thousands, and an amount in 万元 down to the fen
# (6 decimals) fits in 15 digits below 10^9 万元. More digits are a paste error or an ID, not a
# count. 15 is also what a value can travel as: the JSON contract serialises amounts as IEEE
# doubles, which hold any 15 significant digits exactly (every 15-digit integer is below 2^53),
# and it keeps every conversion far from Python's 4,300-digit limit on str -> int.
MAX_DIGITS = 15

PLACEHOLDERS = frozenset({"/", "\\", "-", "无", "不适用", "n/a", "na", "×", "x", "空", "暂无"})
_PLACEHOLDER_RUN = re.compile(r"^[-/\\_.—–―─━－]+$")
_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?P<unit>万元|元|件|个|条|项|次)?$"
)
UNIT_TOKENS = frozenset({"万元", "元", "件", "个", "条", "项", "次"})


# What stands in a value cell: a number (usable or too long to be one) or a placeholder.
VALUE_KINDS = frozenset({CellKind.NUMBER, CellKind.TOO_LONG, CellKind.PLACEHOLDER})


@lru_cache(maxsize=8192)
def classify(raw: str) -> tuple[CellKind, int | Decimal | None]:
    """Tell what a printed cell holds: a number (int, or Decimal with a fraction), a number with
    more than ``MAX_DIGITS`` digits (no value), a blank, a placeholder, or text that is not a number."""
    text = compact(raw)
    if not text:
        return CellKind.BLANK, None
    if text.isdigit() and text.isascii():
        return (CellKind.TOO_LONG, None) if len(text) > MAX_DIGITS else (CellKind.NUMBER, int(text))
    match = _NUMBER.match(text)
    if match:
        digits = match["int"].replace(",", "")
        sign = "-" if match["sign"] == "-" else ""
        frac = match["frac"]
        if len(digits) + len(frac or "") > MAX_DIGITS:
            return CellKind.TOO_LONG, None
        return CellKind.NUMBER, int(sign + digits) if frac is None else Decimal(f"{sign}{digits}.{frac}")
    if text.lower() in PLACEHOLDERS or _PLACEHOLDER_RUN.match(text):
        return CellKind.PLACEHOLDER, None
    return CellKind.TEXT, None


def is_value_token(raw: str) -> bool:
    """A number or a placeholder: something that stands in a value cell."""
    kind, _ = classify(raw)
    return kind in VALUE_KINDS


_LONG_DIGITS = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def shorten_digits(text: str) -> str:
    """``text`` with every run of more than ``MAX_DIGITS`` digits cut to its head and its length,
    so that a pasted 5,000-digit number does not fill a message, a notice or a stored finding."""
    return _LONG_DIGITS.sub(lambda m: f"{m[0][:8]}…（共{len(m[0])}位）", text)


# --- Chinese numerals (dates and counts in prose) -----------------------------------------------

_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_GROUPS = (("亿", 10**8), ("万", 10**4))  # the large units, each over a group of up to four digits
_ALL_UNITS = frozenset("十百千万亿")
CN_NUMERAL = "〇零○一二两三四五六七八九十百千万亿"


def cn_to_int(text: str) -> int | None:
    """'十四' -> 14, '二〇二四' -> 2024, '一百零五' -> 105, '一万二千三百' -> 12300,
    '三亿零五万' -> 300050000; None when it is not a numeral, or is longer than ``MAX_DIGITS``
    characters (no count or date is written with that many)."""
    if not text or len(text) > MAX_DIGITS or any(ch not in _DIGITS and ch not in _ALL_UNITS for ch in text):
        return None
    if not any(ch in _ALL_UNITS for ch in text):  # digit by digit, as in years: 二〇二四
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, last = 0, 0
    for unit, value in _GROUPS:
        if unit in text:
            head, text = text.split(unit, 1)
            group = _group(head) if unit == "万" else cn_to_int(head)  # 一万亿: 亿 counts 万s too
            if not group:
                return None  # 万 with nothing before it, or 零万
            total, last = total + group * value, value
    if len(text) == 1 and last:  # 一万五: the digit is of the next unit down (15000; 一万零五 is 10005)
        return total + _DIGITS[text] * last // 10
    rest = _group(text.removeprefix("零")) if text else 0
    return None if rest is None else total + rest


def _group(text: str) -> int | None:
    """A number below ten thousand written with 十, 百 and 千: '三千零五' -> 3005, '十二' -> 12."""
    if not text or any(ch in "万亿" for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):
        return _DIGITS[text[-1]] if all(_DIGITS[ch] == 0 for ch in text[:-1]) else None  # '零五' -> 5
    total, current, unit, zero = 0, 0, 0, False
    for ch in text:
        if ch in _DIGITS:
            current, zero = _DIGITS[ch], zero or _DIGITS[ch] == 0
        else:
            unit = _UNITS[ch]
            total, current, zero = total + (current or 1) * unit, 0, False
    if current and unit > 10 and not zero:  # 一百五 (150), 三千二 (3200); 一百零五 is 105
        return total + current * unit // 10
    return total + current


def to_int(text: str) -> int | None:
    """An integer written in Arabic or Chinese numerals; None when it is neither, or has more than
    ``MAX_DIGITS`` digits (then it is not a count, and converting it could exceed Python's limit)."""
    text = nfkc(text)
    if text.isdigit() and text.isascii():
        return int(text) if len(text) <= MAX_DIGITS else None
    return cn_to_int(text)
