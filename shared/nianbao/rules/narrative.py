"""What the prose says against what the tables and the year say.

Counts stated in prose are read only where their words tie them to a table cell: requests
received (申请 with 公开 in the same clause), requests carried over, administrative reviews and
lawsuits. Counts about last year (上年度……, 2022年……) and every other count (信息 89 条,
热点 60 次) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nianbao.model import Cell, Finding, Location, Prose, Report, Table, TableRow
from nianbao.normalize import display, to_int
from nianbao.rules.balance import bounds
from nianbao.rules.catalog import TABLE_SHORT, finding, section_location
from nianbao.spec import SECTIONS, TABLE4_ROW, FormatVersion

_NUM = r"(?P<n>\d+|[零〇一二两三四五六七八九十百]+)"
_UNIT = r"(?:件|个|宗|起|份|例)"
_STOP = r"[^,。;:!?\n\d]"


def _gap(n: int, exclude: str = "复议|诉讼") -> str:
    return rf"(?:(?!{exclude}){_STOP}){{0,{n}}}?"


_NEG = r"(?:未|没有|无(?!法|正当))"
_PUBLIC_REQUEST = r"(?:政府信息公开申请|信息公开申请|公开申请|依申请公开)"


@dataclass(frozen=True, slots=True)
class _Claim:
    kind: str
    pattern: re.Pattern[str]
    zero: bool = False


_CLAIMS = (
    _Claim(
        "review_and_suit_each",
        re.compile(rf"行政复议(?:和|、|及|与|或)(?:提起)?行政诉讼(?:案件)?(?:各|均)(?:为)?{_NUM}{_UNIT}"),
    ),
    _Claim(
        "review_and_suit",
        re.compile(rf"行政复议(?:和|、|及|与|或)(?:提起)?行政诉讼(?:案件)?(?:共计|合计|共)?{_NUM}{_UNIT}"),
    ),
    _Claim(
        "review_and_suit",
        re.compile(rf"{_NEG}{_gap(12, '复议')}行政复议(?:和|、|及|与|或)(?:提起)?行政诉讼"),
        zero=True,
    ),
    _Claim("review", re.compile(rf"行政复议(?:申请|案件)?{_gap(4)}(?:共|为)?{_NUM}{_UNIT}")),
    _Claim(
        "review",
        re.compile(rf"{_NEG}{_gap(12, '复议')}行政复议(?!(?:和|、|及|与|或)(?:提起)?行政诉讼)"),
        zero=True,
    ),
    _Claim("suit", re.compile(rf"(?:行政诉讼|提起诉讼|被起诉)(?:案件)?{_gap(4)}(?:共|为)?{_NUM}{_UNIT}")),
    # "无行政复议和行政诉讼" was read whole by the pattern above; overlapping matches are skipped
    _Claim("suit", re.compile(rf"{_NEG}{_STOP}{{0,12}}?行政诉讼"), zero=True),
    _Claim("carried_in", re.compile(rf"上年(?:度)?结转{_gap(10)}{_NUM}{_UNIT}")),
    _Claim("carried_out", re.compile(rf"结转(?:至|到)?下(?:一)?年(?:度)?(?:继续办理)?{_gap(6)}{_NUM}{_UNIT}")),
    _Claim(
        "requests",
        re.compile(
            rf"(?:收到|受理|新收|接收|接到){_gap(10)}{_PUBLIC_REQUEST}{_gap(6)}(?:共计|合计|总计|共|计|为)?{_NUM}{_UNIT}"
        ),
    ),
    _Claim("requests", re.compile(rf"{_NEG}(?:收到|受理|接到|发生)?{_gap(10)}{_PUBLIC_REQUEST}"), zero=True),
)
_ABOUT_ANOTHER_YEAR = re.compile(r"上年|去年|上一年|同比|较上|比上|(\d{4})年")
_CLAUSE_START = re.compile(r"[,。;:!?\n]")


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


_T3_PARTS = ("natural", "commercial", "research", "public_welfare", "legal_service", "other")


def _t3(table: Table | None, key: str) -> set[int] | None:
    row = table.rows.get(key) if table else None
    return _options(row, lambda p: _total(p, row.columns, "total", _T3_PARTS) if row else None)


def _t4(table: Table | None, blocks: tuple[str, ...]) -> set[int] | None:
    row = table.rows.get(TABLE4_ROW) if table else None
    if row is None:
        return None

    def value(p: tuple[Cell, ...]) -> int | None:
        totals = [
            _total(
                p,
                row.columns,
                f"{b}_total",
                tuple(f"{b}_{o}" for o in ("upheld", "corrected", "other", "pending")),
            )
            for b in blocks
        ]
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


def _table_values(report: Report, kind: str) -> tuple[set[int], set[int]] | None:
    """What the table says for ``kind`` and every count the prose may state without a mismatch."""
    t3, t4 = report.table3, report.table4
    if kind == "requests":
        new, carried = _t3(t3, "new"), _t3(t3, "carried_in")
        if new is None:
            return None
        # "受理 N 件" sometimes counts last year's carried-over requests too
        return new, new | ({a + b for a in new for b in carried} if carried else set())
    values = _values(t3, t4, kind)
    return None if values is None else (values, values)


def _values(t3: Table | None, t4: Table | None, kind: str) -> set[int] | None:
    if kind in ("carried_in", "carried_out"):
        return _t3(t3, kind)
    blocks = {
        "review": ("review",),
        "suit": ("suit", "post_review_suit"),
        "review_and_suit": ("review", "suit", "post_review_suit"),
    }[kind]
    return _t4(t4, blocks)


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The clause a match sits in (for evidence) and the part of it before the match."""
    begin = start
    while begin > 0 and not _CLAUSE_START.match(text[begin - 1]) and start - begin < 24:
        begin -= 1
    return display(text[begin:end]), text[begin:start]


def _claims(prose: Prose, year: int | None) -> Iterator[tuple[str, int, str, int]]:
    """(kind, count, clause, offset) for each count the prose states about this year's work."""
    taken: list[tuple[int, int]] = []
    for claim in _CLAIMS:
        for match in claim.pattern.finditer(prose.text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue  # a more specific pattern already read this text
            clause, before = _clause(prose.text, match.start(), match.end())
            other = _ABOUT_ANOTHER_YEAR.search(before)
            if other and not (other.group(1) and year and int(other.group(1)) == year):
                continue
            count = 0 if claim.zero else to_int(match["n"])
            if count is None:
                continue
            taken.append((match.start(), match.end()))
            if claim.kind == "review_and_suit_each":
                yield "review", count, clause, match.start()
                yield "suit", count, clause, match.start()
            elif claim.kind == "review_and_suit" and claim.zero:
                yield "review", 0, clause, match.start()
                yield "suit", 0, clause, match.start()
            else:
                yield claim.kind, count, clause, match.start()


def text_table_mismatch(report: Report) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    proses = [(None, report.preamble)] + [(n, s.prose) for n, s in sorted(report.sections.items())]
    for number, prose in proses:
        for kind, count, clause, offset in _claims(prose, report.year):
            if (kind, count) in seen:
                continue
            seen.add((kind, count))
            target = _TARGETS[kind]
            table = report.table(target.table)
            where = f"第{SECTIONS[number - 1].ordinal}部分" if number else "报告开头"
            location = Location(
                section=number, table=target.table, row=target.row, column=target.column, line=prose.line_at(offset)
            )
            if table is None or not table.has_values:
                if count > 0:
                    state = "缺失" if table is None else "没有填写任何数据"
                    yield finding(
                        "TEXT_TABLE_MISMATCH",
                        f"{where}写道“{clause}”，但{TABLE_SHORT[target.table]}{state}。",
                        location=location,
                        actual=count,
                        evidence=clause,
                    )
                continue
            found = _table_values(report, kind)
            if found is None or count in found[1]:
                continue
            values = found[0]
            shown = "或".join(str(v) for v in sorted(values))
            yield finding(
                "TEXT_TABLE_MISMATCH",
                f"{where}写道“{clause}”，但{target.describe}为{shown}。",
                location=location,
                expected=next(iter(values)) if len(values) == 1 else None,
                actual=count,
                evidence=clause,
            )


# --- years --------------------------------------------------------------------------------------

_FUTURE = re.compile(r"将|计划|拟|力争|下一步|继续|要")


def year_mismatch(report: Report) -> Iterator[Finding]:
    years, year = report.years, report.year
    if years.title and years.period and years.title != years.period:
        yield finding(
            "YEAR_MISMATCH",
            f"标题为{years.title}年度，但统计期限写的是{years.period}年。",
            location=Location(line=years.period_origin.line if years.period_origin else None),
            expected=years.title,
            actual=years.period,
            evidence=years.period_text,
        )
    if years.period_text and years.period_text.endswith("（起止年份不一致）"):
        yield finding(
            "YEAR_MISMATCH",
            f"统计期限“{years.period_text.removesuffix('（起止年份不一致）')}”的起止年份不一致。",
            location=Location(line=years.period_origin.line if years.period_origin else None),
            evidence=years.period_text,
        )
    if year is None:
        return
    flagged: set[int] = set()
    for statement in years.statements:
        head = statement.text[:10]
        if statement.year == year or statement.year in flagged:
            continue
        if statement.year == year + 1 and _FUTURE.search(statement.text):
            continue  # plans for next year
        if "以来" in head and statement.year < year:
            continue  # "2019年以来" reaches into this year
        flagged.add(statement.year)
        where = f"第{SECTIONS[statement.section - 1].ordinal}部分" if statement.section else "报告开头"
        yield finding(
            "YEAR_MISMATCH",
            f"{where}写道“{statement.text}”，把{statement.year}年当作本年度，而这是{year}年度的报告"
            "（可能沿用了其他年度报告的文字）。",
            location=Location(section=statement.section, line=statement.origin.line),
            expected=year,
            actual=statement.year,
            evidence=statement.text,
        )
    if not years.statements and years.body and years.body != year:
        yield finding(
            "YEAR_MISMATCH",
            f"正文提到的年份主要是{years.body}年，而这是{year}年度的报告。",
            location=Location(section=1),
            expected=year,
            actual=years.body,
        )
    if report.published and report.published.year <= year:
        yield finding(
            "YEAR_MISMATCH",
            f"落款日期{report.published:%Y年%m月%d日}早于{year}年度结束，年度或日期有误。",
            location=Location(line=report.published_origin.line if report.published_origin else None),
            evidence=str(report.published),
        )


# --- section contents ---------------------------------------------------------------------------

_FEE = re.compile(r"信息处理费|处理费")


def fee_statement_missing(report: Report) -> Iterator[Finding]:
    applies = report.format is FormatVersion.V2021 or (report.year or 0) >= 2021
    if not applies or 6 not in report.sections:
        return
    texts = [report.preamble.text, *(s.prose.text for s in report.sections.values())]
    if any(_FEE.search(text) for text in texts):
        return
    yield finding(
        "FEE_STATEMENT_MISSING",
        "2021版格式要求在第六部分报告依据《政府信息公开信息处理费管理办法》收取信息处理费的情况"
        "（发出收费通知的件数和总金额；未收取的也应写明），本报告未提及信息处理费。",
        location=section_location(report, 6),
        evidence=report.sections[6].prose.text[:60] or None,
    )


_PROBLEMS = re.compile(r"问题|不足|差距|薄弱|短板|欠缺|有待|不够|不强|不高")
_IMPROVEMENTS = re.compile(r"改进|整改|下一步|今后|将|措施|加强|提升|完善")
_ART50 = re.compile(r"考核|评议|责任追究")
_MIN_SECTION5 = 80


def section5_thin(report: Report) -> Iterator[Finding]:
    section = report.sections.get(5)
    if section is None:
        return
    text = section.prose.text
    missing = []
    if len(text) < _MIN_SECTION5:
        missing.append(f"只有{len(text)}个字")
    if not _PROBLEMS.search(text):
        missing.append("没有写存在的问题")
    if not _IMPROVEMENTS.search(text):
        missing.append("没有写改进措施")
    if missing:
        yield finding(
            "SECTION5_THIN",
            f"第五部分“存在的主要问题及改进情况”内容单薄：{'；'.join(missing)}。",
            location=section_location(report, 5),
            evidence=text[:60] or None,
        )
    agency = report.agency or ""
    if agency.endswith("人民政府"):
        texts = [s.prose.text for s in report.sections.values()]
        if not any(_ART50.search(t) for t in texts):
            yield finding(
                "SECTION5_THIN",
                "人民政府的年度报告还应报告政府信息公开工作考核、社会评议和责任追究结果情况"
                "（《政府信息公开条例》第五十条），本报告未提及。",
                location=section_location(report, 5),
            )


def check(report: Report) -> Iterator[Finding]:
    yield from text_table_mismatch(report)
    yield from year_mismatch(report)
    yield from fee_statement_missing(report)
    yield from section5_thin(report)
