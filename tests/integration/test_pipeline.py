"""The pipeline's use case on the template's stack in moto, called directly: the paths the
end-to-end tests do not reach through the queue (limits, checker defects, S3 errors that are
not the object's fault, a notice claimed by another delivery, events that name no new object)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from nianbao import aws, pipeline
from nianbao.local.stack import LocalStack
from nianbao.model import Status
from nianbao.pipeline import NoticeInFlightError, S3Object, process, s3_objects, services_from_env
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


def test_a_defect_in_the_checker_is_stored_as_unreadable_and_logged_not_retried(stack, monkeypatch, caplog):
    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "check_bytes", broken)
    obj = put(stack, FAILING)
    with caplog.at_level(logging.ERROR, logger="nianbao.pipeline"):
        outcome = process(obj, services_from_env())
    assert outcome.status is Status.UNREADABLE
    assert outcome.notice is NoticeState.SENT  # the office learns the file was not checked
    assert "内部错误" in finding_messages(outcome.report_id)[0]
    assert "ZeroDivisionError" in caplog.text


def test_an_s3_error_that_is_not_the_objects_fault_raises_so_that_sqs_retries(stack, monkeypatch):
    services = services_from_env()
    obj = put(stack, FAILING)
    error = services.s3.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")

    def denied(**_: object) -> None:
        raise error

    monkeypatch.setattr(services.s3, "get_object", denied)
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


def test_only_object_created_records_name_objects_to_check():
    record = {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}
    removed = {"Records": [record]}
    assert s3_objects(removed) == []
    assert s3_objects({"Service": "Amazon S3", "Event": "s3:TestEvent"}) == []
    created = json.loads(json.dumps(removed).replace("ObjectRemoved:Delete", "ObjectCreated:Put"))
    [obj] = s3_objects(created)
    assert (obj.bucket, obj.key, obj.division, obj.key_year) == ("b", "k", pipeline.UNKNOWN_DIVISION, None)
