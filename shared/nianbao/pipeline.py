"""The pipeline's one use case: an uploaded object is checked, stored and, when it has errors,
noticed; every object ends as a stored result.

Idempotent on the object's identity (bucket, key, version or ETag): the report id hashes it, the
record is written only if absent, and the notice is claimed before it is sent, so a redelivered
notification writes nothing twice and sends no second notice. A report that fails its checks,
or cannot be read, or was deleted before it was read, is a stored result. Only AWS failures
(throttling, 5xx, timeouts; botocore has already retried them) raise, so that SQS retries the
record and, in the end, dead-letters it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from nianbao import aws
from nianbao.check import check_bytes, unreadable
from nianbao.config import Settings
from nianbao.contract import report_dict
from nianbao.extract import size_text
from nianbao.model import CheckResult, Finding, Report, Severity, Status
from nianbao.notify import UNKNOWN_DIVISION, Notifier, compose
from nianbao.rules.catalog import finding
from nianbao.store import FindingsStore, NoticeState, StoredReport

log = logging.getLogger(__name__)

_KEY = re.compile(r"^reports/(?P<division>\d{2,12})/(?P<year>\d{4})/")
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


class NoticeInFlightError(RuntimeError):
    """Another delivery holds the notice's claim: retry later, when it has sent it or let go."""


class OutOfTimeError(RuntimeError):
    """Too little of the invocation is left to check one more object within its limits: SQS
    delivers it again, to an invocation with time for it."""


class Deadline:
    """Admits an invocation's objects while there is time to check each within its limits. The
    first object always runs: a later invocation would have no more time for it."""

    def __init__(self, remaining_ms: Callable[[], int], seconds_per_object: float) -> None:
        self._remaining_ms = remaining_ms
        self._needed = seconds_per_object
        self._admitted = 0

    def admit(self) -> None:
        left = self._remaining_ms() / 1000
        if self._admitted and left < self._needed:
            raise OutOfTimeError(f"{left:.0f} s left, an object may need {self._needed:.0f} s")
        self._admitted += 1


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str  # decoded
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @property
    def identity(self) -> str:
        return self.version_id or (self.etag or "").strip('"')

    @property
    def report_id(self) -> str:
        return hashlib.sha256(f"{self.bucket}\0{self.key}\0{self.identity}".encode()).hexdigest()[:32]

    @property
    def division(self) -> str:
        match = _KEY.match(self.key)
        return match["division"] if match else UNKNOWN_DIVISION

    @property
    def key_year(self) -> int | None:
        match = _KEY.match(self.key)
        return int(match["year"]) if match else None

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def s3_objects(body: dict[str, Any]) -> list[S3Object]:
    """The objects an S3 notification names (as SQS delivers it); S3's test event names none.

    Accepts what AWS sends and moto's leaner events alike. Keys arrive URL-encoded (a space as
    ``+``) and are decoded here, exactly once.
    """
    from aws_lambda_powertools.utilities.data_classes import S3Event  # noqa: PLC0415

    if body.get("Event") == "s3:TestEvent" or not body.get("Records"):
        return []
    objects = []
    for record in S3Event(body).records:
        if not record.event_name.startswith("ObjectCreated"):
            continue
        # the object's fields from the record itself: moto leaves some out, and the data class
        # would raise on a missing size; the key is decoded here, once (the data class does not)
        created = record.s3.get_object.raw_event
        if created["key"].endswith("/"):
            continue  # a "folder" the S3 console creates: not a report
        size = created.get("size")
        objects.append(
            S3Object(
                bucket=record.s3.bucket.name,
                key=unquote_plus(created["key"]),
                version_id=created.get("versionId") or None,
                etag=created.get("eTag") or None,
                size=int(size) if size is not None else None,
            )
        )
    return objects


class Outcome(BaseModel):
    report_id: str
    status: Status
    stored: bool  # False: an earlier delivery had stored it
    notice: NoticeState
    noticed: bool = False  # this delivery sent the notice


@dataclass
class Services:
    s3: Any
    store: FindingsStore
    notifier: Notifier
    settings: Settings
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


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


def process(obj: S3Object, services: Services) -> Outcome:
    """Check ``obj`` unless it was checked already, store the result, send its notice once."""
    report = services.store.get(obj.report_id)
    stored = False
    findings: list[Finding] | None = None  # what this delivery stored, so the notice need not read it back
    if report is None:
        report, findings, stored = _store(obj, _check(obj, services), services)
        if not stored:  # a concurrent delivery stored it first
            report, findings = services.store.get(obj.report_id) or report, None
    notice, noticed = _notify(report, findings, services)
    return Outcome(report_id=report.report_id, status=report.status, stored=stored, notice=notice, noticed=noticed)


def _store(obj: S3Object, result: CheckResult, services: Services) -> tuple[StoredReport, list[Finding], bool]:
    """Write the result; a result that cannot be stored as it is (a defect of ours, never an AWS
    error) is stored as a failed check instead, so that the object still ends as a record.
    Returns the record, the findings written with it, and False when it was there already."""
    try:
        report = _record(obj, result, services.now())
        return report, result.findings, services.store.save(report, result.findings)
    except (BotoCoreError, ClientError):
        raise
    except Exception:
        log.exception("storing the result of %s failed", obj.source)
        failed = _check_failed(obj)
        report = _record(obj, failed, services.now())
        return report, failed.findings, services.store.save(report, failed.findings)


def _check_failed(obj: S3Object) -> CheckResult:
    """Our defect, not the file's: recorded for the dashboard and the operators, and kept out of
    the offices' notices (``CHECK_FAILED`` never asks them to correct anything)."""
    return CheckResult(
        report=Report(source=obj.source, looks_like_report=False),
        findings=[finding("CHECK_FAILED", CHECK_FAILED_MESSAGE)],
        status=Status.UNREADABLE,
    )


def _check(obj: S3Object, services: Services) -> CheckResult:
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
        return unreadable(obj.source, reason)
    length = int(response.get("ContentLength") or 0)
    if length > limits.max_bytes:
        response["Body"].close()
        return unreadable(obj.source, f"文件大小 {size_text(length)}，超过 {size_text(limits.max_bytes)} 的上限")
    data = response["Body"].read()
    try:
        return check_bytes(data, obj.source, limits)
    except Exception:  # a defect of ours must not loop through retries: store it, log it
        log.exception("checking %s failed", obj.source)
        return _check_failed(obj)


def _record(obj: S3Object, result: CheckResult, now: datetime) -> StoredReport:
    contract = report_dict(result)
    report = result.report
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
        notice=NoticeState.PENDING if _for_offices(result) else NoticeState.NONE,
    )


def _for_offices(result: CheckResult) -> bool:
    """Offices hear of errors in their reports, not of our failures to check them."""
    return any(f.severity is Severity.ERROR and f.code != "CHECK_FAILED" for f in result.findings)


def _notify(report: StoredReport, findings: list[Finding] | None, services: Services) -> tuple[NoticeState, bool]:
    """Send the report's notice if it is due and no other delivery has: at most once. ``findings``
    are the report's when this delivery stored them, else they are read from the table. Returns
    the notice's state and whether this call published it."""
    if report.notice in (NoticeState.NONE, NoticeState.SENT):
        return report.notice, False
    store = services.store
    if not store.claim_notice(report.report_id, services.now(), services.settings.notice_lease_seconds):
        current = store.get(report.report_id)
        if current is not None and current.notice is NoticeState.SENT:
            return NoticeState.SENT, False
        raise NoticeInFlightError(f"the notice of {report.report_id} is being sent by another delivery")
    notice = compose(report, store.findings(report.report_id) if findings is None else findings)
    if notice is None:  # the record said errors but holds none: nothing to say
        store.notice_sent(report.report_id, "")
        return NoticeState.SENT, False
    try:
        message_id = services.notifier.publish(notice)
    except Exception:
        store.release_notice(report.report_id)  # let the retry claim it at once
        raise
    store.notice_sent(report.report_id, message_id)
    return NoticeState.SENT, True
