"""Pages with no text layer: read by OCR (READ_BY_OCR), the cells OCR was unsure of
(OCR_LOW_CONFIDENCE), or left unread (NO_TEXT_LAYER)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nianbao.model import Cell, CellKind, Finding, Location, Report, TableRow
from nianbao.normalize import shorten_digits
from nianbao.rules.catalog import TABLE_NAMES, TABLE_SHORT, cell_location, column_name, finding, layout_spec, row_name

SHOWN_CELLS = 5  # the unsure cells a finding names; it counts the rest


def _on_pages(code: str, pages: list[int], report: Report, what: str) -> Iterator[Finding]:
    """One finding naming ``pages`` (the whole file when they are all its pages), then ``what``."""
    if pages:
        whole = len(pages) == report.pages
        where = "整个文件都是扫描图片" if whole else f"第{'、'.join(str(n) for n in pages)}页是扫描图片"
        yield finding(code, where + what, location=Location(page=pages[0]))


def unread(report: Report) -> Iterator[Finding]:
    """NO_TEXT_LAYER: pages with no text layer on which OCR read nothing (or that it could not read)."""
    yield from _on_pages(
        "NO_TEXT_LAYER",
        report.scanned_pages,
        report,
        "，没有文字层，其中的内容无法核对；请上传由 Word 等直接导出、带文字层的 PDF。",
    )


def read_by_ocr(report: Report) -> Iterator[Finding]:
    """READ_BY_OCR: the pages read by OCR, so that an official knows the tables were read from images."""
    yield from _on_pages(
        "READ_BY_OCR",
        report.ocr_pages,
        report,
        "，已通过文字识别（OCR）读取；识别把握不足的单元格不参与核对，核查结果请以原件为准。",
    )


@dataclass(slots=True)
class _Unsure:
    table: str
    row: TableRow
    column: str
    cell: Cell


def check(report: Report) -> Iterator[Finding]:
    """OCR_LOW_CONFIDENCE: one finding naming the table cells OCR read with too little confidence
    (uncertain, like a blank: no balance finding rests on them)."""
    if not report.ocr_pages:  # only OCR leaves a cell uncertain
        return
    unsure = [
        _Unsure(name, row, column, cell)
        for name in TABLE_NAMES
        if (table := report.table(name)) is not None
        for row in table.rows.values()
        if row.placed
        for column, cell in zip(row.columns, row.placements[0], strict=True)
        if cell.kind is CellKind.UNCERTAIN
    ]
    if not unsure:
        return
    spec = layout_spec(report)
    named = []
    for item in unsure[:SHOWN_CELLS]:
        where = TABLE_SHORT[item.table] if item.table == "table4" else (
            f"{TABLE_SHORT[item.table]}“{row_name(item.table, item.row.key, spec)}”行"
        )  # fmt: skip
        shown = shorten_digits(item.cell.raw) or "（空）"
        sure = f"，把握{item.cell.confidence:.0%}" if item.cell.confidence is not None else ""
        named.append(f"{where}“{column_name(item.table, item.column, spec)}”列（识别为“{shown}”{sure}）")
    more = f"等{len(unsure)}个单元格" if len(unsure) > SHOWN_CELLS else ""
    first = unsure[0]
    yield finding(
        "OCR_LOW_CONFIDENCE",
        f"{'、'.join(named)}{more}的文字识别把握不足，未参与勾稽关系等核对，请对照原件人工核对。",
        location=cell_location(first.table, first.row, first.column),
        evidence=first.row.evidence,
    )
