"""The findings table (DynamoDB): one report record and its findings per checked object.

Key design (see template.yaml for the table and its indexes):

    REPORT#<id> / REPORT          the report record
    REPORT#<id> / FINDING#<nnnn>  one item per finding
    ByYear   YEAR#<y>        / DIV#<division>#<received>#<id>
    ByStatus STATUS#<status> / YEAR#<y>#DIV#<division>#<id>
    ByRule   RULE#<code>     / YEAR#<y>#DIV#<division>#<id>#<nnnn>   (finding items)
    ByBody   BODY#<division>#<agency> / YEAR#<y>#<received>

A report is written in one transaction with its findings, on condition that it does not exist
yet: a redelivered notification writes nothing twice, and a write cannot half-succeed. Numbers
go in as ints and Decimals, never floats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from nianbao.model import Finding, Status
from nianbao.normalize import squeeze

REPORT = "REPORT"
# index -> the prefix of its key attributes (GSI1PK / GSI1SK ...), as template.yaml declares them
_INDEX_KEYS = {"ByYear": "GSI1", "ByStatus": "GSI2", "ByRule": "GSI3", "ByBody": "GSI4"}
# A transaction holds at most 100 items: the report and 99 findings; the rest ride in the record.
MAX_FINDING_ITEMS = 99
_MAX_OVERFLOW_BYTES = 200_000  # keeps the record well under DynamoDB's 400 KB item limit


class NoticeState(StrEnum):
    NONE = "none"  # no error: nothing to send
    PENDING = "pending"
    SENDING = "sending"  # claimed by one delivery
    SENT = "sent"


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
    notice: NoticeState = NoticeState.NONE
    notice_claimed_at: str | None = None
    notice_message_id: str | None = None

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
    if overflow:
        item["more_findings"] = _bounded_json(overflow, _MAX_OVERFLOW_BYTES)
    encoded: dict[str, Any] = to_dynamo(item)
    return encoded


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

    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: PLC0415

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _encode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._serialize(v) for k, v in item.items()}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._deserialize(v) for k, v in item.items()}

    # --- writes ---------------------------------------------------------------------------------

    def save(self, report: StoredReport, findings: list[Finding]) -> bool:
        """Write the report and its findings at once; False when the report is already stored."""
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
        try:
            self._client.transact_write_items(TransactItems=actions)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def claim_notice(self, report_id: str, now: datetime, lease_seconds: int) -> bool:
        """Take the right to send the report's notice; False when it is sent, or being sent by a
        delivery whose claim has not expired."""
        stale = datetime.fromtimestamp(now.timestamp() - lease_seconds, tz=now.tzinfo).isoformat()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._encode({"PK": f"REPORT#{report_id}", "SK": REPORT}),
                UpdateExpression="SET notice = :sending, notice_claimed_at = :now",
                ConditionExpression="notice = :pending OR (notice = :sending AND notice_claimed_at < :stale)",
                ExpressionAttributeValues=self._encode(
                    {
                        ":sending": NoticeState.SENDING.value,
                        ":pending": NoticeState.PENDING.value,
                        ":now": now.isoformat(),
                        ":stale": stale,
                    }
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_notice(self, report_id: str) -> None:
        """Give a claimed notice back (its sending failed) so that the next delivery can send it."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._encode({"PK": f"REPORT#{report_id}", "SK": REPORT}),
                UpdateExpression="SET notice = :pending REMOVE notice_claimed_at",
                ConditionExpression="notice = :sending",
                ExpressionAttributeValues=self._encode(
                    {":pending": NoticeState.PENDING.value, ":sending": NoticeState.SENDING.value}
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def notice_sent(self, report_id: str, message_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._encode({"PK": f"REPORT#{report_id}", "SK": REPORT}),
            UpdateExpression="SET notice = :sent, notice_message_id = :id",
            ExpressionAttributeValues=self._encode({":sent": NoticeState.SENT.value, ":id": message_id}),
        )

    # --- reads ----------------------------------------------------------------------------------

    def get(self, report_id: str) -> StoredReport | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=self._encode({"PK": f"REPORT#{report_id}", "SK": REPORT}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _report(self._decode(item)) if item else None

    def findings(self, report_id: str) -> list[Finding]:
        """The report's findings in order (one query: the record and its finding items)."""
        items = self._query(KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": f"REPORT#{report_id}"})
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
