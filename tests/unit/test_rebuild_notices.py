"""A run rebuilt with new cross-year findings tells the offices only what is news to them, even
when recording what they were told failed after the notice went out, and it never replaces a
notice that is still on its way.

Found by the fault-injection run (tests/e2e/test_faults.py) with several reports per body: a
dropped ``mark_noticed`` write made the next cross-year re-evaluation send the report's balance
errors a second time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nianbao.fingerprint import fingerprints
from nianbao.model import Finding, Location, Severity, Status
from nianbao.runs import rebuild, told_of
from nianbao.store import NoticeState, ReportDetail, StoredFinding, StoredReport

pytestmark = pytest.mark.unit

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _finding(code: str, column: str) -> Finding:
    return Finding(
        code=code,
        severity=Severity.ERROR,
        message=f"{code} {column}",
        location=Location(section=3, table="table3", row="results_total", column=column),
    )


BALANCE = [_finding("T3_RESULTS_TOTAL", "natural"), _finding("T3_ROW_TOTAL", "total")]
CARRYOVER = _finding("CARRYOVER_MISMATCH", "natural")


def _stored(findings: list[Finding]) -> list[StoredFinding]:
    return [
        StoredFinding(
            report_id="r1",
            run_id="run1",
            fingerprint=fp,
            finding_index=n,
            body_id="b",
            year=2023,
            division="630122",
            finding=f,
        )
        for n, (f, fp) in enumerate(zip(findings, fingerprints(findings), strict=True))
    ]


def _report(notice: NoticeState, named: list[str] | None = None, **changes: object) -> StoredReport:
    base = {
        "report_id": "r1", "bucket": "b", "key": "reports/630122/2023/a.txt", "division": "630122", "year": 2023,
        "format": "2021", "file_type": "text", "status": Status.FAIL, "counts": {"error": 2},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
        "body_id": "b", "run_id": "run1", "notice": notice, "notice_fingerprints": named,
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


DETAIL = ReportDetail(report_id="r1", run_id="run1")


def test_a_sent_first_notice_counts_as_told_even_when_recording_it_failed():
    stored = _stored(BALANCE)
    assert told_of(_report(NoticeState.SENT), stored, noticed=[]) == {s.fingerprint for s in stored}
    assert told_of(_report(NoticeState.SENT, named=["x"]), stored, noticed=["y"]) == {"x", "y"}
    # not sent (pending, failed, nothing to send): only what was recorded
    for state in (NoticeState.PENDING, NoticeState.FAILED, NoticeState.NONE):
        assert told_of(_report(state), stored, noticed=["y"]) == {"y"}


def test_a_new_carry_over_error_is_the_only_thing_a_rebuilt_run_names():
    before = _report(NoticeState.SENT)
    told = told_of(before, _stored(BALANCE), noticed=[])  # the record of the notice was lost
    run = rebuild(before, DETAIL, [*BALANCE, CARRYOVER], {}, now=NOW, grace_seconds=300, told=told)
    assert run.report.notice is NoticeState.PENDING
    [carryover] = [s for s in run.findings if s.finding.code == "CARRYOVER_MISMATCH"]
    assert run.report.notice_fingerprints == [carryover.fingerprint]


def test_a_notice_still_on_its_way_stays_the_one_notice():
    pending = _report(NoticeState.PENDING, notice_due_at="2024-03-01T00:05:00+00:00")
    run = rebuild(pending, DETAIL, [*BALANCE, CARRYOVER], {}, now=NOW, grace_seconds=300, told=set())
    assert run.report.notice is NoticeState.PENDING
    assert run.report.notice_fingerprints is None  # a first notice: every error of the run it is sent from
    assert run.report.notice_due_at == "2024-03-01T00:05:00+00:00"

    held = _report(NoticeState.SENDING, named=["old"], notice_claim="token", notice_attempts=2)
    run = rebuild(held, DETAIL, [*BALANCE, CARRYOVER], {}, now=NOW, grace_seconds=300, told={"old"})
    assert (run.report.notice, run.report.notice_claim, run.report.notice_attempts) == (
        NoticeState.SENDING,
        "token",
        2,
    )
    named = run.report.notice_fingerprints or []
    assert "old" in named
    assert len(named) == 4  # what it named, and the three errors new since
