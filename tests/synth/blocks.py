"""A synthetic report as a document: headings, paragraphs and ruled tables with merged cells, as
offices lay them out in Word. Every backend (HTML, DOCX, the PDF generators) renders these blocks;
the tables follow the national format's printed layout, merges included."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from nianbao.spec import FORMATS, SECTIONS
from tests.synth import prose
from tests.synth.truth import Truth, Value


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    align: str = "left"  # left | center | right


@dataclass(frozen=True)
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Grid:
    """A ruled table. ``rows[r][c]`` is the cell starting there, or None where a merge covers it."""

    name: str  # table2 | table3 | table4
    rows: list[list[Cell | None]]
    header_rows: int  # repeated at the top of each page the table continues on
    widths: tuple[float, ...]  # relative column widths


@dataclass(frozen=True)
class ScannedPage:
    """A page printed as an image only (a scan): no text layer."""

    lines: tuple[str, ...]


Block = Heading | Paragraph | Grid | ScannedPage


def value_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value}"
    return str(value)


def _grid(rows: list[list[Cell]], width: int) -> list[list[Cell | None]]:
    """Place cells left to right, skipping positions covered by earlier row- or column-spans."""
    placed: list[list[Cell | None]] = [[None] * width for _ in rows]
    covered: set[tuple[int, int]] = set()
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in covered:
                c += 1
            placed[r][c] = cell
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    covered.add((r + dr, c + dc))
            c += cell.colspan
    return placed


def table2(truth: Truth) -> Grid:
    spec = FORMATS[truth.version].table2
    width = 1 + max(len(b.columns) for b in spec.blocks)
    rows: list[list[Cell]] = []
    for block in spec.blocks:
        rows.append([Cell(block.label, colspan=width)])
        spare = width - 1 - len(block.columns)
        header = [Cell("信息内容")] + [Cell(c.label) for c in block.columns]
        header[-1] = Cell(header[-1].text, colspan=1 + spare)
        rows.append(header)
        for row in block.rows:
            if row.key not in truth.table2 or "table2" in truth.empty:
                continue
            cells = [Cell(row.label)] + [Cell(value_text(v)) for v in truth.table2[row.key]]
            cells[-1] = Cell(cells[-1].text, colspan=1 + spare)
            rows.append(cells)
    return Grid("table2", _grid(rows, width), 0, (3.0,) + (1.6,) * (width - 1))


_T3_SPANS = {"granted": "三、本年度办理结果", "denied_1": "（三）不予公开", "unable_1": "（四）无法提供",
             "refused_1": "（五）不予处理", "other_1": "（六）其他处理"}  # fmt: skip
_T3_GROUP_OF = {"denied": "denied_1", "unable": "unable_1", "refused": "refused_1", "other": "other_1"}


def table3(truth: Truth) -> Grid:
    spec = FORMATS[truth.version].table3
    printed = [r for r in spec.rows if r.key in truth.table3 and "table3" not in truth.empty]
    results = [r for r in printed if r.key in spec.result_rows or r.key == "results_total"]
    rows: list[list[Cell]] = [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         Cell("申请人情况", colspan=7)],
        [Cell("自然人", rowspan=2), Cell("法人或其他组织", colspan=5), Cell("总计", rowspan=2)],
        [Cell(label) for label in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
    ]  # fmt: skip
    for row in printed:
        values = [Cell(value_text(v)) for v in truth.table3[row.key]]
        group = row.key.split("_")[0] if "_" in row.key and row.key[-1].isdigit() else None
        labels: list[Cell] = []
        if row.key == "granted":
            labels.append(Cell(_T3_SPANS["granted"], rowspan=len(results)))
        if row.key in ("new", "carried_in", "carried_out"):
            labels.append(Cell(row.label, colspan=3))
        elif group and group in _T3_GROUP_OF:
            if row.key == _T3_GROUP_OF[group]:
                size = sum(1 for r in printed if r.key.startswith(group + "_"))
                labels.append(Cell(_T3_SPANS[row.key], rowspan=size))
            labels.append(Cell(row.label))
        else:
            labels.append(Cell(row.label, colspan=2))
        rows.append(labels + values)
    return Grid("table3", _grid(rows, 10), 3, (1.2, 1.6, 2.6) + (1.0,) * 7)


def table4(truth: Truth) -> Grid:
    outcomes = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    rows: list[list[Cell]] = [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [*(Cell(o, rowspan=2) for o in outcomes), Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(o) for o in outcomes * 2],
    ]
    if "table4" not in truth.empty:
        rows.append([Cell(value_text(v)) for v in truth.table4])
    return Grid("table4", _grid(rows, 15), 3, (1.0,) * 15)


def blocks(truth: Truth, rng: random.Random | None = None, *, scanned_page: bool = False) -> list[Block]:
    """The report as a document, in print order."""
    rng = rng or random.Random(0)
    out: list[Block] = []
    title = prose.title(truth)
    if title:
        out.append(Paragraph(title, align="center"))
    out.append(Paragraph(prose.preamble(truth)))
    tables = {2: table2, 3: table3, 4: table4}
    for number in truth.sections:
        spec = SECTIONS[number - 1]
        out.append(Heading(spec.heading))
        name = f"table{number}"
        if number in tables and name in truth.omit:
            out.append(Paragraph(prose.NO_TABLE))
        elif number in tables:
            out.append(tables[number](truth))
        else:
            texts = {1: lambda: prose.section1(truth, rng), 5: lambda: prose.section5(truth),
                     6: lambda: prose.section6(truth)}[number]()  # fmt: skip
            out.extend(Paragraph(t) for t in texts)
    out.extend(Paragraph(t, align="right") for t in prose.signature(truth))
    if scanned_page:
        out.append(ScannedPage(("附件：政府信息公开工作情况说明", "本页为扫描件。")))
    return out
