"""Render a ``Truth`` as the text real reports come in (tab-separated tables with blanks kept,
space-separated cells, labels wrapped over lines or printed one character per line, markdown
headings, full- and half-width punctuation, spaces inside words).

Every layout keeps the truth recoverable: a blank cell is only rendered where the text still
shows it (an empty field between tabs), else as a placeholder.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from enum import StrEnum

from nianbao.spec import FORMATS, SECTIONS, TABLE4
from tests.synth import prose
from tests.synth.truth import PLACEHOLDERS, Truth, Value


class Layout(StrEnum):
    TABS = "tabs"  # seeds 000 and 001: tab-separated, three label columns, trailing tabs
    MARKDOWN = "markdown"  # seed 003: markdown headings, tabs, full-width brackets
    SPACES = "spaces"  # one row per line, cells separated by spaces
    SPLIT = "split"  # seed 004: labels wrapped over lines, values on a line of their own


HEADING_VARIANTS = {
    3: ("收到和处理政府信息公开申请情况",),
    4: ("政府信息公开行政复议、行政诉讼情况", "因政府信息公开工作被申请行政复议和提起行政诉讼情况"),
    5: ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
}
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_GROUPS = {
    "granted": "三、本年度办理结果",
    "denied_1": "（三）不予公开",
    "unable_1": "（四）无法提供",
    "refused_1": "（五）不予处理",
    "other_1": "（六）其他处理",
}
# Characters a misprint puts in a label's place: look-alikes and slips of the input method, none of
# them in any row's keywords.
MISPRINTS = "幵泌夏拿曰己戍末汩荼冶"
_ORDINAL = re.compile(r"^(?:（[一二三四五六七]）|\d\.|[一二三四]、)")
# Labels of Table 3 rows without their group (the spec's labels, as the national format prints them)
_HALF = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "、": "、"})


class Renderer:
    def __init__(
        self,
        truth: Truth,
        layout: Layout,
        rng: random.Random,
        *,
        variants: bool = True,
        half_width: bool | None = None,
        misprints: int = 0,
    ) -> None:
        self.truth = truth
        self.layout = layout
        self.rng = rng
        self.variants = variants
        self.misprints = misprints
        # row key -> the label as misprinted (one character of its wording replaced)
        self.misprinted: dict[str, str] = {}
        drawn = rng.random() < 0.3
        self.half_width = drawn if half_width is None else half_width
        self.trailing_tabs = layout is Layout.TABS and rng.random() < 0.5
        self.lines: list[str] = []

    # --- helpers ---------------------------------------------------------------------------
    def punct(self, text: str) -> str:
        return text.translate(_HALF) if self.half_width else text

    def spaced(self, text: str) -> str:
        """Sometimes a stray space inside a word, as PDF conversions leave them."""
        if len(text) > 4 and self.rng.random() < 0.2:
            cut = self.rng.randint(2, len(text) - 2)
            return f"{text[:cut]} {text[cut:]}"
        return text

    def cell(self, value: Value) -> str:
        if value is None:
            if self.layout in (Layout.SPACES, Layout.SPLIT):
                return self.rng.choice(PLACEHOLDERS)  # a blank would vanish between spaces
            return ""
        if isinstance(value, Decimal):
            return f"{value}"
        return str(value)

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)
        if self.layout is Layout.SPLIT:
            self.lines.append("")

    def heading(self, number: int) -> None:
        spec = SECTIONS[number - 1]
        title = self.rng.choice(HEADING_VARIANTS.get(number, (spec.title,))) if self.variants else spec.title
        title = self.spaced(title) if self.layout is not Layout.MARKDOWN else title
        text = self.punct(f"{spec.ordinal}、{title}")
        if self.layout is Layout.MARKDOWN:
            text = "#" * self.rng.randint(2, 4) + " " + text
        self.lines.extend(["", text, ""])

    def row(self, labels: list[str], values: list[Value]) -> None:
        cells = [self.cell(v) for v in values]
        if self.layout in (Layout.TABS, Layout.MARKDOWN):
            tail = "\t" if self.trailing_tabs and cells and cells[-1] else ""
            self.lines.append("\t".join([*labels, *cells]) + tail)
        elif self.layout is Layout.SPACES:
            label = "".join(lab for lab in labels if lab)
            self.lines.append(" ".join([label, *cells]))
        else:
            self.split_row("".join(lab for lab in labels if lab), cells)

    def split_row(self, label: str, cells: list[str]) -> None:
        """Seed 004: a long label wraps before its values; a short one shares their line."""
        if len(label) <= 12 or self.rng.random() < 0.3:
            self.emit(" ".join([label, *cells]))
            return
        pieces: list[str] = []
        rest = label
        while rest:
            width = self.rng.randint(5, 10)
            pieces.append(rest[:width])
            rest = rest[width:]
        self.emit(*pieces)
        self.emit(" ".join(cells))

    # --- parts -----------------------------------------------------------------------------
    def render(self) -> str:
        truth = self.truth
        title = truth.full_title()
        if title:
            if self.layout is Layout.MARKDOWN:
                self.lines.append(f"# {title}")
            elif self.layout is Layout.SPLIT and len(title) > 16:
                self.lines.extend([title[: len(title) - 6], title[len(title) - 6 :]])
            else:
                self.lines.append(title)
        self.lines.append("")
        self.lines.append(self.punct(prose.preamble(truth)))
        for number in truth.sections:
            self.heading(number)
            table = {2: "table2", 3: "table3", 4: "table4"}.get(number)
            if table in truth.omit:
                self.lines.append(prose.NO_TABLE)
                continue
            getattr(self, f"section{number}")()
        if truth.published:
            self.lines.extend(["", *prose.signature(truth)])
        return "\n".join(self.lines) + "\n"

    def section1(self) -> None:
        first, *rest = prose.section1(self.truth, self.rng)
        self.lines.extend([self.punct(first), "", *(self.punct(p) for p in rest)])

    def section2(self) -> None:
        spec = FORMATS[self.truth.version].table2
        for block in spec.blocks:
            label = self.punct(block.label)
            header = ["信息内容", *[c.label for c in block.columns]]
            if self.layout in (Layout.TABS, Layout.MARKDOWN):
                width = max(len(b.columns) for b in spec.blocks)
                self.lines.append(label + "\t" * width)
                self.lines.append("\t".join(header + [""] * (width + 1 - len(header))))
            else:
                self.emit(label)
                self.emit(" ".join(header))
            for row in block.rows:
                if row.key in self.truth.table2 and "table2" not in self.truth.empty:
                    self.row([row.label], self.truth.table2[row.key])

    def table3_header(self) -> None:
        columns = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
        if self.layout in (Layout.TABS, Layout.MARKDOWN):
            self.lines.append(self.punct(T3_NOTE) + "\t\t申请人情况" + "\t" * 6 + "总计\t")
            self.lines.append("\t\t自然人\t法人或其他组织" + "\t" * 6)
            self.lines.append("\t\t\t" + "\t".join(columns[1:]) + "\t\t")
        elif self.layout is Layout.SPACES:
            self.lines.append(self.punct(T3_NOTE))
            self.lines.append("申请人情况 " + " ".join(columns) + " 总计")
        else:
            self.emit(self.punct(T3_NOTE[:20]), self.punct(T3_NOTE[20:]))
            self.emit("申请人情况", "自然", "人", "法人或其他组织", "总计商业", "企业", "科研", "机构")
            self.emit("社会", "公益", "组织", "法律", "服务", "机构", "其他")

    def misprint(self, rows: list[str]) -> dict[str, str]:
        """``misprints`` of the rows, each with one character of its wording replaced (past the
        ordinal marker, and only in labels of four characters or more: a typo in 总计 leaves
        nothing to recognise)."""
        specs = {r.key: r for r in FORMATS[self.truth.version].table3.rows}
        labels: dict[str, str] = {}
        candidates = [key for key in rows if len(_ORDINAL.sub("", specs[key].label)) >= 4]
        for key in self.rng.sample(candidates, min(self.misprints, len(candidates))):
            label = specs[key].label
            start = len(label) - len(_ORDINAL.sub("", label))
            at = self.rng.randrange(start, min(len(label), start + 8))
            labels[key] = label[:at] + self.rng.choice(MISPRINTS) + label[at + 1 :]
        return labels

    def section3(self) -> None:
        self.table3_header()
        present = [r.key for r in FORMATS[self.truth.version].table3.rows if r.key in self.truth.table3]
        self.misprinted = self.misprint(present) if self.misprints and "table3" not in self.truth.empty else {}
        for row in FORMATS[self.truth.version].table3.rows:
            if row.key not in self.truth.table3 or "table3" in self.truth.empty:
                continue
            standard = self.misprinted.get(row.key, row.label)
            label = self.punct(standard if self.layout is Layout.SPLIT else self.spaced(standard))
            group = self.punct(T3_GROUPS.get(row.key, ""))
            if self.layout is Layout.SPLIT and group:
                # seed 004: group labels on lines of their own, 三、本年度办理结果 one character a line
                self.emit(*(group if row.key == "granted" else [group]))
                group = ""
            if row.key in ("new", "carried_in", "carried_out"):
                labels = [label, ""]
            elif row.key == "granted":
                labels = [group, label]
            elif row.key in ("partial", "other", "results_total"):
                labels = ["", label]
            else:
                labels = ["", group, label]
            self.row(labels, self.truth.table3[row.key])

    def section4(self) -> None:
        outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        if self.layout in (Layout.TABS, Layout.MARKDOWN):
            self.lines.append("行政复议" + "\t" * 5 + "行政诉讼" + "\t" * 9)
            self.lines.append("\t".join(outcomes) + "\t未经复议直接起诉" + "\t" * 5 + "复议后起诉" + "\t" * 4)
            self.lines.append("\t" * 5 + "\t".join(outcomes * 2))
            if "table4" not in self.truth.empty:
                self.lines.append("\t".join(self.cell(v) for v in self.truth.table4))
        else:
            self.emit("行政复议 行政诉讼")
            if self.layout is Layout.SPLIT:
                for _ in range(3):
                    self.emit("结果", "维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计")
            else:
                self.emit(" ".join(outcomes * 3))
            if "table4" not in self.truth.empty:
                self.emit(" ".join(self.cell(v) for v in self.truth.table4))
        assert len(self.truth.table4) == len(TABLE4.columns)

    def section5(self) -> None:
        self.lines.extend(self.punct(p) for p in prose.section5(self.truth))

    def section6(self) -> None:
        self.lines.extend(self.punct(p) for p in prose.section6(self.truth))


def render_text(
    truth: Truth,
    layout: Layout,
    rng: random.Random | None = None,
    *,
    variants: bool = True,
    half_width: bool | None = None,
) -> str:
    """The report as extracted text, in ``layout``. ``variants`` allows non-standard headings;
    ``half_width`` fixes the punctuation width (random when None). ``Renderer`` itself also
    misprints row labels (``misprints``) and says which (``misprinted``)."""
    return Renderer(truth, layout, rng or random.Random(0), variants=variants, half_width=half_width).render()
