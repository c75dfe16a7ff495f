"""A record the invocation has no time left for goes back to the queue at once, as a fresh copy.

Failing it instead would leave it invisible for the rest of its visibility timeout (half an hour)
and spend one of its receives for nothing, so that a peak could push healthy reports towards the
dead-letter queue. Only if the copy cannot be sent is the record itself made visible again at
once and reported failed (it then spends a receive, but is not lost).
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)


class OutOfTimeError(RuntimeError):
    """No time left to check the record's objects, and it could not be re-queued: SQS delivers it
    again (its visibility was reset to 0)."""


class Requeue:
    """Puts records back on the queue they came from, through a boto3 SQS client passed in."""

    def __init__(self, client: Any) -> None:
        self._sqs = client
        self._urls: dict[str, str] = {}

    def _url(self, queue_arn: str) -> str:
        if queue_arn not in self._urls:
            _, _, _, _, account, name = queue_arn.split(":", 5)
            response = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._urls[queue_arn] = str(response["QueueUrl"])
        return self._urls[queue_arn]

    def bounce(self, queue_arn: str, body: str, receipt_handle: str) -> None:
        """Send a copy of the record and let the original succeed; raise ``OutOfTimeError`` when
        only the original could be made visible again."""
        try:
            url = self._url(queue_arn)
            self._sqs.send_message(QueueUrl=url, MessageBody=body)
            return
        except (BotoCoreError, ClientError, ValueError):
            log.warning("re-queueing a record failed; making it visible again instead", exc_info=True)
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._url(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=0
            )
        except (BotoCoreError, ClientError, ValueError):
            log.warning("resetting the visibility of a record failed", exc_info=True)
        raise OutOfTimeError("no time left for this record in this invocation")
