"""Which AWS errors are worth another attempt, the in-process retry for the writes that must not
wait for SQS, and moving dead letters back (against fakes: no network)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from nianbao.aws import is_transient, persist
from nianbao.redrive import redrive

pytestmark = pytest.mark.unit


def client_error(code: str, status: int = 400, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (client_error("ProvisionedThroughputExceededException"), True),
        (client_error("ThrottlingException"), True),
        (client_error("InternalServerError", 500), True),
        (client_error("SomethingNew", 503), True),  # any 5xx
        (client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"]), True),
        (client_error("TransactionCanceledException", reasons=["ThrottlingError"]), True),
        (client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed", "None"]), False),
        (client_error("TransactionCanceledException", reasons=["ValidationError"]), False),
        (client_error("TransactionCanceledException", reasons=[]), False),
        (client_error("ConditionalCheckFailedException"), False),
        (client_error("ValidationException"), False),
        (client_error("AccessDeniedException"), False),
        (EndpointConnectionError(endpoint_url="https://dynamodb"), True),
        (ReadTimeoutError(endpoint_url="https://dynamodb"), True),
        (ValueError("ours"), False),
    ],
)
def test_only_errors_a_later_attempt_can_cure_are_transient(error, transient):
    assert is_transient(error) is transient


class Flaky:
    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_a_transient_failure_is_tried_again_with_growing_waits():
    waits: list[float] = []
    call = Flaky([client_error("ThrottlingException")] * 4)
    assert persist(call, attempts=5, sleep=waits.append) == "done"
    assert call.calls == 5
    assert len(waits) == 4
    assert waits[0] == 0.25
    assert all(0 <= w <= 8 for w in waits[1:])


def test_it_gives_up_after_its_attempts_with_the_last_error():
    call = Flaky([client_error("ThrottlingException")] * 9)
    with pytest.raises(ClientError, match="ThrottlingException"):
        persist(call, attempts=3, sleep=lambda _: None)
    assert call.calls == 3


def test_an_answer_is_not_retried():
    call = Flaky([client_error("ConditionalCheckFailedException")])
    with pytest.raises(ClientError):
        persist(call, sleep=lambda _: None)
    assert call.calls == 1


def test_a_call_that_succeeds_at_once_costs_one_call_and_no_wait():
    waits: list[float] = []
    call = Flaky([])
    assert persist(call, sleep=waits.append) == "done"
    assert (call.calls, waits) == (1, [])


class FakeSqs:
    """Two queues in memory; ``refuse`` makes the target refuse sends of these bodies."""

    def __init__(self, dead: list[str], refuse: set[str] | None = None) -> None:
        self.queues: dict[str, list[str]] = {"dlq": list(dead), "queue": []}
        self.refuse = refuse or set()

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:  # noqa: N803
        bodies = self.queues[QueueUrl][:MaxNumberOfMessages]
        return {"Messages": [{"Body": b, "ReceiptHandle": b, "MessageAttributes": {}} for b in bodies]}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        ok = [e for e in Entries if e["MessageBody"] not in self.refuse]
        self.queues[QueueUrl].extend(e["MessageBody"] for e in ok)
        failed = [{"Id": e["Id"]} for e in Entries if e["MessageBody"] in self.refuse]
        return {"Successful": [{"Id": e["Id"]} for e in ok], "Failed": failed}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> None:  # noqa: N803
        for entry in Entries:
            self.queues[QueueUrl].remove(entry["ReceiptHandle"])


def test_redrive_moves_every_dead_letter_in_batches():
    sqs = FakeSqs([f"m{i}" for i in range(23)])
    result = redrive(sqs, "dlq", "queue")
    assert (result.moved, result.failed) == (23, 0)
    assert sqs.queues == {"dlq": [], "queue": [f"m{i}" for i in range(23)]}


def test_redrive_moves_at_most_what_it_is_told():
    sqs = FakeSqs([f"m{i}" for i in range(23)])
    assert redrive(sqs, "dlq", "queue", most=12).moved == 12
    assert len(sqs.queues["dlq"]) == 11


def test_a_message_the_queue_refuses_stays_in_the_dead_letter_queue():
    sqs = FakeSqs(["a", "b", "c"], refuse={"b"})
    result = redrive(sqs, "dlq", "queue")
    assert (result.moved, result.failed) == (2, 1)
    assert sqs.queues == {"dlq": ["b"], "queue": ["a", "c"]}
