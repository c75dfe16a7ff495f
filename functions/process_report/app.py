"""ProcessReport: a batch of S3 ObjectCreated notifications from SQS -> nianbao.pipeline.

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
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao.pipeline import Deadline, process, s3_objects, services_from_env

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
# Settings are checked and the clients made during init (a misconfigured function fails there,
# before it takes a message); warm invocations reuse them. pdfplumber loads with the first PDF.
services = services_from_env()


def record_handler(record: SQSRecord, deadline: Deadline) -> None:
    """One SQS message: the S3 notification of one (rarely several) uploaded objects."""
    metrics.add_metric(name="NotificationsReceived", unit=MetricUnit.Count, value=1)
    for obj in s3_objects(record.json_body):
        logger.append_keys(bucket=obj.bucket, key=obj.key, report_id=obj.report_id)
        deadline.admit()  # too little time left: this record comes back to a later invocation
        outcome = process(obj, services)
        details = {"status": outcome.status.value, "stored": outcome.stored, "notice": outcome.notice.value}
        logger.info("report checked", extra=details)
        metrics.add_metric(name=f"Reports{outcome.status.value.title()}", unit=MetricUnit.Count, value=1)
        if not outcome.stored:
            metrics.add_metric(name="RedeliveriesSkipped", unit=MetricUnit.Count, value=1)
        if outcome.noticed:
            metrics.add_metric(name="NoticesSent", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = Deadline(context.get_remaining_time_in_millis, services.settings.seconds_per_object)
    return process_partial_response(
        event=event, record_handler=partial(record_handler, deadline=deadline), processor=processor, context=context
    )
