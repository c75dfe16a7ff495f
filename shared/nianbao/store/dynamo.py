"""The findings table on DynamoDB: one table, the items and keys below, sparse indexes that
project only what lists need. A boto3 client is passed in.

    item                 PK                 SK                          indexes (key attributes)
    body                 BODY#<body>        BODY                        Bodies
    report of record     BODY#<body>        YEAR#<yyyy>                 Current, CurrentByStatus
    triage decision      BODY#<body>        TRIAGE#<yyyy>#<fp>
    triage audit         BODY#<body>        AUDIT#<yyyy>#<fp>#<at>#<n>
    report (an upload)   REPORT#<id>        REPORT                      AllReports, BodyReports, ByNoticeDue
    run detail           REPORT#<id>        RUN#<run>#DETAIL
    finding              REPORT#<id>        RUN#<run>#F#<fp>            ByRule, OpenErrors
    roster load          ROSTER#<division>  LOAD#<at>

    index            partition                 sort                                serves
    AllReports       R#<prov>#<yyyy>           <division>#<order>#<id>             every upload, prefix + year
    BodyReports      B#<body>                  <yyyy>#<order>#<id>                 a body's uploads across years
    Current          C#<prov>#<yyyy>           <division>#<body>                   current reports, prefix + year
    CurrentByStatus  S#<prov>#<yyyy>#<status>  <division>#<body>                   … by (effective) status
    ByRule           F#<code>#<prov>#<yyyy>    <division>#<body>#<id>#<run>#<fp>   findings of a rule (+ triage)
    OpenErrors       O#<prov>#<yyyy>           <division>#<body>#<code>#<id>#<fp>  errors not dismissed
    Bodies           BODIES#<prov>             <division>#<body>                   a roster's bodies; who has not filed
    ByNoticeDue      NOTICE#<id[0]>            <due>#<id>                          the notices outbox

<prov> is the division's first two digits (the province), so no list partition is one hot key for
the whole country; a list over a shorter prefix walks the provinces in order behind one cursor.

Writes: a run's findings and its detail are written first, the report item last and on
condition (the commit marker): a run half written is never visible as a report, and its items
are overwritten by the retry (the same keys). Finding and report index entries of runs that are
no longer current are dropped when lists read them (a join on the report item), so a re-check or a
newer upload never rewrites the old run. Numbers go in as ints and Decimals, never floats.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from nianbao.aws import persist
from nianbao.model import Finding, Severity, Status
from nianbao.store.records import (
    BodyRecord,
    Claim,
    Current,
    Decision,
    FindingRow,
    NoticeState,
    Overdue,
    Page,
    ReportDetail,
    ReportRow,
    RosterLoad,
    StoredFinding,
    StoredReport,
    TriageState,
    decode_cursor,
    encode_cursor,
)

REPORT = "REPORT"
# Unsent notices are spread over 16 partitions of ByNoticeDue (by the id's first hex digit).
NOTICE_SHARDS = "0123456789abcdef"
# The provinces (first two digits of a division code), and 00 for uploads outside
# reports/<division>/<year>/: the shards of every list.
PROVINCES = (
    "00", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
)  # fmt: skip
_BATCH_WRITE = 25  # DynamoDB's most per BatchWriteItem
_BATCH_GET = 100

_INDEX_KEYS = {
    "AllReports": "all",
    "BodyReports": "body",
    "Current": "cur",
    "CurrentByStatus": "st",
    "ByRule": "rule",
    "OpenErrors": "open",
    "Bodies": "bodies",
    "ByNoticeDue": "due",
}
_KEY_ATTRIBUTES = frozenset({"PK", "SK"} | {f"{k}_{p}" for k in _INDEX_KEYS.values() for p in ("pk", "sk")})


class RunConflictError(RuntimeError):
    """Another re-check replaced the run first."""


def stamp(moment: datetime) -> str:
    """A time as the table's keys hold it: UTC, fixed width, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _shift(moment: datetime, seconds: float) -> str:
    return stamp(moment + timedelta(seconds=seconds))


def province(division: str) -> str:
    return (division[:2] if len(division) >= 2 else "00").ljust(2, "0")


def provinces(prefix: str) -> list[str]:
    """The province shards a division prefix covers, in order."""
    if len(prefix) >= 2:
        return [prefix[:2]]
    return [p for p in PROVINCES if p.startswith(prefix)]


def _year(year: int) -> str:
    return f"{year:04d}"


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
    """Decimals back to ints (counts) or floats (amounts); string sets to sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, set):
        return [from_dynamo(v) for v in sorted(value)]
    return value


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    """An item without its keys: the model's fields."""
    return {k: v for k, v in from_dynamo(item).items() if k not in _KEY_ATTRIBUTES}


# --- item shapes ----------------------------------------------------------------------------------


def report_key(report_id: str) -> dict[str, str]:
    return {"PK": f"REPORT#{report_id}", "SK": REPORT}


def report_item(report: StoredReport) -> dict[str, Any]:
    year = _year(report.listed_year)
    item = report.model_dump(mode="json") | report_key(report.report_id)
    item |= {
        "all_pk": f"R#{province(report.division)}#{year}",
        "all_sk": f"{report.division}#{report.order}#{report.report_id}",
        "body_pk": f"B#{report.body_id}",
        "body_sk": f"{year}#{report.order}#{report.report_id}",
    }
    if report.notice in (NoticeState.PENDING, NoticeState.SENDING) and report.notice_due_at:
        item |= _due_keys(report.report_id, report.notice_due_at)
    encoded: dict[str, Any] = to_dynamo(item)
    return encoded


def _due_keys(report_id: str, due_at: str) -> dict[str, str]:
    return {"due_pk": f"NOTICE#{report_id[0]}", "due_sk": f"{due_at}#{report_id}"}


def finding_item(stored: StoredFinding) -> dict[str, Any]:
    finding = stored.finding
    prov, year = province(stored.division), _year(stored.year)
    where = f"{stored.division}#{stored.body_id}"
    item: dict[str, Any] = {
        "PK": f"REPORT#{stored.report_id}",
        "SK": f"RUN#{stored.run_id}#F#{stored.fingerprint}",
        **stored.model_dump(mode="json"),
        # what the list indexes project (the evidence and numbers stay in ``finding``)
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "location": finding.location.model_dump(mode="json"),
        "rule_pk": f"F#{finding.code}#{prov}#{year}",
        "rule_sk": f"{where}#{stored.report_id}#{stored.run_id}#{stored.fingerprint}",
    }
    if finding.severity is Severity.ERROR and stored.triage is not TriageState.DISMISSED:
        item |= _open_keys(stored)
    encoded: dict[str, Any] = to_dynamo(item)
    return encoded


def _open_keys(stored: StoredFinding) -> dict[str, str]:
    return {
        "open_pk": f"O#{province(stored.division)}#{_year(stored.year)}",
        "open_sk": f"{stored.division}#{stored.body_id}#{stored.finding.code}#{stored.report_id}#{stored.fingerprint}",
    }


def detail_item(detail: ReportDetail) -> dict[str, Any]:
    encoded: dict[str, Any] = to_dynamo(
        {"PK": f"REPORT#{detail.report_id}", "SK": f"RUN#{detail.run_id}#DETAIL", **detail.model_dump(mode="json")}
    )
    return encoded


def body_item(body: BodyRecord) -> dict[str, Any]:
    item: dict[str, Any] = {"PK": f"BODY#{body.body_id}", "SK": "BODY", **body.model_dump(mode="json")}
    if not body.merged_into:
        item |= {"bodies_pk": f"BODIES#{province(body.division)}", "bodies_sk": f"{body.division}#{body.body_id}"}
    encoded: dict[str, Any] = to_dynamo(item)
    return encoded


def _current_keys(body_id: str, year: int, division: str, status: Status) -> dict[str, str]:
    prov, y = province(division), _year(year)
    return {
        "cur_pk": f"C#{prov}#{y}",
        "cur_sk": f"{division}#{body_id}",
        "st_pk": f"S#{prov}#{y}#{status.value}",
        "st_sk": f"{division}#{body_id}",
    }


# --- the adapter ----------------------------------------------------------------------------------


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

    def _persist(self, call: Callable[[], Any]) -> Any:
        return persist(call, attempts=self._attempts, sleep=self._sleep)

    def _conditional(self) -> Any:
        return self._client.exceptions.ConditionalCheckFailedException

    # --- runs ---------------------------------------------------------------------------------------

    def save_run(
        self,
        report: StoredReport,
        findings: list[StoredFinding],
        detail: ReportDetail,
        *,
        replaces: str | None = None,
    ) -> bool:
        """Write a run: its findings and detail first, then the report item on condition (the
        commit marker). A first run: False when the report is stored already. A re-check
        (``replaces`` the run it was made from): RunConflictError when another replaced it first."""
        self._batch_put([finding_item(f) for f in findings] + [detail_item(detail)])
        item = self._encode(report_item(report))
        if replaces is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            # not while a notice of the old run is being published: its holder records it
            condition = {
                "ConditionExpression": "run_id = :old AND notice <> :sending",
                "ExpressionAttributeValues": self._encode({":old": replaces, ":sending": NoticeState.SENDING.value}),
            }
        try:
            self._persist(lambda: self._client.put_item(TableName=self._table, Item=item, **condition))
        except self._conditional():
            current = self.get(report.report_id)
            if current is not None and current.run_id == report.run_id:
                return True  # our own write, applied once already (its response lost on the way)
            if replaces is not None:
                raise RunConflictError(f"the run of {report.report_id} changed since {replaces}") from None
            return False
        return True

    def _batch_put(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), _BATCH_WRITE):
            requests = [{"PutRequest": {"Item": self._encode(i)}} for i in items[start : start + _BATCH_WRITE]]
            self._write_all(requests)

    def _write_all(self, requests: list[dict[str, Any]]) -> None:
        """One BatchWriteItem, its unprocessed requests sent again until none is left."""
        pending: dict[str, Any] = {self._table: requests}
        for attempt in range(self._attempts * 2):
            response = self._persist(lambda p=pending: self._client.batch_write_item(RequestItems=p))  # type: ignore[misc]
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            self._sleep(min(0.05 * 2**attempt, 2))
        raise RuntimeError(f"DynamoDB left {len(pending[self._table])} writes unprocessed")

    def get(self, report_id: str) -> StoredReport | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._encode(report_key(report_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return StoredReport.model_validate(_fields(self._decode(item))) if item else None

    def stored_findings(self, report_id: str, run_id: str | None = None) -> list[StoredFinding]:
        """The findings of a run (the report's current run unless named), in the checker's order.
        Consistent reads: a notice made from them holds everything that was written."""
        if run_id is None:
            report = self.get(report_id)
            if report is None:
                return []
            run_id = report.run_id
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :run)",
            ExpressionAttributeValues={":pk": f"REPORT#{report_id}", ":run": f"RUN#{run_id}#F#"},
            ConsistentRead=True,
        )
        found = [StoredFinding.model_validate(_fields(i)) for i in items]
        return sorted(found, key=lambda f: f.finding_index)

    def findings(self, report_id: str, run_id: str | None = None) -> list[Finding]:
        return [f.finding for f in self.stored_findings(report_id, run_id)]

    def detail(self, report_id: str, run_id: str | None = None) -> ReportDetail | None:
        if run_id is None:
            report = self.get(report_id)
            if report is None:
                return None
            run_id = report.run_id
        response = self._client.get_item(
            TableName=self._table,
            Key=self._encode({"PK": f"REPORT#{report_id}", "SK": f"RUN#{run_id}#DETAIL"}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return ReportDetail.model_validate(_fields(self._decode(item))) if item else None

    # --- the report of record -----------------------------------------------------------------------

    def make_current(self, report: StoredReport) -> bool:
        """Point ``report``'s body and year at it if it is the newest upload (by S3's event time);
        else mark it superseded by the current one. Idempotent: a report that is current already is
        refreshed (its status may have changed), and the uploads it replaced are marked superseded
        again (a crash may have come between). Returns whether it is current."""
        status = report.shown_status
        year = report.listed_year
        key = self._encode({"PK": f"BODY#{report.body_id}", "SK": f"YEAR#{_year(year)}"})
        values = {
            ":rid": report.report_id,
            ":order": report.order,
            ":division": report.division,
            ":status": status.value,
            ":counts": report.counts,
            ":agency": report.agency,
            ":body_name": report.body_name,
            ":key": report.key,
            ":checked": report.checked_at,
            ":body": report.body_id,
            ":year": year,
        } | {f":{k}": v for k, v in _current_keys(report.body_id, year, report.division, status).items()}
        fields = (
            "SET report_id = :rid, #order = :order, division = :division, #status = :status, "
            "counts = :counts, agency = :agency, body_name = :body_name, #key = :key, "
            "checked_at = :checked, body_id = :body, #year = :year, "
            "cur_pk = :cur_pk, cur_sk = :cur_sk, st_pk = :st_pk, st_sk = :st_sk"
        )
        names = {"#order": "order", "#status": "status", "#key": "key", "#year": "year"}
        attempts: tuple[tuple[str, str, dict[str, Any]], ...] = (
            # it is current already: refresh it (the history stays as it is)
            (fields, "report_id = :rid", {}),
            # it is newer than the current one (or the first): take over, and remember it
            (
                fields + ", history = list_append(if_not_exists(history, :empty), :me)",
                "attribute_not_exists(report_id) OR #order < :order",
                {":me": [report.report_id], ":empty": []},
            ),
        )
        for update, condition, extra in attempts:
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=self._encode(to_dynamo(values | extra)),
                    ReturnValues="ALL_OLD",
                )
            except self._conditional():
                continue
            old = self._decode(response.get("Attributes") or {})
            for earlier in set(old.get("history") or []) - {report.report_id}:
                self._supersede(str(earlier), report.report_id)
            return True
        current = self.current(report.body_id, year)
        if current is not None and current.report_id != report.report_id:
            self._supersede(report.report_id, current.report_id)
        return False

    def _supersede(self, report_id: str, successor: str) -> None:
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode(report_key(report_id)),
                    UpdateExpression="SET superseded_by = :next",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=self._encode({":next": successor}),
                )
            )
        except self._conditional():
            return

    def current(self, body_id: str, year: int) -> Current | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=self._encode({"PK": f"BODY#{body_id}", "SK": f"YEAR#{_year(year)}"}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item or "report_id" not in item:
            return None
        return Current.model_validate(_fields(self._decode(item)))

    def mark_noticed(self, body_id: str, year: int, fingerprints: Iterable[str]) -> None:
        """Record the errors a notice told the offices of, for this body and year: a re-check
        notices only errors that are new since."""
        told = set(fingerprints)
        if not told:
            return
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode({"PK": f"BODY#{body_id}", "SK": f"YEAR#{_year(year)}"}),
                    UpdateExpression="ADD noticed :told",
                    ConditionExpression="attribute_exists(report_id)",
                    ExpressionAttributeValues={":told": {"SS": sorted(told)}},
                )
            )
        except self._conditional():
            return

    def set_status(self, report: StoredReport, effective: Status, current: bool) -> None:
        """A report's effective status changed (a triage decision): its item, and its body and
        year's record when it is the current one. Nothing for a report that is not stored."""
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode(report_key(report.report_id)),
                    UpdateExpression="SET effective_status = :status",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=self._encode({":status": effective.value}),
                )
            )
        except self._conditional():
            return
        if current:
            self.make_current(report.model_copy(update={"effective_status": effective}))

    # --- bodies -----------------------------------------------------------------------------------------

    def put_bodies(self, bodies: list[BodyRecord]) -> None:
        """Upsert bodies (a roster's): each replaces the stored one whole."""
        self._batch_put([body_item(b) for b in bodies])

    def ensure_body(self, body: BodyRecord) -> None:
        """Store a (provisional) body unless it exists."""
        try:
            self._persist(
                lambda: self._client.put_item(
                    TableName=self._table,
                    Item=self._encode(body_item(body)),
                    ConditionExpression="attribute_not_exists(PK)",
                )
            )
        except self._conditional():
            return

    def body(self, body_id: str) -> BodyRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._encode({"PK": f"BODY#{body_id}", "SK": "BODY"}), ConsistentRead=True
        )
        item = response.get("Item")
        return BodyRecord.model_validate(_fields(self._decode(item))) if item else None

    def bodies(self, prefix: str = "", cursor: str | None = None, limit: int = 100) -> Page[BodyRecord]:
        """The bodies under a division prefix (roster bodies and provisional ones)."""
        items, next_cursor = self._paged("Bodies", [f"BODIES#{p}" for p in provinces(prefix)], prefix, cursor, limit)
        return Page([BodyRecord.model_validate(_fields(i)) for i in items], next_cursor)

    def bodies_by_id(self, body_ids: list[str]) -> dict[str, BodyRecord]:
        """The bodies of ``body_ids`` that exist, by id (batched reads)."""
        keys = [{"PK": f"BODY#{b}", "SK": "BODY"} for b in dict.fromkeys(body_ids)]
        found = (BodyRecord.model_validate(_fields(i)) for i in self._batch_get(keys, None) if "body_id" in i)
        return {body.body_id: body for body in found}

    def merge_body(self, provisional: BodyRecord, into: str) -> None:
        """Mark a provisional body re-attached to a roster's body (out of the Bodies index)."""
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode({"PK": f"BODY#{provisional.body_id}", "SK": "BODY"}),
                    UpdateExpression="SET merged_into = :into REMOVE bodies_pk, bodies_sk",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=self._encode({":into": into}),
                )
            )
        except self._conditional():
            return

    def move_report(self, report: StoredReport, body: BodyRecord) -> StoredReport:
        """Attach a report (and its current run's findings) to ``body``; returns it as moved."""
        moved = report.model_copy(update={"body_id": body.body_id, "body_name": body.name, "provisional_body": False})
        item = report_item(moved)
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode(report_key(report.report_id)),
                    UpdateExpression="SET body_id = :body, body_name = :name, provisional_body = :no, "
                    "body_pk = :bpk, body_sk = :bsk",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=self._encode(
                        {
                            ":body": body.body_id,
                            ":name": body.name,
                            ":no": False,
                            ":bpk": item["body_pk"],
                            ":bsk": item["body_sk"],
                        }
                    ),
                )
            )
        except self._conditional():
            return report  # not stored: nothing to move
        findings = [f.model_copy(update={"body_id": body.body_id}) for f in self.stored_findings(report.report_id)]
        self._batch_put([finding_item(f) for f in findings])
        return moved

    def retire_current(self, body_id: str, year: int) -> None:
        """Take a (merged provisional) body's record of a year out of the lists."""
        self._persist(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=self._encode({"PK": f"BODY#{body_id}", "SK": f"YEAR#{_year(year)}"}),
                UpdateExpression="REMOVE cur_pk, cur_sk, st_pk, st_sk",
            )
        )

    def body_years(self, body_id: str) -> list[Current]:
        """A body's report of record for each year it has filed."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :years)",
            ExpressionAttributeValues={":pk": f"BODY#{body_id}", ":years": "YEAR#"},
        )
        return [Current.model_validate(_fields(i)) for i in items if "report_id" in i]

    def save_roster_load(self, load: RosterLoad) -> None:
        item = {"PK": f"ROSTER#{load.division}", "SK": f"LOAD#{load.loaded_at}", **load.model_dump(mode="json")}
        self._persist(lambda: self._client.put_item(TableName=self._table, Item=self._encode(to_dynamo(item))))

    def roster_loads(self, division: str, limit: int = 10) -> list[RosterLoad]:
        """The latest loads of a division's roster, newest first."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :load)",
            ExpressionAttributeValues={":pk": f"ROSTER#{division}", ":load": "LOAD#"},
            ScanIndexForward=False,
            Limit=limit,
            first_page_only=True,
        )
        return [RosterLoad.model_validate(_fields(i)) for i in items]

    # --- overdue reports -----------------------------------------------------------------------------

    def record_overdue(self, overdue: Overdue) -> bool:
        """Keep that a body is overdue for a year; False when it was recorded before."""
        item = {
            "PK": f"BODY#{overdue.body_id}",
            "SK": f"OVERDUE#{_year(overdue.year)}",
            **overdue.model_dump(mode="json", exclude_none=True),
        }
        try:
            self._persist(
                lambda: self._client.put_item(
                    TableName=self._table,
                    Item=self._encode(to_dynamo(item)),
                    ConditionExpression="attribute_not_exists(PK)",
                )
            )
        except self._conditional():
            return False
        return True

    def overdue(self, body_id: str, year: int) -> Overdue | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=self._encode({"PK": f"BODY#{body_id}", "SK": f"OVERDUE#{_year(year)}"}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return Overdue.model_validate(_fields(self._decode(item))) if item else None

    def overdue_noticed(self, body_id: str, year: int, now: datetime) -> None:
        self._overdue_update(body_id, year, "SET noticed_at = :now", now)

    def clear_overdue(self, body_id: str, year: int, now: datetime) -> None:
        """A report arrived for a body recorded overdue (nothing when it was not)."""
        self._overdue_update(body_id, year, "SET cleared_at = :now", now, extra="AND attribute_not_exists(cleared_at)")

    def _overdue_update(self, body_id: str, year: int, update: str, now: datetime, extra: str = "") -> None:
        try:
            self._persist(
                lambda: self._client.update_item(
                    TableName=self._table,
                    Key=self._encode({"PK": f"BODY#{body_id}", "SK": f"OVERDUE#{_year(year)}"}),
                    UpdateExpression=update,
                    ConditionExpression=f"attribute_exists(PK) {extra}".strip(),
                    ExpressionAttributeValues=self._encode({":now": stamp(now)}),
                )
            )
        except self._conditional():
            return

    # --- triage ---------------------------------------------------------------------------------------

    def decide(self, decision: Decision) -> None:
        """Keep a decision for (body, year, fingerprint) and add it to the audit trail, at once."""
        base = {"PK": f"BODY#{decision.body_id}"}
        fields = decision.model_dump(mode="json")
        where = f"{_year(decision.year)}#{decision.fingerprint}"
        audit = base | {"SK": f"AUDIT#{where}#{decision.at}#{uuid.uuid4().hex[:8]}"} | fields
        self._persist(
            lambda: self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._encode(base | {"SK": f"TRIAGE#{where}"} | fields),
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": self._encode(audit)}},
                ]
            )
        )

    def decisions(self, body_id: str, year: int) -> dict[str, Decision]:
        """The decisions in force for a body and year, by fingerprint."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :t)",
            ExpressionAttributeValues={":pk": f"BODY#{body_id}", ":t": f"TRIAGE#{_year(year)}#"},
            ConsistentRead=True,
        )
        found = (Decision.model_validate(_fields(i)) for i in items)
        return {d.fingerprint: d for d in found}

    def history(self, body_id: str, year: int, fingerprint: str = "") -> list[Decision]:
        """Every decision ever taken on a body and year's findings (or one of them), oldest first."""
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :a)",
            ExpressionAttributeValues={
                ":pk": f"BODY#{body_id}",
                ":a": f"AUDIT#{_year(year)}#{fingerprint}" + ("#" if fingerprint else ""),
            },
            ConsistentRead=True,
        )
        found = (Decision.model_validate(_fields(i)) for i in items)
        # the prefix of "fp" also holds "fp#2" (a finding repeated in one place): exact matches only
        return sorted((d for d in found if not fingerprint or d.fingerprint == fingerprint), key=lambda d: d.at)

    def set_triage(self, stored: StoredFinding, state: TriageState) -> None:
        """A finding item of a run takes a decision's state (and leaves or rejoins OpenErrors)."""
        self._batch_put([finding_item(stored.model_copy(update={"triage": state}))])

    # --- lists --------------------------------------------------------------------------------------

    def current_reports(
        self, prefix: str, year: int, status: Status | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Current]:
        """The report of record of each body under ``prefix`` for ``year`` (by status if given)."""
        if status is None:
            index, partitions = "Current", [f"C#{p}#{_year(year)}" for p in provinces(prefix)]
        else:
            index, partitions = "CurrentByStatus", [f"S#{p}#{_year(year)}#{status.value}" for p in provinces(prefix)]
        items, next_cursor = self._paged(index, partitions, prefix, cursor, limit)
        return Page([Current.model_validate(_fields(i)) for i in items], next_cursor)

    def all_reports(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[ReportRow]:
        """Every upload under ``prefix`` for ``year``, superseded ones included."""
        items, next_cursor = self._paged(
            "AllReports", [f"R#{p}#{_year(year)}" for p in provinces(prefix)], prefix, cursor, limit
        )
        return Page([ReportRow.model_validate(_fields(i)) for i in items], next_cursor)

    def body_reports(self, body_id: str, cursor: str | None = None, limit: int = 50) -> Page[ReportRow]:
        """A body's uploads across years, oldest first."""
        items, next_cursor = self._paged("BodyReports", [f"B#{body_id}"], "", cursor, limit)
        return Page([ReportRow.model_validate(_fields(i)) for i in items], next_cursor)

    def findings_by_rule(
        self,
        code: str,
        *,
        prefix: str,
        year: int,
        triage: TriageState | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[FindingRow]:
        """The findings of one rule in current reports under ``prefix`` for ``year``."""
        partitions = [f"F#{code}#{p}#{_year(year)}" for p in provinces(prefix)]
        extra: dict[str, Any] = {}
        if triage is not None:
            extra = {"FilterExpression": "triage = :triage", "ExpressionAttributeValues": {":triage": triage.value}}
        items, next_cursor = self._paged("ByRule", partitions, prefix, cursor, limit, **extra)
        return Page(self._current_only([FindingRow.model_validate(_fields(i)) for i in items]), next_cursor)

    def open_errors(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[FindingRow]:
        """Error findings not dismissed, in current reports under ``prefix`` for ``year``."""
        partitions = [f"O#{p}#{_year(year)}" for p in provinces(prefix)]
        items, next_cursor = self._paged("OpenErrors", partitions, prefix, cursor, limit)
        return Page(self._current_only([FindingRow.model_validate(_fields(i)) for i in items]), next_cursor)

    def missing_reports(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[BodyRecord]:
        """The roster bodies under ``prefix`` with no report of record for ``year``."""
        page = self.bodies(prefix, cursor, limit)
        roster = [b for b in page.items if not b.provisional]
        keys = [{"PK": f"BODY#{b.body_id}", "SK": f"YEAR#{_year(year)}"} for b in roster]
        filed = {str(i["PK"]).removeprefix("BODY#") for i in self._batch_get(keys, "PK, report_id") if "report_id" in i}
        return Page([b for b in roster if b.body_id not in filed], page.cursor)

    def _current_only(self, rows: list[FindingRow]) -> list[FindingRow]:
        """The rows whose report is stored (committed), not superseded, and whose run is its current
        one: index entries of older runs and newer uploads are dropped here, not rewritten."""
        keys = [report_key(r) for r in sorted({row.report_id for row in rows})]
        reports = {
            str(i["report_id"]): i
            for i in self._batch_get(keys, "report_id, run_id, superseded_by")
            if "report_id" in i
        }
        return [
            row
            for row in rows
            if row.report_id in reports
            and reports[row.report_id].get("run_id") == row.run_id
            and not reports[row.report_id].get("superseded_by")
        ]

    def _batch_get(self, keys: list[dict[str, str]], projection: str | None) -> list[dict[str, Any]]:
        """The items of ``keys`` that exist (``projection``: their attributes; None: whole items)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _BATCH_GET):
            wanted: dict[str, Any] = {"Keys": [self._encode(k) for k in keys[start : start + _BATCH_GET]]}
            if projection:
                wanted["ProjectionExpression"] = projection
            request: dict[str, Any] = {self._table: wanted | {"ConsistentRead": True}}
            for _ in range(self._attempts * 2):
                response = self._persist(lambda r=request: self._client.batch_get_item(RequestItems=r))  # type: ignore[misc]
                found.extend(self._decode(i) for i in response.get("Responses", {}).get(self._table, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def _paged(
        self, index: str, partitions: list[str], prefix: str, cursor: str | None, limit: int, **extra: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of an index's partitions (walked in order) whose sort key starts with
        ``prefix``, and the cursor of the next page."""
        keys = _INDEX_KEYS[index]
        state = decode_cursor(cursor)
        shard, start = state.get("s", 0), state.get("k")
        expected = {"PK", "SK", f"{keys}_pk", f"{keys}_sk"}
        if (
            not isinstance(shard, int)
            or not 0 <= shard <= len(partitions)
            or not (start is None or (isinstance(start, dict) and set(start) == expected))
        ):
            raise ValueError("not a cursor of this list")
        values = extra.pop("ExpressionAttributeValues", {})
        items: list[dict[str, Any]] = []
        # DynamoDB takes no empty string in a key condition: no prefix, no begins_with
        condition = f"{keys}_pk = :partition" + (f" AND begins_with({keys}_sk, :prefix)" if prefix else "")
        while shard < len(partitions) and len(items) < limit:
            kwargs: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": self._encode(
                    {":partition": partitions[shard]} | ({":prefix": prefix} if prefix else {}) | values
                ),
                "Limit": limit - len(items),
                **extra,
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            try:
                response = self._client.query(TableName=self._table, **kwargs)
            except (ParamValidationError, ClientError) as error:
                code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else "invalid"
                if start and code in ("invalid", "ValidationException"):
                    raise ValueError("not a cursor of this list") from error  # a start key we never gave
                raise
            items.extend(self._decode(i) for i in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                shard += 1
        more = shard < len(partitions)
        return items, encode_cursor({"s": shard, "k": start}) if more else None

    # --- the notices outbox -----------------------------------------------------------------------------

    def claim_notice(self, report_id: str, now: datetime, lease_seconds: int) -> Claim | None:
        """Take the right to send the report's notice for ``lease_seconds``; None when it is sent,
        or held by a claim that has not expired."""
        token = uuid.uuid4().hex
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._encode(report_key(report_id)),
                UpdateExpression=(
                    "SET notice = :sending, notice_claimed_at = :now, notice_claim = :token, due_sk = :due "
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
                        ":due": _due_keys(report_id, _shift(now, lease_seconds))["due_sk"],
                        ":one": 1,
                    }
                ),
                ReturnValues="UPDATED_NEW",
            )
        except self._conditional():
            return None
        attempts = self._decode(response.get("Attributes", {})).get("notice_attempts", 1)
        return Claim(token, int(attempts))

    def notice_failed(self, report_id: str, token: str, now: datetime) -> None:
        """Give up on a notice that cannot be published: out of the sweeper's index, for the
        operators (the log and the NoticesFailed metric say which)."""
        self._as_holder(
            report_id,
            token,
            "SET notice = :state, notice_failed_at = :now REMOVE due_pk, due_sk, notice_claim",
            {":state": NoticeState.FAILED.value, ":now": stamp(now)},
        )

    def release_notice(self, report_id: str, token: str, now: datetime) -> None:
        """Give a claimed notice back (publishing failed): pending again and due at once, so that
        the sweeper's next round sends it."""
        self._as_holder(
            report_id,
            token,
            "SET notice = :state, due_sk = :due REMOVE notice_claimed_at, notice_claim",
            {":state": NoticeState.PENDING.value, ":due": _due_keys(report_id, stamp(now))["due_sk"]},
        )

    def notice_sent(self, report_id: str, token: str, message_id: str, now: datetime) -> bool:
        """Record that the notice went out (tried again in-process: a publish whose record is
        lost would be sent a second time by the sweeper). False when the claim was no longer
        this delivery's: it ran past its lease and another delivery took it over."""
        return self._as_holder(
            report_id,
            token,
            "SET notice = :state, notice_message_id = :id, notice_sent_at = :now "
            "REMOVE due_pk, due_sk, notice_claim, notice_due_at",
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
                    Key=self._encode(report_key(report_id)),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=self._encode(values | {":token": token}),
                )
            )
        except self._conditional():
            return False
        return True

    def due_notices(self, now: datetime) -> list[str]:
        """The reports whose notice is due for the sweeper at ``now``: pending past their grace
        time, or claimed by a delivery whose lease has run out. The index is eventually
        consistent; claiming (a conditional write on the record) decides."""
        due: list[str] = []
        for shard in NOTICE_SHARDS:
            items = self._query(
                IndexName="ByNoticeDue",
                KeyConditionExpression="due_pk = :shard AND due_sk <= :now",
                ExpressionAttributeValues={":shard": f"NOTICE#{shard}", ":now": f"{stamp(now)}#~"},
            )
            due.extend(str(item["report_id"]) for item in items)
        return due

    # --- queries -------------------------------------------------------------------------------------

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
