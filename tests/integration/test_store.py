"""The findings store's contract: every access pattern, the report of record, runs, triage and
the notices outbox. The same tests run against the DynamoDB adapter on the template's own table
(moto) and against the in-memory fake of tests/fakes.py, so that use-case tests on the fake prove
what they would on AWS. Expected values are written out by hand, never computed by the store."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nianbao import aws
from nianbao.model import Finding, Location, Severity, Status
from nianbao.store import (
    BodyRecord,
    Decision,
    FindingsStore,
    NoticeState,
    Overdue,
    Page,
    ReportDetail,
    StoredFinding,
    StoredReport,
    TriageState,
    stamp,
    to_dynamo,
)
from nianbao.store.ports import ReportStore
from tests.fakes import MemoryStore

pytestmark = pytest.mark.integration

NOW = datetime(2024, 1, 20, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> ReportStore:
    if request.param == "memory":
        return MemoryStore()
    stack = request.getfixturevalue("stack")
    return FindingsStore(aws.client("dynamodb"), stack.outputs["FindingsTableName"])


def report(report_id: str = "r1", **changes: Any) -> StoredReport:
    base: dict[str, Any] = {
        "report_id": report_id, "bucket": "b", "key": f"reports/630122/2023/{report_id}.pdf", "version_id": "v1",
        "division": "630122", "key_year": 2023, "year": 2023, "agency": "青川县清水镇人民政府", "format": "2021",
        "file_type": "pdf", "status": Status.FAIL, "counts": {"error": 1, "warning": 0, "info": 0},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
        "event_time": "2024-01-20T07:59:00.000Z", "body_id": "630122-qs", "body_name": "清水镇人民政府",
        "run_id": "run1", "checker_version": "0.1.0+aaaaaaaaaaaa", "notice": NoticeState.NONE,
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


def finding(code: str = "T3_ROW_TOTAL", n: int = 0, severity: Severity = Severity.ERROR) -> Finding:
    where = Location(section=3, table="table3", row="new", column="total")
    return Finding(
        code=code,
        severity=severity,
        message=f"问题{n}",
        expected=n,
        actual=Decimal("1.5"),
        evidence=f"原文{n}",
        location=where,
    )


def stored(of: StoredReport, findings: list[Finding], prints: list[str] | None = None) -> list[StoredFinding]:
    prints = prints or [f"fp{n:03d}" for n in range(len(findings))]
    return [
        StoredFinding(
            report_id=of.report_id, run_id=of.run_id, fingerprint=fp, finding_index=n, body_id=of.body_id,
            year=of.listed_year, division=of.division, finding=f,
        )
        for n, (f, fp) in enumerate(zip(findings, prints, strict=True))
    ]  # fmt: skip


def save(store: ReportStore, of: StoredReport, findings: list[Finding] | None = None, **kwargs: Any) -> bool:
    findings = [finding(n=1)] if findings is None else findings
    detail = ReportDetail(report_id=of.report_id, run_id=of.run_id, tables={"table2": {"fees": [816.44]}})
    return store.save_run(of, stored(of, findings), detail, **kwargs)


def everything(list_page: Callable[[str | None], Page[Any]]) -> list[Any]:
    """Every item of a list, page by page through its cursors."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(1000):
        page = list_page(cursor)
        items.extend(page.items)
        if page.cursor is None:
            return items
        cursor = page.cursor
    raise AssertionError("the cursor never ran out")


# --- runs ---------------------------------------------------------------------------------------


def test_a_run_is_stored_and_read_back_whole(store):
    assert save(store, report(), [finding(n=1), finding("T4_TOTAL", 2, Severity.ERROR)])
    back = store.get("r1")
    assert back is not None
    assert back.model_dump() == report().model_dump()
    assert [(f.code, f.expected, f.actual, f.evidence) for f in store.findings("r1")] == [
        ("T3_ROW_TOTAL", 1, 1.5, "原文1"),
        ("T4_TOTAL", 2, 1.5, "原文2"),
    ]
    detail = store.detail("r1")
    assert detail is not None
    assert detail.tables["table2"]["fees"] == [816.44]


def test_saving_the_same_report_again_writes_nothing(store):
    assert save(store, report())
    assert not save(store, report(status=Status.PASS, run_id="run2"), [finding(n=1), finding(n=2)])
    back = store.get("r1")
    assert back is not None
    assert (back.status, back.run_id) == (Status.FAIL, "run1")
    assert len(store.findings("r1")) == 1


def test_a_recheck_replaces_the_run_only_if_it_was_made_from_the_current_one(store):
    save(store, report(), [finding(n=1)])
    assert save(store, report(run_id="run2", checker_version="0.2.0+bbbbbbbbbbbb"), [finding(n=7)], replaces="run1")
    assert [f.message for f in store.findings("r1")] == ["问题7"]
    assert [f.message for f in store.findings("r1", "run1")] == ["问题1"]  # the old run stays, out of lists
    with pytest.raises(RuntimeError, match="changed"):
        save(store, report(run_id="run3"), [finding(n=9)], replaces="run1")


def test_150_findings_are_items_every_one_found_by_rule_page_by_page(store):
    many = [finding(n=n) for n in range(150)]
    save(store, report(), many)
    store.make_current(report())
    assert [f.message for f in store.findings("r1")] == [f"问题{n}" for n in range(150)]
    rows = everything(lambda c: store.findings_by_rule("T3_ROW_TOTAL", prefix="63", year=2023, cursor=c, limit=40))
    assert sorted(r.fingerprint for r in rows) == [f"fp{n:03d}" for n in range(150)]


def test_numbers_dynamodb_cannot_hold_are_kept_as_text():
    assert to_dynamo({"a": [10**40, float("inf"), 7, 1.5, True]}) == {
        "a": ["1" + "0" * 40, "inf", 7, Decimal("1.5"), True]
    }


# --- the report of record -------------------------------------------------------------------------


def test_a_fixed_second_upload_is_the_current_report_and_lists_show_it_only(store):
    # Given a failing v1, then a fixed v2 of the same body and year
    v1 = report("v1", event_time="2024-01-20T08:00:00.000Z", status=Status.FAIL)
    v2 = report("v2", event_time="2024-01-21T09:30:00.000Z", status=Status.PASS, counts={"error": 0})
    for upload in (v1, v2):
        save(store, upload)
        store.make_current(upload)
    # Then the current lists show v2, every-upload lists both, and v1 points to its successor
    assert [c.report_id for c in store.current_reports("630122", 2023).items] == ["v2"]
    assert [c.report_id for c in store.current_reports("63", 2023, Status.PASS).items] == ["v2"]
    assert store.current_reports("63", 2023, Status.FAIL).items == []
    assert sorted(r.report_id for r in store.all_reports("630122", 2023).items) == ["v1", "v2"]
    old = store.get("v1")
    assert old is not None
    assert old.superseded_by == "v2"
    current = store.current("630122-qs", 2023)
    assert current is not None
    assert (current.report_id, current.status) == ("v2", Status.PASS)


def test_an_older_upload_delivered_late_does_not_win(store):
    v2 = report("v2", event_time="2024-01-21T09:30:00.000Z")
    v1 = report("v1", event_time="2024-01-20T08:00:00.000Z")
    save(store, v2)
    assert store.make_current(v2)
    save(store, v1)
    assert not store.make_current(v1)  # delivered after v2, uploaded before it
    assert [c.report_id for c in store.current_reports("63", 2023).items] == ["v2"]
    late = store.get("v1")
    assert late is not None
    assert late.superseded_by == "v2"
    assert store.make_current(v2)  # and the current one stays current when asked again


def test_the_same_key_uploaded_twice_in_one_second_is_ordered_by_s3s_sequencer(store):
    first = report("a", event_time="2024-01-20T08:00:00.000Z", sequencer="0065A1B2C3D4E5F601")
    second = report("b", event_time="2024-01-20T08:00:00.000Z", sequencer="0065A1B2C3D4E5F602")
    for upload in (second, first):
        save(store, upload)
        store.make_current(upload)
    current = store.current("630122-qs", 2023)
    assert current is not None
    assert current.report_id == "b"


def test_lists_are_sharded_by_province_and_walked_behind_one_cursor(store):
    # Given current reports in three provinces and two counties of one city
    places = {"a": "630122", "b": "630105", "c": "632121", "d": "510104", "e": "110101"}
    for rid, division in places.items():
        upload = report(rid, division=division, body_id=f"body-{rid}", key=f"reports/{division}/2023/{rid}.pdf")
        save(store, upload)
        store.make_current(upload)
    # Then a prefix finds its own, and the whole country comes page by page
    assert sorted(c.report_id for c in store.current_reports("6301", 2023).items) == ["a", "b"]
    assert sorted(c.report_id for c in store.current_reports("63", 2023).items) == ["a", "b", "c"]
    assert [c.report_id for c in store.current_reports("5", 2023).items] == ["d"]
    one_by_one = everything(lambda c: store.current_reports("", 2023, cursor=c, limit=1))
    assert sorted(c.report_id for c in one_by_one) == ["a", "b", "c", "d", "e"]
    assert store.current_reports("63", 2024).items == []
    with pytest.raises(ValueError, match="cursor"):
        store.current_reports("63", 2023, cursor="not-a-cursor!")


def test_a_bodys_reports_across_years(store):
    for rid, year in (("y22", 2022), ("y23", 2023), ("y23b", 2023)):
        upload = report(rid, year=year, key_year=year, event_time=f"{year + 1}-01-0{len(rid)}T00:00:00.000Z")
        save(store, upload)
        store.make_current(upload)
    assert [r.report_id for r in store.body_reports("630122-qs").items] == ["y22", "y23", "y23b"]
    assert {c.year: c.report_id for c in store.body_years("630122-qs")} == {2022: "y22", 2023: "y23b"}


def test_what_an_office_was_told_is_kept_with_the_body_and_year(store):
    save(store, report())
    store.make_current(report())
    store.mark_noticed("630122-qs", 2023, ["fp1", "fp2"])
    store.mark_noticed("630122-qs", 2023, ["fp2", "fp3"])
    current = store.current("630122-qs", 2023)
    assert current is not None
    assert sorted(current.noticed) == ["fp1", "fp2", "fp3"]


# --- findings lists and triage -----------------------------------------------------------------------


def test_open_errors_leave_out_dismissed_findings_warnings_and_old_runs(store):
    upload = report()
    findings = [finding(n=0), finding(n=1), finding("CELL_BLANK", 2, Severity.WARNING)]
    save(store, upload, findings)
    store.make_current(upload)
    assert sorted(r.fingerprint for r in store.open_errors("63", 2023).items) == ["fp000", "fp001"]
    [first, *_] = store.stored_findings("r1")
    store.set_triage(first, TriageState.DISMISSED)
    assert [r.fingerprint for r in store.open_errors("63", 2023).items] == ["fp001"]
    dismissed = store.findings_by_rule("T3_ROW_TOTAL", prefix="63", year=2023, triage=TriageState.DISMISSED)
    assert [r.fingerprint for r in dismissed.items] == ["fp000"]
    # a re-check's run takes over: the old run's entries drop out of every list
    rerun = report(run_id="run2")
    save(store, rerun, [finding(n=5)], replaces="run1")
    store.make_current(rerun)
    assert [r.run_id for r in store.open_errors("63", 2023).items] == ["run2"]
    assert [r.run_id for r in store.findings_by_rule("T3_ROW_TOTAL", prefix="63", year=2023).items] == ["run2"]


def test_a_superseded_uploads_findings_leave_the_lists(store):
    v1 = report("v1", event_time="2024-01-20T08:00:00.000Z")
    v2 = report("v2", event_time="2024-01-21T08:00:00.000Z")
    save(store, v1, [finding(n=1)])
    store.make_current(v1)
    save(store, v2, [finding(n=2)])
    store.make_current(v2)
    assert [r.report_id for r in store.open_errors("63", 2023).items] == ["v2"]


def test_decisions_are_kept_per_body_year_and_fingerprint_with_an_audit_trail(store):
    first = Decision(body_id="b", year=2023, fingerprint="fp1", state=TriageState.DISMISSED, reason="表中为上年数据",
                     who="张三", at=stamp(at(0)), code="T3_ROW_TOTAL")  # fmt: skip
    second = first.model_copy(update={"state": TriageState.OPEN, "reason": "撤回", "at": stamp(at(60))})
    other = first.model_copy(update={"fingerprint": "fp2", "state": TriageState.CONFIRMED, "at": stamp(at(30))})
    for decision in (first, other, second):
        store.decide(decision)
    assert {fp: d.state for fp, d in store.decisions("b", 2023).items()} == {
        "fp1": TriageState.OPEN, "fp2": TriageState.CONFIRMED,
    }  # fmt: skip
    assert [(d.fingerprint, d.state) for d in store.history("b", 2023)] == [
        ("fp1", TriageState.DISMISSED), ("fp2", TriageState.CONFIRMED), ("fp1", TriageState.OPEN),
    ]  # fmt: skip
    assert [d.reason for d in store.history("b", 2023, "fp1")] == ["表中为上年数据", "撤回"]
    assert store.decisions("b", 2022) == {}


# --- bodies and rosters ---------------------------------------------------------------------------


def body(body_id: str, division: str = "630122", **changes: Any) -> BodyRecord:
    return BodyRecord.model_validate({"body_id": body_id, "name": f"机关{body_id}", "division": division} | changes)


def test_the_bodies_of_a_roster_without_a_current_report_for_a_year(store):
    store.put_bodies([body("A"), body("B"), body("C", "630105"), body("D", "510104")])
    store.ensure_body(body("P:630122:x", provisional=True))  # provisional bodies are not roster bodies
    filed = report("ra", body_id="A")
    save(store, filed)
    store.make_current(filed)
    assert sorted(b.body_id for b in everything(lambda c: store.missing_reports("63", 2023, c, limit=2))) == ["B", "C"]
    assert [b.body_id for b in store.missing_reports("630105", 2023).items] == ["C"]
    assert sorted(b.body_id for b in store.missing_reports("63", 2022).items) == ["A", "B", "C"]


def test_a_body_is_upserted_whole_and_a_provisional_one_only_created(store):
    store.put_bodies([body("A", aliases=["甲"])])
    store.put_bodies([body("A", aliases=["乙"])])
    stored_body = store.body("A")
    assert stored_body is not None
    assert stored_body.aliases == ["乙"]
    store.ensure_body(body("P", name="临时"))
    store.ensure_body(body("P", name="改名"))
    kept = store.body("P")
    assert kept is not None
    assert kept.name == "临时"


def test_a_provisional_bodys_reports_move_to_a_roster_body(store):
    provisional = body("P:630122:清水", provisional=True)
    store.ensure_body(provisional)
    upload = report("r1", body_id=provisional.body_id, provisional_body=True)
    save(store, upload)
    store.make_current(upload)
    target = body("630122-qs", name="清水镇人民政府")
    moved = store.move_report(upload, target)
    store.make_current(moved)
    store.retire_current(provisional.body_id, 2023)
    store.merge_body(provisional, target.body_id)
    assert [c.body_id for c in store.current_reports("63", 2023).items] == ["630122-qs"]
    back = store.get("r1")
    assert back is not None
    assert (back.body_id, back.provisional_body) == ("630122-qs", False)
    assert [f.body_id for f in store.stored_findings("r1")] == ["630122-qs"]
    merged = store.body(provisional.body_id)
    assert merged is not None
    assert merged.merged_into == "630122-qs"
    assert [b.body_id for b in store.bodies("63").items] == []  # a merged body leaves the lists


# --- the notices outbox -------------------------------------------------------------------------------


def test_a_notice_is_claimed_once_released_on_failure_and_taken_over_when_stale(store):
    save(store, report(notice=NoticeState.PENDING, notice_due_at=stamp(at(300))))
    first = store.claim_notice("r1", NOW, lease_seconds=600)
    assert first is not None
    assert first.attempts == 1
    assert store.claim_notice("r1", at(10), lease_seconds=600) is None  # held
    store.release_notice("r1", first.token, at(15))
    second = store.claim_notice("r1", at(20), lease_seconds=600)
    assert second is not None
    assert second.attempts == 2
    third = store.claim_notice("r1", at(700), lease_seconds=600)  # the claimer died
    assert third is not None
    # the late holder can neither release nor settle a claim it no longer has
    store.release_notice("r1", second.token, at(701))
    assert not store.notice_sent("r1", second.token, "msg-late", at(702))
    assert store.notice_sent("r1", third.token, "msg-1", at(703))
    back = store.get("r1")
    assert back is not None
    assert (back.notice, back.notice_message_id, back.notice_attempts) == (NoticeState.SENT, "msg-1", 3)
    assert back.notice_sent_at == "2024-01-20T08:11:43.000000Z"
    assert store.claim_notice("r1", at(86_400), lease_seconds=600) is None


def test_unsent_notices_are_due_for_the_sweeper_after_their_grace_time_or_lease(store):
    save(store, report("a", notice=NoticeState.PENDING, notice_due_at=stamp(at(300))))
    save(store, report("b", notice=NoticeState.SENT))
    save(store, report("c", notice=NoticeState.NONE, status=Status.PASS))
    assert store.due_notices(at(299)) == []
    assert store.due_notices(at(300)) == ["a"]
    claim = store.claim_notice("a", at(301), lease_seconds=2400)
    assert claim is not None
    assert store.due_notices(at(2700)) == []
    assert store.due_notices(at(2701)) == ["a"]
    store.release_notice("a", claim.token, at(400))
    assert store.due_notices(at(400)) == ["a"]
    again = store.claim_notice("a", at(401), lease_seconds=2400)
    assert again is not None
    assert store.notice_sent("a", again.token, "m", at(402))
    assert store.due_notices(at(10**6)) == []


def test_a_notice_given_up_on_leaves_the_sweepers_index(store):
    save(store, report("a", notice=NoticeState.PENDING, notice_due_at=stamp(NOW)))
    claim = store.claim_notice("a", NOW, lease_seconds=600)
    assert claim is not None
    store.notice_failed("a", claim.token, at(1))
    back = store.get("a")
    assert back is not None
    assert back.notice is NoticeState.FAILED
    assert store.due_notices(at(10**6)) == []
    assert store.claim_notice("a", at(10**6), lease_seconds=600) is None


# --- no scans -----------------------------------------------------------------------------------------


@pytest.fixture
def no_scans(stack: Any) -> Iterator[list[str]]:
    """DynamoDB's Scan fails for the whole test: every list must be a query."""
    tried: list[str] = []

    def refuse(**_: Any) -> None:
        tried.append("Scan")
        raise AssertionError("a list scanned the table")

    client = aws.client("dynamodb")
    client.meta.events.register_first("before-call.dynamodb.Scan", refuse)
    yield tried
    client.meta.events.unregister("before-call.dynamodb.Scan", refuse)


def test_every_list_is_a_query_never_a_scan(stack, no_scans):
    store = FindingsStore(aws.client("dynamodb"), stack.outputs["FindingsTableName"])
    store.put_bodies([body("A"), body("B")])
    upload = report("r1", body_id="A")
    save(store, upload, [finding(n=n) for n in range(3)])
    store.make_current(upload)
    store.decide(Decision(body_id="A", year=2023, fingerprint="fp000", state=TriageState.CONFIRMED, who="x",
                          at=stamp(NOW)))  # fmt: skip
    lists: dict[str, list[Any]] = {
        "current": store.current_reports("63", 2023).items,
        "current by status": store.current_reports("", 2023, Status.FAIL).items,
        "all": store.all_reports("6301", 2023).items,
        "body": store.body_reports("A").items,
        "body years": store.body_years("A"),
        "by rule": store.findings_by_rule("T3_ROW_TOTAL", prefix="63", year=2023).items,
        "by rule and triage": store.findings_by_rule(
            "T3_ROW_TOTAL", prefix="63", year=2023, triage=TriageState.OPEN
        ).items,
        "open errors": store.open_errors("630122", 2023).items,
        "bodies": store.bodies("63").items,
        "missing": store.missing_reports("63", 2023).items,
        "decisions": list(store.decisions("A", 2023)),
        "history": store.history("A", 2023),
        "due notices": store.due_notices(NOW),
    }
    assert {name: len(items) for name, items in lists.items()} == {
        "current": 1, "current by status": 1, "all": 1, "body": 1, "body years": 1, "by rule": 3,
        "by rule and triage": 3, "open errors": 3, "bodies": 2, "missing": 1, "decisions": 1, "history": 1,
        "due notices": 0,
    }  # fmt: skip
    assert no_scans == []


# --- added with the in-memory fake (tests/fakes.py): behaviours the sections above leave untested ------


def test_nothing_is_read_of_a_report_that_is_not_stored(store):
    assert store.get("nope") is None
    assert store.stored_findings("nope") == []
    assert store.detail("nope") is None
    assert store.current("nobody", 2023) is None
    assert store.claim_notice("nope", NOW, lease_seconds=600) is None
    assert not store.notice_sent("nope", "token", "m-1", NOW)


def test_what_the_store_gives_back_is_a_copy(store):
    upload = report()
    save(store, upload)
    upload.counts["error"] = 99  # the caller's object changes after the write
    back = store.get("r1")
    assert back is not None
    back.counts["error"] = 98
    detail = store.detail("r1")
    assert detail is not None
    detail.tables["table2"]["fees"].append(1.0)
    again, detail_again = store.get("r1"), store.detail("r1")
    assert again is not None
    assert detail_again is not None
    assert again.counts == {"error": 1, "warning": 0, "info": 0}
    assert detail_again.tables == {"table2": {"fees": [816.44]}}


def test_a_recheck_waits_while_the_old_runs_notice_is_being_sent(store):
    save(store, report(notice=NoticeState.PENDING, notice_due_at=stamp(NOW)))
    claim = store.claim_notice("r1", NOW, lease_seconds=600)
    assert claim is not None
    with pytest.raises(RuntimeError, match="changed"):
        save(store, report(run_id="run2"), [finding(n=2)], replaces="run1")
    assert store.notice_sent("r1", claim.token, "m-1", at(1))
    assert save(store, report(run_id="run2"), [finding(n=2)], replaces="run1")
    back = store.get("r1")
    assert back is not None
    assert (back.run_id, back.notice, back.notice_message_id) == ("run2", NoticeState.NONE, None)


def test_a_sent_notice_recorded_again_with_its_own_message_id_is_accepted(store):
    save(store, report(notice=NoticeState.PENDING, notice_due_at=stamp(NOW)))
    claim = store.claim_notice("r1", NOW, lease_seconds=600)
    assert claim is not None
    assert store.notice_sent("r1", claim.token, "m-1", at(1))
    assert store.notice_sent("r1", claim.token, "m-1", at(2))  # the first record's answer was lost
    assert not store.notice_sent("r1", claim.token, "m-2", at(3))
    back = store.get("r1")
    assert back is not None
    assert (back.notice, back.notice_message_id, back.notice_claim, back.notice_due_at) == (
        NoticeState.SENT, "m-1", None, None,
    )  # fmt: skip


def test_a_triage_decision_moves_the_current_report_between_status_lists(store):
    upload = report(status=Status.FAIL)
    save(store, upload)
    store.make_current(upload)
    store.set_status(upload, Status.PASS, current=True)
    assert store.current_reports("63", 2023, Status.FAIL).items == []
    assert [c.report_id for c in store.current_reports("63", 2023, Status.PASS).items] == ["r1"]
    back = store.get("r1")
    assert back is not None
    assert (back.status, back.effective_status, back.shown_status) == (Status.FAIL, Status.PASS, Status.PASS)
    [row] = store.all_reports("630122", 2023).items
    assert row.shown_status is Status.PASS


def test_lists_of_current_reports_leave_out_what_the_offices_were_told(store):
    save(store, report())
    store.make_current(report())
    store.mark_noticed("630122-qs", 2023, ["fp1"])
    [listed] = store.current_reports("63", 2023).items
    assert listed.noticed == []  # not projected by the index: read the record itself
    current = store.current("630122-qs", 2023)
    assert current is not None
    assert current.noticed == ["fp1"]


def test_a_retired_record_leaves_the_lists_but_stays_the_bodys_year(store):
    save(store, report())
    store.make_current(report())
    store.retire_current("630122-qs", 2023)
    assert store.current_reports("63", 2023).items == []
    assert [c.report_id for c in store.body_years("630122-qs")] == ["r1"]
    store.make_current(report())  # made current again: listed again
    assert [c.report_id for c in store.current_reports("63", 2023).items] == ["r1"]


def test_roster_loads_newest_first(store):
    from nianbao.store import RosterLoad  # noqa: PLC0415 - this section leaves the imports above alone

    for n, loaded in enumerate(("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-02-01T00:00:00Z")):
        rejected = [{"line": 3, "text": "x", "reason": "重复"}]
        store.save_roster_load(
            RosterLoad(division="630122", key=f"rosters/{n}.csv", loaded_at=loaded, accepted=n, rejected=rejected)
        )
    assert [(r.loaded_at, r.accepted) for r in store.roster_loads("630122", limit=2)] == [
        ("2024-03-01T00:00:00Z", 1), ("2024-02-01T00:00:00Z", 2),
    ]  # fmt: skip
    assert store.roster_loads("630122")[0].rejected == [{"line": 3, "text": "x", "reason": "重复"}]
    assert store.roster_loads("630105") == []


# --- found by writing the fake: each was wrong in the adapter, and is fixed ----------------------------


def test_a_recheck_whose_write_was_applied_once_already_is_its_own(store):
    save(store, report())
    rerun = report(run_id="run2")
    assert save(store, rerun, [finding(n=2)], replaces="run1")
    # the same write sent again (its answer was lost): the run is ours, not a conflict
    assert save(store, rerun, [finding(n=2)], replaces="run1")


def test_a_rechecked_superseded_upload_stays_out_of_the_lists(store):
    v1 = report("v1", event_time="2024-01-20T08:00:00.000Z")
    v2 = report("v2", event_time="2024-01-21T08:00:00.000Z")
    for upload in (v1, v2):
        save(store, upload)
        store.make_current(upload)
    rerun = report("v1", event_time="2024-01-20T08:00:00.000Z", run_id="run2")
    save(store, rerun, [finding(n=3)], replaces="run1")  # the new item carries no superseded mark
    assert not store.make_current(rerun)  # which marks it again
    again = store.get("v1")
    assert again is not None
    assert again.superseded_by == "v2"
    assert [r.report_id for r in store.open_errors("63", 2023).items] == ["v2"]


def test_the_history_of_a_fingerprint_is_its_own_not_its_repeats(store):
    base = Decision(body_id="b", year=2023, fingerprint="abc", state=TriageState.CONFIRMED, who="x", at=stamp(NOW))
    store.decide(base)
    store.decide(base.model_copy(update={"fingerprint": "abc#2", "at": stamp(at(1))}))
    assert [d.fingerprint for d in store.history("b", 2023, "abc")] == ["abc"]
    assert [d.fingerprint for d in store.history("b", 2023, "abc#2")] == ["abc#2"]


def test_updates_of_a_report_or_body_that_is_not_stored_create_nothing(store):
    store.set_status(report("ghost"), Status.PASS, current=True)
    assert store.get("ghost") is None
    store.merge_body(body("nobody", provisional=True), into="A")
    assert store.body("nobody") is None
    assert store.move_report(report("ghost"), body("A")).body_id == "630122-qs"  # unmoved
    assert store.get("ghost") is None


def test_a_refreshed_record_does_not_grow_its_history(store):
    upload = report()
    save(store, upload)
    for _ in range(5):
        assert store.make_current(upload)
    assert [r.report_id for r in store.current_reports("63", 2023).items] == ["r1"]


@pytest.mark.parametrize(
    "forged", ['{"s":-1,"k":null}', '{"s":"x","k":null}', '{"s":0,"k":[1]}', '{"s":0,"k":{"x":{"S":"y"}}}']
)
def test_a_forged_cursor_is_refused_as_a_cursor(store, forged):
    cursor = base64.urlsafe_b64encode(forged.encode()).decode()
    with pytest.raises(ValueError, match="cursor"):
        store.current_reports("63", 2023, cursor=cursor)


# --- overdue reports ------------------------------------------------------------------------------------


def test_an_overdue_body_is_recorded_once_noticed_once_and_cleared_by_a_late_report(store):
    finding_ = Finding(code="REPORT_OVERDUE", severity=Severity.ERROR, message="逾期")
    overdue = Overdue(body_id="A", year=2023, name="甲", kind="部门", division="630122", deadline="2024-01-31",
                      finding=finding_, found_at=stamp(NOW))  # fmt: skip
    assert store.record_overdue(overdue)
    assert not store.record_overdue(overdue.model_copy(update={"found_at": stamp(at(60))}))
    first = store.overdue("A", 2023)
    assert first is not None
    assert (first.found_at, first.noticed_at, first.cleared_at) == (stamp(NOW), None, None)
    store.overdue_noticed("A", 2023, at(10))
    store.clear_overdue("A", 2023, at(20))
    store.clear_overdue("A", 2023, at(30))  # cleared once: the first arrival is the one kept
    back = store.overdue("A", 2023)
    assert back is not None
    assert (back.noticed_at, back.cleared_at) == (stamp(at(10)), stamp(at(20)))
    store.clear_overdue("B", 2023, at(20))  # never overdue: nothing is made up
    assert store.overdue("B", 2023) is None
