"""Title, issuing body, report year, publication date and format version."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from nianbao.extract import Line
from nianbao.model import Origin, Prose, YearEvidence, YearStatement
from nianbao.normalize import CN_NUMERAL, compact, display, to_int
from nianbao.parse.rows import line_box, origin_of
from nianbao.spec import FORMAT_2019, FORMAT_2021, FormatVersion

_TITLE_WORDS = ("年度报告", "年报", "工作报告")
_TITLE_CONTINUATION = re.compile(rf"^(?:\d{{4}}|[{CN_NUMERAL}]{{4}}|年|度|政府信息公开|工作|报告)")
_ORG = re.compile(
    r"(?:人民政府|政府|办事处|委员会|管委会|局|委|办公室|厅|署|中心|院|所|站|队|处|镇|乡|街道|公司|部|办)$"
)
_UNIT_NAME = re.compile(r"单位名称[:：]\s*(\S+)")
_TITLE_AGENCY = re.compile(rf"^(.*?)(?:\d{{4}}年|[{CN_NUMERAL}]{{4}}年|政府信息公开)")
_YEAR = re.compile(rf"(\d{{4}}|[{CN_NUMERAL}]{{4}})年度?")
_PERIOD = re.compile(r"(\d{4})年0?1月0?1日(?:起)?(?:至|到|-|~|—)(?:(\d{4})年)?12月31日")
_STATEMENT = re.compile(
    r"(?:^|(?<=[。;!?\n]))(?:\(?[一二三四五六七八九十\d]{1,2}[)、.]?)?(?P<year>\d{4})年(?:度)?(?:以来|全年)?,"
)
_ANY_YEAR = re.compile(r"(?<!\d)(\d{4})年(?!\d{1,2}月\d{1,2}日|\d)")
# A date, with the day optional ("2024年1月") and 元月 for January; a signature may precede it on
# the same line and 发布/印发 follow it.
_DATES = (
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2}|元)月(?:(?P<d>\d{1,2})日)?"),
    re.compile(r"(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})"),
    re.compile(rf"(?P<y>[{CN_NUMERAL}]{{4}})年(?P<m>[{CN_NUMERAL}]{{1,3}}|元)月(?:(?P<d>[{CN_NUMERAL}]{{1,3}})日)?"),
)
_DATE_PREFIX = re.compile(r"^(?:发布|印发|公开|成文)?日期[:：]?")


def _nonempty(lines: Sequence[Line], indices: Iterable[int]) -> list[int]:
    return [i for i in indices if lines[i].text]


def plausible_year(year: int) -> bool:
    return 2000 <= year <= 2100


def find_title(lines: Sequence[Line], stop: int) -> tuple[str | None, Origin | None, set[int]]:
    """The report title (joined when it wraps), where it starts, and the lines it takes."""
    window = _nonempty(lines, range(min(stop, len(lines))))[:8]
    for position, index in enumerate(window):
        text = lines[index].key
        following = window[position + 1] if position + 1 < len(window) else None
        if following is not None and not any(word in text for word in _TITLE_WORDS):
            # a title wrapped inside its last word: "……工作年度" / "报告"
            joined = text + lines[following].key
            if len(joined) <= 60 and len(lines[following].key) <= 6 and any(w in joined for w in _TITLE_WORDS):
                used = [index, following]
                title = "".join(lines[i].key for i in used)
                return title, _origin(lines, used), set(used)
        if len(text) > 60 or not any(word in text for word in _TITLE_WORDS):
            continue
        used = [index]
        if _TITLE_CONTINUATION.match(text) and position > 0:
            previous = window[position - 1]
            before = lines[previous].key
            if len(before) <= 40 and not before.endswith(("。", ",", ";")):
                used.insert(0, previous)
        title = "".join(lines[i].key for i in used)
        return title, _origin(lines, used), set(used)
    return None, None, set()


def _origin(lines: Sequence[Line], used: Sequence[int]) -> Origin:
    """Where a title printed over ``used`` lines is: its first line, the box holding them all."""
    first = origin_of(lines[used[0]])
    return first.union(origin_of(lines[i]) for i in used[1:])


def _is_org_line(text: str) -> bool:
    return len(text) <= 30 and bool(_ORG.search(text)) and not re.search(r"[。,;:]", text)


def _signature(lines: Sequence[Line]) -> str | None:
    """The body signed above the publication date (or before it, on its line)."""
    tail = _nonempty(lines, range(len(lines)))[-12:]
    for position in range(len(tail) - 1, -1, -1):
        printed = find_date_in(lines[tail[position]].key)
        if printed is not None:
            above = [lines[i].key for i in reversed(tail[max(0, position - 2) : position])]
            return printed.signer or next((text for text in above if _is_org_line(text)), None)
    return None


def _closing_line(lines: Sequence[Line]) -> str | None:
    """An undated report: a body's name among its last lines."""
    tail = [lines[i].key for i in reversed(_nonempty(lines, range(len(lines)))[-6:])]
    return next((text for text in tail if _is_org_line(text)), None)


def _unit_name(lines: Sequence[Line]) -> str | None:
    for line in lines[:40]:
        match = _UNIT_NAME.search(line.text)
        if match and _ORG.search(match.group(1)):
            return match.group(1)
    return None


def _letterhead(lines: Sequence[Line]) -> str | None:
    head = _nonempty(lines, range(min(len(lines), 10)))
    first = lines[head[0]].key if head else ""
    return first if _is_org_line(first) and not any(w in first for w in _TITLE_WORDS) else None


def _title_prefix(title: str | None) -> str | None:
    match = _TITLE_AGENCY.match(title or "")
    return match.group(1) if match and len(match.group(1)) >= 2 else None


def find_agency(lines: Sequence[Line], title: str | None) -> str | None:
    """The issuing body: the signature, else 单位名称, else the letterhead, else the title's prefix."""
    return _signature(lines) or _closing_line(lines) or _unit_name(lines) or _letterhead(lines) or _title_prefix(title)


def title_year(title: str | None) -> int | None:
    if not title:
        return None
    match = _YEAR.search(title)
    year = to_int(match.group(1)) if match else None
    return year if year is not None and plausible_year(year) else None


def read_years(title: str | None, preamble: Prose, sections: dict[int, Prose]) -> YearEvidence:
    evidence = YearEvidence(title=title_year(title))
    for prose in (preamble, sections.get(1)):
        if prose is None:
            continue
        match = _PERIOD.search(prose.text)
        # a period of year 9999 or 0001 is no report year (and 9999 + 1 is past any date)
        if match and plausible_year(int(match.group(1))):
            evidence.period = int(match.group(1))
            evidence.period_text = match.group(0)
            evidence.period_origin = prose.origin_at(match.start(), match.end())
            if match.group(2) and int(match.group(2)) != evidence.period:
                evidence.period_text += "（起止年份不一致）"
            break
    for number, prose in [(None, preamble), *sorted(sections.items())]:
        for match in _STATEMENT.finditer(prose.text):
            year = int(match["year"])
            if plausible_year(year):
                sentence = prose.text[match.start() : match.start() + 40].split("。")[0]
                evidence.statements.append(
                    YearStatement(
                        year=year,
                        section=number,
                        text=display(sentence.lstrip("\n")),
                        origin=prose.origin_at(match.start(), match.start() + len(sentence)),
                        opening=match.start() == 0,
                    )
                )
    counts = Counter(s.year for s in evidence.statements)
    if not counts:
        for prose in (preamble, sections.get(1), sections.get(5)):
            if prose is not None:
                counts.update(int(y) for y in _ANY_YEAR.findall(prose.text) if plausible_year(int(y)))
    if counts:
        top = max(counts.values())
        evidence.body = max(year for year, count in counts.items() if count == top)
    return evidence


_DATE_SUFFIX = re.compile(r"(?:发布|印发|公布|制)$")


@dataclass(frozen=True, slots=True)
class PrintedDate:
    day: date  # the first of the month when only a month was printed
    month_only: bool
    signer: str  # what preceded the date on its line (a signature), if anything


def find_date_in(text: str) -> PrintedDate | None:
    """A date that ends ``text`` and is all there is on it but for brackets, a 日期 label, a
    signature before it and 发布/印发 after it."""
    text = _DATE_SUFFIX.sub("", _DATE_PREFIX.sub("", text.strip("()（）[]【】")))
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if match.end() != len(text):
                continue
            signer = text[: match.start()].strip("()（）[]【】")
            if signer and not (len(signer) <= 30 and _ORG.search(signer)):
                continue
            return _printed(match, signer)
    return None


# A web page's line above or below the article: 发布时间：2024-01-20 10:30  来源：…  浏览次数：…
_LABELLED_DATE = re.compile(r"(?:发布|公开|成文|发文)(?:时间|日期)\s*[:：]\s*")


def labelled_date(text: str) -> PrintedDate | None:
    """The date after a 发布时间/发布日期 label, whatever follows it on the line (a time, the source)."""
    label = _LABELLED_DATE.search(text)
    if label is None:
        return None
    rest = text[label.end() : label.end() + 24]
    for pattern in _DATES:
        match = pattern.match(rest)
        if match:
            return _printed(match, "")
    return None


def meta_date(content: str | None) -> PrintedDate | None:
    """A page's metadata date (2024-01-20, 2024-01-20T10:30:00+08:00, 2024年01月20日 10:30)."""
    if not content:
        return None
    for pattern in _DATES:
        match = pattern.match(content.strip())
        if match:
            return _printed(match, "")
    return None


def _printed(match: re.Match[str], signer: str) -> PrintedDate | None:
    year, day = to_int(match["y"]), to_int(match["d"]) if match["d"] else 1
    month = 1 if match["m"] == "元" else to_int(match["m"])
    if year is None or month is None or day is None or not plausible_year(year):
        return None
    try:
        return PrintedDate(date(year, month, day), match["d"] is None, signer)
    except ValueError:
        return None


def find_date(lines: Sequence[Line]) -> tuple[PrintedDate | None, Origin | None]:
    """The publication date: a line that ends in a date and holds nothing else but a signature,
    near the end (else near the start); else a 发布时间 line of a web page, above or below the
    article."""
    indices = _nonempty(lines, range(len(lines)))
    near = [*reversed(indices[-10:]), *indices[:8]]
    for index in near:
        found = find_date_in(lines[index].key)
        if found:
            return found, origin_of(lines[index])
    for index in [*indices[:15], *reversed(indices[-15:])]:
        found = labelled_date(lines[index].key)
        if found:
            return found, origin_of(lines[index])
    return None, None


def detect_format(texts: Iterable[str], table3_rows: Iterable[str]) -> tuple[FormatVersion, dict[str, list[str]]]:
    """The layout the tables are printed in, with the markers that told it."""
    blob = "".join(texts)
    found = {
        FormatVersion.V2019.value: [m for m in FORMAT_2019.markers if m in blob],
        FormatVersion.V2021.value: [m for m in FORMAT_2021.markers if m in blob],
    }
    keys = set(table3_rows)
    if "other" in keys:
        found[FormatVersion.V2019.value].append("（六）其他处理（单行）")
    if keys & {"other_1", "other_2", "other_3"}:
        found[FormatVersion.V2021.value].append("（六）其他处理（分三项）")
    n2019, n2021 = len(found["2019"]), len(found["2021"])
    if n2019 == n2021:
        return FormatVersion.UNKNOWN, found
    return (FormatVersion.V2019 if n2019 > n2021 else FormatVersion.V2021), found


def prose_of(lines: Sequence[Line], indices: Iterable[int]) -> Prose:
    """Whitespace-free narrative text of ``lines[indices]``: pieces are joined with nothing (a line
    break inside a sentence is a wrap) and with a newline after a sentence ends."""
    prose = Prose()
    parts: list[str] = []
    offset = 0
    for index in indices:
        piece = compact(lines[index].text).lstrip("#>*")
        if not piece:
            continue
        if parts and parts[-1].endswith(("。", "!", "?", ";", ":")):
            parts.append("\n")
            offset += 1
        line = lines[index]
        prose.starts.append(offset)
        prose.lines.append(line.number)
        prose.places.append((line.page, line_box(line), line.page_size))
        parts.append(piece)
        offset += len(piece)
    prose.text = "".join(parts)
    return prose
