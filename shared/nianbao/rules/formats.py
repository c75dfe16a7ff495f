"""Is the report laid out in the national format its year requires, in the standard wording?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nianbao.model import Finding, LabelNote, Location, Report
from nianbao.normalize import squeeze
from nianbao.parse.tables import is_standard
from nianbao.rules.catalog import TABLE_SECTION, TABLE_SHORT, finding
from nianbao.spec import FORMAT_2019, FORMAT_2021, SECTIONS, FormatVersion

_ORDINAL_PREFIX = re.compile(r"^(?:第[一二三四五六七八九十]{1,2}部分|[一二三四五六七八九十]{1,2}[、.,:]?|[1-9][、.])")


def check(report: Report) -> Iterator[Finding]:
    tables = [t for t in (report.table2, report.table3, report.table4) if t is not None]
    first_table = min(tables, key=lambda t: t.origin.line or 0) if tables else None
    where = (
        Location.of(first_table.origin, section=first_table.section, table=first_table.name)
        if first_table
        else Location()
    )
    if report.format is FormatVersion.UNKNOWN and tables:
        yield finding(
            "FORMAT_UNKNOWN",
            "无法判断表格使用的是2019版还是2021版格式：表头和行的措辞与两种格式都不能对应，请按"
            f"{FORMAT_2021.label}填写。",
            location=where,
            evidence=_markers(report),
        )
    if report.format is FormatVersion.V2019 and report.year and report.year >= FORMAT_2021.first_year:
        yield finding(
            "FORMAT_OUTDATED",
            f"{report.year}年度报告应使用{FORMAT_2021.label}，但表格仍是{FORMAT_2019.label}"
            "（例如表二的栏目和第二十条第（九）项、表三“（六）其他处理”不分项）。",
            location=where,
            evidence=_markers(report),
        )
    yield from _headings(report)
    for table in tables:
        for note in table.notes:
            yield _label(note)


def _markers(report: Report) -> str | None:
    found = report.format_markers.get(report.format.value) or [
        m for markers in report.format_markers.values() for m in markers
    ]
    return "格式标志：" + "、".join(found[:6]) if found else None


def _headings(report: Report) -> Iterator[Finding]:
    for section in report.sections.values():
        spec = SECTIONS[section.number - 1]
        title = re.split(r"[。:;]", _ORDINAL_PREFIX.sub("", squeeze(section.heading)), maxsplit=1)[0]
        if is_standard(title, spec.title):
            continue
        yield finding(
            "LABEL_NONSTANDARD",
            f"第{spec.ordinal}部分的标题“{section.heading}”与标准标题“{spec.heading}”措辞不同。",
            location=Location.of(section.origin, section=section.number),
            evidence=section.heading,
        )


def _label(note: LabelNote) -> Finding:
    table = note.table or ""
    thing = "行" if note.row is not None else "栏目"
    return finding(
        "LABEL_NONSTANDARD",
        f"{TABLE_SHORT.get(table, '')}的{thing}“{note.printed}”与标准格式的“{note.standard}”措辞不同。",
        location=Location.of(
            note.origin, section=TABLE_SECTION.get(table), table=note.table, row=note.row, column=note.column
        ),
        evidence=note.printed,
    )
