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
    if truth.narrative is not None:
        return narrative_section1(truth, truth.narrative)
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
    if truth.narrative is not None:
        return narrative_section5(truth, truth.narrative)
    if truth.thin_section5:
        return ["无。"]
    opening = f"{truth.year - 1}年，" if truth.stale_year else ""
    return [
        f"{opening}我单位政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度"
        "还不够；二是政策解读形式较为单一，群众参与度不高。下一步，我单位将进一步完善工作机制，"
        "加强业务培训，提升政府信息公开工作质效。"
    ]


def section6(truth: Truth) -> list[str]:
    if truth.narrative is not None:
        return narrative_section6(truth, truth.narrative)
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


# --- a varied narrative (Truth.narrative) -------------------------------------------------------
# Sentences about disclosure work, by the part of the report they belong in. None holds a digit, a
# year, a count of requests, reviews or lawsuits, a Table 3 row's words or a heading's ordinal, so
# that drawing any of them changes nothing a single-year rule reads; and no two share a phrase of
# eight characters or more beyond the national wording, so that years drawing different sentences
# read as different text (TEXT_REUSE). Every oversight sentence names 考核, 评议 or 责任追究
# (art. 50), every problem a word of shortcoming (问题, 不足, 有待 …) and every improvement a word
# of remedy (将, 加强, 完善 …), so that SECTION5_THIN is satisfied whatever is drawn.
NARRATIVE_BANK: dict[str, tuple[str, ...]] = {
    "opening": (
        "我单位在上级机关的指导下，把政务公开作为转变作风、服务群众的重要抓手。",
        "我单位紧扣中心工作，推动决策、执行、管理、服务、结果全过程公开。",
        "我单位围绕优化营商环境和保障改善民生，扎实推进基层政务公开标准化规范化建设。",
        "我单位以群众需求为导向，持续提升公开质量和实效。",
        "我单位坚持以公开为常态、不公开为例外，稳步拓展公开的广度和深度。",
        "我单位主要负责同志多次听取政务公开汇报，研究部署重点任务。",
        "我单位将政务公开融入日常业务，做到同部署、同落实、同检查。",
        "我单位立足基层实际，着力打通服务群众的最后一公里。",
    ),
    "disclosure": (
        "围绕乡村振兴、义务教育和医疗保障等领域，及时发布惠民政策和办事指南。",
        "对涉及群众切身利益的重大决策，事前通过座谈会、网上征求意见等方式广泛听取意见。",
        "财政预决算、专项资金使用情况按规定在门户网站专栏集中发布。",
        "重大行政决策事项目录在年初向社会公布，并根据执行情况动态调整。",
        "政策文件出台后同步制作图解、短视频等解读材料，方便群众理解。",
        "在便民服务大厅设置查阅点，提供纸质材料免费取阅。",
        "防汛抗旱、森林防火等应急信息通过广播、短信和微信群第一时间推送到户。",
        "建设项目批准和实施信息逐项上网，接受社会监督。",
        "就业创业扶持政策和公益性岗位招聘信息及时发布，帮助群众就近就业。",
        "社会救助对象名单按程序在村务公开栏张榜公示，接受群众监督。",
        "安全生产、食品药品等检查结果定期向社会通报。",
        "在门户网站开设政策问答栏目，对群众反映集中的问题统一作出说明。",
        "涉企政策实行一站式归集发布，并为经营主体提供精准推送服务。",
        "主动回应社会关切，对网络舆情做到早发现、早研判、早处置。",
    ),
    "requests": (
        "依申请公开严格按照法定程序和时限办理，做到件件有登记、事事有回音。",
        "对申请人提出的诉求，承办人员主动电话沟通，准确理解其所需内容。",
        "建立会商机制，对疑难事项邀请法律顾问共同研究答复意见。",
        "答复文书统一采用规范格式，写明依据并告知救济途径。",
        "收件、登记、审核、答复、归档等环节全程留痕，确保办理过程可追溯。",
        "通过当面、邮寄和网络平台等多种渠道接收申请，为群众提供便利。",
        "对办理中遇到的新情况及时向上级主管部门请示，确保答复合法合规。",
        "定期梳理群众申请较为集中的事项，及时转为主动发布。",
    ),
    "platforms": (
        "门户网站专栏完成改版，栏目设置更加清晰，检索功能更加便捷。",
        "政务新媒体账号实行统一管理，严格落实先审后发和保密审查制度。",
        "定期开展网站内容巡查，及时修正错链断链和过期内容。",
        "政府公报与网站同步发布，方便群众查阅权威文本。",
        "利用电子显示屏和宣传栏，把政策送到田间地头和社区楼院。",
        "推进政务服务事项网上办理，办事指南要素做到准确完整。",
        "加强网站适老化和无障碍改造，方便老年人和残疾人获取信息。",
        "整合分散的发布渠道，推动数据集中统一发布。",
    ),
    "oversight": (
        "将政务公开纳入年度绩效考核，考核结果与评先评优挂钩。",
        "邀请人大代表、政协委员和群众代表开展社会评议，评议结果作为改进工作的依据。",
        "建立健全责任追究制度，明确各环节的责任人员。",
        "组织开展专项考核，对发现的问题逐项督促整改到位。",
        "在服务窗口设置意见簿和评议二维码，听取群众的评议意见。",
        "对履职不到位的情形，按照规定启动责任追究程序。",
        "把公开业务培训纳入干部教育计划，并将学习情况列入考核内容。",
        "定期通报各科室的公开情况，考核排名靠后的限期整改。",
    ),
    "problems": (
        "存在的问题主要是部分科室对政务公开的重要性认识不够，主动意识不强。",
        "政策解读的形式仍较为单一，图解和视频类解读数量偏少，群众参与度不高。",
        "基层公开队伍人员变动频繁，业务能力有待进一步提升。",
        "部分内容更新不够及时，个别栏目存在信息滞后的问题。",
        "与群众的互动交流渠道还不够畅通，对社会关切的回应深度有待加强。",
        "公开内容的标准化规范化水平与上级要求相比仍有差距。",
        "信息发布前的保密审查把关仍有薄弱环节。",
        "发布平台的数据整合程度不高，检索的便利性存在短板。",
        "对政策执行效果的公开不够充分，结果公开仍是短板。",
        "工作人员多为兼职，专业知识欠缺，精力投入不足。",
    ),
    "improvements": (
        "下一步，我单位将加强业务培训，提升工作人员的政策水平和业务能力。",
        "我们将进一步完善公开机制，明确各科室的公开职责和时限要求。",
        "今后将丰富政策解读形式，更多运用图表、音视频等群众喜闻乐见的方式。",
        "将建立栏目内容定期检查制度，确保发布及时准确。",
        "畅通与群众沟通的渠道，认真回应社会关切，提升公开实效。",
        "对照标准目录逐项梳理，进一步完善公开内容。",
        "完善发布审核流程，严格落实保密审查责任。",
        "整合各类平台资源，提升查询的便捷程度。",
        "加大结果公开力度，将重点工作的推进和落实情况及时发布。",
        "充实工作力量，保持队伍相对稳定，切实提升履职能力。",
    ),
    "other": (
        "认真办理人大代表建议和政协委员提案，办理结果按规定向社会公开。",
        "对照年度政务公开工作要点，逐项细化任务分工并推动落实。",
        "积极探索政务公开进村入户的新方式，开展政务开放日活动。",
        "组织开展条例宣传周活动，提高群众依法获取信息的意识。",
        "在重大项目建设中试行全过程公开，接受群众监督。",
        "配合上级部门做好政务公开评估检查相关工作。",
        "建成基层政务公开专区，实现线上线下一体化服务。",
        "积极运用政务新媒体开展在线访谈，解读群众关心的热点政策。",
    ),
}
# How many sentences of each part a year draws (each bank holds at least twice as many, so that a
# year can always avoid the sentences of the year before).
_DRAWS = {
    "opening": 1,
    "disclosure": 4,
    "requests": 2,
    "platforms": 2,
    "oversight": 2,
    "problems": 3,
    "improvements": 3,
    "other": 2,
}
# The paragraphs of a year's narrative: (section, the parts whose sentences it strings together).
_PARAGRAPHS = (
    (1, ("opening", "disclosure")),
    (1, ("requests",)),
    (1, ("platforms",)),
    (1, ("oversight",)),
    (5, ("problems",)),
    (5, ("improvements",)),
    (6, ("other",)),
)


def draw_narrative(rng: random.Random, avoid: frozenset[str] = frozenset()) -> dict[int, tuple[str, ...]]:
    """Paragraphs of sections 1, 5 and 6 drawn from ``NARRATIVE_BANK``, none of whose sentences is
    in ``avoid`` (last year's, so that consecutive years share no sentence)."""
    drawn = {
        part: rng.sample([s for s in bank if s not in avoid], _DRAWS[part]) for part, bank in NARRATIVE_BANK.items()
    }
    out: dict[int, list[str]] = {1: [], 5: [], 6: []}
    for number, parts in _PARAGRAPHS:
        out[number].append("".join(s for part in parts for s in drawn[part]))
    return {number: tuple(paragraphs) for number, paragraphs in out.items()}


def narrative_sentences(narrative: dict[int, tuple[str, ...]] | None) -> frozenset[str]:
    """The bank's sentences a narrative holds (each ends with 。 and holds no other)."""
    if narrative is None:
        return frozenset()
    return frozenset(s + "。" for paragraphs in narrative.values() for p in paragraphs for s in p.split("。") if s)


def _counts(truth: Truth) -> str:
    """The counts ``section1`` states, for the narrative's first paragraph."""
    reviews = truth.t4_total("review")
    suits = truth.t4_total("suit") + truth.t4_total("post_review_suit")
    text = f"全年共收到政府信息公开申请{truth.totals('new')}件，上年结转{truth.totals('carried_in')}件。"
    text += f"因政府信息公开被申请行政复议{reviews}件，" if reviews else "未发生政府信息公开行政复议案件，"
    text += f"被提起行政诉讼{suits}件。" if suits else "无行政诉讼。"
    return text


def narrative_section1(truth: Truth, narrative: dict[int, tuple[str, ...]]) -> list[str]:
    first, *rest = narrative[1]
    lead = f"{truth.year}年，{first}" + (_counts(truth) if truth.prose_counts else "")
    return [lead, *rest]


def narrative_section5(truth: Truth, narrative: dict[int, tuple[str, ...]]) -> list[str]:
    if truth.thin_section5:
        return ["无。"]
    first, *rest = narrative[5]
    opening = f"{truth.year - 1}年，" if truth.stale_year else ""
    return [opening + first, *rest]


def narrative_section6(truth: Truth, narrative: dict[int, tuple[str, ...]]) -> list[str]:
    paragraphs = list(narrative[6])
    if truth.fee_statement and (truth.version is FormatVersion.V2021 or truth.year >= 2021):
        paragraphs[0] = "本年度未收取信息处理费。" + paragraphs[0]
    return paragraphs
