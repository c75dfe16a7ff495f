"""The example reports the project ships (``shared/nianbao/examples``), each showing one kind of
problem. Regenerate with ``make examples``; a test checks the committed files match this module.

    python -m tests.synth.examples DIR
"""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from nianbao.spec import TABLE4, FormatVersion
from tests.synth.blocks import blocks
from tests.synth.render import Layout, render_text
from tests.synth.to_pdf import to_pdf
from tests.synth.truth import Truth, only_totals, random_truth

NOTICE = """关于召开2024年度政务公开工作推进会的通知

各科室、各村（社区）：
经研究，定于2024年3月5日上午9时在镇政府三楼会议室召开政务公开工作推进会，请各单位主要负责同志准时参加。

青川县清水镇人民政府办公室
2024年3月1日
"""


# The roster of 湟中区 (630122) the demo loads: the bodies of the examples filed there, two that
# have not filed, and a row it cannot accept (an unknown kind), to show what an office gets back.
ROSTER = """body_id,name,aliases,kind,parent_body_id,division
630122-gov,湟中区人民政府,,人民政府,,630122
630122-qs,青川县清水镇人民政府,清水镇|清水镇政府,乡镇,630122-gov,630122
630122-zr,安平县自然资源局,,部门,630122-gov,630122
630122-bs,东湖区白沙街道办事处,白沙街道,街道,630122-gov,630122
630122-jy,湟中区教育局,,部门,630122-gov,630122
630122-xx,湟中区信访局,,机关,630122-gov,630122
"""


def _truth(seed: int, **kwargs: object) -> Truth:
    return random_truth(random.Random(seed), busy=0.6, **kwargs)  # type: ignore[arg-type]


def examples() -> dict[str, bytes]:
    """File name -> content, for every shipped example."""
    out: dict[str, bytes] = {}

    clean = replace(_truth(11, version=FormatVersion.V2021, year=2023), agency="青川县清水镇人民政府")
    out["2023-clean.txt"] = render_text(clean, Layout.TABS, random.Random(1)).encode()
    # the same body's first upload of that year: Table 3's results total 3 too high (the demo shows
    # the clean one, uploaded after it, become the report of record)
    total = clean.table3["results_total"][6]
    assert isinstance(total, int)
    draft = clean.with_cell("table3", "results_total", 6, total + 3)
    out["2023-draft-unbalanced.txt"] = render_text(draft, Layout.TABS, random.Random(1)).encode()

    outdated = replace(_truth(12, version=FormatVersion.V2019, year=2023), agency="河西区民政局")
    out["2023-outdated-2019-layout.txt"] = render_text(outdated, Layout.TABS, random.Random(2)).encode()

    unbalanced = replace(_truth(13, version=FormatVersion.V2021, year=2022), agency="安平县自然资源局")
    stated = unbalanced.table3["results_total"][0]
    assert isinstance(stated, int)
    review_total = [c.key for c in TABLE4.columns].index("review_total")
    unbalanced = unbalanced.with_cell("table3", "results_total", 0, stated + 2).with_cell(
        "table4", None, review_total, unbalanced.t4_total("review") + 1
    )
    out["2022-unbalanced.txt"] = render_text(unbalanced, Layout.SPACES, random.Random(3)).encode()

    # the same body's next year: clean in itself, but its 上年结转 is not last year's 结转下年度
    following = replace(_truth(16, version=FormatVersion.V2021, year=2023), agency="安平县自然资源局")
    assert following.table3["carried_in"] != unbalanced.table3["carried_out"]
    out["2023-carryover-broken.txt"] = render_text(following, Layout.TABS, random.Random(6)).encode()

    missing = replace(
        _truth(14, version=FormatVersion.V2021, year=2023),
        agency="北山县教育局",
        sections=(1, 2, 3, 4, 6),
        published=None,
    )
    out["2023-missing-section-gb18030.txt"] = render_text(missing, Layout.SPLIT, random.Random(4)).encode("gb18030")

    late = replace(
        only_totals(_truth(15, version=FormatVersion.V2021, year=2024)),
        agency="东湖区白沙街道办事处",
        published=date(2025, 3, 15),
        stale_year=True,
        fee_statement=False,
    )
    out["2024-totals-only-late.md"] = render_text(late, Layout.MARKDOWN, random.Random(5)).encode()

    # a PDF whose Table 3 natural-person results total is 2 too high: the dashboard draws the
    # failing cell's box on the page image
    city = replace(_truth(17, version=FormatVersion.V2021, year=2023), agency="西宁市城北区人民政府")
    natural = city.table3["results_total"][0]
    assert isinstance(natural, int)
    wrong = city.with_cell("table3", "results_total", 0, natural + 2)
    out["2023-results-total-wrong.pdf"] = to_pdf(blocks(wrong, random.Random(7)), "reportlab")

    out["not-a-report.txt"] = NOTICE.encode()
    out["roster-630122.csv"] = ROSTER.encode()
    return out


def main(argv: list[str]) -> None:
    target = Path(argv[1] if len(argv) > 1 else "shared/nianbao/examples")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in examples().items():
        (target / name).write_bytes(content)
        print(f"wrote {target / name}")


if __name__ == "__main__":
    main(sys.argv)
