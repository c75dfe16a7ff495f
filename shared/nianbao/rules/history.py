"""Rules across years and bodies: pure functions of (this year's facts, history).

A rule never fetches history. Each declares, as data, what it needs (``HistoryRule.needs``):

- ``"previous"``: the same body's report of the year before (``History.previous``, its ``year``
  exactly one less than this report's; a report two years back is no previous year);
- ``"children"``: this year's reports of the bodies below, for a report that sums theirs
  (``History.sums_children`` and at least one child).

``run_history`` runs the rules whose needs are present; the caller (the pipeline, the CLI) reads
``HISTORY_NEEDS`` to know what to look up at all. As in the balance rules, a relation with an
unknown operand (a blank or unplaceable cell, a missing table, a child that has not filed) is
uncertain and gives no finding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from nianbao.history import (
    CARRY_ROW,
    IN_FORCE_INDEX,
    IN_FORCE_ROWS,
    PROSE_SECTIONS,
    SUMMED_ROWS,
    TOTAL_COLUMN,
    ContractNumber,
    History,
    YearFacts,
)
from nianbao.model import Finding, Location
from nianbao.rules.catalog import TABLE_SECTION, finding, row_name
from nianbao.sanitize import clean_text
from nianbao.spec import FORMAT_2021, SECTIONS, TABLE3_COLUMNS, FormatVersion

Need = Literal["previous", "children"]
HistoryCheck = Callable[[YearFacts, History], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class HistoryRule:
    """A rule that reads history: its code, what history it needs, and the check itself."""

    code: str
    needs: frozenset[Need]
    check: HistoryCheck

    def applies(self, current: YearFacts, history: History) -> bool:
        """Is every piece of history this rule needs present?"""
        return all(_PRESENT[need](current, history) for need in self.needs)


def _has_previous(current: YearFacts, history: History) -> bool:
    return history.previous is not None and history.previous.year == current.year - 1


def _has_children(current: YearFacts, history: History) -> bool:
    return history.sums_children and bool(history.children)


_PRESENT: dict[Need, Callable[[YearFacts, History], bool]] = {
    "previous": _has_previous,
    "children": _has_children,
}
_TOTAL_INDEX = len(TABLE3_COLUMNS) - 1
_NAME_LIMIT = 64


def _count(value: ContractNumber) -> int | None:
    """A value usable as a count: a non-negative int (not an amount, not blank)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


# --- CARRYOVER_MISMATCH -------------------------------------------------------------------------


def carryover_mismatch(current: YearFacts, history: History) -> Iterator[Finding]:
    """Table 3, per column: this year's 上年结转 = last year's 结转下年度继续办理."""
    previous = history.previous
    if previous is None:
        return
    for index, column in enumerate(TABLE3_COLUMNS):
        now = current.table3_value(CARRY_ROW, index)
        before = previous.table3_value("carried_out", index)
        if now is None or before is None or now == before:
            continue
        yield finding(
            "CARRYOVER_MISMATCH",
            f"表三“{column.label}”列：{current.year}年度报告的“二、上年结转政府信息公开申请数量”为{now}，"
            f"而{previous.year}年度报告的“四、结转下年度继续办理”为{before}；"
            f"本年度的上年结转数应等于上一年度结转下年度继续办理的数量。",
            location=Location.of(
                current.cells.get(f"table3.{CARRY_ROW}.{column.key}"),
                section=TABLE_SECTION["table3"],
                table="table3",
                row=CARRY_ROW,
                column=column.key,
            ),
            expected=before,
            actual=now,
            evidence=current.evidence.get(f"table3.{CARRY_ROW}"),
        )


# --- IN_FORCE_CONTINUITY ------------------------------------------------------------------------

_IN_FORCE_COLUMN = FORMAT_2021.table2.blocks[0].columns[IN_FORCE_INDEX]


def in_force_continuity(current: YearFacts, history: History) -> Iterator[Finding]:
    """Table 2 (2021 format, both years): 现行有效件数 = last year's + 本年制发 − 本年废止."""
    previous = history.previous
    v2021 = FormatVersion.V2021.value
    if previous is None or current.format != v2021 or previous.format != v2021:
        return
    for key in IN_FORCE_ROWS:
        issued, repealed, in_force = (_count(current.table2_value(key, i)) for i in range(3))
        before = _count(previous.table2_value(key, IN_FORCE_INDEX))
        if issued is None or repealed is None or in_force is None or before is None:
            continue
        expected = before + issued - repealed
        if in_force == expected:
            continue
        yield finding(
            "IN_FORCE_CONTINUITY",
            f"表二“{row_name('table2', key, FORMAT_2021)}”：{previous.year}年度报告的现行有效件数为{before}，"
            f"{current.year}年度本年制发{issued}件、本年废止{repealed}件，现行有效件数应为"
            f"{before}+{issued}-{repealed}={expected}，但报告为{in_force}。"
            "如有文件因有效期届满等原因失效，请在报告中说明。",
            location=Location.of(
                current.cells.get(f"table2.{key}.{IN_FORCE_INDEX}"),
                section=TABLE_SECTION["table2"],
                table="table2",
                row=key,
                column=_IN_FORCE_COLUMN.key,
            ),
            expected=expected,
            actual=in_force,
            evidence=current.evidence.get(f"table2.{key}"),
        )


# --- TEXT_REUSE ---------------------------------------------------------------------------------

# Shingles of 8 characters. Chinese runs about 1.5 characters a word, so 8 characters are four or
# five words: two bodies writing about the same work independently rarely share that much save set
# phrases. Measured on the five sample reports (five bodies, sections 一, 五, 六): with 8-grams the
# share of one report found in another is at most 8% (4-grams: 30%, 6-grams: 14%, 10-grams: 7%).
# A copied passage stays covered however it is edited every few words: a character counts as
# repeated when any 8-gram holding it was in last year's text, so an edit uncovers little more
# than the edited characters themselves, as long as 8 characters around it are unchanged.
NGRAM = 8
# Each year needs this many characters (numbers, punctuation and whitespace not counted) of prose
# in sections 一, 五 and 六 before a share is judged. The sample reports have 590 to 1,559;
# under 200 (five or six sentences) what is left is mostly the wording every report shares
# (the Regulation's title, 本年度未收取信息处理费, 无), so a high share would measure the format, not
# copying; and a share of so few characters moves in steps too coarse to hold to a threshold.
MIN_PROSE = 200
QUOTE_LIMIT = 60  # characters of the longest repeated passage quoted in the message
# A number (digits, with decimal points or thousands separators) or a Chinese numeral before a
# unit or a date part (二〇二三年, 十二月, 三件): each becomes one placeholder, whatever its length,
# so a report whose only changes are its numbers and dates reads as the same text.
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*|[〇零一二两三四五六七八九十百千]+[万亿]?(?=[年月日号件条次项个宗起份例人元%])")
_PLACEHOLDER = "0"


@dataclass(frozen=True, slots=True)
class Normalized:
    """Prose reduced to what the reuse measure compares, mapped back to the original: ``text[i]``
    was read from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def normalize_prose(original: str) -> Normalized:
    """Whitespace dropped, NFKC (full-width digits and punctuation as half-width), every number
    and date part masked as one placeholder, then letters and placeholders only: punctuation and
    symbols go too (a comma changed does not make a sentence new)."""
    chars: list[str] = []
    where: list[int] = []
    for index, char in enumerate(original):
        if char.isspace():
            continue  # before numbers are found: "1 520" is one number
        for folded in unicodedata.normalize("NFKC", char):
            chars.append(folded)
            where.append(index)
    folded = "".join(chars)
    numbers = {m.start(): m.end() for m in _NUMERAL.finditer(folded)}
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(folded):
        end = numbers.get(i)
        if end is not None:
            text.append(_PLACEHOLDER)
            starts.append(where[i])
            ends.append(where[end - 1] + 1)
            i = end
            continue
        if unicodedata.category(folded[i])[0] in "LN":
            text.append(folded[i])
            starts.append(where[i])
            ends.append(where[i] + 1)
        i += 1
    return Normalized("".join(text), tuple(starts), tuple(ends))


def _shingles(text: str) -> set[str]:
    return {text[i : i + NGRAM] for i in range(len(text) - NGRAM + 1)}


def _covered(text: str, seen: set[str]) -> list[bool]:
    """Which characters of ``text`` lie in an n-gram that ``seen`` holds."""
    covered = [False] * len(text)
    for i in range(len(text) - NGRAM + 1):
        if text[i : i + NGRAM] in seen:
            covered[i : i + NGRAM] = [True] * NGRAM
    return covered


def _longest_run(flags: list[bool]) -> tuple[int, int]:
    """The longest stretch of True as (start, end); (0, 0) when there is none."""
    best, start = (0, 0), None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


@dataclass(frozen=True, slots=True)
class Reuse:
    """How much of this year's prose repeats last year's, and the longest repeated passage."""

    covered: int  # normalized characters of this year's prose repeated from last year's
    total: int  # normalized characters of this year's prose
    previous_total: int
    section: str | None = None  # where the longest passage is
    start: int = 0  # its offsets in this year's prose of that section
    end: int = 0

    @property
    def percent(self) -> int:
        """The share as a whole percentage, rounded down: a finding never overstates it."""
        return self.covered * 100 // self.total if self.total else 0


def reuse(current: YearFacts, previous: YearFacts) -> Reuse:
    """Measure how much of ``current``'s prose (sections 一, 五, 六 together) repeats
    ``previous``'s, by shingled character n-grams over normalized text (``normalize_prose``). A
    passage moved from one section to another still counts as repeated."""
    seen: set[str] = set()
    previous_total = 0
    for key in PROSE_SECTIONS:
        text = normalize_prose(previous.prose.get(key, "")).text
        previous_total += len(text)
        seen |= _shingles(text)
    covered = total = 0
    longest: tuple[int, str | None, int, int] = (0, None, 0, 0)
    for key in PROSE_SECTIONS:
        normalized = normalize_prose(current.prose.get(key, ""))
        flags = _covered(normalized.text, seen)
        covered += sum(flags)
        total += len(flags)
        start, end = _longest_run(flags)
        if end - start > longest[0]:
            longest = (end - start, key, normalized.starts[start], normalized.ends[end - 1])
    _, section, start, end = longest
    return Reuse(covered, total, previous_total, section, start, end)


def _percent_number(share: float) -> int | Decimal:
    value = Decimal(str(round(share * 100, 4))).normalize()
    return int(value) if value == value.to_integral_value() else value


def text_reuse(current: YearFacts, history: History) -> Iterator[Finding]:
    """The share of this year's prose repeated from last year's, above ``history.reuse_share``."""
    previous = history.previous
    if previous is None:
        return
    measured = reuse(current, previous)
    if measured.total < MIN_PROSE or measured.previous_total < MIN_PROSE or measured.section is None:
        return  # too little prose in either year to judge
    threshold = _percent_number(history.reuse_share)
    if measured.percent <= threshold:
        return
    passage = current.prose[measured.section][measured.start : measured.end].replace("\n", "")
    quote = clean_text(passage, QUOTE_LIMIT)
    sections = "、".join(SECTIONS[int(k) - 1].ordinal for k in PROSE_SECTIONS if current.prose.get(k))
    ordinal = SECTIONS[int(measured.section) - 1].ordinal
    yield finding(
        "TEXT_REUSE",
        f"第{sections}部分的文字有{measured.percent}%与{previous.year}年度报告相同（不计数字、日期、标点和空白），"
        f"超过{threshold}%。{current.year}年度报告应反映本年度的工作情况，请核实是否沿用了上年度报告的文字。"
        f"重复的最长一段在第{ordinal}部分：“{quote}”。",
        location=Location.of(
            current.prose_origin(measured.section, measured.start, measured.end), section=int(measured.section)
        ),
        expected=threshold,
        actual=measured.percent,
        evidence=quote,
    )


# --- HIERARCHY_SUM ------------------------------------------------------------------------------


def hierarchy_sum(current: YearFacts, history: History) -> Iterator[Finding]:
    """A summary report: Table 3's 总计 of 新收, 上年结转, 办理结果总计 and 结转下年度 equal the
    sums of the bodies below. Uncertain while any child has not filed (or filed another year)."""
    children = history.children
    facts = [child.facts for child in children]
    filed = [f for f in facts if f is not None and f.year == current.year]
    if len(filed) < len(children):
        return
    for key in SUMMED_ROWS:
        stated = current.table3_value(key, _TOTAL_INDEX)
        parts = [f.table3_value(key, _TOTAL_INDEX) for f in filed]
        if stated is None or any(p is None for p in parts):
            continue
        values = [p for p in parts if p is not None]
        expected = sum(values)
        if stated == expected:
            continue
        named = "、".join(
            f"{clean_text(child.name, _NAME_LIMIT)}{value}" for child, value in zip(children[:5], values, strict=False)
        )
        more = "等" if len(children) > 5 else ""
        yield finding(
            "HIERARCHY_SUM",
            f"表三“{row_name('table3', key)}”的总计为{stated}，而下属{len(children)}个机关{current.year}年度报告中"
            f"该项总计之和为{expected}（{named}{more}）；汇总报告的数字应等于下属机关报告之和。",
            location=Location.of(
                current.cells.get(f"table3.{key}.{TOTAL_COLUMN}"),
                section=TABLE_SECTION["table3"],
                table="table3",
                row=key,
                column=TOTAL_COLUMN,
            ),
            expected=expected,
            actual=stated,
            evidence=current.evidence.get(f"table3.{key}"),
        )


# --- the registry -------------------------------------------------------------------------------

HISTORY_RULES: tuple[HistoryRule, ...] = (
    HistoryRule("CARRYOVER_MISMATCH", frozenset({"previous"}), carryover_mismatch),
    HistoryRule("IN_FORCE_CONTINUITY", frozenset({"previous"}), in_force_continuity),
    HistoryRule("TEXT_REUSE", frozenset({"previous"}), text_reuse),
    HistoryRule("HIERARCHY_SUM", frozenset({"children"}), hierarchy_sum),
)
# What the caller has to look up for these rules at all.
HISTORY_NEEDS: frozenset[Need] = frozenset(need for rule in HISTORY_RULES for need in rule.needs)


def run_history(current: YearFacts, history: History) -> list[Finding]:
    """Every history finding for ``current``: the rules whose needs ``history`` holds, errors
    first, then in reading order."""
    findings = [f for rule in HISTORY_RULES if rule.applies(current, history) for f in rule.check(current, history)]
    return sorted(findings, key=lambda f: (-f.severity.rank, f.location.section or 0, f.location.line or 0))
