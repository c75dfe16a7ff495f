"""Moving dead-lettered notifications back to the queue once their cause is fixed.

On AWS, SQS's own redrive does this too (``aws sqs start-message-move-task --source-arn <DLQ arn>``,
or "Start DLQ redrive" in the console); this is the same move for any endpoint (moto, the demo)
and for scripts: each message is sent to the queue before it is deleted from the dead-letter
queue, so a move that is interrupted duplicates a message at worst, never loses one (the pipeline
writes nothing twice for a notification delivered twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_BATCH = 10  # SQS's most per receive and per batch send


@dataclass(frozen=True)
class Moved:
    moved: int
    failed: int  # messages the queue refused (they stay in the dead-letter queue)


def redrive(sqs: Any, dead_letter_url: str, queue_url: str, *, most: int | None = None) -> Moved:
    """Move up to ``most`` (default: all) messages from ``dead_letter_url`` to ``queue_url``."""
    moved = failed = 0
    while most is None or moved + failed < most:
        wanted = _BATCH if most is None else min(_BATCH, most - moved - failed)
        batch = sqs.receive_message(
            QueueUrl=dead_letter_url,
            MaxNumberOfMessages=wanted,
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,  # long enough to send and delete; back in the DLQ if we die
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        entries = [
            {"Id": str(i), "MessageBody": m["Body"]} | _attributes(m.get("MessageAttributes"))
            for i, m in enumerate(batch)
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        sent = [int(entry["Id"]) for entry in response.get("Successful", [])]
        if sent:
            sqs.delete_message_batch(
                QueueUrl=dead_letter_url,
                Entries=[{"Id": str(i), "ReceiptHandle": batch[i]["ReceiptHandle"]} for i in sent],
            )
        moved += len(sent)
        failed += len(batch) - len(sent)
        if len(sent) < len(batch):
            break  # the queue refuses messages: stop rather than spin on them
    return Moved(moved, failed)


def _attributes(attributes: dict[str, Any] | None) -> dict[str, Any]:
    return {"MessageAttributes": attributes} if attributes else {}
