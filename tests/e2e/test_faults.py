"""The pipeline under faults: 520 uploads through the real handlers with injected throttles,
batch writes left unprocessed, SNS failures, duplicate and out-of-order deliveries, crashes between
steps and poison files, until the queue and the sweeper are idle. Then: every object is a stored
result, none twice; every report with errors got exactly one notice and no other report any
(except where a crash fell between SNS accepting a notice and the record of it, counted apart);
the poison files are stored as unreadable; nothing healthy is in the dead-letter queue.

What plays which part:

* S3, DynamoDB and SNS are moto's, on stacks deployed from template.yaml. The run is split over
  fresh stacks (8 rounds of 65 uploads): moto's DynamoDB slows with the size of a table (a
  transaction's rollback deep-copies the whole table once per item; the pipeline writes runs with
  batches and a conditional put, but triage and other tests use transactions).
* SQS is played by ``SimQueue`` on a virtual clock, because moto's queue re-delivers at once:
  the template's visibility timeout and maxReceiveCount hold, messages come in random order,
  a failed record comes back only when its visibility runs out, a crashed invocation's whole
  batch likewise, and a message received more than maxReceiveCount times goes to the DLQ.
* The S3 events are built as AWS sends them for a versioned bucket (versionId, sequencer,
  principal), which moto's own notifications are not.
* Transient errors are injected below botocore (retried by its standard mode, with its backoff
  cut to 0) and above it (as when its retries are exhausted); crashes are a ``SimulatedCrash``
  (a BaseException: nothing in the handler catches it, as nothing survives a dead process)
  raised by the adapters right after a step succeeded.
* Clocks: the pipeline's, the outbox's and the queue's are the same virtual clock; the sweeper
  runs every 300 virtual seconds.
"""

from __future__ import annotations

import json
import logging
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from nianbao import aws, pipeline
from nianbao.check import check_bytes
from nianbao.config import Settings
from nianbao.events import S3Object
from nianbao.local.stack import LambdaContext, deploy, drain, load_module
from nianbao.model import Status
from nianbao.notify import Notice, Notifier
from nianbao.store import Claim, FindingsStore, NoticeState, StoredReport
from tests.aws_fixtures import all_stored
from tests.synth import Layout, random_truth, render_text

pytestmark = pytest.mark.e2e

ROUNDS = 8
UPLOADS_PER_ROUND = 65
SEED = 20261201

# Injected faults: about 10% DynamoDB throttles, 10% of batch writes unprocessed, 10% SNS publish
# failures, 20% of notifications delivered three times, crashes between steps, a few poison files.
UNREACHED = 0.05  # any DynamoDB call fails before reaching the service, below botocore (it retries)
RESPONSE_LOST = 0.05  # any DynamoDB call is applied, but a throttle comes back (botocore retries it)
EXHAUSTED = 0.01  # any DynamoDB call, above botocore's retries (the call fails)
UNPROCESSED = 0.10  # a BatchWriteItem answered with its writes unprocessed (throttled; botocore does not retry)
PUBLISH_FAILURE = 0.10
TRIPLICATE = 0.20
CRASH_AFTER_STORE = 0.005
CRASH_AFTER_CLAIM = 0.005
CRASH_AFTER_PUBLISH = 0.01
SURE_CRASH_AT = 7  # and every round, each step's 7th success is followed by a crash, whatever the dice say
POISON_PER_ROUND = 2  # files that kill their check (memory, segfault) or are hostile bombs

EPOCH = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
# Everything must be settled well within this: the last receives of a message come 5 x 36 min
# after its first, and an abandoned claim is swept 40 min after it was taken.
IDLE_WITHIN_HOURS = 24


class SimulatedCrash(BaseException):
    """The process dies here: nothing after it runs, nothing catches it."""


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.seconds)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


# --- SQS, as it behaves (not as moto's queue does) -----------------------------------------------


@dataclass
class Message:
    id: str
    body: str
    visible_at: float = 0.0
    receives: int = 0
    handle: str = ""


class SimQueue:
    """A standard queue: at-least-once, unordered, with visibility timeouts and a redrive to a
    dead-letter queue after ``max_receives`` receives, on the virtual clock."""

    def __init__(self, clock: Clock, visibility: int, max_receives: int, rng: random.Random) -> None:
        self.clock = clock
        self.visibility = visibility
        self.max_receives = max_receives
        self.rng = rng
        self.messages: dict[str, Message] = {}
        self.dead: list[Message] = []
        self.received = 0

    def send(self, body: str) -> None:
        message = Message(str(uuid.UUID(int=self.rng.getrandbits(128))), body, visible_at=self.clock.seconds)
        self.messages[message.id] = message

    def receive(self, most: int) -> list[Message]:
        visible = [m for m in self.messages.values() if m.visible_at <= self.clock.seconds]
        self.rng.shuffle(visible)  # a standard queue keeps no order
        batch = []
        for message in visible:
            if message.receives >= self.max_receives:  # the redrive policy moves it on this receive
                del self.messages[message.id]
                self.dead.append(message)
                continue
            message.receives += 1
            message.handle = uuid.uuid4().hex
            message.visible_at = self.clock.seconds + self.visibility
            batch.append(message)
            if len(batch) == most:
                break
        self.received += len(batch)
        return batch

    def delete(self, message: Message) -> None:
        self.messages.pop(message.id, None)

    def next_visible(self) -> float | None:
        return min((m.visible_at for m in self.messages.values()), default=None)


class SimRequeue:
    """The handler's requeue, onto the simulated queue."""

    def __init__(self, queue: SimQueue) -> None:
        self.queue = queue
        self.bounced = 0

    def bounce(self, queue_arn: str, body: str, receipt_handle: str) -> None:
        self.bounced += 1
        self.queue.send(body)


# --- faults ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    injected: Counter[str] = field(default_factory=Counter)
    crash_window: set[str] = field(default_factory=set)  # reports whose notice SNS took before a crash


def _error_response(code: str, extra: dict[str, Any] | None = None) -> tuple[AWSResponse, dict[str, Any]]:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}

    class Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield json.dumps(body).encode()

    response = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, {"x-amzn-requestid": "injected"}, Raw())
    parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return response, parsed | (extra or {})


def install_faults(rng: random.Random, tally: Tally) -> None:
    """Transient errors on the round's DynamoDB and SNS clients (the adapters' own)."""
    dynamodb = aws.client("dynamodb")

    def below_retries(request: Any, **_: Any) -> Any:
        draw = rng.random()
        if draw < UNREACHED:  # raised before moto's handler runs: the call never reaches the table
            tally.injected["dynamodb call lost before the service (botocore retried)"] += 1
            raise EndpointConnectionError(endpoint_url=request.url)
        if draw < UNREACHED + RESPONSE_LOST:  # moto's handler runs too (botocore emits to all of them)
            tally.injected["dynamodb call applied, its response lost (botocore retried)"] += 1
            return _error_response("ProvisionedThroughputExceededException")[0]
        return None

    def above_retries(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.name == "BatchWriteItem" and rng.random() < UNPROCESSED:
            tally.injected["batch write left unprocessed"] += 1
            requests = json.loads(params["body"])["RequestItems"]
            answer = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 200, {}, None)
            return answer, {"UnprocessedItems": requests, "ResponseMetadata": {"HTTPStatusCode": 200}}
        if rng.random() < EXHAUSTED:
            tally.injected["dynamodb error after botocore's retries"] += 1
            return _error_response("ProvisionedThroughputExceededException")
        return None

    dynamodb.meta.events.register_first("before-send.dynamodb", below_retries)
    dynamodb.meta.events.register_first("before-call.dynamodb", above_retries)

    def publish_failure(**_: Any) -> Any:
        if rng.random() < PUBLISH_FAILURE:
            tally.injected["sns publish failed"] += 1
            parsed = {"Error": {"Code": "InternalError", "Message": "injected"}, "ResponseMetadata": {}}
            return AWSResponse("https://sns.us-east-1.amazonaws.com/", 500, {}, None), parsed
        return None

    aws.client("sns").meta.events.register_first("before-call.sns.Publish", publish_failure)


class CrashingStore(FindingsStore):
    """The real store; the process dies right after some of its writes succeed."""

    def __init__(self, *args: Any, rng: random.Random, tally: Tally, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rng = rng
        self.tally = tally
        self.saved = self.claimed = 0

    def save_run(self, report: StoredReport, findings: Any, detail: Any, *, replaces: str | None = None) -> bool:
        stored = super().save_run(report, findings, detail, replaces=replaces)
        self.saved += stored
        if stored and (self.saved == SURE_CRASH_AT or self.rng.random() < CRASH_AFTER_STORE):
            self.tally.injected["crash after storing, before the notice"] += 1
            raise SimulatedCrash
        return stored

    def claim_notice(self, report_id: str, now: datetime, lease_seconds: int) -> Claim | None:
        claim = super().claim_notice(report_id, now, lease_seconds)
        self.claimed += claim is not None
        if claim is not None and (self.claimed == SURE_CRASH_AT or self.rng.random() < CRASH_AFTER_CLAIM):
            self.tally.injected["crash after claiming, before publishing"] += 1
            raise SimulatedCrash
        return claim


class CrashingNotifier(Notifier):
    """The real notifier; the process dies right after SNS accepted some notices."""

    def __init__(self, *args: Any, rng: random.Random, tally: Tally) -> None:
        super().__init__(*args)
        self.rng = rng
        self.tally = tally
        self.published = 0

    def publish(self, notice: Notice) -> str:
        message_id = super().publish(notice)
        self.published += 1
        if self.published == SURE_CRASH_AT or self.rng.random() < CRASH_AFTER_PUBLISH:
            self.tally.injected["crash after publishing, before recording it"] += 1
            self.tally.crash_window.add(notice.report_id)
            raise SimulatedCrash
        return message_id


# --- uploads ----------------------------------------------------------------------------------------

POISON_OOM = b"POISON-OOM"
POISON_SEGV = b"POISON-SEGV"


def poisoned(data: bytes, source: str, limits: Any) -> Any:
    """The real checker, except for the files made to kill it, each as a hostile file would."""
    if data.startswith(POISON_OOM):
        grown = []
        while True:
            grown.append(bytearray(64 * 1024 * 1024))
    if data.startswith(POISON_SEGV):
        import ctypes  # noqa: PLC0415

        ctypes.string_at(0)
    return check_bytes(data, source, limits)


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    expect_notice: bool  # the generator planted an error (or the file cannot be read)
    poison: bool = False


def uploads(rng: random.Random, round_number: int) -> list[Upload]:
    """Synthetic reports with known truth: half with a planted balance error, half clean; and the
    round's poison files."""
    made: list[Upload] = []
    for n in range(UPLOADS_PER_ROUND - POISON_PER_ROUND):
        # eight agencies, random years: bodies with several reports of one year and of
        # neighbouring years, so cross-year findings are evaluated again as years arrive (and
        # noticed as news) while the faults hit
        truth = random_truth(rng)
        broken = n % 2 == 0
        if broken:
            value = truth.table3["results_total"][6]
            assert isinstance(value, int)
            truth = truth.with_cell("table3", "results_total", 6, value + 3)
        text = render_text(truth, rng.choice(list(Layout)), rng, variants=False)
        made.append(Upload(f"reports/630122/{truth.year}/r{round_number}-{n} 报告.txt", text.encode(), broken))
    poisons = [
        ("oom.txt", POISON_OOM + b" " * 100),
        ("segv.txt", POISON_SEGV),
        ("zip-bomb.docx", _hostile("docx_zip_bomb")),
        ("span-bomb.html", _hostile("html_span_bomb")),
    ]
    for offset in range(POISON_PER_ROUND):
        name, body = poisons[(round_number * POISON_PER_ROUND + offset) % len(poisons)]
        made.append(Upload(f"reports/630122/2024/r{round_number}-{name}", body, True, poison=True))
    return made


def _hostile(name: str) -> bytes:
    from tests.hostile import HOSTILE  # noqa: PLC0415 - the readers' own hostile files

    return HOSTILE[name]()


def s3_event(bucket: str, key: str, put: dict[str, Any], sequencer: int) -> str:
    """An SQS message body as S3 sends it for a versioned bucket."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2025-01-31T09:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAUPLOADER"},
        "s3": {
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": 1,
                "eTag": put["ETag"].strip('"'),
                "versionId": put["VersionId"],
                "sequencer": f"{sequencer:018X}",
            },
        },
    }
    return json.dumps({"Records": [record]})


# --- one round --------------------------------------------------------------------------------------


@dataclass
class Totals:
    uploaded: int = 0
    stored: int = 0
    duplicate_results: int = 0
    expected_notices: int = 0
    exactly_once: int = 0
    missing: int = 0
    doubled: int = 0
    stray: int = 0
    followups: int = 0  # 复核新发现: errors new since the first notice (cross-year)
    followup_rules: set[str] = field(default_factory=set)
    cross_year_first: int = 0  # clean reports whose first notice names only a cross-year error
    told_twice: int = 0  # reports with an error named in two of their notices
    crash_window: int = 0
    crash_window_doubled: int = 0
    poison_unreadable: int = 0
    poison: int = 0
    dead_letters: int = 0
    deliveries: int = 0
    invocations: int = 0
    crashed_invocations: int = 0
    failed_invocations: int = 0
    failed_records: int = 0
    sweeps: int = 0
    failed_sweeps: int = 0
    swept: int = 0
    requeued: int = 0
    virtual_hours: float = 0.0
    injected: Counter[str] = field(default_factory=Counter)


def context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, timeout_seconds=360)


def run_round(round_number: int, rng: random.Random, totals: Totals, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    tally = Tally()
    with mock_aws():
        aws.reset()
        pipeline.services_from_env.cache_clear()
        stack = deploy(aws.client)
        for name, value in stack.environment.items():
            monkeypatch.setenv(name, value)
        template = _template_values()
        queue = SimQueue(clock, template["visibility"], template["max_receives"], rng)
        processor = load_module(function="process_report")
        sweeper = load_module(function="sweep_notices")
        logging.getLogger("nianbao").setLevel(logging.CRITICAL)  # see ``quiet``
        settings = Settings.from_env()
        services = pipeline.Services(
            s3=aws.client("s3"),
            store=CrashingStore(
                aws.client("dynamodb"), settings.findings_table, sleep=lambda _: None, rng=rng, tally=tally
            ),
            notifier=CrashingNotifier(aws.client("sns"), settings.notices_topic_arn, rng=rng, tally=tally),
            settings=settings,
            now=clock.now,
        )
        requeue = SimRequeue(queue)
        for module in (processor, sweeper):
            monkeypatch.setattr(module, "services", services)
        monkeypatch.setattr(processor, "requeue", requeue)

        # uploads: all at the start of the peak, 20% of the notifications sent three times
        made = uploads(rng, round_number)
        s3 = aws.client("s3")
        objects: dict[str, Upload] = {}
        for sequencer, upload in enumerate(made, start=1):
            put = s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.body)
            obj = S3Object(stack.bucket, upload.key, put["VersionId"], put["ETag"])
            objects[obj.report_id] = upload
            body = s3_event(stack.bucket, upload.key, put, sequencer)
            for _ in range(3 if rng.random() < TRIPLICATE else 1):
                queue.send(body)
        drain(aws.client, stack.probes["湟中区政务公开办"])
        install_faults(rng, tally)

        observer = FindingsStore(_clean_client("dynamodb"), settings.findings_table)
        _deliver_until_idle(clock, queue, processor, sweeper, observer, totals)

        # what came of it, read through clients without the injected faults
        store = observer
        inbox = Inbox([json.loads(m["Body"]) for m in drain(_clean_client, stack.probes["湟中区政务公开办"])])
        _account(objects, store, inbox, tally, totals)
        totals.dead_letters += len(queue.dead)
        totals.requeued += requeue.bounced
        totals.virtual_hours += clock.seconds / 3600
        totals.injected += tally.injected


def _clean_client(service: str) -> Any:
    """A client of its own (the adapters' share the injected faults)."""
    import boto3  # noqa: PLC0415

    return boto3.session.Session().client(service)


def _template_values() -> dict[str, int]:
    from nianbao.local.stack import load_template, repository_root  # noqa: PLC0415

    template = load_template(repository_root())
    queue = template["Resources"]["ReportsQueue"]["Properties"]
    default = template["Parameters"]["MaxReceiveCount"]["Default"]
    return {"visibility": int(queue["VisibilityTimeout"]), "max_receives": int(default)}


def _deliver_until_idle(
    clock: Clock, queue: SimQueue, processor: ModuleType, sweeper: ModuleType, observer: FindingsStore, totals: Totals
) -> None:
    """Invoke the function on batches as Lambda's event source mapping would, and the sweeper on
    its schedule, until the queue is empty and no notice is left unsent."""
    next_sweep = 300.0
    while clock.seconds < IDLE_WITHIN_HOURS * 3600:
        batch = queue.receive(5)
        if batch:
            _invoke(processor.handler, queue, batch, totals)
            clock.advance(2)
        if clock.seconds >= next_sweep:
            totals.sweeps += 1
            try:
                summary = sweeper.handler({}, context("SweepNoticesFunction"))
                totals.swept += summary["sent"]
            except (SimulatedCrash, Exception):  # a failed sweep is simply run again at the next tick
                totals.failed_sweeps += 1
            next_sweep += 300
        if batch:
            continue
        unsent = observer.due_notices(clock.now() + timedelta(days=365))
        upcoming = queue.next_visible()
        if upcoming is None and not unsent:
            return
        clock.seconds = min(x for x in (upcoming, next_sweep) if x is not None)
    raise AssertionError(f"the pipeline was not idle after {IDLE_WITHIN_HOURS} hours (virtual)")


def _invoke(handler: Callable[..., Any], queue: SimQueue, batch: list[Message], totals: Totals) -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:nianbao-ReportsQueue"
    records = [
        {
            "messageId": m.id, "receiptHandle": m.handle, "body": m.body,
            "attributes": {"ApproximateReceiveCount": str(m.receives)}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1",
        }
        for m in batch
    ]  # fmt: skip
    totals.invocations += 1
    totals.deliveries += len(batch)
    try:
        response = handler({"Records": records}, context("ProcessReportFunction"))
    except SimulatedCrash:
        totals.crashed_invocations += 1
        return  # the whole batch comes back when its visibility runs out
    except Exception:  # an invocation error: Lambda retries the whole batch the same way
        totals.failed_invocations += 1
        return
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    totals.failed_records += len(failed)
    for message in batch:
        if message.id not in failed:
            queue.delete(message)


# The only error a report can gain after its first notice: its neighbouring year arrived or changed.
CROSS_YEAR_ERRORS = frozenset({"CARRYOVER_MISMATCH"})
_ERROR_LINE = re.compile(r"^\d+\. (?P<error>.+)$")  # "1. 标题（CODE） — 位置": an error's identity


class Inbox:
    """An office's notices by report: first notices (every error of the report) and follow-ups
    (复核新发现: errors new since), the rules each names, and how often each error was told."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.first: Counter[str] = Counter()
        self.first_rules: dict[str, set[str]] = {}
        self.followups: Counter[str] = Counter()
        self.followup_rules: set[str] = set()
        self.errors: dict[str, Counter[str]] = {}
        for message in messages:
            report_id = message["MessageAttributes"]["report"]["Value"]
            rules = set(json.loads(message["MessageAttributes"]["rules"]["Value"]))
            if "复核新发现" in message["Subject"]:
                self.followups[report_id] += 1
                self.followup_rules |= rules
            else:
                self.first[report_id] += 1
                self.first_rules.setdefault(report_id, set()).update(rules)
            told = self.errors.setdefault(report_id, Counter())
            told.update(m["error"] for line in message["Message"].splitlines() if (m := _ERROR_LINE.match(line)))

    def told_twice(self, report_id: str) -> bool:
        return any(n > 1 for n in self.errors.get(report_id, Counter()).values())

    @property
    def report_ids(self) -> set[str]:
        return set(self.first) | set(self.followups)


def _account(objects: dict[str, Upload], store: FindingsStore, inbox: Inbox, tally: Tally, totals: Totals) -> None:
    totals.uploaded += len(objects)
    for report_id, upload in objects.items():
        report = store.get(report_id)
        if report is None:
            continue
        totals.stored += 1
        if upload.poison:
            totals.poison += 1
            totals.poison_unreadable += report.status is Status.UNREADABLE
        got = inbox.first[report_id]
        totals.followups += inbox.followups[report_id]
        if report_id in tally.crash_window:
            totals.crash_window += 1
            totals.crash_window_doubled += got == 2
            continue
        totals.told_twice += inbox.told_twice(report_id)
        if upload.expect_notice:
            totals.expected_notices += 1
            totals.exactly_once += got == 1
            totals.missing += got == 0
            totals.doubled += got > 1
        else:
            # a clean report is noticed only for a cross-year error (its neighbour was stored first)
            totals.stray += got > 0 and not inbox.first_rules[report_id] <= CROSS_YEAR_ERRORS
            totals.cross_year_first += got > 0 and inbox.first_rules[report_id] <= CROSS_YEAR_ERRORS
        assert report.notice in (NoticeState.NONE, NoticeState.SENT), (upload.key, report.notice)
    totals.duplicate_results += sum(n - 1 for n in Counter(r.key for r in _all(store)).values() if n > 1)
    totals.stray += sum(1 for report_id in inbox.report_ids if report_id not in objects)
    totals.followup_rules |= inbox.followup_rules


def _all(store: FindingsStore) -> list[StoredReport]:
    return all_stored(store)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handlers log a JSON line per object (and a traceback per injected fault); thousands of
    them say nothing here."""
    logger = logging.getLogger("nianbao")
    level = logger.level
    yield
    logger.setLevel(level)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries without their sleeps (virtual time)."""
    from botocore.retries import standard  # noqa: PLC0415

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda *_: 0)


def test_nothing_lost_nothing_sent_twice_under_faults(quiet, no_backoff, monkeypatch, capsys):
    rng = random.Random(SEED)
    monkeypatch.setattr(pipeline, "check_bytes", poisoned)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    totals = Totals()
    for round_number in range(ROUNDS):
        run_round(round_number, rng, totals, monkeypatch)
    aws.reset()
    pipeline.services_from_env.cache_clear()
    with capsys.disabled():
        print(report(totals))

    assert totals.uploaded == ROUNDS * UPLOADS_PER_ROUND >= 500
    assert totals.stored == totals.uploaded  # nothing lost
    assert totals.duplicate_results == 0
    assert totals.missing == 0
    assert totals.doubled == 0
    assert totals.told_twice == 0
    assert totals.stray == 0
    assert totals.followups > 0  # cross-year findings were noticed as news under the faults too
    assert totals.followup_rules <= CROSS_YEAR_ERRORS
    assert totals.exactly_once == totals.expected_notices
    assert totals.poison_unreadable == totals.poison == ROUNDS * POISON_PER_ROUND
    assert totals.dead_letters == 0  # no healthy report dead-lettered
    # and the faults did happen, on every path
    for fault in (
        "dynamodb call lost before the service (botocore retried)",
        "dynamodb call applied, its response lost (botocore retried)", "dynamodb error after botocore's retries",
        "batch write left unprocessed", "sns publish failed", "crash after storing, before the notice",
        "crash after claiming, before publishing", "crash after publishing, before recording it",
    ):  # fmt: skip
        assert totals.injected[fault] > 0, fault
    assert totals.swept > 0
    assert totals.deliveries > totals.uploaded  # duplicates and redeliveries
    assert totals.failed_invocations == 0  # a failing batch is answered, never raised


def report(totals: Totals) -> str:
    rows = [
        ("uploads (objects)", totals.uploaded),
        ("stored results", totals.stored),
        ("duplicate results", totals.duplicate_results),
        ("reports that must be noticed (outside the crash window)", totals.expected_notices),
        ("  noticed exactly once", totals.exactly_once),
        ("  never noticed", totals.missing),
        ("  noticed more than once", totals.doubled),
        ("notices to reports without errors", totals.stray),
        ("follow-up notices (errors new since: cross-year)", totals.followups),
        ("clean reports noticed for a cross-year error only", totals.cross_year_first),
        ("reports with an error told twice (outside the crash window)", totals.told_twice),
        ("crash between SNS accepting and recording (counted apart)", totals.crash_window),
        ("  of which noticed twice", totals.crash_window_doubled),
        ("poison files stored as unreadable", f"{totals.poison_unreadable} / {totals.poison}"),
        ("dead-lettered notifications", totals.dead_letters),
        ("SQS deliveries / invocations", f"{totals.deliveries} / {totals.invocations}"),
        ("invocations that crashed / raised", f"{totals.crashed_invocations} / {totals.failed_invocations}"),
        ("records failed back to the queue", totals.failed_records),
        ("records re-queued for lack of time", totals.requeued),
        ("sweeps (failed) / notices the sweeper sent", f"{totals.sweeps} ({totals.failed_sweeps}) / {totals.swept}"),
        ("virtual time (hours)", f"{totals.virtual_hours:.1f}"),
    ]
    rows += [(f"injected: {name}", count) for name, count in sorted(totals.injected.items())]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'fault-injection run':<{width}} | {'':>9} |", f"|{'-' * (width + 2)}|{'-' * 11}|"]
    lines += [f"| {name:<{width}} | {value!s:>9} |" for name, value in rows]
    return "\n" + "\n".join(lines)
