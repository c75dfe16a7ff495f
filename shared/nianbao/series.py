"""A body's reports over the years, offline: the cross-year rules between the files given.

``nianbao check DIR`` groups its inputs by body (the agency's normalised name) and year and gives
each report the previous year's as history, so an office can check a body's whole series on a
laptop; ``--previous FILE`` names last year's report for a single check. Pure: no AWS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from nianbao.bodies import normalize_name
from nianbao.history import History, YearFacts, facts_of
from nianbao.model import CheckResult, Status
from nianbao.rules import status_of
from nianbao.rules.history import run_history


def reuse_share() -> float:
    """The share of repeated prose above which TEXT_REUSE fires (NIANBAO_TEXT_REUSE_SHARE, 0.5 or
    50%); a value that is no share is refused here, with the reason."""
    return History.reuse_share_from_env()


def with_history(result: CheckResult, history: History) -> tuple[CheckResult, YearFacts | None]:
    """``result`` with its cross-year findings, and the facts later years will compare with."""
    facts = facts_of(result)
    if facts is None:
        return result, None
    extra = run_history(facts, history)
    if not extra:
        return result, facts
    findings = [*result.findings, *extra]
    status = result.status if result.status is Status.UNREADABLE else status_of(findings)
    return result.model_copy(update={"findings": findings, "status": status}), facts


def apply(results: Sequence[CheckResult], previous: CheckResult | None = None) -> list[CheckResult]:
    """``results`` (in their order) with the cross-year findings between reports of one body:
    each year's report against the same body's report of the year before, among the inputs, or
    ``previous`` where it is that year's (a body's file given twice for a year: the last counts)."""
    share = reuse_share()
    known: dict[tuple[str, int], YearFacts] = {}
    for result in [*([previous] if previous else []), *results]:
        facts = facts_of(result)
        if facts is not None and result.report.agency:
            known[(normalize_name(result.report.agency), facts.year)] = facts
    explicit = facts_of(previous) if previous is not None else None
    out: list[CheckResult] = []
    for result in results:
        facts = facts_of(result)
        if facts is None or not result.report.agency:
            out.append(result)
            continue
        before = known.get((normalize_name(result.report.agency), facts.year - 1))
        if before is None and explicit is not None and explicit.year == facts.year - 1:
            before = explicit  # named as last year's, whatever its agency reads
        out.append(with_history(result, History(previous=before, reuse_share=share))[0])
    return out


def series(results: Sequence[CheckResult]) -> dict[str, list[int]]:
    """The years found for each body (for a summary line)."""
    years: dict[str, set[int]] = defaultdict(set)
    for result in results:
        facts = facts_of(result)
        if facts is not None and result.report.agency:
            years[result.report.agency].add(facts.year)
    return {agency: sorted(found) for agency, found in years.items()}
