"""TEXT_TABLE_MISMATCH: counts stated in prose against the tables.

Prose is cut into clauses (at ，。；：！？ and line ends). A clause states a count only when its
words tie the count to a table cell with nothing in between: a verb of receiving or being subject
to (收到, 受理, 被申请, 被提起 …), the thing (政府信息公开申请, 行政复议, 行政诉讼), then the number.
A clause states a zero only when the whole clause is a negated statement of that kind
(本年度未收到政府信息公开申请；无行政诉讼). Everything else is left alone: breakdowns
(其中…, 县直部门收到…, 通过网络平台收到…), outcomes (行政复议结果维持2件), the body acting as a
review organ (办理行政复议案件56件), fees (未向申请人收取信息处理费), other years (上年度…,
2022年…), and unrelated counts (主动公开信息89条). Only the first claim of each kind is compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nianbao.model import Cell, Finding, Location, Prose, Report, Table, TableRow
from nianbao.normalize import display, to_int
from nianbao.rules.balance import bounds
from nianbao.rules.catalog import TABLE_SHORT, finding
from nianbao.spec import SECTIONS, TABLE3_APPLICANT_COLUMNS, TABLE4_ROW

_NUM = r"(?P<n>\d+|[零〇一二两三四五六七八九十百千万亿]+)"
_UNIT = r"(?:件|个|宗|起|份|例)"
_COUNT = rf"(?:共计|合计|总计|共|计|为|达)?{_NUM}{_UNIT}"
_REQUEST = r"(?:政府信息公开申请|信息公开申请|依申请公开(?:申请|事项)?|公开申请)"
_REVIEW = r"行政复议(?:申请|案件)?"
_SUIT = r"行政诉讼(?:案件)?"
_BOTH = r"行政复议(?:和|、|及|与|或)(?:提起|被提起)?行政诉讼(?:案件)?"
_FILLER = r"(?:因|由于)?(?:政府信息公开(?:工作)?)?(?:而)?(?:被申请|被提起|申请|提起|引起的|引发的)?"

_POSITIVE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("review_and_suit_each", re.compile(rf"{_BOTH}(?:各|均)(?:为)?{_NUM}{_UNIT}")),
    ("review_and_suit", re.compile(rf"{_BOTH}{_COUNT}")),
    ("requests", re.compile(rf"(?:收到|受理|新收|接收|接到)[^,。;:!?\n\d]{{0,8}}?{_REQUEST}{_COUNT}")),
    ("carried_in", re.compile(rf"上年(?:度)?结转(?:的)?(?:政府信息公开申请|申请)?{_COUNT}")),
    ("carried_out", re.compile(rf"结转(?:至|到)?下(?:一)?年(?:度)?(?:继续办理)?(?:的)?(?:申请)?{_COUNT}")),
    ("review", re.compile(rf"{_FILLER}{_REVIEW}{_COUNT}")),
    ("suit", re.compile(rf"{_FILLER}{_SUIT}{_COUNT}")),
)
# A whole clause that says none happened: [time/subject] 未收到|没有发生|无 … <thing> [案件|情况].
_LEAD = r"^(?:本年度|全年|年内|本年|今年|\d{4}年度?|(?:我|本|全)[\u4e00-\u9fff]{1,5})*(?:均|共|都|亦|也)?"
_NONE = r"(?:(?:未|没有)(?:收到|受理|接到|发生|出现|被申请|被提起|涉及)(?:过)?(?:任何)?|无)"
_TAIL = r"(?:的)?(?:案件|事项|的情况|情况|件)?$"
_ZERO: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("review_and_suit", re.compile(rf"{_LEAD}{_NONE}{_FILLER}{_BOTH}{_TAIL}")),
    ("requests", re.compile(rf"{_LEAD}{_NONE}(?:政府信息)?{_REQUEST}{_TAIL}")),
    ("review", re.compile(rf"{_LEAD}{_NONE}{_FILLER}{_REVIEW}{_TAIL}")),
    ("suit", re.compile(rf"{_LEAD}{_NONE}{_FILLER}{_SUIT}{_TAIL}")),
)
# Clauses that break a total down, report outcomes or other bodies' cases, or speak of fees.
_NOT_A_TOTAL = re.compile(
    r"其中|涉及|本级|(?<![各全])部门|(?<![本我])乡镇|(?<![本我])街道|各村|社区|"
    r"通过(?:网络|网上|互联网|在线|信函|邮寄|当面|现场|电子|传真|平台|政务)|"
    r"复议机关|办理行政复议|审理|收费|处理费|超期|逾期|败诉|纠错|维持|纠正|撤销|确认违法|"
    r"平均|办结率|答复率|同比|环比|增长|下降|较上|比上"
)
_OTHER_YEAR = re.compile(r"上年度|去年|上一年|(\d{4})年")
_CLAUSE = re.compile(r"[^,。;:!?\n]+")


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # requests | carried_in | carried_out | review | suit | review_and_suit
    count: int
    clause: str
    offset: int


def _about_another_year(clause: str, start: int, year: int | None) -> bool:
    for match in _OTHER_YEAR.finditer(clause, 0, start):
        if not match.group(1) or year is None or int(match.group(1)) != year:
            return True
    return False


# Every pattern above names one of these: a clause without any states no count (most prose).
_THINGS = ("申请", "结转", "复议", "诉讼")


def claims(prose: Prose, year: int | None) -> Iterator[Claim]:
    """Every count the prose states about this year's requests, reviews and lawsuits."""
    for clause_match in _CLAUSE.finditer(prose.text):
        clause, offset = clause_match.group(0), clause_match.start()
        if not any(thing in clause for thing in _THINGS) or _NOT_A_TOTAL.search(clause):
            continue
        for kind, pattern in _ZERO:
            if pattern.match(clause):
                yield from _split(Claim(kind, 0, clause, offset))
                break
        else:
            for kind, pattern in _POSITIVE:
                match = pattern.search(clause)
                if match and not _about_another_year(clause, match.start(), year):
                    count = to_int(match["n"])
                    if count is not None:
                        yield from _split(Claim(kind, count, clause, offset))
                    break


def _split(claim: Claim) -> Iterator[Claim]:
    if claim.kind == "review_and_suit_each" or (claim.kind == "review_and_suit" and claim.count == 0):
        yield Claim("review", claim.count, claim.clause, claim.offset)
        yield Claim("suit", claim.count, claim.clause, claim.offset)
    else:
        yield claim


# --- what the tables say ------------------------------------------------------------------------


def _total(placement: tuple[Cell, ...], columns: tuple[str, ...], total: str, parts: tuple[str, ...]) -> int | None:
    """A row's total: its 总计 cell, else the sum of its parts when all are printed."""
    lo, hi = bounds(placement[columns.index(total)])
    if lo == hi:
        return int(lo)
    values = [bounds(placement[columns.index(p)]) for p in parts]
    if all(lo == hi for lo, hi in values):
        return int(sum(lo for lo, _ in values))
    return None


def _options(row: TableRow | None, value: Callable[[tuple[Cell, ...]], int | None]) -> set[int] | None:
    """Every value ``value`` takes over the row's placements; None when one is unknown."""
    if row is None:
        return None
    found: set[int] = set()
    for placement in row.placements:
        v = value(placement)
        if v is None:
            return None
        found.add(v)
    return found


def _t3(table: Table | None, key: str) -> set[int] | None:
    row = table.rows.get(key) if table else None
    if row is None:
        return None
    return _options(row, lambda p: _total(p, row.columns, "total", TABLE3_APPLICANT_COLUMNS))


def _t4(table: Table | None, blocks: tuple[str, ...]) -> set[int] | None:
    row = table.rows.get(TABLE4_ROW) if table else None
    if row is None:
        return None
    outcomes = ("upheld", "corrected", "other", "pending")

    def value(p: tuple[Cell, ...]) -> int | None:
        totals = [_total(p, row.columns, f"{b}_total", tuple(f"{b}_{o}" for o in outcomes)) for b in blocks]
        return None if None in totals else sum(t for t in totals if t is not None)

    return _options(row, value)


@dataclass(frozen=True, slots=True)
class _Target:
    table: str
    row: str
    column: str
    describe: str


_TARGETS = {
    "requests": _Target("table3", "new", "total", "表三“本年新收政府信息公开申请数量”的总计"),
    "carried_in": _Target("table3", "carried_in", "total", "表三“上年结转政府信息公开申请数量”的总计"),
    "carried_out": _Target("table3", "carried_out", "total", "表三“结转下年度继续办理”的总计"),
    "review": _Target("table4", TABLE4_ROW, "review_total", "表四行政复议的总计"),
    "suit": _Target("table4", TABLE4_ROW, "suit_total", "表四行政诉讼（直接起诉与复议后起诉）的总计"),
    "review_and_suit": _Target("table4", TABLE4_ROW, "review_total", "表四行政复议与行政诉讼的总计之和"),
}
_T4_BLOCKS = {"review": ("review",), "suit": ("suit", "post_review_suit"),
              "review_and_suit": ("review", "suit", "post_review_suit")}  # fmt: skip


def _table_values(report: Report, kind: str) -> tuple[set[int], set[int]] | None:
    """What the table says for ``kind``, and every count the prose may state without a mismatch."""
    if kind == "requests":
        new, carried = _t3(report.table3, "new"), _t3(report.table3, "carried_in")
        if new is None:
            return None
        # "受理 N 件" sometimes counts last year's carried-over requests too
        return new, new | ({a + b for a in new for b in carried} if carried else set())
    values = _t3(report.table3, kind) if kind in ("carried_in", "carried_out") else _t4(report.table4, _T4_BLOCKS[kind])
    return None if values is None else (values, values)


def check(report: Report) -> Iterator[Finding]:
    compared: set[str] = set()
    proses = [(None, report.preamble)] + [(n, s.prose) for n, s in sorted(report.sections.items())]
    for number, prose in proses:
        for claim in claims(prose, report.year):
            if claim.kind in compared:
                continue
            compared.add(claim.kind)
            yield from _compare(report, claim, number, prose)


def _compare(report: Report, claim: Claim, number: int | None, prose: Prose) -> Iterator[Finding]:
    target = _TARGETS[claim.kind]
    table = report.table(target.table)
    where = f"第{SECTIONS[number - 1].ordinal}部分" if number else "报告开头"
    said = display(claim.clause)
    # the box is the quoted clause's (its lines on the page where it starts), not the table cell's
    origin = prose.origin_at(claim.offset, claim.offset + len(claim.clause))
    location = Location.of(origin, section=number, table=target.table, row=target.row, column=target.column)
    if table is None or not table.has_values:
        if claim.count > 0:
            state = "缺失" if table is None else "没有填写任何数据"
            yield finding("TEXT_TABLE_MISMATCH", f"{where}写道“{said}”，但{TABLE_SHORT[target.table]}{state}。",
                          location=location, actual=claim.count, evidence=said)  # fmt: skip
        return
    found = _table_values(report, claim.kind)
    if found is None or claim.count in found[1]:
        return
    values = found[0]
    yield finding(
        "TEXT_TABLE_MISMATCH",
        f"{where}写道“{said}”，但{target.describe}为{'或'.join(str(v) for v in sorted(values))}。",
        location=location,
        expected=next(iter(values)) if len(values) == 1 else None,
        actual=claim.count,
        evidence=said,
    )
