"""S3 notifications as SQS delivers them: which objects they name, decoded exactly once.

AWS's events (a versioned bucket) name the object's version, its ``sequencer`` (the order of the
events of one key) and the principal that put it; moto's leave all three out, and the ETag is
then the object's identity.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

UNKNOWN_DIVISION = "000000"  # the division of a key outside reports/<division>/<year>/
_KEY = re.compile(r"^reports/(?P<division>\d{2,12})/(?P<year>\d{4})/")


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str  # decoded
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    sequencer: str | None = None
    event_time: str | None = None
    uploader: str | None = None  # the principal that put the object, as S3 names it

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
        raw = record.raw_event
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
                sequencer=created.get("sequencer") or None,
                event_time=raw.get("eventTime") or None,
                uploader=(raw.get("userIdentity") or {}).get("principalId") or None,
            )
        )
    return objects


def notification(obj: S3Object) -> dict[str, Any]:
    """The S3 notification of ``obj`` alone, in S3's own form (the key URL-encoded), which
    ``s3_objects`` reads back as the same object. A scan handed on to OcrReport travels as this, so
    that its queue holds what the reports queue holds and a dead letter of either redrives alike.
    The original event's kind (Put, Copy, ...) is not kept: nothing reads it."""
    created: dict[str, Any] = {"key": quote_plus(obj.key, safe="/")}
    optional = {"size": obj.size, "eTag": obj.etag, "versionId": obj.version_id, "sequencer": obj.sequencer}
    created |= {name: value for name, value in optional.items() if value is not None}
    record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": obj.bucket}, "object": created},
    }
    if obj.event_time:
        record["eventTime"] = obj.event_time
    if obj.uploader:
        record["userIdentity"] = {"principalId": obj.uploader}
    return {"Records": [record]}
