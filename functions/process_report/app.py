"""ProcessReport: a batch of S3 ObjectCreated notifications from SQS -> nianbao.pipeline (a report
under reports/) or nianbao.rosters (a roster under rosters/).

OcrReport runs this same handler in its container image, on the scans ProcessReport hands on
(nianbao.handover): S3 notifications too, and stored reports a re-check asks it to read again. Its
environment names no OCR queue, so what it reads it stores.

Thin on purpose: it parses the event, runs the use case for every object named, logs and counts
the outcome, and reports the records that failed so that SQS retries only those. Everything
else is in the nianbao layer.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao import aws, rosters
from nianbao.handover import recheck_request
from nianbao.pipeline import Deadline, process, s3_objects, services_from_env
from nianbao.requeue import Requeue

# The package logs through "nianbao.*" loggers: children of this one, so their lines are JSON
# with the keys appended below (bucket, key, version, report id).
logger = Logger(service="nianbao")
metrics = Metrics()
# A batch whose every record failed is answered like any other (all listed as failures), not
# raised: the same retry for SQS, without an invocation error for each.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# Settings are checked and the clients made during init (a misconfigured function fails there,
# before it takes a message); warm invocations reuse them. The readers load with the first file.
services = services_from_env()
requeue = Requeue(aws.client("sqs"))


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def record_handler(record: SQSRecord, deadline: Deadline) -> None:
    """One SQS message: the S3 notification of one (rarely several) uploaded objects."""
    count("NotificationsReceived")
    body = record.json_body
    if (report_id := recheck_request(body)) is not None:  # OcrReport: a scan a re-check handed on
        from nianbao.recheck import recheck_report  # noqa: PLC0415 - OcrReport's only: off ProcessReport's init

        summary = recheck_report(services, report_id)
        logger.info("scan re-checked", extra={"report_id": report_id, "rechecked": summary.rechecked})
        if summary.rechecked:
            count("ReportsRechecked")
        return
    objects = s3_objects(body)
    if objects and not deadline.admit(len(objects)):
        count("RecordsRequeued")  # no time left in this invocation: a fresh copy goes back at once
        requeue.bounce(record.event_source_arn, record.body, record.receipt_handle)
        return
    for obj in objects:
        logger.append_keys(bucket=obj.bucket, key=obj.key, version=obj.identity, report_id=obj.report_id)
        if rosters.is_roster(obj):
            loaded = rosters.load(obj, services)
            details = {"accepted": loaded.accepted, "rejected": len(loaded.rejected), "refused": loaded.refused}
            logger.info("roster loaded", extra=details | {"reattached": loaded.reattached})
            count("RostersLoaded")
            continue
        outcome = process(obj, services)
        logger.info("report checked", extra=outcome.model_dump(mode="json", exclude={"report_id"}))
        if outcome.handed_over:
            count("ScansHandedOver")  # to OcrReport, which stores and counts it
            continue
        count(f"Reports{outcome.status.value.title()}")
        if not outcome.stored:
            count("RedeliveriesSkipped")
        if outcome.noticed:
            count("NoticesSent")
        if outcome.notice_deferred:
            count("NoticesDeferred")
        if outcome.check_failed:
            count("ChecksFailed")  # a defect of ours: alarmed on (template.yaml, CheckFailedAlarm)
    logger.remove_keys(["bucket", "key", "version", "report_id"])


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deadline = Deadline(context.get_remaining_time_in_millis, services.settings.seconds_per_object)
    return process_partial_response(
        event=event, record_handler=partial(record_handler, deadline=deadline), processor=processor, context=context
    )
