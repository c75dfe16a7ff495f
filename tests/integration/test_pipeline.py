"""The pipeline's use case on the template's stack in moto, called directly: the paths the
end-to-end tests do not reach through the queue (limits, our own defects, S3 errors permanent
and transient, a notice claimed by another delivery, the time budget, events that name no new
object, scans handed on to the OCR function)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from nianbao import aws, pipeline
from nianbao.events import UNKNOWN_DIVISION
from nianbao.handover import recheck_request
from nianbao.local.stack import LocalStack
from nianbao.model import Status
from nianbao.pipeline import Deadline, S3Object, process, s3_objects, services_from_env
from nianbao.recheck import recheck_report
from nianbao.store import FindingsStore, NoticeState

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
    real = services.store.save_run
    calls = []

    def save_once_broken(report, findings, detail, **kwargs):
        calls.append(report.status)
        if len(calls) == 1:
            raise TypeError("Unsupported type for serialisation")
        return real(report, findings, detail, **kwargs)

    monkeypatch.setattr(services.store, "save_run", save_once_broken)
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


def later(services: pipeline.Services, seconds: float) -> pipeline.Services:
    """The same services, with the clock ``seconds`` ahead."""
    moment = services.now() + timedelta(seconds=seconds)
    return pipeline.Services(services.s3, services.store, services.notifier, services.settings, now=lambda: moment)


def stored_unnoticed(stack: LocalStack, key: str) -> S3Object:
    """A report stored with its notice pending, as when its delivery died right after storing."""
    services = services_from_env()
    obj = put(stack, FAILING, key)
    checked = pipeline._check(obj, services)
    run = pipeline._run(obj, checked.result, services, check_failed=False)
    assert services.store.save_run(run.report, run.findings, run.detail)
    return obj


def test_a_notice_claimed_by_another_delivery_is_left_to_it_and_the_record_succeeds(stack):
    services = services_from_env()
    other = stored_unnoticed(stack, "reports/630122/2022/另一份.txt")
    claim = services.store.claim_notice(other.report_id, services.now(), 600)
    assert claim is not None
    # a redelivery while the claim holds: nothing to retry, nothing sent twice
    outcome = process(other, services)
    assert (outcome.stored, outcome.noticed, outcome.notice) == (False, False, NoticeState.SENDING)
    # the holder died: once its lease has run out the sweeper sends the notice
    assert services.outbox.sweep() == []
    swept = pipeline.sweep(later(services, services.settings.notice_lease_seconds + 1))
    assert [(o.state, o.published) for o in swept] == [(NoticeState.SENT, True)]


def test_a_delivery_that_died_between_storing_and_publishing_is_finished_by_the_sweeper(stack):
    services = services_from_env()
    obj = stored_unnoticed(stack, "reports/630122/2022/中断.txt")
    assert pipeline.sweep(services) == []  # within its grace time: its delivery may still send it
    [swept] = pipeline.sweep(later(services, services.settings.notice_grace_seconds + 1))
    assert swept.published
    report = services.store.get(obj.report_id)
    assert report is not None
    assert report.notice is NoticeState.SENT
    assert pipeline.sweep(later(services, 10**6)) == []


def test_a_notice_that_can_never_be_published_is_given_up_after_its_attempts(stack, monkeypatch, caplog):
    services = services_from_env()
    obj = stored_unnoticed(stack, "reports/630122/2022/发不出.txt")
    error = services.s3.exceptions.ClientError({"Error": {"Code": "KMSDisabled", "Message": "no"}}, "Publish")

    def refused(_: object) -> str:
        raise error

    monkeypatch.setattr(services.notifier, "publish", refused)
    states: list[NoticeState] = []
    for attempt in range(1, 14):
        swept = pipeline.sweep(later(services, attempt * 400))
        states.extend(o.state for o in swept)
    # twelve claims, eleven times released for the next sweep, then failed for the operators
    assert states == [NoticeState.PENDING] * 11 + [NoticeState.FAILED]
    report = services.store.get(obj.report_id)
    assert report is not None
    assert (report.notice, report.notice_attempts) == (NoticeState.FAILED, 12)
    assert "giving up" in caplog.text


def test_a_publish_whose_record_is_throttled_is_recorded_by_the_in_process_retry(stack, monkeypatch):
    services = services_from_env()
    obj = stored_unnoticed(stack, "reports/630122/2022/记录.txt")
    assert isinstance(services.store, FindingsStore)
    client = services.store._client
    real = client.update_item
    throttled: list[str] = []

    def throttle_settling(**kwargs: object) -> object:
        if "notice_message_id" in str(kwargs.get("UpdateExpression")) and len(throttled) < 3:
            throttled.append("x")
            raise client.exceptions.ProvisionedThroughputExceededException(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
            )
        return real(**kwargs)

    monkeypatch.setattr(client, "update_item", throttle_settling)
    monkeypatch.setattr(services.store, "_sleep", lambda _: None)
    report = services.store.get(obj.report_id)
    assert report is not None
    outcome = services.outbox.deliver(report)
    assert (outcome.state, outcome.published, outcome.record_lost) == (NoticeState.SENT, True, False)
    assert len(throttled) == 3
    # nothing is left for the sweeper to send again
    assert pipeline.sweep(later(services, 10**6)) == []


def test_a_report_recorded_with_errors_but_no_finding_items_sends_nothing_and_is_settled(stack):
    services = services_from_env()
    obj = put(stack, FAILING)
    run = pipeline._run(obj, pipeline._check(obj, services).result, services, check_failed=False)
    services.store.save_run(run.report, [], run.detail)  # counts say errors, no finding items to list
    outcome = process(obj, services)
    assert outcome.notice is NoticeState.SENT
    assert not outcome.noticed


def test_the_first_record_of_an_invocation_always_runs_later_ones_only_with_time_for_them():
    left = [290_000]
    deadline = Deadline(lambda: left[0], seconds_per_object=65)
    assert deadline.admit()
    left[0] = 100_000
    assert deadline.admit()
    assert not deadline.admit(objects=2)  # two objects need 130 s
    left[0] = 64_000
    assert not deadline.admit()
    alone = Deadline(lambda: 10_000, seconds_per_object=65)
    assert alone.admit()  # a later invocation would have no more time for it


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


# --- scans: handed on where OCR is missing --------------------------------------------------------

SCAN = (Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "r2021-scan.pdf").read_bytes()


def test_a_scan_met_where_ocr_is_missing_is_handed_on_as_its_own_notification_not_stored(stack):
    services = services_from_env()  # ProcessReport's: OCR off, the OCR queue named
    obj = put(stack, SCAN, "reports/630122/2021/扫描 件+1.pdf")
    outcome = process(obj, services)
    assert (outcome.handed_over, outcome.stored, outcome.notice) == (True, False, NoticeState.NONE)
    assert services.store.get(obj.report_id) is None
    [message] = aws.client("sqs").receive_message(QueueUrl=stack.ocr_queue_url)["Messages"]
    assert s3_objects(json.loads(message["Body"])) == [obj]  # the same object, so the same report id


def test_a_failure_to_hand_a_scan_on_raises_so_that_sqs_retries(stack, monkeypatch):
    services = services_from_env()
    sqs = aws.client("sqs")
    error = sqs.exceptions.ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "later"}}, "SendMessage")

    def unavailable(**_: object) -> None:
        raise error

    monkeypatch.setattr(sqs, "send_message", unavailable)
    obj = put(stack, SCAN, "reports/630122/2021/扫描件.pdf")
    with pytest.raises(sqs.exceptions.ClientError):
        process(obj, services)
    assert services.store.get(obj.report_id) is None


def test_where_no_function_reads_scans_a_scan_is_stored_unread_as_before(stack, monkeypatch):
    monkeypatch.delenv("NIANBAO_OCR_QUEUE_URL")
    services_from_env.cache_clear()
    services = services_from_env()
    assert services.scans is None
    outcome = process(put(stack, SCAN, "reports/630122/2021/扫描件.pdf"), services)
    assert (outcome.handed_over, outcome.stored) == (False, True)
    assert "NO_TEXT_LAYER" in {f.code for f in services.store.findings(outcome.report_id)}


def test_a_text_report_is_never_handed_on(stack):
    outcome = process(put(stack, FAILING), services_from_env())
    assert (outcome.handed_over, outcome.stored) == (False, True)
    assert aws.client("sqs").receive_message(QueueUrl=stack.ocr_queue_url).get("Messages", []) == []


def test_a_stored_scan_a_recheck_hands_on_is_named_by_its_id_and_a_missing_one_is_skipped(stack, caplog):
    services = services_from_env()
    services.scans.recheck("0" * 32)  # type: ignore[union-attr]  # ProcessReport's names the queue
    [message] = aws.client("sqs").receive_message(QueueUrl=stack.ocr_queue_url)["Messages"]
    body = json.loads(message["Body"])
    assert (recheck_request(body), s3_objects(body)) == ("0" * 32, [])
    with caplog.at_level(logging.WARNING, logger="nianbao.recheck"):
        summary = recheck_report(services, "0" * 32)
    assert (summary.looked_at, summary.rechecked, summary.handed_over) == (0, 0, 0)
    assert "is not stored" in caplog.text
