"""The narrative of a synthetic report, shared by every renderer (text, HTML, Word, PDF)."""

from __future__ import annotations

import random

from nianbao.spec import FormatVersion
from tests.synth.truth import Truth

NO_TABLE = "本年度无相关统计数据。"


def title(truth: Truth) -> str | None:
    return truth.full_title()


def preamble(truth: Truth) -> str:
    return (
        "根据《中华人民共和国政府信息公开条例》要求，现发布本报告。本报告中所列数据的统计期限自"
        f"{truth.year}年1月1日起至{truth.year}年12月31日止。"
    )


def section1(truth: Truth, rng: random.Random) -> list[str]:
    text = (
        f"{truth.year}年，{truth.agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、"
        f"不公开为例外，全年主动公开政府信息{rng.randint(20, 400)}条，"
        f"回应群众关切{rng.randint(3, 90)}次。"
    )
    if truth.prose_counts:
        reviews = truth.t4_total("review")
        suits = truth.t4_total("suit") + truth.t4_total("post_review_suit")
        text += f"全年共收到政府信息公开申请{truth.totals('new')}件，上年结转{truth.totals('carried_in')}件。"
        text += f"因政府信息公开被申请行政复议{reviews}件，" if reviews else "未发生政府信息公开行政复议案件，"
        text += f"被提起行政诉讼{suits}件。" if suits else "无行政诉讼。"
    return [
        text,
        "（一）主动公开情况。坚持把政府信息公开作为依法行政的重要举措，明确专人负责。",
        "（二）监督保障情况。将政务公开纳入年度绩效考核，本年度未发生责任追究情况。",
    ]


def section5(truth: Truth) -> list[str]:
    if truth.thin_section5:
        return ["无。"]
    opening = f"{truth.year - 1}年，" if truth.stale_year else ""
    return [
        f"{opening}我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度"
        "还不够；二是政策解读形式较为单一，群众参与度不高。下一步，我单位将进一步完善工作机制，"
        "加强业务培训，提升政府信息公开工作质效。"
    ]


def section6(truth: Truth) -> list[str]:
    if truth.fee_statement and (truth.version is FormatVersion.V2021 or truth.year >= 2021):
        return [
            "（一）信息处理费收取情况。本年度未收取信息处理费。",
            f"（二）认真落实{truth.year}年政务公开工作要点，按时办理人大代表建议和政协提案。",
        ]
    return ["暂无其他需要报告的事项。"]


def signature(truth: Truth) -> list[str]:
    if truth.published is None:
        return []
    day = truth.published
    return [truth.agency, f"{day.year}年{day.month}月{day.day}日"]
