"""Re-checking stored uploads: those checked by an older checker (a rule fixed or added since) and
those that ended CHECK_FAILED (a defect of ours, since fixed). Each gets a new run of the same
object version; its body's offices are told only of errors new since their last notice for that
body and year.

Used by ``nianbao recheck`` and the RecheckReports function (by hand, or daily: it finds nothing
to do when nothing changed). It walks the AllReports index page by page and stops when the
invocation runs short of time, returning the cursor to go on from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from nianbao import crossyear, runs
from nianbao.events import S3Object
from nianbao.pipeline import Services, _check, handover, settle_neighbours
from nianbao.store import RunConflictError, StoredReport, decode_cursor, encode_cursor
from nianbao.version import checker_version

log = logging.getLogger(__name__)

FIRST_YEAR = 2008  # the Regulation's first reporting year


@dataclass
class Summary:
    looked_at: int = 0
    rechecked: int = 0
    noticed: int = 0  # reports whose offices were told of new errors
    skipped: int = 0  # a notice in flight, or another re-check won the race
    handed_over: int = 0  # scans sent on to be re-checked with OCR (nianbao.handover)
    cursor: str | None = None  # where to go on from (None: done)
    report_ids: list[str] = field(default_factory=list)


def due(report: StoredReport, version: str) -> bool:
    """Whether a stored run is out of date: an older checker, or our own failure."""
    return report.check_failed or report.checker_version != version


def recheck(
    services: Services,
    division: str = "",
    year: int | None = None,
    *,
    cursor: str | None = None,
    has_time: Callable[[], bool] = lambda: True,
    force: bool = False,
) -> Summary:
    """Re-check the uploads under ``division`` (every year unless ``year``) whose run is out of
    date (every one with ``force``)."""
    version = checker_version()
    store = services.store
    years = [year] if year is not None else [0, *range(FIRST_YEAR, services.now().year + 2)]
    state = decode_cursor(cursor)
    position, page_cursor = int(state.get("y", 0)), state.get("c")
    summary = Summary()
    while position < len(years):
        page = store.all_reports(division, years[position], page_cursor)
        for row in page.items:
            report = store.get(row.report_id)
            if report is None or not (force or due(report, version)):
                summary.looked_at += 1
                continue
            if not has_time():  # go on from this page: what was done on it is up to date now
                summary.cursor = encode_cursor({"y": position, "c": page_cursor})
                return summary
            summary.looked_at += 1
            _again(report, services, summary)
        page_cursor = page.cursor
        if page_cursor is None:
            position += 1
    return summary


def recheck_report(services: Services, report_id: str) -> Summary:
    """Re-check one stored report (a scan handed on by a re-check where OCR is not installed)."""
    summary = Summary()
    report = services.store.get(report_id)
    if report is None:  # a hand-over names only stored reports, and nothing deletes them
        log.warning("report %s to re-check is not stored", report_id)
        return summary
    summary.looked_at = 1
    _again(report, services, summary)
    return summary


def _again(report: StoredReport, services: Services, summary: Summary) -> None:
    store = services.store
    obj = S3Object(
        report.bucket,
        report.key,
        report.version_id,
        report.etag,
        report.size,
        report.sequencer,
        report.event_time,
        report.uploader,
    )
    checked = _check(obj, services)
    if (scans := handover(checked, services)) is not None:
        scans.recheck(report.report_id)  # read by OCR there; this run stays until that one replaces it
        summary.handed_over += 1
        return
    now: datetime = services.now()
    result = checked.result
    body = store.body(report.body_id)
    if body is None or body.provisional:  # matched to no roster body: try again (and say so again)
        body, unknown = runs.attach(store, obj.division, result.report.agency, now)
        result = runs.with_body_finding(result, unknown)
    year = result.report.year or obj.key_year or 0
    result, facts = crossyear.with_history(result, crossyear.history_for(store, body, year))
    current = store.current(body.body_id, year)
    # the report of record after this run (a report the roster could not place, or whose year was
    # not read before, may become one now)
    is_current = current is None or current.report_id == report.report_id or current.order < report.order
    run = runs.build(
        obj,
        result,
        body,
        store.decisions(body.body_id, year),
        now=now,
        grace_seconds=services.settings.notice_grace_seconds,
        check_failed=checked.failed,
        # only the current upload's offices are told, and only of what they were not told yet
        told=runs.told_of(report, store.stored_findings(report.report_id), current.noticed)
        if current is not None and is_current
        else set(),
        silent=not is_current,
        received_at=report.received_at,
        facts=facts,
    )
    try:
        store.save_run(run.report, run.findings, run.detail, replaces=report.run_id)
    except RunConflictError:
        log.warning("report %s changed while it was re-checked; left for the next run", report.report_id)
        summary.skipped += 1
        return
    summary.rechecked += 1
    summary.report_ids.append(report.report_id)
    moved = (body.body_id, year) != (report.body_id, report.listed_year)
    if moved:  # read right this time (a failed check, an unknown body): the old record lets go
        before = store.current(report.body_id, report.listed_year)
        if before is not None and before.report_id == report.report_id:
            store.retire_current(report.body_id, report.listed_year)
    # the report of record again: current if it is the newest, else marked replaced again (the
    # new run's item does not carry the mark)
    now_current = store.make_current(run.report)
    outcome = services.outbox.deliver(run.report, run.plain)
    summary.noticed += outcome.published
    if now_current:
        settle_neighbours(run.report, services)
