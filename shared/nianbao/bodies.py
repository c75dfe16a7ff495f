"""Which body a report belongs to: the issuing body's name as read from the report, matched to the
bodies of a roster (``nianbao.roster``).

Matching is deliberately conservative. A false match files a report under the wrong body (its
findings, its history across years, the office that is told): worse than no match, which only
asks the office to add an alias. So two names match only when their keys (``normalize_name``)
are equal; similarity is used to *suggest* names to the office, never to decide.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # roster.py imports this module (its name checks use ``normalize_name``)
    from nianbao.roster import Body

__all__ = [
    "MIN_SCORE",
    "UNREADABLE_AGENCY",
    "BodyMatch",
    "Candidate",
    "MatchVia",
    "match_body",
    "normalize_name",
    "provisional_body_id",
    "valid_division",
]

# --- the key two names are compared by ----------------------------------------------------------

# Each rule: (pattern, replacement, why). Applied in order to the text once only letters and
# digits are left. Every rule shortens the text, so repeating them ends.
_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"(?:人民)+政府"),
        "政府",
        "人民政府 is the formal name, 政府 the everyday one: 湟中区人民政府办公室 and 湟中区政府办公室 "
        "are one body, and reports print both (seed 002: 城东区韵家口镇政府 above, 韵家口镇人民政府 signed)",
    ),
    (
        re.compile(r"政府办(?:公室)+"),
        "政府办",
        "政府办 is the standing abbreviation of a government's 政府办公室 (县政府办). A bare 办公室 is NOT "
        "merged with it: 湟中区办公室 could as well be the 区委办公室 or the 人大常委会办公室",
    ),
    (
        re.compile(r"管理委员会"),
        "管委会",
        "管委会 is the standing abbreviation of 管理委员会 (开发区管委会)",
    ),
    (
        re.compile(r"街道办(?:事处)?$"),
        "街道",
        "a subdistrict is run by its 街道办事处, signed as X街道办事处, X街道办 or X街道 alike",
    ),
    (
        re.compile(r"(?<=.)(?:政府)+$"),
        "",
        "a government is named by its place: 昂思多镇, 昂思多镇政府 and 昂思多镇人民政府 are one body (the "
        "agency read from a title is often the place alone). Only at the end: 县政府办 keeps its 政府",
    ),
)
# Not rules, on purpose:
# - place prefixes are kept (西宁市湟中区共和镇 is not 共和镇: another county may have a 共和镇);
#   an office adds the short form as an alias;
# - 区 and 县 are not merged (湟中县 became 湟中区 in 2019: a rename is an alias too);
# - traditional and simplified characters are not unified (reports are in simplified Chinese).
_PASSES = 8  # a name reaches its key in two passes; the cap only bounds pathological input


def _pass(text: str) -> str:
    # NFKC: full-width letters and digits, Kangxi radicals (⼈ U+2F08 from PDF fonts) and other
    # compatibility forms become the plain character; casefold: Latin letters in either case.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    # Only letters and numbers (Unicode categories L*, N*) are kept: spaces inside words (PDF
    # extraction), full-width spaces, punctuation and brackets, symbols, marks, and invisible
    # format characters (zero-width spaces, BOMs, bidi controls) never tell two bodies apart.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    for pattern, replacement, _why in _RULES:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """The key a body's name is compared by (see ``_RULES`` for the variants unified); ``""`` when
    the name holds no letter or digit. The passes repeat until nothing changes, so that the key is
    its own key (``normalize_name(normalize_name(x)) == normalize_name(x)``); a real name gets there
    in two passes, and only a contrived one (a rule's result nested eight deep) could outrun the cap."""
    text = name
    for _ in range(_PASSES):
        key = _pass(text)
        if key == text:
            break
        text = key
    return text


# --- divisions -----------------------------------------------------------------------------------

_DIVISION = re.compile(r"[0-9]{2,12}")


def valid_division(division: str) -> str | None:
    """``division`` as 2 to 12 ASCII digits (full-width digits accepted), else None."""
    text = unicodedata.normalize("NFKC", division).strip()
    return text if _DIVISION.fullmatch(text) else None


# --- matching ------------------------------------------------------------------------------------


class MatchVia(StrEnum):
    """Where in the division tree the matched body sits, relative to the upload's division."""

    SAME = "same"  # the body's division is the upload's
    BELOW = "below"  # the body's division extends it (an office files its townships' reports)
    ABOVE = "above"  # the body's division is a prefix of it (a report filed one level too low)


# Candidates are searched in this order; the first tier with a match decides. An office files
# the reports of the bodies below it in its own folder (a county office uploads its townships'
# reports under reports/630122/...), so bodies below come before bodies above, whose report in a
# lower folder is a misfiling.
_TIERS = (MatchVia.SAME, MatchVia.BELOW, MatchVia.ABOVE)
MIN_SCORE = 0.4  # a roster name less similar than this is no help to the office
_MAX_SUGGEST = 3
_MAX_KEY = 128  # a longer "name" is no name: no suggestions (keeps the comparison cheap)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A roster body whose name (or alias) is close to the report's agency."""

    body_id: str
    name: str  # the body's roster name
    matched: str  # the name or alias that scored
    score: float  # difflib ratio of the two keys, 0..1, three decimals


@dataclass(frozen=True, slots=True)
class BodyMatch:
    agency: str | None  # as read from the report
    key: str  # normalize_name(agency); "" when there is none
    body: Body | None  # the matched body, or None
    via: MatchVia | None = None  # where the matched body sits
    matched: str | None = None  # the name or alias that matched
    # When ``body`` is None: up to three closest roster bodies, best first; when the name matched
    # more than one body of the same tier (``ambiguous``), those bodies.
    closest: tuple[Candidate, ...] = ()
    ambiguous: bool = False

    @property
    def closest_names(self) -> list[str]:
        return [c.name for c in self.closest]


def _tier(body_division: str, division: str) -> MatchVia | None:
    if body_division == division:
        return MatchVia.SAME
    if body_division.startswith(division):
        return MatchVia.BELOW
    if division.startswith(body_division):
        return MatchVia.ABOVE
    return None


def _names(body: Body) -> list[str]:
    return [body.name, *body.aliases]


def _closest(key: str, bodies: Sequence[Body]) -> tuple[Candidate, ...]:
    if not key or len(key) > _MAX_KEY:
        return ()
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)  # difflib caches details of the second sequence
    scored: list[Candidate] = []
    for body in bodies:
        top: tuple[float, str] | None = None
        for name in _names(body):
            matcher.set_seq1(normalize_name(name))
            if matcher.real_quick_ratio() < MIN_SCORE or matcher.quick_ratio() < MIN_SCORE:
                continue  # upper bounds of ratio(), far cheaper
            score = matcher.ratio()
            if score >= MIN_SCORE and (top is None or score > top[0]):
                top = (score, name)
        if top is not None:
            scored.append(Candidate(body.body_id, body.name, top[1], round(top[0], 3)))
    # best first; ties by roster name, then id, so that the list is the same on every run
    return tuple(heapq.nsmallest(_MAX_SUGGEST, scored, key=lambda c: (-c.score, c.name, c.body_id)))


def _matching_name(body: Body, key: str) -> str | None:
    return next((name for name in _names(body) if normalize_name(name) == key), None)


def match_body(agency: str | None, division: str, bodies: Sequence[Body]) -> BodyMatch:
    """The roster body that issued a report read as ``agency`` and uploaded under ``division``.

    Candidates are the bodies of the upload's division, then those below it, then those above it
    (``_TIERS``); bodies of unrelated divisions never match. A body matches when the agency's key
    equals the key of its name or of one of its aliases. The first tier with a match decides; if
    it holds more than one matching body the result is ambiguous and matches none. Without a
    match, ``closest`` holds up to three bodies of those tiers whose names are most similar
    (ratio >= ``MIN_SCORE``). A division that is not 2 to 12 digits has no candidates.
    """
    key = normalize_name(agency) if agency else ""
    upload = valid_division(division)
    tiers: dict[MatchVia, list[Body]] = {via: [] for via in _TIERS}
    seen: set[str] = set()
    for body in bodies if upload else ():
        via = _tier(body.division, upload or "")
        if via is not None and body.body_id not in seen:
            seen.add(body.body_id)
            tiers[via].append(body)
    if key:
        for via in _TIERS:
            found = [(body, name) for body in tiers[via] if (name := _matching_name(body, key)) is not None]
            if len(found) == 1:
                body, name = found[0]
                return BodyMatch(agency, key, body, via, name)
            if found:
                same = tuple(Candidate(body.body_id, body.name, name, 1.0) for body, name in found)
                return BodyMatch(agency, key, None, closest=same[:_MAX_SUGGEST], ambiguous=True)
    related = [body for via in _TIERS for body in tiers[via]]
    return BodyMatch(agency, key, None, closest=_closest(key, related))


# --- an upload that matches no body --------------------------------------------------------------

UNREADABLE_AGENCY = "未识别"
_MAX_ID_KEY = 32  # a longer key is cut and completed with a hash
_FALLBACK_DIVISION = "000000"  # as nianbao.events.UNKNOWN_DIVISION: a key outside reports/<division>/


def provisional_body_id(division: str, agency: str | None) -> str:
    """A stable id for an upload that matches no roster body: ``P:<division>:<key>``.

    The key is ``normalize_name(agency)`` (letters and digits only: never ``:`` or ``#``, the
    separators of ids and store keys); a key over 32 characters keeps its first 16 and a hash of
    the whole (``P:630122:<16 characters>~<16 hex digits>``). A report with no readable agency
    gets one provisional body per division, ``P:<division>:未识别``. Roster ids never start with
    ``P:`` (the roster refuses them). A division that is not 2 to 12 digits is taken as 000000.
    """
    upload = valid_division(division) or _FALLBACK_DIVISION
    key = normalize_name(agency) if agency else ""
    if not key:
        return f"P:{upload}:{UNREADABLE_AGENCY}"
    if len(key) > _MAX_ID_KEY:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        key = f"{key[:16]}~{digest}"
    return f"P:{upload}:{key}"
