"""Cross-year checks in the pipeline: the history a report's rules need is looked up here and
passed in (the rules, nianbao.rules.history, never fetch), and a report whose neighbour changes is
evaluated again.

Order of arrival does not matter: when a body's report of record for a year changes, the next
year's report of the same body (it compares with this one) and, where the roster says the parent
body's report sums its children, the parent's report of the same year are re-evaluated from what
is stored (their facts and findings; the files are not read again). A re-evaluation that changes
their cross-year findings is a new run, and the offices hear only of errors new to them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from nianbao import series
from nianbao.fingerprint import fingerprints
from nianbao.history import ChildFacts, History, YearFacts
from nianbao.model import Finding
from nianbao.rules.history import HISTORY_RULES, run_history
from nianbao.series import with_history
from nianbao.store import BodyRecord, RunConflictError, StoredReport, walk
from nianbao.store.ports import ReportStore

__all__ = ["HISTORY_CODES", "facts_at", "history_for", "neighbours", "refresh", "with_history"]

log = logging.getLogger(__name__)

HISTORY_CODES = frozenset(rule.code for rule in HISTORY_RULES)


def facts_at(store: ReportStore, body_id: str, year: int) -> YearFacts | None:
    """The stored facts of a body's report of record for ``year`` (None: none filed)."""
    current = store.current(body_id, year)
    if current is None:
        return None
    detail = store.detail(current.report_id)
    return YearFacts.model_validate(detail.facts) if detail is not None and detail.facts else None


def children_of(store: ReportStore, body: BodyRecord) -> list[BodyRecord]:
    """The roster bodies whose parent is ``body`` (they sit under its division)."""
    return [
        child
        for child in walk(lambda cursor: store.bodies(body.division, cursor))
        if child.parent_body_id == body.body_id and not child.provisional and not child.merged_into
    ]


def history_for(store: ReportStore, body: BodyRecord, year: int) -> History:
    """What the cross-year rules of ``body``'s report for ``year`` compare it with."""
    children = (
        [
            ChildFacts(body_id=c.body_id, name=c.name, facts=facts_at(store, c.body_id, year))
            for c in children_of(store, body)
        ]
        if body.sums_children
        else []
    )
    return History(
        previous=facts_at(store, body.body_id, year - 1),
        children=children,
        sums_children=body.sums_children,
        reuse_share=series.reuse_share(),
    )


def neighbours(store: ReportStore, report: StoredReport) -> list[tuple[str, int]]:
    """The (body, year) records whose cross-year findings depend on ``report``."""
    year = report.listed_year
    found = [(report.body_id, year + 1)]
    body = store.body(report.body_id)
    if body is not None and body.parent_body_id:
        parent = store.body(body.parent_body_id)
        if parent is not None and parent.sums_children:
            found.append((parent.body_id, year))
    return found


def refresh(store: ReportStore, body_id: str, year: int, *, now: datetime, grace_seconds: int) -> StoredReport | None:
    """Evaluate again the cross-year findings of ``body_id``'s report of record for ``year``;
    the new run's report when they changed (its notice names the errors new to the offices),
    None when nothing changed or there is no such report."""
    from nianbao import runs  # noqa: PLC0415 - runs imports this module

    current = store.current(body_id, year)
    if current is None:
        return None
    report, detail = store.get(current.report_id), store.detail(current.report_id)
    body = store.body(body_id)
    if report is None or detail is None or not detail.facts or body is None:
        return None
    stored = store.stored_findings(report.report_id)
    base = [f.finding for f in stored if f.finding.code not in HISTORY_CODES]
    extra = run_history(YearFacts.model_validate(detail.facts), history_for(store, body, year))
    before = [f.finding for f in stored if f.finding.code in HISTORY_CODES]
    if _identities(before) == _identities(extra):
        return None
    run = runs.rebuild(
        report,
        detail,
        [*base, *extra],
        store.decisions(body_id, year),
        now=now,
        grace_seconds=grace_seconds,
        told=runs.told_of(report, stored, current.noticed),
    )
    try:
        store.save_run(run.report, run.findings, run.detail, replaces=report.run_id)
    except RunConflictError:
        log.warning("report %s changed while its cross-year findings were evaluated", report.report_id)
        return None
    store.make_current(run.report)
    return run.report


def _identities(findings: list[Finding]) -> set[tuple[str, str, str | None, str | None]]:
    """What makes two sets of cross-year findings the same: fingerprints and the numbers."""
    return {
        (fp, f.message, str(f.expected), str(f.actual)) for f, fp in zip(findings, fingerprints(findings), strict=True)
    }
