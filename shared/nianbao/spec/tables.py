"""Tables 2, 3 and 4 of the annual report, in the 2019 and 2021 layouts.

Keys are the product's API (the JSON contract, the store and the dashboard use them);
labels are the standard wording printed in the national format; ``keywords`` are short,
distinctive, whitespace-free fragments the parser uses to recognise a row however it was
wrapped or spaced; ``variants`` are wordings seen in the wild that mean the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ValueKind(StrEnum):
    """What a cell must hold."""

    COUNT = "count"  # a non-negative integer
    DELTA = "delta"  # an integer that may be negative (2019: 本年增/减)
    AMOUNT = "amount"  # a non-negative decimal (万元)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    label: str
    kind: ValueKind = ValueKind.COUNT
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowSpec:
    key: str
    label: str
    keywords: tuple[str, ...]
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """One block of Table 2: an item of article 20 with its own columns."""

    item: str  # the Chinese numeral of the item: 一, 五, 六, 八, 九
    label: str
    columns: tuple[ColumnSpec, ...]
    rows: tuple[RowSpec, ...]


@dataclass(frozen=True, slots=True)
class Table2Spec:
    blocks: tuple[BlockSpec, ...]

    def rows(self) -> tuple[tuple[BlockSpec, RowSpec], ...]:
        return tuple((block, row) for block in self.blocks for row in block.rows)

    def block(self, item: str) -> BlockSpec | None:
        return next((b for b in self.blocks if b.item == item), None)


@dataclass(frozen=True, slots=True)
class Table3Spec:
    columns: tuple[ColumnSpec, ...]
    rows: tuple[RowSpec, ...]
    result_rows: tuple[str, ...]  # the rows that (七) 总计 sums up

    def row(self, key: str) -> RowSpec:
        return next(r for r in self.rows if r.key == key)


@dataclass(frozen=True, slots=True)
class Table4Spec:
    columns: tuple[ColumnSpec, ...]
    blocks: tuple[tuple[str, tuple[str, ...]], ...]  # (total column, its four parts)


# --- Table 2 ------------------------------------------------------------------------------------

_REGULATIONS = RowSpec("regulations", "规章", ("规章",))
_DECISIONS_2021 = ColumnSpec("decisions", "本年处理决定数量")
_LICENSING = RowSpec("licensing", "行政许可", ("行政许可",))
_PENALTY = RowSpec("penalty", "行政处罚", ("行政处罚",))
_ENFORCEMENT = RowSpec("enforcement", "行政强制", ("行政强制",))
_FEES = RowSpec("fees", "行政事业性收费", ("事业性收费", "行政事业收费"))

TABLE2_2021 = Table2Spec(
    blocks=(
        BlockSpec(
            "一",
            "第二十条第（一）项",
            (
                ColumnSpec("issued", "本年制发件数"),
                ColumnSpec("repealed", "本年废止件数"),
                ColumnSpec("in_force", "现行有效件数"),
            ),
            (
                _REGULATIONS,
                RowSpec("normative_documents", "行政规范性文件", ("规范性文件",), ("规范性文件",)),
            ),
        ),
        BlockSpec("五", "第二十条第（五）项", (_DECISIONS_2021,), (_LICENSING,)),
        BlockSpec("六", "第二十条第（六）项", (_DECISIONS_2021,), (_PENALTY, _ENFORCEMENT)),
        BlockSpec(
            "八",
            "第二十条第（八）项",
            (ColumnSpec("fee_amount", "本年收费金额（单位：万元）", ValueKind.AMOUNT, ("本年收费金额",)),),
            (_FEES,),
        ),
    )
)

_ITEMS_2019 = (
    ColumnSpec("previous_items", "上一年项目数量"),
    ColumnSpec("change", "本年增/减", ValueKind.DELTA, ("本年增减",)),
    ColumnSpec("decisions", "处理决定数量", variants=("本年处理决定数量",)),
)

TABLE2_2019 = Table2Spec(
    blocks=(
        BlockSpec(
            "一",
            "第二十条第（一）项",
            (
                ColumnSpec("made", "本年新制作数量"),
                ColumnSpec("published", "本年新公开数量"),
                ColumnSpec("total_public", "对外公开总数量"),
            ),
            (
                _REGULATIONS,
                RowSpec("normative_documents", "规范性文件", ("规范性文件",), ("行政规范性文件",)),
            ),
        ),
        BlockSpec(
            "五",
            "第二十条第（五）项",
            _ITEMS_2019,
            (_LICENSING, RowSpec("other_services", "其他对外管理服务事项", ("对外管理服务", "管理服务事项"))),
        ),
        BlockSpec("六", "第二十条第（六）项", _ITEMS_2019, (_PENALTY, _ENFORCEMENT)),
        BlockSpec("八", "第二十条第（八）项", _ITEMS_2019[:2], (_FEES,)),
        BlockSpec(
            "九",
            "第二十条第（九）项",
            (
                ColumnSpec("procurement_items", "采购项目数量"),
                ColumnSpec("procurement_amount", "采购总金额", ValueKind.AMOUNT),
            ),
            (RowSpec("procurement", "政府集中采购", ("集中采购",)),),
        ),
    )
)

# --- Table 3 ------------------------------------------------------------------------------------

TABLE3_COLUMNS = (
    ColumnSpec("natural", "自然人"),
    ColumnSpec("commercial", "商业企业"),
    ColumnSpec("research", "科研机构"),
    ColumnSpec("public_welfare", "社会公益组织", variants=("社会组织", "公益组织")),
    ColumnSpec("legal_service", "法律服务机构", variants=("法律服务组织",)),
    ColumnSpec("other", "其他"),
    ColumnSpec("total", "总计", variants=("合计",)),
)
TABLE3_APPLICANT_COLUMNS = tuple(c.key for c in TABLE3_COLUMNS[:6])

_T3_HEAD = (
    RowSpec("new", "一、本年新收政府信息公开申请数量", ("本年新收", "新收政府信息", "本年收到")),
    RowSpec("carried_in", "二、上年结转政府信息公开申请数量", ("上年结转", "上年度结转")),
    RowSpec("granted", "（一）予以公开", ("予以公开",)),
    RowSpec(
        "partial",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        ("部分公开",),
    ),
    RowSpec("denied_1", "1.属于国家秘密", ("国家秘密",)),
    RowSpec("denied_2", "2.其他法律行政法规禁止公开", ("禁止公开",)),
    RowSpec("denied_3", "3.危及“三安全一稳定”", ("三安全", "一稳定", "安全稳定")),
    RowSpec("denied_4", "4.保护第三方合法权益", ("第三方",)),
    RowSpec("denied_5", "5.属于三类内部事务信息", ("内部事务",)),
    RowSpec("denied_6", "6.属于四类过程性信息", ("过程性",)),
    RowSpec("denied_7", "7.属于行政执法案卷", ("执法案卷",)),
    RowSpec("denied_8", "8.属于行政查询事项", ("查询事项",)),
    RowSpec("unable_1", "1.本机关不掌握相关政府信息", ("不掌握",)),
    RowSpec("unable_2", "2.没有现成信息需要另行制作", ("另行制作", "现成信息")),
    RowSpec("unable_3", "3.补正后申请内容仍不明确", ("仍不明确", "补正后")),
    RowSpec("refused_1", "1.信访举报投诉类申请", ("信访", "举报投诉")),
    RowSpec("refused_2", "2.重复申请", ("重复申请",)),
    RowSpec("refused_3", "3.要求提供公开出版物", ("出版物",)),
    RowSpec("refused_4", "4.无正当理由大量反复申请", ("大量反复", "反复申请")),
    RowSpec(
        "refused_5",
        "5.要求行政机关确认或重新出具已获取信息",
        ("重新出具", "已获取信息", "确认或重新"),
    ),
)
_T3_TAIL = (
    RowSpec("results_total", "（七）总计", ("总计",), ("合计",)),
    RowSpec(
        "carried_out",
        "四、结转下年度继续办理",
        ("结转下年", "下年度继续办理", "下年继续办理"),
        ("结转下年继续办理",),
    ),
)
_OTHER_2019 = RowSpec("other", "（六）其他处理", ("其他处理",))
_OTHER_2021 = (
    RowSpec(
        "other_1",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正", "不补正"),
    ),
    RowSpec(
        "other_2",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("收费通知", "缴纳费用"),
    ),
    # "3.其他" has no distinctive word of its own; the parser recognises it by its item number.
    RowSpec("other_3", "3.其他", ()),
)


def _results(rows: tuple[RowSpec, ...]) -> tuple[str, ...]:
    return tuple(r.key for r in rows if r.key not in {"new", "carried_in", "results_total", "carried_out"})


_ROWS_2019 = (*_T3_HEAD, _OTHER_2019, *_T3_TAIL)
_ROWS_2021 = (*_T3_HEAD, *_OTHER_2021, *_T3_TAIL)
TABLE3_2019 = Table3Spec(TABLE3_COLUMNS, _ROWS_2019, _results(_ROWS_2019))
TABLE3_2021 = Table3Spec(TABLE3_COLUMNS, _ROWS_2021, _results(_ROWS_2021))

# Both layouts at once, in print order: what the parser matches rows against before the format
# is known ("（六）其他处理" with values of its own is the 2019 row; with sub-items it is 2021).
TABLE3_ALL_ROWS = (*_T3_HEAD, _OTHER_2019, *_OTHER_2021, *_T3_TAIL)

# --- Table 4 ------------------------------------------------------------------------------------

_OUTCOMES = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
_T4_BLOCKS = (
    ("review", "行政复议"),
    ("suit", "行政诉讼·未经复议直接起诉"),
    ("post_review_suit", "行政诉讼·复议后起诉"),
)
TABLE4 = Table4Spec(
    columns=tuple(
        ColumnSpec(f"{block}_{outcome}", f"{block_label}·{outcome_label}")
        for block, block_label in _T4_BLOCKS
        for outcome, outcome_label in _OUTCOMES
    ),
    blocks=tuple((f"{block}_total", tuple(f"{block}_{o}" for o, _ in _OUTCOMES[:4])) for block, _ in _T4_BLOCKS),
)
TABLE4_ROW = "cases"  # Table 4 is one row of 15 cells; internally it is keyed like the others.
