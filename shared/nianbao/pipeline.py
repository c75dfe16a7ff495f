"""The pipeline's one use case: an uploaded object is checked, stored and, when it has errors,
noticed; every object ends as a stored result. A scan met where OCR is not installed (ProcessReport)
is handed on to the function that reads it (nianbao.handover), which stores it through this same
use case.

Idempotent on the object's identity (bucket, key, version or ETag): the report id hashes it and
the record is written only if absent, so a redelivered notification writes nothing twice. The
notice is an outbox in the record (nianbao.outbox): sent right after, or by the sweeper. The check
runs in a child process with memory, CPU and wall-clock limits (nianbao.isolate): a file that
kills its child is an unreadable result, and the rest of the batch is unaffected. A report that
fails its checks, or cannot be read, or was deleted before it was read, is a stored result. Only
AWS failures (throttling, 5xx, timeouts; botocore has already retried them) raise, so that SQS
retries the record and, in the end, dead-letters it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from nianbao import aws, crossyear, runs
from nianbao.check import check_bytes, unreadable
from nianbao.config import Settings
from nianbao.events import S3Object, s3_objects
from nianbao.extract import size_text
from nianbao.handover import ScanQueue, needs_ocr
from nianbao.isolate import ChildError, check_isolated
from nianbao.model import CheckResult, Finding, Report, Status
from nianbao.notify import Notifier
from nianbao.outbox import NoticeOutcome, Outbox
from nianbao.rules.catalog import finding
from nianbao.store import FindingsStore, NoticeState, StoredReport
from nianbao.store.ports import NoticePublisher, ReportStore, ScanHandover

__all__ = ["Deadline", "Outcome", "S3Object", "Services", "process", "s3_objects", "services_from_env"]

log = logging.getLogger(__name__)

# S3 errors no retry can cure: the object is gone (deleted, or replaced since the event when the
# event has no version id), or it can never be read by this function. Stored as unreadable.
_PERMANENT = dict.fromkeys(
    ("NoSuchKey", "NoSuchVersion", "404", "PreconditionFailed", "412"), "文件在核查前已被删除或替换"
) | {
    "AccessDenied": "系统无权读取该文件（可能使用了系统无法解密的 KMS 密钥加密），请以默认加密方式重新上传",
    "InvalidObjectState": "文件已转入归档存储类别，无法直接读取，请恢复或重新上传",
    "InvalidRequest": "文件使用客户提供的密钥（SSE-C）加密，系统无法读取，请以默认加密方式重新上传",
}
CHECK_FAILED_MESSAGE = "系统原因未能完成核查（已记录并通知运维人员），无需贵单位处理；修复后将重新核查。"


class Deadline:
    """Admits an invocation's records while there is time to check each of their objects within
    its limits. The first always runs: a later invocation would have no more time for it."""

    def __init__(self, remaining_ms: Callable[[], int], seconds_per_object: float) -> None:
        self._remaining_ms = remaining_ms
        self._needed = seconds_per_object
        self._admitted = 0

    def admit(self, objects: int = 1) -> bool:
        left = self._remaining_ms() / 1000
        if self._admitted and left < self._needed * objects:
            return False
        self._admitted += objects
        return True


class Outcome(BaseModel):
    report_id: str
    status: Status
    stored: bool  # False: an earlier delivery had stored it
    current: bool = True  # the report of record of its body and year (False: a newer upload exists)
    body_id: str = ""
    notice: NoticeState
    noticed: bool = False  # this delivery published the notice
    notice_deferred: bool = False  # publishing failed: the sweeper sends it
    check_failed: bool = False  # a defect of ours, recorded as CHECK_FAILED
    handed_over: bool = False  # a scan sent on to be read by OCR (nothing stored here)
    peak_rss_mb: float | None = None  # of the child that checked the file (None: not checked now)
    check_seconds: float | None = None


@dataclass
class Services:
    s3: Any
    store: ReportStore
    notifier: NoticePublisher
    settings: Settings
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    scans: ScanHandover | None = None  # where scans go to be read by OCR (None: read or left here)

    @property
    def outbox(self) -> Outbox:
        return Outbox(
            self.store,
            self.notifier,
            self.now,
            self.settings.notice_lease_seconds,
            dashboard_url=self.settings.dashboard_url,
        )


@cache
def services_from_env() -> Services:
    """The deployed function's services: settings from its environment and the clients, made once
    per process (the handler calls it at init)."""
    settings = Settings.from_env()
    return Services(
        s3=aws.client("s3"),
        store=FindingsStore(aws.client("dynamodb"), settings.findings_table),
        notifier=Notifier(aws.client("sns"), settings.notices_topic_arn),
        settings=settings,
        scans=ScanQueue(aws.client("sqs"), settings.ocr_queue_url) if settings.ocr_queue_url else None,
    )


@dataclass
class _Checked:
    result: CheckResult
    peak_rss: int | None = None
    seconds: float | None = None
    failed: bool = False


def process(obj: S3Object, services: Services) -> Outcome:
    """Check ``obj`` unless it was checked already, store the result as its body's report of
    record if it is the newest, send its notice once."""
    store = services.store
    report = store.get(obj.report_id)
    stored = False
    checked: _Checked | None = None
    findings: list[Finding] | None = None  # what this delivery stored, so the notice need not read it back
    if report is None:
        checked = _check(obj, services)
        if (scans := handover(checked, services)) is not None:
            scans.scan(obj)  # OcrReport checks it again, stores it and sends its notice
            return Outcome(
                report_id=obj.report_id, status=checked.result.status, stored=False, notice=NoticeState.NONE,
                handed_over=True, peak_rss_mb=_megabytes(checked.peak_rss), check_seconds=_rounded(checked.seconds),
            )  # fmt: skip
        report, findings, stored = _store(obj, checked, services)
        if not stored:  # a concurrent delivery stored it first
            report, findings = store.get(obj.report_id) or report, None
    # the newest upload of its body and year becomes the report of record (again, idempotently,
    # on a redelivery: a crash may have come between storing and this)
    current = store.make_current(report)
    if not current:
        report = store.get(report.report_id) or report
    notice = services.outbox.deliver(report, findings)
    if current:
        store.clear_overdue(report.body_id, report.listed_year, services.now())
        settle_neighbours(report, services)
    return _outcome(report, stored, notice, checked, current)


def handover(checked: _Checked, services: Services) -> ScanHandover | None:
    """Where to hand the file on to when its check left pages unread for want of OCR and a
    function that has it takes them (None: the result is this function's to store)."""
    if services.scans is not None and needs_ocr(checked.result):
        return services.scans
    return None


def settle_neighbours(report: StoredReport, services: Services) -> None:
    """The next year's report of the same body, and a parent's that sums its children, compare
    with this one: evaluate their cross-year findings again, and notice what is new."""
    for body_id, year in crossyear.neighbours(services.store, report):
        changed = crossyear.refresh(
            services.store,
            body_id,
            year,
            now=services.now(),
            grace_seconds=services.settings.notice_grace_seconds,
        )
        if changed is not None:
            services.outbox.deliver(changed)


def _outcome(
    report: StoredReport, stored: bool, notice: NoticeOutcome, checked: _Checked | None, current: bool
) -> Outcome:
    return Outcome(
        report_id=report.report_id,
        status=report.status,
        stored=stored,
        current=current,
        body_id=report.body_id,
        notice=notice.state,
        noticed=notice.published,
        notice_deferred=notice.deferred,
        check_failed=bool(checked and checked.failed),
        peak_rss_mb=_megabytes(checked.peak_rss) if checked else None,
        check_seconds=_rounded(checked.seconds) if checked else None,
    )


def _megabytes(size: int | None) -> float | None:
    return round(size / 1024 / 1024, 1) if size is not None else None


def _rounded(seconds: float | None) -> float | None:
    return round(seconds, 3) if seconds is not None else None


def _store(obj: S3Object, checked: _Checked, services: Services) -> tuple[StoredReport, list[Finding], bool]:
    """Write the result as the object's first run; a result that cannot be stored as it is (a
    defect of ours, never an AWS error) is stored as a failed check instead, so that the object
    still ends as a record. Returns the record, the findings written with it, and False when it
    was there already."""
    try:
        run = _run(obj, checked.result, services, check_failed=checked.failed)
        return run.report, run.plain, services.store.save_run(run.report, run.findings, run.detail)
    except (BotoCoreError, ClientError):
        raise
    except Exception:
        log.exception("storing the result of %s failed", obj.source, extra={"check_failed": True})
        checked.failed = True
        run = _run(obj, _check_failed(obj), services, check_failed=True)
        return run.report, run.plain, services.store.save_run(run.report, run.findings, run.detail)


def _run(obj: S3Object, result: CheckResult, services: Services, *, check_failed: bool) -> runs.Run:
    now = services.now()
    body, unknown = runs.attach(services.store, obj.division, result.report.agency, now)
    result = runs.with_body_finding(result, unknown)
    year = result.report.year or obj.key_year or 0
    # the cross-year rules get their history as data: last year's report, the children's
    result, facts = crossyear.with_history(result, crossyear.history_for(services.store, body, year))
    decisions = services.store.decisions(body.body_id, year)
    return runs.build(
        obj,
        result,
        body,
        decisions,
        now=now,
        grace_seconds=services.settings.notice_grace_seconds,
        check_failed=check_failed,
        facts=facts,
    )


def _check_failed(obj: S3Object) -> CheckResult:
    """Our defect, not the file's: recorded for the dashboard and the operators, and kept out of
    the offices' notices (``CHECK_FAILED`` never asks them to correct anything)."""
    return CheckResult(
        report=Report(source=obj.source, looks_like_report=False),
        findings=[finding("CHECK_FAILED", CHECK_FAILED_MESSAGE)],
        status=Status.UNREADABLE,
    )


class ObjectUnreadableError(Exception):
    """S3 will not give us the object's bytes, for a reason no retry can cure (in ``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch(obj: S3Object, s3: Any, max_bytes: int) -> bytes:
    """The bytes of exactly the object the event announced (its version, or its ETag), at most
    ``max_bytes``. Raises ObjectUnreadableError for what no retry cures (gone, replaced, a key we
    cannot use, too large); other AWS errors propagate, so that SQS delivers the record again."""
    request: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key}
    if obj.version_id:
        request["VersionId"] = obj.version_id
    elif obj.etag:  # an unversioned bucket (or moto's event): the bytes must be the ones announced
        request["IfMatch"] = obj.etag
    try:
        response = s3.get_object(**request)
    except ClientError as error:
        reason = _PERMANENT.get(error.response.get("Error", {}).get("Code", ""))
        if reason is None:
            raise  # throttling, 5xx, timeouts
        raise ObjectUnreadableError(reason) from error
    length = int(response.get("ContentLength") or 0)
    if length > max_bytes:
        response["Body"].close()
        raise ObjectUnreadableError(f"文件大小 {size_text(length)}，超过 {size_text(max_bytes)} 的上限")
    data: bytes = response["Body"].read(max_bytes + 1)
    return data


def _check(obj: S3Object, services: Services) -> _Checked:
    limits = services.settings.limits
    try:
        data = fetch(obj, services.s3, limits.max_bytes)
    except ObjectUnreadableError as error:
        return _Checked(unreadable(obj.source, error.reason))
    try:
        done = check_isolated(data, obj.source, limits, services.settings.sandbox, check=check_bytes)
    except ChildError:  # a defect of ours must not loop through retries: store it, log it
        log.exception("checking %s failed", obj.source, extra={"check_failed": True})
        return _Checked(_check_failed(obj), failed=True)
    return _Checked(done.value, done.peak_rss, done.seconds)


def sweep(services: Services, remaining_ms: Callable[[], int] | None = None) -> list[NoticeOutcome]:
    """The sweeper's use case: send every notice that is due (nianbao.outbox), while the
    invocation has time (30 s kept in hand)."""
    started = time.monotonic()

    def has_time() -> bool:
        return remaining_ms() > 30_000 if remaining_ms else time.monotonic() - started < 240

    return services.outbox.sweep(has_time)
