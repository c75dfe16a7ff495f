"""Notices, exactly once within what SNS allows.

A report with errors is stored with its notice ``pending``, in the same transaction as the result
(the outbox). Whoever sends it first claims it (``sending``: a token and a lease), publishes it, and
records it ``sent``; that record is retried in-process, because a publish whose record is lost
would be sent again. Two paths send notices:

* the delivery that stored the result, right after storing it;
* the sweeper, on a schedule, for every notice still pending a few minutes after it was stored
  (its delivery crashed, or publishing failed) and every claim whose lease ran out (its holder
  died). So no notice is lost, even when its SQS message ran out of receives.

A delivery that finds the notice claimed by another leaves it to that one (or to the sweeper, once
the lease has run out) and succeeds: its result is stored, there is nothing to retry. The lease
outlives the queue's visibility timeout, so a redelivered message never takes a claim over from a
delivery that may still be publishing. A duplicate remains possible only when a process dies
between SNS accepting the message and the record of it: the sweeper cannot know it went out.

A notice that cannot be published after ``max_attempts`` claims (a permanent SNS error) is marked
``failed`` and logged for the operators, instead of being tried forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nianbao.fingerprint import fingerprints
from nianbao.model import Finding, Severity
from nianbao.notify import compose
from nianbao.store import NoticeState, StoredReport

if TYPE_CHECKING:
    from datetime import datetime

    from nianbao.store.ports import NoticePublisher, ReportStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticeOutcome:
    state: NoticeState
    published: bool = False  # this call published it
    deferred: bool = False  # publishing failed: pending again, for the sweeper
    record_lost: bool = False  # published, but recording it failed: the sweeper may send it again


@dataclass(frozen=True)
class Outbox:
    store: ReportStore
    notifier: NoticePublisher
    now: Callable[[], datetime]
    lease_seconds: int
    max_attempts: int = 12
    dashboard_url: str | None = None  # notices link to the report's page there

    def deliver(self, report: StoredReport, findings: list[Finding] | None = None) -> NoticeOutcome:
        """Send ``report``'s notice if it is due and nobody holds it. ``findings`` are the
        report's when the caller has them (it just stored them); else a consistent read."""
        if report.notice not in (NoticeState.PENDING, NoticeState.SENDING):
            return NoticeOutcome(report.notice)
        rid = report.report_id
        claim = self.store.claim_notice(rid, self.now(), self.lease_seconds)
        if claim is None:  # sent, or held by another delivery: it (or the sweeper) finishes it
            return NoticeOutcome(NoticeState.SENDING)
        named = _named(report, self.store.findings(rid) if findings is None else findings)
        notice = compose(report, [f for f, _ in named], dashboard_url=self.dashboard_url)
        if notice is None:  # the record said errors but holds none: nothing to say
            self.store.notice_sent(rid, claim.token, "", self.now())
            return NoticeOutcome(NoticeState.SENT)
        try:
            message_id = self.notifier.publish(notice)
        except Exception:
            return self._not_published(rid, claim.token, claim.attempts)
        try:
            recorded = self.store.notice_sent(rid, claim.token, message_id, self.now())
        except Exception:
            log.exception("notice %s of report %s was published but not recorded as sent", message_id, rid)
            return NoticeOutcome(NoticeState.SENDING, published=True, record_lost=True)
        if not recorded:  # our lease ran out while publishing and another delivery took it over
            log.error("notice of report %s was published after its claim had been taken over", rid)
        # what the offices now know of this body and year: a re-check tells them only what is new
        told = [fp for f, fp in named if f.severity is Severity.ERROR]
        try:
            self.store.mark_noticed(report.body_id, report.listed_year, told)
        except Exception:
            log.exception("the errors noticed for report %s were not recorded", rid)
        return NoticeOutcome(NoticeState.SENT, published=True)

    def _not_published(self, report_id: str, token: str, attempts: int) -> NoticeOutcome:
        if attempts >= self.max_attempts:
            log.exception("notice of report %s failed %d times; giving up, operators must look", report_id, attempts)
            self.store.notice_failed(report_id, token, self.now())
            return NoticeOutcome(NoticeState.FAILED)
        log.warning("publishing the notice of report %s failed; the sweeper sends it", report_id, exc_info=True)
        self.store.release_notice(report_id, token, self.now())
        return NoticeOutcome(NoticeState.PENDING, deferred=True)

    def sweep(self, has_time: Callable[[], bool] = lambda: True) -> list[NoticeOutcome]:
        """Send every notice that is due: pending past its grace time, or claimed by a delivery
        whose lease has run out. Stops early when ``has_time()`` says so (the next run goes on)."""
        outcomes: list[NoticeOutcome] = []
        for report_id in self.store.due_notices(self.now()):
            if not has_time():
                break
            report = self.store.get(report_id)
            if report is None:
                continue
            outcomes.append(self.deliver(report))
        return outcomes


def _named(report: StoredReport, findings: list[Finding]) -> list[tuple[Finding, str]]:
    """The findings the notice may name, with their fingerprints: all of them, or (a re-check)
    only the errors the record names as new since the offices' last notice."""
    pairs = list(zip(findings, fingerprints(findings), strict=True))
    if report.notice_fingerprints is None:
        return pairs
    new = set(report.notice_fingerprints)
    return [(f, fp) for f, fp in pairs if fp in new]
