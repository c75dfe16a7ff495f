"""The findings table (DynamoDB): one report record and its findings per checked object.

Key design (see template.yaml for the table and its indexes):

    REPORT#<id> / REPORT          the report record
    REPORT#<id> / FINDING#<nnnn>  one item per finding
    ByYear   YEAR#<y>        / DIV#<division>#<received>#<id>
    ByStatus STATUS#<status> / YEAR#<y>#DIV#<division>#<id>
    ByRule   RULE#<code>     / YEAR#<y>#DIV#<division>#<id>#<nnnn>   (finding items)
    ByBody   BODY#<division>#<agency> / YEAR#<y>#<received>
    ByNoticeDue NOTICE#<shard> / <due>#<id>   (report records whose notice is not sent yet)

A report is written in one transaction with its findings, on condition that it does not exist
yet: a redelivered notification writes nothing twice, and a write cannot half-succeed. Numbers
go in as ints and Decimals, never floats.

The notice is an outbox in the report record: written ``pending`` in the same transaction as the
result, claimed (``sending``, with a lease and a token) by whoever publishes it, ``sent`` after.
While it is not sent the record sits in the sparse ``ByNoticeDue`` index under the time after
which the sweeper may take it: a few minutes after it was stored, or when a claim's lease runs out.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from nianbao.aws import persist
from nianbao.model import Finding, Status
from nianbao.normalize import squeeze

REPORT = "REPORT"
# index -> the prefix of its key attributes (GSI1PK / GSI1SK ...), as template.yaml declares them
_INDEX_KEYS = {"ByYear": "GSI1", "ByStatus": "GSI2", "ByRule": "GSI3", "ByBody": "GSI4", "ByNoticeDue": "GSI5"}
# Unsent notices are spread over 16 partitions of ByNoticeDue (by the id's first hex digit), so
# that the end-of-January peak writes no single hot key.
NOTICE_SHARDS = "0123456789abcdef"
# A transaction holds at most 100 items: the report and 99 findings; the rest ride in the record.
MAX_FINDING_ITEMS = 99
_MAX_OVERFLOW_BYTES = 200_000  # keeps the record well under DynamoDB's 400 KB item limit


class NoticeState(StrEnum):
    NONE = "none"  # no error: nothing to send
    PENDING = "pending"
    SENDING = "sending"  # claimed by one delivery
    SENT = "sent"
    FAILED = "failed"  # could not be published after many attempts: for the operators


@dataclass(frozen=True)
class Claim:
    """The right to send one report's notice until the lease runs out."""

    token: str
    attempts: int  # claims taken on this notice so far, this one included


class StoredReport(BaseModel):
    """The report record: what the dashboard lists and notices are made from."""

    report_id: str
    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    division: str
    key_year: int | None = None
    year: int | None = None
    agency: str | None = None
    title: str | None = None
    format: str
    file_type: str
    status: Status
    counts: dict[str, int]
    sections: dict[str, bool] = Field(default_factory=dict)
    tables: dict[str, Any] = Field(default_factory=dict)
    published: str | None = None
    received_at: str
    checked_at: str
    finding_count: int = 0
    extraction_notes: list[str] = Field(default_factory=list)
    uploader: str | None = None  # the principal S3 names in the event (who put the object)
    sequencer: str | None = None  # S3's order of the events of one key
    event_time: str | None = None
    notice: NoticeState = NoticeState.NONE
    notice_due_at: str | None = None  # when the sweeper may take the notice if it is still not sent
    notice_claimed_at: str | None = None
    notice_claim: str | None = None  # the token of the delivery that holds the claim
    notice_message_id: str | None = None
    notice_sent_at: str | None = None
    notice_attempts: int = 0
    notice_failed_at: str | None = None

    @property
    def listed_year(self) -> int:
        return self.year or self.key_year or 0


class StoredFinding(BaseModel):
    report_id: str
    index: int
    finding: Finding


# --- DynamoDB values ----------------------------------------------------------------------------


_MAX_DIGITS = 38  # DynamoDB numbers: 38 significant digits


def to_dynamo(value: Any) -> Any:
    """Python values as boto3 serialises them: floats become Decimals (DynamoDB has no floats);
    a number DynamoDB cannot hold (a misread run of digits) is kept as its text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(str(value))
    if isinstance(value, int | Decimal):
        digits = value.as_tuple().digits if isinstance(value, Decimal) else str(abs(value))
        return value if len(digits) <= _MAX_DIGITS else str(value)
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """Decimals back to ints (counts) or floats (amounts)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, set):
        return [from_dynamo(v) for v in sorted(value)]
    return value


def stamp(moment: datetime) -> str:
    """A time as the notice fields and keys hold it: UTC, fixed width, so that text order is time
    order (``isoformat`` drops zero microseconds and keeps the offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shift(moment: datetime, seconds: float) -> str:
    return stamp(moment + timedelta(seconds=seconds))


def _agency_key(agency: str | None) -> str:
    return squeeze(agency or "")


def _bounded_json(values: list[dict[str, Any]], limit: int) -> str:
    """A JSON list of as many whole ``values`` as fit in ``limit`` bytes (the report item keeps
    ``finding_count``, the full number)."""
    kept, size = [], 2
    for value in values:
        size += len(json.dumps(value, ensure_ascii=False).encode()) + 1
        if size > limit:
            break
        kept.append(value)
    return json.dumps(kept, ensure_ascii=False)


def report_item(report: StoredReport, overflow: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    year = f"{report.listed_year:04d}"
    item = report.model_dump(mode="json") | {
        "PK": f"REPORT#{report.report_id}",
        "SK": REPORT,
        "GSI1PK": f"YEAR#{year}",
        "GSI1SK": f"DIV#{report.division}#{report.received_at}#{report.report_id}",
        "GSI2PK": f"STATUS#{report.status.value}",
        "GSI2SK": f"YEAR#{year}#DIV#{report.division}#{report.report_id}",
    }
    if report.agency:
        item["GSI4PK"] = f"BODY#{report.division}#{_agency_key(report.agency)}"
        item["GSI4SK"] = f"YEAR#{year}#{report.received_at}"
    if report.notice in (NoticeState.PENDING, NoticeState.SENDING) and report.notice_due_at:
        item |= _due_keys(report.report_id, report.notice_due_at)
    if overflow:
        item["more_findings"] = _bounded_json(overflow, _MAX_OVERFLOW_BYTES)
    encoded: dict[str, Any] = to_dynamo(item)
    return encoded


def _due_keys(report_id: str, due_at: str) -> dict[str, str]:
    return {"GSI5PK": f"NOTICE#{report_id[0]}", "GSI5SK": f"{due_at}#{report_id}"}


def finding_item(report: StoredReport, index: int, finding: Finding) -> dict[str, Any]:
    year = f"{report.listed_year:04d}"
    encoded: dict[str, Any] = to_dynamo(
        {
            "PK": f"REPORT#{report.report_id}",
            "SK": f"FINDING#{index:04d}",
            "GSI3PK": f"RULE#{finding.code}",
            "GSI3SK": f"YEAR#{year}#DIV#{report.division}#{report.report_id}#{index:04d}",
            "report_id": report.report_id,
            "index": index,
            "finding": finding.model_dump(mode="json"),
        }
    )
    return encoded


def _report(item: dict[str, Any]) -> StoredReport:
    return StoredReport.model_validate(from_dynamo(item))


def _finding(item: dict[str, Any]) -> StoredFinding:
    return StoredFinding.model_validate(from_dynamo(item))


class FindingsStore:
    """Reads and writes the findings table through a boto3 DynamoDB client passed in."""

    def __init__(
        self, client: Any, table_name: str, *, attempts: int = 5, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: PLC0415

        self._client = client
        self._table = table_name
        self._attempts = attempts
        self._sleep = sleep
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._serialize(v) for k, v in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._deserialize(v) for k, v in item.items()}

    # --- writes ---------------------------------------------------------------------------------

    def save(self, report: StoredReport, findings: list[Finding]) -> bool:
        """Write the report and its findings at once; False when the report is already stored.

        A transaction that loses a race or is throttled is tried again here (a few seconds at
        most) rather than sending the whole object back through SQS."""
        items = [finding_item(report, i, f) for i, f in enumerate(findings[:MAX_FINDING_ITEMS], start=1)]
        overflow = [f.model_dump(mode="json") for f in findings[MAX_FINDING_ITEMS:]]
        record = report_item(report, overflow)
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._encode(record),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        actions += [{"Put": {"TableName": self._table, "Item": self._encode(item)}} for item in items]
        # One token for every attempt of this write: DynamoDB answers a retry of a transaction it
        # has already applied (its response lost on the way) with success instead of a failed
        # condition. Where that answer is a failed condition anyway (moto, or after 10 minutes),
        # the caller reads the stored record back, which is the same outcome.
        token = uuid.uuid4().hex
        try:
            self._persist(lambda: self._client.transact_write_items(TransactItems=actions, ClientRequestToken=token))
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def claim_notice(self, report_id: str, now: datetime, lease_seconds: int) -> Claim | None:
        """Take the right to send the report's notice for ``lease_seconds``; None when it is sent,
        or held by a claim that has not expired."""
        token = uuid.uuid4().hex
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(report_id),
                UpdateExpression=(
                    "SET notice = :sending, notice_claimed_at = :now, notice_claim = :token, GSI5SK = :due "
                    "ADD notice_attempts :one"
                ),
                # the last clause: a retry of this very claim, applied once already (its response lost)
                ConditionExpression=(
                    "notice = :pending OR (notice = :sending AND notice_claimed_at < :stale) OR notice_claim = :token"
                ),
                ExpressionAttributeValues=self._encode(
                    {
                        ":sending": NoticeState.SENDING.value,
                        ":pending": NoticeState.PENDING.value,
                        ":now": stamp(now),
                        ":stale": _shift(now, -lease_seconds),
                        ":token": token,
                        ":due": _due_keys(report_id, _shift(now, lease_seconds))["GSI5SK"],
                        ":one": 1,
                    }
                ),
                ReturnValues="UPDATED_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        attempts = self._decode(response.get("Attributes", {})).get("notice_attempts", 1)
        return Claim(token, int(attempts))

    def notice_failed(self, report_id: str, token: str, now: datetime) -> None:
        """Give up on a notice that cannot be published: out of the sweeper's index, for the
        operators (the log and the NoticesFailed metric say which)."""
        self._as_holder(
            report_id,
            token,
            "SET notice = :state, notice_failed_at = :now REMOVE GSI5PK, GSI5SK, notice_claim",
            {":state": NoticeState.FAILED.value, ":now": stamp(now)},
        )

    def release_notice(self, report_id: str, token: str, now: datetime) -> None:
        """Give a claimed notice back (publishing failed): pending again and due at once, so that
        the sweeper's next round sends it."""
        self._as_holder(
            report_id,
            token,
            "SET notice = :state, GSI5SK = :due REMOVE notice_claimed_at, notice_claim",
            {":state": NoticeState.PENDING.value, ":due": _due_keys(report_id, stamp(now))["GSI5SK"]},
        )

    def notice_sent(self, report_id: str, token: str, message_id: str, now: datetime) -> bool:
        """Record that the notice went out (tried again in-process: a publish whose record is
        lost would be sent a second time by the sweeper). False when the claim was no longer
        this delivery's: it ran past its lease and another delivery took it over."""
        return self._as_holder(
            report_id,
            token,
            "SET notice = :state, notice_message_id = :id, notice_sent_at = :now "
            "REMOVE GSI5PK, GSI5SK, notice_claim, notice_due_at",
            {":state": NoticeState.SENT.value, ":id": message_id, ":now": stamp(now)},
            # a retry of this very record, applied once already (its response lost on the way)
            already="(notice = :state AND notice_message_id = :id)",
        )

    def _as_holder(self, report_id: str, token: str, update: str, values: dict[str, Any], already: str = "") -> bool:
        """An update of the notice by the holder of its claim ``token`` only (or, with
        ``already``, where that condition shows the update was applied before), tried again
        in-process on transient errors; False when the claim is no longer ``token``'s."""
        condition = "notice_claim = :token" + (f" OR {already}" if already else "")
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._key(report_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=self._encode(values | {":token": token}),
                )
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _key(self, report_id: str) -> dict[str, Any]:
        return self._encode({"PK": f"REPORT#{report_id}", "SK": REPORT})

    def _persist(self, call: Callable[[], Any]) -> Any:
        return persist(call, attempts=self._attempts, sleep=self._sleep)

    # --- reads ----------------------------------------------------------------------------------

    def get(self, report_id: str) -> StoredReport | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(report_id), ConsistentRead=True)
        item = response.get("Item")
        return _report(self._decode(item)) if item else None

    def findings(self, report_id: str) -> list[Finding]:
        """The report's findings in order (one query: the record and its finding items). A
        consistent read: a notice composed from it must hold everything that was written."""
        items = self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": f"REPORT#{report_id}"},
            ConsistentRead=True,
        )
        found: list[Finding] = []
        overflow: list[Any] = []
        for item in items:
            if item["SK"] == REPORT:
                overflow = json.loads(item.get("more_findings") or "[]")
            else:
                found.append(_finding(item).finding)
        return found + [Finding.model_validate(f) for f in overflow]

    def by_year(self, year: int, division_prefix: str = "") -> list[StoredReport]:
        """Reports of ``year`` under a division prefix (630122 a county, 6301 a city, 63 a province)."""
        return [_report(i) for i in self._begins("ByYear", f"YEAR#{year:04d}", f"DIV#{division_prefix}")]

    def by_status(self, status: Status, year: int | None = None, division_prefix: str = "") -> list[StoredReport]:
        prefix = f"YEAR#{year:04d}#DIV#{division_prefix}" if year is not None else "YEAR#"
        return [_report(i) for i in self._begins("ByStatus", f"STATUS#{status.value}", prefix)]

    def by_rule(self, code: str, year: int | None = None, division_prefix: str = "") -> list[StoredFinding]:
        prefix = f"YEAR#{year:04d}#DIV#{division_prefix}" if year is not None else "YEAR#"
        return [_finding(i) for i in self._begins("ByRule", f"RULE#{code}", prefix)]

    def _begins(self, index: str, partition: str, prefix: str) -> list[dict[str, Any]]:
        """Every item of an index's partition whose sort key starts with ``prefix``."""
        keys = _INDEX_KEYS[index]
        return self._query(
            IndexName=index,
            KeyConditionExpression=f"{keys}PK = :partition AND begins_with({keys}SK, :prefix)",
            ExpressionAttributeValues={":partition": partition, ":prefix": prefix},
        )

    def due_notices(self, now: datetime) -> list[str]:
        """The reports whose notice is due for the sweeper at ``now``: pending past their grace
        time, or claimed by a delivery whose lease has run out. The index is eventually
        consistent; claiming (a conditional write on the record) decides."""
        due: list[str] = []
        for shard in NOTICE_SHARDS:
            items = self._query(
                IndexName="ByNoticeDue",
                KeyConditionExpression="GSI5PK = :shard AND GSI5SK <= :now",
                ExpressionAttributeValues={":shard": f"NOTICE#{shard}", ":now": f"{stamp(now)}#~"},
            )
            due.extend(str(item["report_id"]) for item in items)
        return due

    def last_year(self, division: str, agency: str, year: int) -> StoredReport | None:
        """The latest report the same body (division and name) filed for the year before ``year``."""
        items = self._query(
            IndexName="ByBody",
            KeyConditionExpression="GSI4PK = :body AND begins_with(GSI4SK, :year)",
            ExpressionAttributeValues={
                ":body": f"BODY#{division}#{_agency_key(agency)}",
                ":year": f"YEAR#{year - 1:04d}",
            },
            ScanIndexForward=False,
            Limit=1,
            first_page_only=True,
        )
        return _report(items[0]) if items else None

    def _query(self, *, first_page_only: bool = False, **kwargs: Any) -> list[dict[str, Any]]:
        kwargs["ExpressionAttributeValues"] = self._encode(kwargs["ExpressionAttributeValues"])
        return list(self._pages(kwargs, first_page_only=first_page_only))

    def _pages(self, kwargs: dict[str, Any], *, first_page_only: bool) -> Iterator[dict[str, Any]]:
        while True:
            response = self._client.query(TableName=self._table, **kwargs)
            yield from (self._decode(item) for item in response.get("Items", []))
            if first_page_only or "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
