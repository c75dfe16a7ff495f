"""Find the six section headings by meaning.

A heading is a short line that starts with an ordinal (一、 / 第一部分 / 1.) or that is a known
title on its own, whose words match a section of the spec. Wording variants, markdown markers,
full- and half-width punctuation and spaces inside words are all absorbed by normalisation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nianbao.extract import Line
from nianbao.normalize import squeeze
from nianbao.parse.rows import split_row
from nianbao.spec import ORDINALS, SECTIONS, SectionSpec

_ORDINAL = rf"[{ORDINALS}]{{1,2}}"
_HEADING = re.compile(
    rf"^(?:第(?P<part>{_ORDINAL})部分|(?P<cn>{_ORDINAL})(?:[、.,:]|$)|(?P<ar>[1-9])[、.](?!\d))(?P<rest>.*)$"
)
# Where an inline heading ends and its paragraph begins.
_HEADING_END = re.compile(r"[。:;!?]")
_MAX_HEADING = 32
_TITLES = {squeeze(t): spec for spec in SECTIONS for t in spec.titles}


@dataclass(frozen=True, slots=True)
class Heading:
    spec: SectionSpec
    index: int  # position of the line in the document
    line: Line
    ordinal: str | None  # as printed, None when the heading had none
    text: str  # the heading as printed, markers stripped

    @property
    def number(self) -> int:
        return self.spec.number

    @property
    def ordinal_matches(self) -> bool:
        return self.ordinal in (None, self.spec.ordinal, str(self.spec.number))


def _match(rest: str) -> SectionSpec | None:
    rest = _HEADING_END.split(rest, maxsplit=1)[0]
    if not rest or len(rest) > _MAX_HEADING:
        return None
    for spec in SECTIONS:
        if spec.pattern.search(rest):
            return spec
    return None


def heading_of(line: Line) -> tuple[SectionSpec, str | None] | None:
    """The section ``line`` opens, with the ordinal it printed, or None."""
    text = line.key.lstrip(">")
    if not text or len(text) > 80:
        return None
    match = _HEADING.match(text)
    if match:
        ordinal = match["part"] or match["cn"] or match["ar"]
        spec = _match(match["rest"])
        if spec is None:
            return None
        if split_row(line) is not None:  # a table row such as "四、结转下年度继续办理 0 0 0"
            return None
        return spec, ordinal
    spec = _TITLES.get(text.rstrip("。:"))
    return (spec, None) if spec else None


def find_headings(lines: Sequence[Line]) -> list[Heading]:
    """The first heading of each section, in document order.

    A section is taken once: a later line that looks like the same heading (an enumerated point
    such as "一、主动公开意识不强" inside section 五) is text, not a second heading. A heading whose
    ordinal is not the section's own is kept only when it reads like a heading (it names the
    section rather than starting a sentence).
    """
    found: dict[int, Heading] = {}
    for index, line in enumerate(lines):
        hit = heading_of(line)
        if hit is None:
            continue
        spec, ordinal = hit
        if spec.number in found:
            continue
        text = line.key.lstrip(">")
        if ordinal not in (None, spec.ordinal, str(spec.number)) and not _reads_like_heading(text):
            continue
        found[spec.number] = Heading(spec, index, line, ordinal, text)
    return sorted(found.values(), key=lambda h: h.index)


def _reads_like_heading(text: str) -> bool:
    head = _HEADING_END.split(text, maxsplit=1)[0]
    return head.endswith(("情况", "事项", "概述", "措施")) and len(head) <= _MAX_HEADING
