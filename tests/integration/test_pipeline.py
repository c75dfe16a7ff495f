"""The pipeline's use case on the template's stack in moto, called directly: the paths the
end-to-end tests do not reach through the queue (limits, our own defects, S3 errors permanent
and transient, a notice claimed by another delivery, the time budget, events that name no new
object)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from nianbao import aws, pipeline
from nianbao.local.stack import LocalStack
from nianbao.model import Status
from nianbao.notify import UNKNOWN_DIVISION
from nianbao.pipeline import (
    Deadline,
    NoticeInFlightError,
    OutOfTimeError,
    S3Object,
    process,
    s3_objects,
    services_from_env,
)
from nianbao.store import NoticeState

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "nianbao" / "examples"
FAILING = (EXAMPLES / "2022-unbalanced.txt").read_bytes()


def put(stack: LocalStack, body: bytes, key: str = "reports/630122/2022/年报.txt") -> S3Object:
    response = aws.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=body)
    return S3Object(stack.bucket, key, response.get("VersionId"), response["ETag"], len(body))


def finding_messages(report_id: str) -> list[str]:
    return [f.message for f in services_from_env().store.findings(report_id)]


def test_an_object_over_the_size_limit_is_unreadable_without_being_read(stack, monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_BYTES", "1024")
    obj = put(stack, FAILING)
    outcome = process(obj, services_from_env())
    assert outcome.status is Status.UNREADABLE
    [message] = finding_messages(outcome.report_id)
    assert "超过 1 KB 的上限" in message


def test_a_defect_in_the_checker_is_stored_and_logged_for_operators_not_noticed_to_offices(stack, monkeypatch, caplog):
    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "check_bytes", broken)
    obj = put(stack, FAILING)
    with caplog.at_level(logging.ERROR, logger="nianbao.pipeline"):
        outcome = process(obj, services_from_env())
    assert outcome.status is Status.UNREADABLE
    assert outcome.notice is NoticeState.NONE  # our failure: nothing for the office to correct
    [failed] = services_from_env().store.findings(outcome.report_id)
    assert failed.code == "CHECK_FAILED"
    assert "无需贵单位处理" in failed.message
    assert "ZeroDivisionError" in caplog.text


def test_a_result_that_cannot_be_stored_as_it_is_is_stored_as_a_failed_check(stack, monkeypatch, caplog):
    services = services_from_env()
    real = services.store.save
    calls = []

    def save_once_broken(report, findings):
        calls.append(report.status)
        if len(calls) == 1:
            raise TypeError("Unsupported type for serialisation")
        return real(report, findings)

    monkeypatch.setattr(services.store, "save", save_once_broken)
    with caplog.at_level(logging.ERROR, logger="nianbao.pipeline"):
        outcome = process(put(stack, FAILING), services)
    assert calls == [Status.FAIL, Status.UNREADABLE]
    assert outcome.stored
    assert [f.code for f in services.store.findings(outcome.report_id)] == ["CHECK_FAILED"]
    assert "storing the result" in caplog.text


def test_a_number_dynamodb_cannot_hold_is_stored_as_text_not_dead_lettered(stack):
    text = FAILING.decode("utf-8").replace("行政许可 16", "行政许可 " + "1" * 45, 1)
    outcome = process(put(stack, text.encode("utf-8")), services_from_env())
    assert outcome.stored
    assert outcome.status is Status.FAIL


@pytest.mark.parametrize(
    ("code", "reason"),
    [("AccessDenied", "KMS"), ("InvalidObjectState", "归档"), ("InvalidRequest", "SSE-C"), ("NoSuchKey", "删除")],
)
def test_s3_errors_no_retry_can_cure_are_stored_as_unreadable(stack, monkeypatch, code, reason):
    services = services_from_env()
    obj = put(stack, FAILING)
    error = services.s3.exceptions.ClientError({"Error": {"Code": code, "Message": "no"}}, "GetObject")

    def refused(**_: object) -> None:
        raise error

    monkeypatch.setattr(services.s3, "get_object", refused)
    outcome = process(obj, services)
    assert outcome.status is Status.UNREADABLE
    assert reason in finding_messages(outcome.report_id)[0]


def test_a_transient_s3_error_raises_so_that_sqs_retries(stack, monkeypatch):
    services = services_from_env()
    obj = put(stack, FAILING)
    error = services.s3.exceptions.ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "GetObject")

    def slow(**_: object) -> None:
        raise error

    monkeypatch.setattr(services.s3, "get_object", slow)
    with pytest.raises(services.s3.exceptions.ClientError):
        process(obj, services)
    assert services.store.get(obj.report_id) is None  # nothing half-written


def test_a_notice_claimed_by_another_delivery_is_retried_later_and_sent_once(stack):
    services = services_from_env()
    obj = put(stack, FAILING)
    first = process(obj, services)
    assert first.noticed
    # a second report whose notice another delivery has just claimed
    other = put(stack, FAILING, "reports/630122/2022/另一份.txt")
    result = pipeline._check(other, services)
    services.store.save(pipeline._record(other, result, services.now()), result.findings)
    assert services.store.claim_notice(other.report_id, services.now(), 600)
    with pytest.raises(NoticeInFlightError):
        process(other, services)
    # once the claim has expired, the retry takes it over
    an_hour_on = services.now() + timedelta(hours=1)
    later = pipeline.Services(services.s3, services.store, services.notifier, services.settings, now=lambda: an_hour_on)
    retried = process(other, later)
    assert retried.noticed
    assert retried.notice is NoticeState.SENT


def test_a_report_recorded_with_errors_but_no_finding_items_sends_nothing_and_is_settled(stack):
    services = services_from_env()
    obj = put(stack, FAILING)
    report = pipeline._record(obj, pipeline._check(obj, services), services.now())
    services.store.save(report, [])  # counts say errors, no finding items to list
    outcome = process(obj, services)
    assert outcome.notice is NoticeState.SENT
    assert not outcome.noticed


def test_the_first_object_of_an_invocation_always_runs_later_ones_only_with_time_for_them():
    left = [290_000]
    deadline = Deadline(lambda: left[0], seconds_per_object=80)
    deadline.admit()
    left[0] = 100_000
    deadline.admit()
    left[0] = 79_000
    with pytest.raises(OutOfTimeError):
        deadline.admit()
    alone = Deadline(lambda: 10_000, seconds_per_object=80)
    alone.admit()  # a later invocation would have no more time for it


def test_folder_markers_are_not_reports():
    marker = {"key": "reports/630122/", "size": 0, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}
    record = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": marker}}
    assert s3_objects({"Records": [record]}) == []


def test_only_object_created_records_name_objects_to_check():
    record = {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}
    removed = {"Records": [record]}
    assert s3_objects(removed) == []
    assert s3_objects({"Service": "Amazon S3", "Event": "s3:TestEvent"}) == []
    created = json.loads(json.dumps(removed).replace("ObjectRemoved:Delete", "ObjectCreated:Put"))
    [obj] = s3_objects(created)
    assert (obj.bucket, obj.key, obj.division, obj.key_year) == ("b", "k", UNKNOWN_DIVISION, None)
