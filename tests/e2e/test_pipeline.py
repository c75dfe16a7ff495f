"""From an S3 upload to the stored findings and the notices offices receive, on the template's
stack in moto. The handler is the real one; ``EventSourceMapping`` plays Lambda's part of reading
the queue, so S3's own notifications, SQS's receive counts and redrive are all real (moto's)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from botocore.awsrequest import AWSResponse

from nianbao import aws
from nianbao.config import ConfigError
from nianbao.local.stack import EventSourceMapping, LambdaContext, LocalStack, drain, load_handler
from nianbao.model import Status
from nianbao.pipeline import services_from_env
from nianbao.store import NoticeState

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "shared" / "nianbao" / "examples"
EVENTS = ROOT / "events"
FAILING = EXAMPLES / "2022-unbalanced.txt"  # four balance errors
CLEAN = EXAMPLES / "2023-clean.txt"


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    Metrics().clear_metrics()
    yield
    Metrics().clear_metrics()


@pytest.fixture
def esm(stack: LocalStack) -> EventSourceMapping:
    return EventSourceMapping(aws.client, stack.queue_url, load_handler(), timeout_seconds=stack.timeout_seconds)


def upload(stack: LocalStack, path: Path, key: str | None = None, body: bytes | None = None) -> str:
    key = key or f"reports/630122/2023/{path.name}"
    aws.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=body if body is not None else path.read_bytes())
    return key


def notices(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    return {office: [json.loads(m["Body"]) for m in drain(aws.client, url)] for office, url in stack.probes.items()}


def stored() -> list[Any]:
    store = services_from_env().store
    return [r for year in (2020, 2021, 2022, 2023, 2024, 0) for r in store.by_year(year)]


def test_an_upload_ends_as_stored_findings_and_a_notice_to_the_offices_above_it(stack, esm):
    key = upload(stack, FAILING)
    deliveries = esm.run()
    assert all(not d.failed for d in deliveries)
    [report] = stored()
    assert (report.key, report.division, report.status, report.notice) == (key, "630122", Status.FAIL, NoticeState.SENT)
    # AWS names the version in the event (the bucket is versioned); moto leaves it out, and the
    # object's identity is then its ETag
    assert report.version_id or report.etag
    codes = {f.code for f in services_from_env().store.findings(report.report_id)}
    assert {"T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL", "T4_TOTAL"} <= codes
    received = notices(stack)
    assert {office: len(messages) for office, messages in received.items()} == {
        "湟中区政务公开办": 1, "西宁市政务公开办": 1, "青海省政务公开办": 1,
    }  # fmt: skip
    [notice] = received["湟中区政务公开办"]
    assert notice["Subject"].startswith("【年报核查】安平县自然资源局2022年度报告")
    assert notice["MessageAttributes"]["division"]["Value"] == "630122"
    assert "T4_TOTAL" in json.loads(notice["MessageAttributes"]["rules"]["Value"])
    assert key in notice["Message"]


def test_a_report_without_errors_is_stored_and_noticed_to_nobody(stack, esm):
    upload(stack, CLEAN, "reports/630105/2023/clean.txt")
    esm.run()
    [report] = stored()
    assert (report.status, report.notice) == (Status.PASS, NoticeState.NONE)
    assert all(not messages for messages in notices(stack).values())


def test_a_redelivered_notification_writes_nothing_twice_and_sends_no_second_notice(stack, esm):
    upload(stack, FAILING)
    sqs = aws.client("sqs")
    waiting = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    [notification] = [m for m in waiting if "ObjectCreated" in m["Body"]]
    for message in waiting:
        handle = message["ReceiptHandle"]
        sqs.change_message_visibility(QueueUrl=stack.queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    for _ in range(2):  # the same event delivered three times in all
        sqs.send_message(QueueUrl=stack.queue_url, MessageBody=notification["Body"])
    esm.run()
    assert len(stored()) == 1
    assert {office: len(m) for office, m in notices(stack).items()}["湟中区政务公开办"] == 1


def test_a_corrupt_object_is_an_unreadable_result_and_a_notice_not_a_dead_letter(stack, esm):
    upload(stack, FAILING, "reports/630122/2023/broken.pdf", body=b"%PDF-1.7\n1 0 obj <<\n garbage")
    deliveries = esm.run()
    assert all(not d.failed for d in deliveries)
    [report] = stored()
    assert report.status is Status.UNREADABLE
    assert [f.code for f in services_from_env().store.findings(report.report_id)] == ["INPUT_UNREADABLE"]
    assert len(notices(stack)["湟中区政务公开办"]) == 1
    assert not drain(aws.client, stack.dead_letter_url)


def test_a_batch_never_starts_an_object_it_has_no_time_left_to_finish(stack):
    # a 30 s invocation may need 80 s per object (NIANBAO_MAX_SECONDS 60 + 20): it checks the
    # first of the batch, hands the second back to the queue, and a later invocation checks it
    short = EventSourceMapping(aws.client, stack.queue_url, load_handler(), timeout_seconds=30)
    upload(stack, FAILING)
    upload(stack, CLEAN)
    deliveries = short.run()
    assert sum(len(d.failed) for d in deliveries) >= 1
    assert {r.status for r in stored()} == {Status.FAIL, Status.PASS}
    assert not drain(aws.client, stack.dead_letter_url)


def test_an_object_deleted_before_it_is_read_is_stored_as_unreadable(stack, esm):
    key = upload(stack, FAILING)
    s3 = aws.client("s3")
    for version in s3.list_object_versions(Bucket=stack.bucket, Prefix=key).get("Versions", []):
        s3.delete_object(Bucket=stack.bucket, Key=key, VersionId=version["VersionId"])
    esm.run()
    [report] = stored()
    assert report.status is Status.UNREADABLE
    [finding] = services_from_env().store.findings(report.report_id)
    assert "删除" in finding.message


def test_an_object_replaced_before_it_is_read_is_never_stored_under_the_old_identity(stack, esm):
    # moto's notifications carry no version id, so the ETag they announce guards the read
    key = upload(stack, FAILING)
    upload(stack, CLEAN, key)
    esm.run()
    by_status = {r.status: r for r in stored()}
    assert set(by_status) == {Status.UNREADABLE, Status.PASS}
    [finding] = services_from_env().store.findings(by_status[Status.UNREADABLE].report_id)
    assert "替换" in finding.message
    replacement = hashlib.md5(CLEAN.read_bytes()).hexdigest()  # noqa: S324 - S3's ETag of a simple put
    assert (by_status[Status.PASS].etag or "").strip('"') == replacement


def _dynamo_error(code: str) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}).encode()

    class Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield body

    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, {"x-amzn-requestid": "injected"}, Raw())


def inject(event: str, *, times: int, when: Callable[[dict[str, Any]], bool] = lambda _: True) -> list[int]:
    """Make the DynamoDB client answer ``times`` calls with a throttle (at ``event``)."""
    calls: list[int] = []
    client = aws.client("dynamodb")

    def throttle(**kwargs: Any) -> Any:
        if not when(kwargs) or len(calls) >= times:
            return None
        calls.append(1)
        if event.startswith("before-send"):
            return _dynamo_error("ProvisionedThroughputExceededException")
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}
        return _dynamo_error(error["Code"]), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    client.meta.events.register_first(event, throttle)
    return calls


def test_a_dynamodb_throttle_is_retried_and_then_succeeds(stack, esm):
    # below the SDK: botocore's standard retry mode sees the throttles and tries again
    calls = inject("before-send.dynamodb.TransactWriteItems", times=2)
    upload(stack, FAILING)
    deliveries = esm.run()
    assert len(calls) == 2
    assert all(not d.failed for d in deliveries)
    assert len(stored()) == 1


def test_a_batch_with_one_failing_record_retries_only_that_record(stack, esm):
    def second(kwargs: dict[str, Any]) -> bool:
        return b"second.txt" in kwargs["params"]["body"]

    # above the SDK's retries (as when they are exhausted): the record fails, SQS redelivers it
    calls = inject("before-call.dynamodb.TransactWriteItems", times=1, when=second)
    for name in ("first.txt", "second.txt", "third.txt"):
        upload(stack, FAILING, f"reports/630122/2023/{name}")
    first = esm.poll()
    assert first is not None
    [failed] = first.failed
    [failed_body] = [r["body"] for r in first.event["Records"] if r["messageId"] == failed]
    assert "second.txt" in failed_body
    assert len([r for r in first.event["Records"] if "ObjectCreated" in r["body"]]) == 3
    esm.run()
    assert len(calls) == 1
    assert sorted(r.key.split("/")[-1] for r in stored()) == ["first.txt", "second.txt", "third.txt"]
    assert len(notices(stack)["湟中区政务公开办"]) == 3  # one each, the retried one included


def test_a_notification_that_keeps_failing_ends_in_the_dead_letter_queue(stack, esm):
    inject("before-call.dynamodb.GetItem", times=1000)
    upload(stack, FAILING)
    esm.run(most=20)
    assert stored() == []  # every delivery failed before writing anything
    dead = drain(aws.client, stack.dead_letter_url)
    assert len(dead) == 1
    assert "ObjectCreated" in dead[0]["Body"]


def test_a_notice_that_fails_to_send_is_sent_once_by_the_retry(stack, esm, monkeypatch):
    sns = aws.client("sns")
    real = sns.publish
    attempts: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise sns.exceptions.InternalErrorException({"Error": {"Code": "InternalError"}}, "Publish")
        return real(**kwargs)

    monkeypatch.setattr(sns, "publish", flaky)
    upload(stack, FAILING)
    deliveries = esm.run()
    assert [len(d.failed) for d in deliveries if d.failed] == [1]
    assert len(attempts) == 2
    [report] = stored()
    assert report.notice is NoticeState.SENT
    assert len(notices(stack)["湟中区政务公开办"]) == 1


def test_events_fixtures_key_with_spaces_plus_and_chinese_is_decoded_once(stack):
    event = json.loads((EVENTS / "sqs-s3-put-special-key.json").read_text(encoding="utf-8"))
    key = "reports/630122/2023/湟中区 共和镇 2023年报+终稿 (1).txt"
    upload(stack, FAILING, key)
    response = load_handler()(event, LambdaContext())
    assert response == {"batchItemFailures": []}
    [report] = stored()
    assert report.key == key
    assert report.status is Status.FAIL


def test_events_fixtures_test_event_is_ignored(stack):
    event = json.loads((EVENTS / "sqs-s3-test-event.json").read_text(encoding="utf-8"))
    assert load_handler()(event, LambdaContext()) == {"batchItemFailures": []}
    assert stored() == []


def test_events_fixtures_put_of_a_version_that_is_gone_is_stored_as_unreadable(stack):
    event = json.loads((EVENTS / "sqs-s3-put.json").read_text(encoding="utf-8"))
    upload(stack, CLEAN, "reports/630122/2023/2023-clean.txt")  # another version than the event names
    assert load_handler()(event, LambdaContext()) == {"batchItemFailures": []}
    [report] = stored()
    assert report.status is Status.UNREADABLE


def test_a_function_deployed_without_its_settings_fails_at_init_not_per_message(mocked, monkeypatch):
    monkeypatch.delenv("FINDINGS_TABLE", raising=False)
    monkeypatch.setenv("NOTICES_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:notices")
    with pytest.raises(ConfigError, match="FINDINGS_TABLE"):
        load_handler()
