"""The pipeline's one use case: an uploaded object is checked, stored and, when it has errors,
noticed; every object ends as a stored result.

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
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from nianbao import aws
from nianbao.check import check_bytes, unreadable
from nianbao.config import Settings
from nianbao.contract import report_dict
from nianbao.events import S3Object, s3_objects
from nianbao.extract import size_text
from nianbao.isolate import ChildError, check_isolated
from nianbao.model import CheckResult, Finding, Report, Severity, Status
from nianbao.notify import Notifier
from nianbao.outbox import NoticeOutcome, Outbox
from nianbao.rules.catalog import finding
from nianbao.store import FindingsStore, NoticeState, StoredReport, stamp

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
    notice: NoticeState
    noticed: bool = False  # this delivery published the notice
    notice_deferred: bool = False  # publishing failed: the sweeper sends it
    check_failed: bool = False  # a defect of ours, recorded as CHECK_FAILED
    peak_rss_mb: float | None = None  # of the child that checked the file (None: not checked now)
    check_seconds: float | None = None


@dataclass
class Services:
    s3: Any
    store: FindingsStore
    notifier: Notifier
    settings: Settings
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.store, self.notifier, self.now, self.settings.notice_lease_seconds)


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
    )


@dataclass
class _Checked:
    result: CheckResult
    peak_rss: int | None = None
    seconds: float | None = None
    failed: bool = False


def process(obj: S3Object, services: Services) -> Outcome:
    """Check ``obj`` unless it was checked already, store the result, send its notice once."""
    report = services.store.get(obj.report_id)
    stored = False
    checked: _Checked | None = None
    findings: list[Finding] | None = None  # what this delivery stored, so the notice need not read it back
    if report is None:
        checked = _check(obj, services)
        report, findings, stored = _store(obj, checked, services)
        if not stored:  # a concurrent delivery stored it first
            report, findings = services.store.get(obj.report_id) or report, None
    notice = services.outbox.deliver(report, findings)
    return _outcome(report, stored, notice, checked)


def _outcome(report: StoredReport, stored: bool, notice: NoticeOutcome, checked: _Checked | None) -> Outcome:
    peak = checked.peak_rss if checked else None
    return Outcome(
        report_id=report.report_id,
        status=report.status,
        stored=stored,
        notice=notice.state,
        noticed=notice.published,
        notice_deferred=notice.deferred,
        check_failed=bool(checked and checked.failed),
        peak_rss_mb=round(peak / 1024 / 1024, 1) if peak is not None else None,
        check_seconds=round(checked.seconds, 3) if checked and checked.seconds is not None else None,
    )


def _store(obj: S3Object, checked: _Checked, services: Services) -> tuple[StoredReport, list[Finding], bool]:
    """Write the result; a result that cannot be stored as it is (a defect of ours, never an AWS
    error) is stored as a failed check instead, so that the object still ends as a record.
    Returns the record, the findings written with it, and False when it was there already."""
    try:
        report = _record(obj, checked.result, services)
        return report, checked.result.findings, services.store.save(report, checked.result.findings)
    except (BotoCoreError, ClientError):
        raise
    except Exception:
        log.exception("storing the result of %s failed", obj.source, extra={"check_failed": True})
        checked.failed = True
        failed = _check_failed(obj)
        report = _record(obj, failed, services)
        return report, failed.findings, services.store.save(report, failed.findings)


def _check_failed(obj: S3Object) -> CheckResult:
    """Our defect, not the file's: recorded for the dashboard and the operators, and kept out of
    the offices' notices (``CHECK_FAILED`` never asks them to correct anything)."""
    return CheckResult(
        report=Report(source=obj.source, looks_like_report=False),
        findings=[finding("CHECK_FAILED", CHECK_FAILED_MESSAGE)],
        status=Status.UNREADABLE,
    )


def _check(obj: S3Object, services: Services) -> _Checked:
    limits = services.settings.limits
    request: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key}
    if obj.version_id:
        request["VersionId"] = obj.version_id
    elif obj.etag:  # an unversioned bucket (or moto's event): the bytes must be the ones announced
        request["IfMatch"] = obj.etag
    try:
        response = services.s3.get_object(**request)
    except ClientError as error:
        reason = _PERMANENT.get(error.response.get("Error", {}).get("Code", ""))
        if reason is None:
            raise  # throttling, 5xx, timeouts: SQS delivers the record again
        return _Checked(unreadable(obj.source, reason))
    length = int(response.get("ContentLength") or 0)
    if length > limits.max_bytes:
        response["Body"].close()
        return _Checked(
            unreadable(obj.source, f"文件大小 {size_text(length)}，超过 {size_text(limits.max_bytes)} 的上限")
        )
    data = response["Body"].read(limits.max_bytes + 1)
    try:
        done = check_isolated(data, obj.source, limits, services.settings.sandbox, check=check_bytes)
    except ChildError:  # a defect of ours must not loop through retries: store it, log it
        log.exception("checking %s failed", obj.source, extra={"check_failed": True})
        return _Checked(_check_failed(obj), failed=True)
    return _Checked(done.value, done.peak_rss, done.seconds)


def _record(obj: S3Object, result: CheckResult, services: Services) -> StoredReport:
    now = services.now()
    contract = report_dict(result)
    report = result.report
    notice = NoticeState.PENDING if _for_offices(result) else NoticeState.NONE
    due = stamp(now + timedelta(seconds=services.settings.notice_grace_seconds))
    return StoredReport(
        report_id=obj.report_id,
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id,
        etag=obj.etag,
        size=obj.size,
        division=obj.division,
        key_year=obj.key_year,
        year=report.year,
        agency=report.agency,
        title=report.title,
        format=report.format.value,
        file_type=report.file_type,
        status=result.status,
        counts=contract["counts"],
        sections=contract["sections"],
        tables=contract["tables"],
        published=report.published_iso,
        received_at=now.isoformat(),
        checked_at=now.isoformat(),
        finding_count=len(result.findings),
        extraction_notes=report.extraction_notes,
        uploader=obj.uploader,
        sequencer=obj.sequencer,
        event_time=obj.event_time,
        notice=notice,
        notice_due_at=due if notice is NoticeState.PENDING else None,
    )


def _for_offices(result: CheckResult) -> bool:
    """Offices hear of errors in their reports, not of our failures to check them."""
    return any(f.severity is Severity.ERROR and f.code != "CHECK_FAILED" for f in result.findings)


def sweep(services: Services, remaining_ms: Callable[[], int] | None = None) -> list[NoticeOutcome]:
    """The sweeper's use case: send every notice that is due (nianbao.outbox), while the
    invocation has time (30 s kept in hand)."""
    started = time.monotonic()

    def has_time() -> bool:
        return remaining_ms() > 30_000 if remaining_ms else time.monotonic() - started < 240

    return services.outbox.sweep(has_time)
