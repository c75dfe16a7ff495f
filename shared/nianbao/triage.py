"""Triage: an office confirms a finding or dismisses it (with a reason), or takes its decision
back. The decision is kept per (body, year, fingerprint), so it holds across re-checks and
corrected re-uploads while the same problem persists; every change goes to an audit trail; the
current report's effective status leaves dismissed findings out.

The HTTP API and page come with the dashboard; this is the use case they call.
"""

from __future__ import annotations

from datetime import datetime

from nianbao.runs import effective_status
from nianbao.store import Decision, TriageState, stamp
from nianbao.store.ports import ReportStore


class TriageError(ValueError):
    """A decision that cannot be taken (no such finding, or a dismissal without a reason)."""


def decide(
    store: ReportStore,
    *,
    body_id: str,
    year: int,
    fingerprint: str,
    state: TriageState,
    who: str,
    now: datetime,
    reason: str = "",
) -> Decision:
    """Take a decision on the finding ``fingerprint`` of ``body_id``'s report of record for
    ``year``; returns it. The current run's finding takes it at once, and the report's effective
    status (and its place in the status lists) follows."""
    reason = " ".join(reason.split())
    if state is TriageState.DISMISSED and not reason:
        raise TriageError("驳回（不予采纳）一项问题须说明理由")
    if not who.strip():
        raise TriageError("须记录作出决定的人")
    current = store.current(body_id, year)
    if current is None:
        raise TriageError(f"{body_id} 没有 {year} 年度的报告")
    report = store.get(current.report_id)
    findings = store.stored_findings(current.report_id) if report else []
    target = next((f for f in findings if f.fingerprint == fingerprint), None)
    if report is None or target is None:
        raise TriageError("当前报告中没有这一项问题（可能已更正）")
    decision = Decision(
        body_id=body_id,
        year=year,
        fingerprint=fingerprint,
        state=state,
        reason=reason,
        who=who.strip(),
        at=stamp(now),
        code=target.finding.code,
    )
    store.decide(decision)
    store.set_triage(target, state)
    updated = [f.model_copy(update={"triage": state}) if f.fingerprint == fingerprint else f for f in findings]
    store.set_status(report, effective_status(report.status, updated), current=True)
    return decision
