"""The findings store on the template's own table (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nianbao import aws
from nianbao.local.stack import LocalStack
from nianbao.model import Finding, Location, Severity, Status
from nianbao.store import (
    MAX_FINDING_ITEMS,
    FindingsStore,
    NoticeState,
    StoredReport,
    report_item,
    stamp,
    to_dynamo,
)

pytestmark = pytest.mark.integration


def record(report_id: str = "r1", **changes: object) -> StoredReport:
    base = {
        "report_id": report_id, "bucket": "b", "key": f"reports/630122/2023/{report_id}.pdf", "version_id": "v1",
        "division": "630122", "key_year": 2023, "year": 2023, "agency": "青川县清水镇人民政府", "format": "2021",
        "file_type": "pdf", "status": Status.FAIL, "counts": {"error": 1, "warning": 0, "info": 0},
        "tables": {"table2": {"fees": [816.44]}, "table3": {"new": [1, None, 0, 0, 0, 0, 1]}},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
        "notice": NoticeState.PENDING,
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


def finding(code: str = "T3_ROW_TOTAL", n: int = 0) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, message=f"问题{n}", expected=n, actual=Decimal("1.5"),
                   location=Location(section=3, table="table3", row="new", column="total", line=n))  # fmt: skip


@pytest.fixture
def store(stack: LocalStack) -> FindingsStore:
    return FindingsStore(aws.client("dynamodb"), stack.outputs["FindingsTableName"])


def test_a_report_and_its_findings_are_stored_together_and_read_back(store):
    assert store.save(record(), [finding(n=1), finding("T4_TOTAL", 2)])
    stored = store.get("r1")
    assert stored is not None
    assert stored.model_dump() == record().model_dump()
    assert stored.tables["table2"]["fees"] == [816.44]
    assert [(f.code, f.expected, f.actual) for f in store.findings("r1")] == [
        ("T3_ROW_TOTAL", 1, 1.5),
        ("T4_TOTAL", 2, 1.5),
    ]


def test_saving_the_same_report_again_writes_nothing(store):
    assert store.save(record(), [finding(n=1)])
    assert not store.save(record(status=Status.PASS), [finding(n=1), finding(n=2)])
    stored = store.get("r1")
    assert stored is not None
    assert stored.status is Status.FAIL
    assert len(store.findings("r1")) == 1


def test_numbers_are_stored_as_numbers_never_floats():
    item = report_item(record())
    assert item["tables"]["table2"]["fees"] == [Decimal("816.44")]
    assert not any(isinstance(v, float) for v in item["counts"].values())


def test_numbers_dynamodb_cannot_hold_are_kept_as_text():
    assert to_dynamo({"a": [10**40, float("inf"), 7, 1.5, True]}) == {
        "a": ["1" + "0" * 40, "inf", 7, Decimal("1.5"), True]
    }


def test_more_findings_than_a_transaction_holds_still_go_in_one_write(store):
    many = [finding(n=n) for n in range(MAX_FINDING_ITEMS + 30)]
    assert store.save(record(), many)
    assert [f.message for f in store.findings("r1")] == [f.message for f in many]


def test_a_flood_of_findings_is_stored_as_whole_findings_within_the_item_limit(store):
    # thousands of long findings (a pathological file): the report item stays under 400 KB and
    # what it carries is whole, readable findings; finding_count keeps the full number
    many = [finding(n=n).model_copy(update={"evidence": "证" * 400}) for n in range(3000)]
    assert store.save(record(finding_count=len(many)), many)
    back = store.findings("r1")
    assert MAX_FINDING_ITEMS < len(back) < len(many)
    assert [f.message for f in back] == [f.message for f in many[: len(back)]]
    stored = store.get("r1")
    assert stored is not None
    assert stored.finding_count == 3000


NOW = datetime(2024, 1, 20, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_a_notice_is_claimed_once_released_on_failure_and_taken_over_when_stale(store):
    store.save(record(notice_due_at=stamp(at(300))), [finding()])
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
    stored = store.get("r1")
    assert stored is not None
    assert (stored.notice, stored.notice_message_id, stored.notice_attempts) == (NoticeState.SENT, "msg-1", 3)
    assert stored.notice_sent_at == "2024-01-20T08:11:43.000000Z"
    assert store.claim_notice("r1", at(86_400), lease_seconds=600) is None


def test_unsent_notices_are_due_for_the_sweeper_after_their_grace_time_or_lease(store):
    # Given three reports: a notice pending until 08:05, one already sent, one with no errors
    store.save(record("a", notice_due_at=stamp(at(300))), [finding()])
    store.save(record("b", notice=NoticeState.SENT), [finding()])
    store.save(record("c", notice=NoticeState.NONE, status=Status.PASS), [])
    # Then only the pending one is due, and only once its grace time has passed
    assert store.due_notices(at(299)) == []
    assert store.due_notices(at(300)) == ["a"]
    # a claim moves it out of reach until its lease runs out
    claim = store.claim_notice("a", at(301), lease_seconds=2400)
    assert claim is not None
    assert store.due_notices(at(2700)) == []
    assert store.due_notices(at(2701)) == ["a"]
    # released (publishing failed): due at once
    store.release_notice("a", claim.token, at(400))
    assert store.due_notices(at(400)) == ["a"]
    # sent: gone from the index for good
    again = store.claim_notice("a", at(401), lease_seconds=2400)
    assert again is not None
    assert store.notice_sent("a", again.token, "m", at(402))
    assert store.due_notices(at(10**6)) == []


def test_a_notice_given_up_on_leaves_the_sweepers_index(store):
    store.save(record("a", notice_due_at=stamp(NOW)), [finding()])
    claim = store.claim_notice("a", NOW, lease_seconds=600)
    assert claim is not None
    store.notice_failed("a", claim.token, at(1))
    stored = store.get("a")
    assert stored is not None
    assert stored.notice is NoticeState.FAILED
    assert store.due_notices(at(10**6)) == []
    assert store.claim_notice("a", at(10**6), lease_seconds=600) is None


def test_unsent_notices_are_spread_over_shards_of_the_index():
    keys = {report_item(record(rid, notice_due_at=stamp(NOW)))["GSI5PK"] for rid in ("0a", "1b", "fc")}
    assert keys == {"NOTICE#0", "NOTICE#1", "NOTICE#f"}
    assert "GSI5PK" not in report_item(record("0a", notice=NoticeState.SENT, notice_due_at=stamp(NOW)))


def test_the_dashboard_lists_by_year_and_division_prefix_by_status_and_by_rule(store):
    store.save(record("a", division="630122"), [finding("T3_ROW_TOTAL")])
    store.save(record("b", division="630105", status=Status.PASS, counts={"error": 0, "warning": 0, "info": 0}), [])
    store.save(record("c", division="632121", year=2022, key_year=2022), [finding("T4_TOTAL")])
    assert {r.report_id for r in store.by_year(2023)} == {"a", "b"}
    assert {r.report_id for r in store.by_year(2023, "630122")} == {"a"}
    assert {r.report_id for r in store.by_year(2023, "6301")} == {"a", "b"}
    assert {r.report_id for r in store.by_status(Status.FAIL)} == {"a", "c"}
    assert {r.report_id for r in store.by_status(Status.FAIL, 2023, "63")} == {"a"}
    assert [f.report_id for f in store.by_rule("T4_TOTAL")] == ["c"]
    assert [f.report_id for f in store.by_rule("T3_ROW_TOTAL", 2023, "630122")] == ["a"]


def test_last_years_report_of_the_same_body(store):
    store.save(record("old", year=2022, key_year=2022, received_at="2023-01-10T00:00:00+00:00"), [])
    store.save(record("new", year=2023), [])
    store.save(record("other", year=2022, agency="别的镇人民政府"), [])
    previous = store.last_year("630122", "青川县清水镇人民政府", 2023)
    assert previous is not None
    assert previous.report_id == "old"
    assert store.last_year("630122", "青川县 清水镇人民政府", 2023) is not None  # spacing does not matter
    assert store.last_year("630105", "青川县清水镇人民政府", 2023) is None
