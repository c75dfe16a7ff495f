"""Find the six section headings by meaning.

A heading is a short line that starts with an ordinal (一、 / 第一部分 / 1.) or that is a known
title on its own, whose words match a section of the spec. Wording variants, markdown markers,
full- and half-width punctuation and spaces inside words are all absorbed by normalisation.

Several lines may look like the heading of one section: a table of contents, an Arabic-numbered
sub-heading (1.主动公开情况) inside section 一, an enumerated point. The heading chosen is the
first that carries the section's own Chinese ordinal, else its Arabic number, else another
ordinal on a line that reads like a heading, else a bare title; lines of a table of contents
count only when the section has no other candidate.
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
_HEADING_END = re.compile(r"[。:;!?]|\.{2,}|…|·{2,}")  # also the dot leaders of a contents page
_MAX_HEADING = 32
_TITLES = {squeeze(t): spec for spec in SECTIONS for t in spec.titles}
_TOC_RUN = 3  # this many headings on consecutive lines are a table of contents


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

    @property
    def rank(self) -> int:
        """0 for the section's own Chinese ordinal, 1 for its Arabic number, 2 another ordinal,
        3 none: lower is a more trustworthy heading."""
        if self.ordinal == self.spec.ordinal:
            return 0
        if self.ordinal == str(self.spec.number):
            return 1
        return 3 if self.ordinal is None else 2


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


def _reads_like_heading(text: str) -> bool:
    head = _HEADING_END.split(text, maxsplit=1)[0]
    return head.endswith(("情况", "事项", "概述", "措施")) and len(head) <= _MAX_HEADING


def _candidates(lines: Sequence[Line]) -> list[Heading]:
    found: list[Heading] = []
    for index, line in enumerate(lines):
        hit = heading_of(line)
        if hit is None:
            continue
        spec, ordinal = hit
        text = line.key.lstrip(">")
        heading = Heading(spec, index, line, ordinal, text)
        if heading.rank == 2 and not _reads_like_heading(text):
            continue
        found.append(heading)
    return found


def _contents(lines: Sequence[Line], candidates: list[Heading]) -> set[int]:
    """Indices of candidates that form a table of contents: headings on consecutive lines."""
    runs: list[list[Heading]] = []
    for heading in candidates:
        previous = runs[-1][-1] if runs else None
        between = range(previous.index + 1, heading.index) if previous else range(0)
        if previous is not None and not any(lines[i].text for i in between):
            runs[-1].append(heading)
        else:
            runs.append([heading])
    return {h.index for run in runs if len(run) >= _TOC_RUN for h in run}


def find_headings(lines: Sequence[Line]) -> list[Heading]:
    """The heading of each section found, in document order."""
    candidates = _candidates(lines)
    contents = _contents(lines, candidates)
    chosen: dict[int, Heading] = {}
    for number in {h.number for h in candidates}:
        mine = [h for h in candidates if h.number == number]
        outside = [h for h in mine if h.index not in contents] or mine
        chosen[number] = min(outside, key=lambda h: (h.rank, h.index))
    return sorted(chosen.values(), key=lambda h: h.index)
