"""Render a ``Truth`` as the text real reports come in (tab-separated tables with blanks kept,
space-separated cells, labels wrapped over lines or printed one character per line, markdown
headings, full- and half-width punctuation, spaces inside words).

Every layout keeps the truth recoverable: a blank cell is only rendered where the text still
shows it (an empty field between tabs), else as a placeholder.
"""

from __future__ import annotations

import random
from decimal import Decimal
from enum import StrEnum

from nianbao.spec import FORMATS, SECTIONS, TABLE4, FormatVersion
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
# Labels of Table 3 rows without their group (the spec's labels, as the national format prints them)
_HALF = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "、": "、"})


class Renderer:
    def __init__(
        self, truth: Truth, layout: Layout, rng: random.Random, *, variants: bool = True, half_width: bool | None = None
    ) -> None:
        self.truth = truth
        self.layout = layout
        self.rng = rng
        self.variants = variants
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
        self.lines.append(
            self.punct(
                f"根据《中华人民共和国政府信息公开条例》要求，现发布本报告。本报告中所列数据的统计期限自"
                f"{truth.year}年1月1日起至{truth.year}年12月31日止。"
            )
        )
        for number in truth.sections:
            self.heading(number)
            table = {2: "table2", 3: "table3", 4: "table4"}.get(number)
            if table in truth.omit:
                self.lines.append("本年度无相关统计数据。")
                continue
            getattr(self, f"section{number}")()
        if truth.published:
            self.lines.extend(
                ["", truth.agency, f"{truth.published.year}年{truth.published.month}月{truth.published.day}日"]
            )
        return "\n".join(self.lines) + "\n"

    def section1(self) -> None:
        t = self.truth
        text = (
            f"{t.year}年，{t.agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、"
            f"不公开为例外，全年主动公开政府信息{self.rng.randint(20, 400)}条，"
            f"回应群众关切{self.rng.randint(3, 90)}次。"
        )
        if t.prose_counts:
            requests = t.totals("new")
            reviews = t.t4_total("review")
            suits = t.t4_total("suit") + t.t4_total("post_review_suit")
            text += f"全年共收到政府信息公开申请{requests}件，上年结转{t.totals('carried_in')}件。"
            text += f"因政府信息公开被申请行政复议{reviews}件，" if reviews else "未发生政府信息公开行政复议案件，"
            text += f"被提起行政诉讼{suits}件。" if suits else "无行政诉讼。"
        self.lines.append(self.punct(text))
        self.lines.append("")
        self.lines.append(self.punct("（一）主动公开情况。坚持把政府信息公开作为依法行政的重要举措，明确专人负责。"))
        self.lines.append(self.punct("（二）监督保障情况。将政务公开纳入年度绩效考核，本年度未发生责任追究情况。"))

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

    def section3(self) -> None:
        self.table3_header()
        for row in FORMATS[self.truth.version].table3.rows:
            if row.key not in self.truth.table3 or "table3" in self.truth.empty:
                continue
            label = self.punct(row.label if self.layout is Layout.SPLIT else self.spaced(row.label))
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
        t = self.truth
        if t.thin_section5:
            self.lines.append("无。")
            return
        opening = f"{t.year - 1}年，" if t.stale_year else ""
        self.lines.append(
            self.punct(
                f"{opening}我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度"
                "还不够；二是政策解读形式较为单一，群众参与度不高。下一步，我单位将进一步完善工作机制，"
                "加强业务培训，提升政府信息公开工作质效。"
            )
        )

    def section6(self) -> None:
        t = self.truth
        if t.fee_statement and (t.version is FormatVersion.V2021 or t.year >= 2021):
            self.lines.append(self.punct("（一）信息处理费收取情况。本年度未收取信息处理费。"))
            self.lines.append(self.punct(f"（二）认真落实{t.year}年政务公开工作要点，按时办理人大代表建议和政协提案。"))
        else:
            self.lines.append("暂无其他需要报告的事项。")


def render_text(
    truth: Truth,
    layout: Layout,
    rng: random.Random | None = None,
    *,
    variants: bool = True,
    half_width: bool | None = None,
) -> str:
    """The report as extracted text, in ``layout``. ``variants`` allows non-standard headings;
    ``half_width`` fixes the punctuation width (random when None)."""
    return Renderer(truth, layout, rng or random.Random(0), variants=variants, half_width=half_width).render()
