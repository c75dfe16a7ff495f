"""The six required sections, the same in both formats.

Headings are matched by meaning: ``pattern`` runs on the heading text after normalisation
(NFKC, no whitespace, no markdown markers) with its ordinal removed. ``titles`` are whole
headings (standard and known variants) that are accepted even without an ordinal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SectionSpec:
    number: int
    ordinal: str
    title: str
    pattern: re.Pattern[str]
    titles: tuple[str, ...]

    @property
    def heading(self) -> str:
        return f"{self.ordinal}、{self.title}"


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        1,
        "一",
        "总体情况",
        re.compile(r"(?:总体|整体|基本)(?:工作)?(?:情况|概况)|工作概况|工作开展情况|^概述|^总体"),
        ("总体情况", "概述"),
    ),
    SectionSpec(2, "二", "主动公开政府信息情况", re.compile(r"主动公开"), ("主动公开政府信息情况",)),
    SectionSpec(
        3,
        "三",
        "收到和处理政府信息公开申请情况",
        re.compile(
            r"(?:收到|受理|处理).{0,3}(?:政府信息公开|依)?申请(?!数量|人).{0,6}情况|依申请公开.{0,8}情况"
            r"|信息公开申请(?!数量|人).{0,4}情况"
        ),
        ("收到和处理政府信息公开申请情况", "依申请公开政府信息情况"),
    ),
    SectionSpec(
        4,
        "四",
        "政府信息公开行政复议、行政诉讼情况",
        re.compile(r"行政复议.{0,6}行政诉讼|行政诉讼.{0,3}情况|行政复议.{0,3}情况"),
        ("政府信息公开行政复议、行政诉讼情况", "因政府信息公开工作被申请行政复议和提起行政诉讼情况"),
    ),
    SectionSpec(
        5,
        "五",
        "存在的主要问题及改进情况",
        re.compile(r"(?:问题|不足).{0,8}(?:改进|整改|措施|情况|对策)|存在.{0,4}(?:问题|不足)"),
        ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    ),
    SectionSpec(
        6,
        "六",
        "其他需要报告的事项",
        re.compile(r"^其[他它](?:需要|需)?(?:报告|说明)|^其[他它]事项|^其[他它]$"),
        ("其他需要报告的事项",),
    ),
)

ORDINALS = "一二三四五六七八九十"


def section(number: int) -> SectionSpec:
    return SECTIONS[number - 1]
