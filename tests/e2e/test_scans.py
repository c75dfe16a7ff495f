"""Scans through the deployed shape: ProcessReport (no OCR, as its zip) hands a scan on to the OCR
queue, OcrReport (the same handler, with OCR and its own environment) reads, stores and notices
it; a re-check hands a stored scan on the same way; a scan whose reading keeps failing ends in the
reports' dead-letter queue and comes back through ProcessReport when redriven.

Both functions run here in one process, each under the environment the template gives it
(``load_function``). The scan is a synthetic report with one count raised, rendered, rasterised
at 150 dpi, grained and JPEG-compressed; what its findings must be is what the same report's text
layer gives, read from the unscanned PDF.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from typing import Any

import pytest

from nianbao import aws
from nianbao.check import check_bytes
from nianbao.extract import ocr
from nianbao.local.stack import EventSourceMapping, LambdaContext, LocalStack, load_function
from nianbao.model import Status
from nianbao.pipeline import services_from_env
from nianbao.redrive import redrive
from nianbao.store import NoticeState
from nianbao.version import checker_version
from tests.aws_fixtures import all_stored
from tests.e2e.test_pipeline import CLEAN, _fresh_metrics, emitted, notices, upload  # noqa: F401 - an autouse fixture
from tests.synth.blocks import blocks
from tests.synth.scan import Scan, scan_pdf
from tests.synth.to_pdf import FixtureUnavailable, to_pdf
from tests.synth.truth import random_truth

pytestmark = pytest.mark.e2e

KEY = "reports/630122/2023/扫描件.pdf"
BALANCE = ("T3_", "T4_")


@dataclass(frozen=True)
class ScannedReport:
    scan: bytes
    text_balance: list[str]  # the balance findings of the same report's text layer


@pytest.fixture(scope="module")
def scanned() -> ScannedReport:
    if not ocr.available():
        pytest.skip("OCR is not installed here (pip install -e '.[ocr]')")
    rng = random.Random(20231)
    truth = random_truth(rng, busy=0.6)
    [row, *_] = sorted(truth.table3)
    value = truth.table3[row][0]
    truth = truth.with_cell("table3", row, 0, (value if isinstance(value, int) else 0) + 7)  # a balance fails
    try:
        pdf = to_pdf(blocks(truth, rng), "reportlab")
        scan = scan_pdf(pdf, Scan(dpi=150, tilt=0.6, grain=5.0, jpeg_quality=70), rng, "pdf")
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))
    text = sorted(f.code for f in check_bytes(pdf, "text.pdf").findings if f.code.startswith(BALANCE))
    assert text, "the planted count must fail a balance relation in the text layer"
    return ScannedReport(scan, text)


@dataclass
class Functions:
    process: EventSourceMapping  # ProcessReport on the reports queue
    ocr: EventSourceMapping  # OcrReport on the OCR queue


@pytest.fixture
def functions(stack: LocalStack) -> Functions:
    def mapping(logical: str, queue_url: str, batch_size: int) -> EventSourceMapping:
        settings = stack.functions[logical]
        return EventSourceMapping(
            aws.client,
            queue_url,
            load_function(stack, logical),
            batch_size=batch_size,
            timeout_seconds=settings.timeout_seconds,
        )

    return Functions(
        process=mapping("ProcessReportFunction", stack.queue_url, 5),
        ocr=mapping("OcrReportFunction", stack.ocr_queue_url, 1),
    )


def waiting(queue_url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def codes(report_id: str) -> list[str]:
    return sorted(f.code for f in services_from_env().store.findings(report_id))


def test_a_scan_is_handed_on_read_by_ocr_stored_and_noticed_once(stack, functions, scanned, capsys):
    upload(stack, CLEAN, "reports/630122/2023/clean.txt")  # a text report stays with ProcessReport
    upload(stack, CLEAN, KEY, body=scanned.scan)
    assert all(not d.failed for d in functions.process.run())
    # ProcessReport stored the text report only, and handed the scan on
    [text_report] = all_stored(services_from_env().store)
    assert text_report.key.endswith("clean.txt")
    assert waiting(stack.ocr_queue_url) == 1
    assert emitted(capsys).get("ScansHandedOver") == 1

    [delivery] = functions.ocr.run()
    assert not delivery.failed
    [report] = [r for r in all_stored(services_from_env().store) if r.key == KEY]
    assert (report.read_by, report.status, report.notice) == ("ocr", Status.FAIL, NoticeState.SENT)
    found = codes(report.report_id)
    assert "READ_BY_OCR" in found
    assert "NO_TEXT_LAYER" not in found
    assert [c for c in found if c.startswith(BALANCE)] == scanned.text_balance
    # the county's office and those above it are told once, of the report read from the scan
    received = notices(stack)
    assert {office: len(messages) for office, messages in received.items()} == {
        "湟中区政务公开办": 1, "西宁市政务公开办": 1, "青海省政务公开办": 1,
    }  # fmt: skip
    [notice] = received["湟中区政务公开办"]
    assert notice["MessageAttributes"]["report"]["Value"] == report.report_id
    assert scanned.text_balance[0] in json.loads(notice["MessageAttributes"]["rules"]["Value"])
    assert emitted(capsys).get("ReportsFail") == 1


def test_a_hand_over_delivered_twice_stores_one_report_and_sends_one_notice(stack, functions, scanned):
    upload(stack, CLEAN, KEY, body=scanned.scan)
    functions.process.run()
    sqs = aws.client("sqs")
    [message] = sqs.receive_message(QueueUrl=stack.ocr_queue_url)["Messages"]
    sqs.change_message_visibility(
        QueueUrl=stack.ocr_queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.send_message(QueueUrl=stack.ocr_queue_url, MessageBody=message["Body"])  # a second hand-over of it
    functions.ocr.run()
    assert [r.key for r in all_stored(services_from_env().store)] == [KEY]
    assert {office: len(m) for office, m in notices(stack).items()}["湟中区政务公开办"] == 1


def test_a_scan_whose_reading_keeps_failing_is_dead_lettered_then_redriven_and_stored(
    stack, functions, scanned, monkeypatch
):
    upload(stack, CLEAN, KEY, body=scanned.scan)
    functions.process.run()
    # the OCR function cannot reach S3 for a while (throttled past botocore's own retries)
    s3 = aws.client("s3")
    real = s3.get_object

    def throttled(**_: object) -> None:
        raise s3.exceptions.ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "GetObject")

    monkeypatch.setattr(s3, "get_object", throttled)
    deliveries = functions.ocr.run()
    assert len(deliveries) == max_receive_count(stack.ocr_queue_url)  # every delivery failed ...
    assert all(d.failed for d in deliveries)
    assert waiting(stack.ocr_queue_url) == 0  # ... and the queue let go of it: no endless retry
    assert waiting(stack.dead_letter_url) == 1
    assert all_stored(services_from_env().store) == []
    # the cause fixed, the operators redrive the dead letters through ProcessReport, as for any report
    monkeypatch.setattr(s3, "get_object", real)
    assert redrive(aws.client("sqs"), stack.dead_letter_url, stack.queue_url).moved == 1
    functions.process.run()
    functions.ocr.run()
    [report] = all_stored(services_from_env().store)
    assert (report.key, report.read_by) == (KEY, "ocr")


def test_a_stored_scan_rechecked_where_ocr_is_missing_is_read_again_by_ocr(stack, functions, scanned, monkeypatch):
    # Stored by a checker of before OCR: NO_TEXT_LAYER (ProcessReport with nowhere to hand it on)
    upload(stack, CLEAN, KEY, body=scanned.scan)
    EventSourceMapping(aws.client, stack.queue_url, process_report_without_handover(stack)).run()
    [before] = all_stored(services_from_env().store)
    assert (before.read_by, codes(before.report_id)) == ("text", ["NO_TEXT_LAYER"])
    monkeypatch.setattr("nianbao.recheck.checker_version", lambda: checker_version() + "-next")

    # RecheckReports (no OCR) hands it on by its id; OcrReport reads it again
    recheck = load_function(stack, "RecheckReportsFunction")
    answer = recheck({}, LambdaContext(function_name="RecheckReportsFunction", timeout_seconds=900))
    assert (answer["rechecked"], answer["handed_over"]) == (0, 1)
    [delivery] = functions.ocr.run()
    assert not delivery.failed
    [after] = all_stored(services_from_env().store)
    assert after.report_id == before.report_id
    assert after.read_by == "ocr"
    assert "NO_TEXT_LAYER" not in codes(after.report_id)
    assert [c for c in codes(after.report_id) if c.startswith(BALANCE)] == scanned.text_balance


def max_receive_count(queue_url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    return int(json.loads(attributes["Attributes"]["RedrivePolicy"])["maxReceiveCount"])


def process_report_without_handover(stack: LocalStack) -> Any:
    """ProcessReport as it was before scans were handed on: OCR off and no OCR queue."""
    settings = stack.functions["ProcessReportFunction"]
    without = {k: v for k, v in settings.environment.items() if k != "NIANBAO_OCR_QUEUE_URL"}
    stack.functions["ProcessReportFunction"] = replace(settings, environment=without)
    try:
        return load_function(stack, "ProcessReportFunction")
    finally:
        stack.functions["ProcessReportFunction"] = settings
