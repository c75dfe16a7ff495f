"""A checked file becomes a stored run: matched to its body, its findings fingerprinted and given
the decisions already taken on them, its effective status computed, its notice decided.

Shared by the first check of an upload (nianbao.pipeline) and a re-check (nianbao.recheck). The
matching and the arithmetic are pure (nianbao.bodies, nianbao.fingerprint, ``effective_status``);
this module reads the bodies and decisions they need from the store and writes nothing itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from nianbao.bodies import match_body, provisional_body_id
from nianbao.contract import report_dict
from nianbao.events import S3Object
from nianbao.fingerprint import fingerprints
from nianbao.history import YearFacts
from nianbao.model import CheckResult, Finding, Severity, Status
from nianbao.roster import Body, BodyKind
from nianbao.rules import status_of
from nianbao.rules.catalog import body_unknown_message, finding
from nianbao.store import (
    BodyRecord,
    Decision,
    NoticeState,
    ReportDetail,
    StoredFinding,
    StoredReport,
    TriageState,
    stamp,
    walk,
)
from nianbao.store.ports import ReportStore
from nianbao.version import checker_version

UNRECOGNISED = "（机关未识别）"


@dataclass(frozen=True)
class Run:
    """What one check of one object writes: the report item, its findings and its detail."""

    report: StoredReport
    findings: list[StoredFinding]
    detail: ReportDetail

    @property
    def plain(self) -> list[Finding]:
        return [f.finding for f in self.findings]


def new_run_id(now: datetime) -> str:
    """Sortable by time, unique: ``20250131T090000.123456Z-1a2b3c4d``."""
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{uuid.uuid4().hex[:8]}"


def effective_status(status: Status, findings: Iterable[StoredFinding]) -> Status:
    """The report's status with dismissed findings left out. An unreadable file stays unreadable
    (nothing was read that a decision could clear)."""
    if status is Status.UNREADABLE:
        return status
    return status_of(f.finding for f in findings if f.triage is not TriageState.DISMISSED)


def error_fingerprints(findings: Iterable[StoredFinding]) -> set[str]:
    """The errors an office would be told of (our own failures are not theirs)."""
    return {
        f.fingerprint for f in findings if f.finding.severity is Severity.ERROR and f.finding.code != "CHECK_FAILED"
    }


def told_of(report: StoredReport, findings: Iterable[StoredFinding], noticed: Iterable[str]) -> set[str]:
    """The errors the offices know of for ``report``'s body and year: what was recorded as noticed,
    and what the report's own notice named once it was sent (recording what was noticed is a write
    of its own after the notice went out, and a failure there must not make old errors news)."""
    told = set(noticed)
    if report.notice is NoticeState.SENT:
        named = report.notice_fingerprints
        told |= set(named) if named is not None else error_fingerprints(findings)
    return told


def body_record(body: Body) -> BodyRecord:
    return BodyRecord(
        body_id=body.body_id,
        name=body.name,
        aliases=list(body.aliases),
        kind=body.kind.value,
        parent_body_id=body.parent_body_id,
        division=body.division,
        sums_children=body.sums_children,
    )


def as_body(record: BodyRecord) -> Body:
    return Body(
        body_id=record.body_id,
        name=record.name,
        aliases=record.aliases,
        kind=BodyKind(record.kind) if record.kind in BodyKind._value2member_map_ else BodyKind.OTHER,
        parent_body_id=record.parent_body_id,
        division=record.division,
        sums_children=record.sums_children,
    )


def candidates(store: ReportStore, division: str) -> list[Body]:
    """The roster bodies an upload under ``division`` may belong to: those of its city (the
    division's first four digits), or of its province for a province-level upload."""
    near = division[:4] if len(division) >= 4 else division[:2]
    # a city's roster: hundreds of bodies, read whole to compare the name with each
    bodies = walk(lambda cursor: store.bodies(near, cursor))
    return [as_body(b) for b in bodies if not b.provisional and not b.merged_into]


def attach(store: ReportStore, division: str, agency: str | None, now: datetime) -> tuple[BodyRecord, Finding | None]:
    """The body an upload belongs to, and the BODY_UNKNOWN finding when a roster covers its area
    but none of its bodies matches (it is then kept under a provisional body: division +
    normalised name; so is an upload from an area no roster covers yet, without a finding)."""
    roster = candidates(store, division)
    match = match_body(agency, division, roster)
    if match.body is not None:
        return body_record(match.body), None
    provisional = BodyRecord(
        body_id=provisional_body_id(division, agency),
        name=agency or UNRECOGNISED,
        division=division,
        provisional=True,
        updated_at=stamp(now),
    )
    store.ensure_body(provisional)
    if not roster:  # no roster covers the area yet: nothing to tell the office about its roster
        return provisional, None
    closest = [c.name for c in match.closest]
    return provisional, finding("BODY_UNKNOWN", body_unknown_message(agency, closest, ambiguous=match.ambiguous))


def build(
    obj: S3Object,
    result: CheckResult,
    body: BodyRecord,
    decisions: dict[str, Decision],
    *,
    now: datetime,
    grace_seconds: int,
    check_failed: bool = False,
    told: set[str] | None = None,
    silent: bool = False,
    received_at: str | None = None,
    facts: YearFacts | None = None,
) -> Run:
    """The run of ``result`` for ``obj`` under ``body``. Its notice names every error of a first
    run; for a re-check (``told``: what the offices were told of this body and year already),
    only the errors new since; none when ``silent`` (an upload that is not the current one) or
    when the check failed on our side."""
    report = result.report
    year = report.year or obj.key_year or 0
    run_id = new_run_id(now)
    stored = _stored(result.findings, obj.report_id, run_id, body.body_id, year, obj.division, decisions)
    notice, named, due = _notice(stored, told, now, grace_seconds, quiet=check_failed or silent)
    contract = report_dict(result)
    record = StoredReport(
        report_id=obj.report_id,
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id,
        etag=obj.etag,
        size=obj.size,
        division=obj.division,
        key_year=obj.key_year,
        year=report.year,
        agency=report.agency,
        title=report.title,
        format=report.format.value,
        file_type=report.file_type,
        read_by=report.read_by,
        status=result.status,
        effective_status=effective_status(result.status, stored),
        counts=contract["counts"],
        published=report.published_iso,
        received_at=received_at or now.isoformat(),
        checked_at=now.isoformat(),
        finding_count=len(stored),
        uploader=obj.uploader,
        sequencer=obj.sequencer,
        event_time=obj.event_time,
        body_id=body.body_id,
        body_name=body.name,
        provisional_body=body.provisional,
        run_id=run_id,
        checker_version=checker_version(),
        check_failed=check_failed,
        notice=notice,
        notice_fingerprints=None if told is None else sorted(named),
        notice_due_at=due,
    )
    detail = ReportDetail(
        report_id=obj.report_id,
        run_id=run_id,
        sections=contract["sections"],
        tables=contract["tables"],
        extraction_notes=report.extraction_notes,
        facts=facts.model_dump(mode="json") if facts is not None else None,
    )
    return Run(record, stored, detail)


def _stored(  # noqa: PLR0917 - the run's coordinates, each a key of its items
    findings: list[Finding],
    report_id: str,
    run_id: str,
    body_id: str,
    year: int,
    division: str,
    decisions: dict[str, Decision],
) -> list[StoredFinding]:
    """The findings of a run under their fingerprints, with the decisions taken on them."""
    return [
        StoredFinding(
            report_id=report_id,
            run_id=run_id,
            fingerprint=fp,
            finding_index=index,
            body_id=body_id,
            year=year,
            division=division,
            triage=decisions[fp].state if fp in decisions else TriageState.OPEN,
            finding=finding,
        )
        for index, (finding, fp) in enumerate(zip(findings, fingerprints(findings), strict=True))
    ]


def _notice(
    stored: list[StoredFinding], told: set[str] | None, now: datetime, grace_seconds: int, *, quiet: bool
) -> tuple[NoticeState, set[str], str | None]:
    """Whether the run has a notice, the errors it names, and when the sweeper may take it."""
    errors = error_fingerprints(stored)
    named = errors if told is None else errors - told
    if not named or quiet:
        return NoticeState.NONE, named, None
    return NoticeState.PENDING, named, stamp(now + timedelta(seconds=grace_seconds))


def rebuild(
    report: StoredReport,
    detail: ReportDetail,
    findings: list[Finding],
    decisions: dict[str, Decision],
    *,
    now: datetime,
    grace_seconds: int,
    told: set[str],
) -> Run:
    """A new run of a stored report with other findings (its cross-year findings evaluated again),
    from what is stored: the file is not read again. Its notice names only errors new to the
    offices (``told``)."""
    run_id = new_run_id(now)
    stored = _stored(findings, report.report_id, run_id, report.body_id, report.listed_year, report.division, decisions)
    notice, named, due = _notice(stored, told, now, grace_seconds, quiet=report.check_failed)
    status = report.status if report.status is Status.UNREADABLE else status_of(findings)
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    run = {
        "run_id": run_id,
        "status": status,
        "effective_status": effective_status(status, stored),
        "counts": counts,
        "finding_count": len(stored),
        "checked_at": now.isoformat(),
    }
    if report.notice in (NoticeState.PENDING, NoticeState.SENDING):
        # a notice not sent yet stays the one notice: pending or held by a delivery, it keeps its
        # claim; a first notice names every error of the run it is sent from, a re-check's the new
        # ones too
        kept = report.notice_fingerprints
        fresh = report.model_copy(
            update=run | {"notice_fingerprints": None if kept is None else sorted({*kept, *named})}
        )
        return Run(fresh, stored, detail.model_copy(update={"run_id": run_id}))
    notice_fields = {
        "notice": notice,
        "notice_fingerprints": sorted(named),
        "notice_due_at": due,
        "notice_claimed_at": None,
        "notice_claim": None,
        "notice_message_id": None,
        "notice_sent_at": None,
        "notice_attempts": 0,
        "notice_failed_at": None,
    }
    fresh = report.model_copy(update=run | notice_fields)
    return Run(fresh, stored, detail.model_copy(update={"run_id": run_id}))


def with_body_finding(result: CheckResult, extra: Finding | None) -> CheckResult:
    """``result`` with the BODY_UNKNOWN finding added (info: the status does not change); not for a
    file that is no report at all (unreadable, or not an annual report: that finding says enough)."""
    if extra is None or not result.report.looks_like_report or result.status is Status.UNREADABLE:
        return result
    return result.model_copy(update={"findings": [*result.findings, extra]})
