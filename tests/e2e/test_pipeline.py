"""From an S3 upload to the stored findings and the notices offices receive, on the template's
stack in moto. The handler is the real one; ``EventSourceMapping`` plays Lambda's part of reading
the queue, so S3's own notifications, SQS's receive counts and redrive are all real (moto's)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from botocore.awsrequest import AWSResponse
from typer.testing import CliRunner

from nianbao import aws, pipeline
from nianbao.check import check_bytes
from nianbao.cli import app
from nianbao.config import ConfigError
from nianbao.local.stack import EventSourceMapping, LambdaContext, LocalStack, drain, load_handler
from nianbao.model import Status
from nianbao.pipeline import services_from_env
from nianbao.store import NoticeState
from tests.aws_fixtures import all_stored, aws_event

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


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    """The metrics the handler flushed (CloudWatch EMF lines on stdout), summed by name."""
    return emitted_in(capsys.readouterr().out)


def emitted_in(out: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Nianbao"
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(
                    values if isinstance(values, list) else [values]
                )
    return totals


def upload(stack: LocalStack, path: Path, key: str | None = None, body: bytes | None = None) -> str:
    key = key or f"reports/630122/2023/{path.name}"
    aws.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=body if body is not None else path.read_bytes())
    return key


def notices(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    return {office: [json.loads(m["Body"]) for m in drain(aws.client, url)] for office, url in stack.probes.items()}


def stored() -> list[Any]:
    return all_stored(services_from_env().store)


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
    # the link to the report's page on the dashboard (the stack's DashboardUrl; locally `nianbao serve`)
    assert f"查看完整结果：http://127.0.0.1:8000/#/reports/{report.report_id}" in notice["Message"].splitlines()


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


def test_a_batch_never_starts_an_object_it_has_no_time_left_to_finish(stack, capsys):
    # Given a 30 s invocation, where an object may need 65 s (NIANBAO_MAX_SECONDS 45 + 5 + 15)
    short = EventSourceMapping(aws.client, stack.queue_url, load_handler(), timeout_seconds=30)
    upload(stack, FAILING)
    upload(stack, CLEAN)
    # When the batch of both arrives
    first = short.poll()
    # Then the first is checked and the second goes back as a fresh copy: nothing fails, nothing
    # waits out a visibility timeout or spends a receive
    assert first is not None
    assert not first.failed
    assert [r.status for r in stored()] == [Status.FAIL]
    assert emitted(capsys)["RecordsRequeued"] == 1
    copy = aws.client("sqs").receive_message(QueueUrl=stack.queue_url, AttributeNames=["All"])["Messages"]
    [requeued] = [m for m in copy if "ObjectCreated" in m["Body"]]
    assert requeued["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs = aws.client("sqs")
    sqs.change_message_visibility(
        QueueUrl=stack.queue_url, ReceiptHandle=requeued["ReceiptHandle"], VisibilityTimeout=0
    )
    short.run()
    assert {r.status for r in stored()} == {Status.FAIL, Status.PASS}
    assert not drain(aws.client, stack.dead_letter_url)


def test_a_record_that_cannot_be_requeued_is_made_visible_at_once_and_failed(stack, monkeypatch):
    short = EventSourceMapping(aws.client, stack.queue_url, load_handler(), timeout_seconds=30)
    sqs = aws.client("sqs")

    def refused(**_: Any) -> None:
        raise sqs.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SendMessage")

    monkeypatch.setattr(sqs, "send_message", refused)
    resets: list[int] = []
    real_reset = sqs.change_message_visibility

    def reset(**kwargs: Any) -> Any:
        resets.append(kwargs["VisibilityTimeout"])
        return real_reset(**kwargs)

    monkeypatch.setattr(sqs, "change_message_visibility", reset)
    upload(stack, FAILING)
    upload(stack, CLEAN)
    first = short.poll()
    assert first is not None
    assert len(first.failed) == 1
    assert resets[0] == 0  # by the handler itself, not left to the visibility timeout


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
    # below the SDK: botocore's standard retry mode sees the throttles and tries again (moto
    # applies the write all the same: the retry meets its own write, which the store recognises)
    calls = inject("before-send.dynamodb.PutItem", times=2)
    upload(stack, FAILING)
    deliveries = esm.run()
    assert len(calls) == 2
    assert all(not d.failed for d in deliveries)
    [report] = stored()
    assert report.notice is NoticeState.SENT
    assert len(notices(stack)["湟中区政务公开办"]) == 1


def test_findings_a_throttled_batch_leaves_unprocessed_are_written_again(stack, esm, monkeypatch):
    # DynamoDB answers a throttled BatchWriteItem with the writes it did not do
    client = aws.client("dynamodb")
    real = client.batch_write_item
    refused: list[int] = []

    def unprocessed(**kwargs: Any) -> Any:
        if refused:
            return real(**kwargs)
        [requests] = kwargs["RequestItems"].values()
        refused.append(len(requests))
        return {"UnprocessedItems": kwargs["RequestItems"]}

    monkeypatch.setattr(client, "batch_write_item", unprocessed)
    upload(stack, FAILING)
    deliveries = esm.run()
    assert all(not d.failed for d in deliveries)
    [report] = stored()
    assert refused[0] > 1
    # every finding of the run is there, though the first batch was refused whole
    assert len(services_from_env().store.findings(report.report_id)) == report.finding_count


def test_a_batch_with_one_failing_record_retries_only_that_record(stack, esm):
    for name in ("first.txt", "second.txt", "third.txt"):
        upload(stack, FAILING, f"reports/630122/2023/{name}")
    # moto's events name no version: the object's identity is its ETag
    key = "reports/630122/2023/second.txt"
    etag = aws.client("s3").head_object(Bucket=stack.bucket, Key=key)["ETag"]
    marker = f"REPORT#{pipeline.S3Object(stack.bucket, key, None, etag).report_id}"

    def second(kwargs: dict[str, Any]) -> bool:
        return marker.encode() in kwargs["params"]["body"]  # the read of second.txt's record

    # above the SDK's retries (as when they are exhausted): the record fails, SQS redelivers it
    calls = inject("before-call.dynamodb.GetItem", times=1, when=second)
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


def test_after_the_fix_nianbao_redrive_moves_dead_letters_back_and_they_are_checked(stack, esm):
    # Given a notification dead-lettered while DynamoDB kept failing
    failing = inject("before-call.dynamodb.GetItem", times=5)
    upload(stack, FAILING)
    esm.run(most=20)
    assert len(failing) == 5
    assert stored() == []
    # When the operator moves it back (the cause is gone: the injection is used up)
    result = CliRunner().invoke(
        app, ["redrive", "--dead-letter-queue-url", stack.dead_letter_url, "--queue-url", stack.queue_url]
    )
    # Then it is checked, stored and noticed like any upload, and the dead-letter queue is empty
    assert result.exit_code == 0, result.output
    assert "已将 1 条通知移回处理队列" in result.output
    esm.run()
    [report] = stored()
    assert report.status is Status.FAIL
    assert len(notices(stack)["湟中区政务公开办"]) == 1
    assert drain(aws.client, stack.dead_letter_url) == []


def test_a_notice_that_fails_to_send_is_sent_once_by_the_sweeper(stack, esm, monkeypatch):
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
    # the result is stored and the record done: the notice waits in the outbox, due at once
    assert all(not d.failed for d in deliveries)
    [report] = stored()
    assert report.notice is NoticeState.PENDING
    assert notices(stack)["湟中区政务公开办"] == []
    sweeper = load_handler(function="sweep_notices")
    assert sweeper({}, LambdaContext(function_name="SweepNoticesFunction")) == {
        "due": 1, "sent": 1, "deferred": 0, "failed": 0,
    }  # fmt: skip
    assert sweeper({}, LambdaContext(function_name="SweepNoticesFunction"))["due"] == 0
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


# --- poison files, logs and metrics --------------------------------------------------------------


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The handler's JSON log lines at INFO, as they would reach CloudWatch: written by the
    Powertools formatter (with the keys the handler appends) into a buffer of this test's own."""
    logger = logging.getLogger("nianbao")
    formatter = next(h.formatter for h in logger.handlers if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield buffer
    logger.removeHandler(handler)
    logger.setLevel(level)


def poisoned(data: bytes, source: str, limits: Any) -> Any:
    """The real checker, except for files named to kill it: each the way a hostile file does."""
    if "oom" in source:
        grown = []
        while True:
            grown.append(bytearray(32 * 1024 * 1024))
    if "segv" in source:
        os.kill(os.getpid(), signal.SIGSEGV)
    if "hang" in source:
        time.sleep(60)
    return check_bytes(data, source, limits)


def test_poison_files_are_stored_as_unreadable_and_the_rest_of_their_batch_is_unaffected(
    stack, monkeypatch, capsys, json_logs
):
    # Given a batch where three files kill their check (memory, a crash, a hang) among healthy ones
    monkeypatch.setattr(pipeline, "check_bytes", poisoned)
    monkeypatch.setenv("NIANBAO_MAX_SECONDS", "2")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    services_from_env.cache_clear()
    esm = EventSourceMapping(aws.client, stack.queue_url, load_handler(), timeout_seconds=stack.timeout_seconds)
    names = ["ok-1.txt", "oom.txt", "ok-2.txt", "segv.txt", "hang.txt"]
    for name in names:
        upload(stack, FAILING, f"reports/630122/2023/{name}")
    # When the batch is delivered
    deliveries = esm.run()
    # Then nothing fails or is dead-lettered, every file is stored, the poison ones as unreadable
    # with the reason, and each office hears of each file once
    assert all(not d.failed for d in deliveries)
    assert not drain(aws.client, stack.dead_letter_url)
    by_name = {r.key.rsplit("/", 1)[-1]: r for r in stored()}
    assert sorted(by_name) == sorted(names)
    assert {n: r.status for n, r in by_name.items()} == {
        "ok-1.txt": Status.FAIL, "ok-2.txt": Status.FAIL,
        "oom.txt": Status.UNREADABLE, "segv.txt": Status.UNREADABLE, "hang.txt": Status.UNREADABLE,
    }  # fmt: skip
    reasons = {
        n: services_from_env().store.findings(by_name[n].report_id)[0].message
        for n in ("oom.txt", "segv.txt", "hang.txt")
    }
    assert "内存" in reasons["oom.txt"]
    assert "异常终止（SIGSEGV）" in reasons["segv.txt"]
    assert "超时（超过 2 秒）" in reasons["hang.txt"]
    assert len(notices(stack)["湟中区政务公开办"]) == 5
    # the log line of each check says how much its child took, under the function's memory
    checked = [json.loads(line) for line in json_logs.getvalue().splitlines() if '"report checked"' in line]
    assert len(checked) == 5
    assert all(line["peak_rss_mb"] < 1024 for line in checked)


def test_a_defect_is_one_json_log_line_with_the_object_and_a_metric_for_the_alarm(
    stack, esm, monkeypatch, capsys, json_logs
):
    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "check_bytes", broken)
    key = upload(stack, FAILING)
    esm.run()
    errors = [json.loads(line) for line in json_logs.getvalue().splitlines() if '"level":"ERROR"' in line]
    [error] = errors
    [report] = stored()
    assert (error["bucket"], error["key"], error["report_id"]) == (stack.bucket, key, report.report_id)
    assert error["version"] == report.version_id or error["version"] == (report.etag or "").strip('"')
    assert error["check_failed"] is True
    assert "ZeroDivisionError: a bug" in error["message"] + error.get("exception", "")
    metrics = emitted(capsys)
    assert metrics["ChecksFailed"] == 1
    assert metrics["ReportsUnreadable"] == 1
    assert "NoticesSent" not in metrics  # our defect: no notice to the office


def test_each_outcome_is_counted_once_per_object(stack, esm, capsys):
    upload(stack, FAILING)
    upload(stack, CLEAN)
    esm.run()
    counted = emitted(capsys)
    assert counted["ReportsFail"] == 1
    assert counted["ReportsPass"] == 1
    assert counted["NoticesSent"] == 1
    assert counted["NotificationsReceived"] == 3  # S3's test event, then the two uploads
    assert "ChecksFailed" not in counted


# --- the events moto does not send ---------------------------------------------------------------


def test_the_version_an_event_names_is_the_one_checked_not_the_latest(stack):
    # Given two versions of one key: a failing draft, then its corrected replacement
    s3 = aws.client("s3")
    key = "reports/630122/2023/湟中区 年报.txt"
    draft = s3.put_object(Bucket=stack.bucket, Key=key, Body=FAILING.read_bytes())
    fixed = s3.put_object(Bucket=stack.bucket, Key=key, Body=CLEAN.read_bytes())
    handler = load_handler()
    # When the draft's event arrives late, after the replacement exists
    assert handler(aws_event(stack.bucket, key, draft, "0065A1B2C3D4E5F601"), LambdaContext()) == {
        "batchItemFailures": []
    }
    assert handler(aws_event(stack.bucket, key, fixed, "0065A1B2C3D4E5F602"), LambdaContext()) == {
        "batchItemFailures": []
    }
    # Then each version is checked as it was uploaded and recorded with its event's identity
    by_version = {r.version_id: r for r in stored()}
    assert set(by_version) == {draft["VersionId"], fixed["VersionId"]}
    assert by_version[draft["VersionId"]].status is Status.FAIL
    assert by_version[fixed["VersionId"]].status is Status.PASS
    assert by_version[draft["VersionId"]].sequencer == "0065A1B2C3D4E5F601"
    assert by_version[draft["VersionId"]].uploader == "AWS:AIDAEXAMPLE"
    assert by_version[draft["VersionId"]].event_time == "2024-01-25T02:14:36.218Z"
    # and the same event again writes nothing
    handler(aws_event(stack.bucket, key, draft, "0065A1B2C3D4E5F601"), LambdaContext())
    assert len(stored()) == 2
