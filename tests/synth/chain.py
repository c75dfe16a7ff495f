"""Consecutive years of one body's reports that agree with each other: the ground truth for the
cross-year rules (nianbao.rules.history).

Each year's Table 3 balances in itself and takes over last year's 结转下年度 as its 上年结转, column
by column; Table 2's 现行有效件数 (2021 format) continues last year's by what was issued and
repealed; and the prose is drawn anew each year, sharing no sentence with the year before, so that
``TEXT_REUSE`` has nothing to say either.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from nianbao.spec import FORMATS, TABLE3_APPLICANT_COLUMNS, FormatVersion, format_for_year
from tests.synth.prose import draw_narrative, narrative_sentences
from tests.synth.truth import Truth, Value, random_table2, random_table3, random_table4, table3_of

IN_FORCE_ROWS = ("regulations", "normative_documents")


def _count(rng: random.Random, busy: float) -> int:
    if rng.random() > busy:
        return 0
    return rng.choice((1, 1, 2, 3, 5, 8))


def table3_carrying(
    rng: random.Random, version: FormatVersion, carried_in: list[int], busy: float = 0.3
) -> dict[str, list[Value]]:
    """A balanced Table 3 whose 上年结转 is ``carried_in`` (one count per applicant column)."""
    spec = FORMATS[version].table3
    columns: list[dict[str, int]] = []
    for inherited in carried_in:
        col = {row: _count(rng, busy / 2) for row in spec.result_rows}
        col["carried_out"] = _count(rng, busy / 2)
        short = inherited - sum(col[r] for r in spec.result_rows) - col["carried_out"]
        if short > 0:  # what was carried in must be handled or carried on: it is granted here
            col["granted"] += short
        col["results_total"] = sum(col[r] for r in spec.result_rows)
        col["carried_in"] = inherited
        col["new"] = col["results_total"] + col["carried_out"] - inherited
        columns.append(col)
    return table3_of(version, columns)


def _applicant_counts(values: list[Value]) -> list[int]:
    counts = values[: len(TABLE3_APPLICANT_COLUMNS)]
    assert all(isinstance(v, int) for v in counts)
    return [v for v in counts if isinstance(v, int)]


def table2_continuing(
    rng: random.Random, version: FormatVersion, in_force: dict[str, int] | None
) -> dict[str, list[Value]]:
    """A Table 2 whose 现行有效件数 (2021 format) is last year's (``in_force``; drawn when None)
    plus this year's 制发 less its 废止."""
    table = random_table2(rng, version)
    if version is not FormatVersion.V2021:
        return table
    for key in IN_FORCE_ROWS:
        before = rng.randint(0, 40) if in_force is None else in_force[key]
        issued = rng.choice((0, 0, 1, 2, 3, 7))
        repealed = rng.randint(0, min(before + issued, 3))
        table[key] = [issued, repealed, before + issued - repealed]
    return table


def _in_force(table2: dict[str, list[Value]]) -> dict[str, int] | None:
    values = {key: table2[key][2] for key in IN_FORCE_ROWS if key in table2}
    if len(values) < len(IN_FORCE_ROWS) or not all(isinstance(v, int) for v in values.values()):
        return None
    return {key: v for key, v in values.items() if isinstance(v, int)}


def chain(
    rng: random.Random,
    years: int,
    *,
    agency: str,
    start_year: int,
    version: FormatVersion | None = FormatVersion.V2021,
    busy: float = 0.4,
) -> list[Truth]:
    """``years`` consecutive reports of ``agency`` from ``start_year``, each in ``version``'s layout
    (None: the layout each year requires, 2019 format up to 2020, 2021 format after), consistent
    across years and each balanced in itself."""
    truths: list[Truth] = []
    for year in range(start_year, start_year + years):
        layout = version or format_for_year(year).version
        last = truths[-1] if truths else None
        if last is None:
            table3 = random_table3(rng, layout, busy)
        else:
            table3 = table3_carrying(rng, layout, _applicant_counts(last.table3["carried_out"]), busy)
        continuing = _in_force(last.table2) if last is not None and last.version is FormatVersion.V2021 else None
        truth = Truth(
            version=layout,
            year=year,
            agency=agency,
            table2=table2_continuing(rng, layout, continuing),
            table3=table3,
            table4=random_table4(rng),
            published=date(year + 1, 1, rng.randint(5, 30)),
        )
        avoid = narrative_sentences(last.narrative) if last is not None else frozenset()
        truths.append(replace(truth, narrative=draw_narrative(rng, avoid)))
    return truths
