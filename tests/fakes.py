"""In-memory fakes of the ports (nianbao.store.ports) for use-case tests.

``MemoryStore`` behaves as the DynamoDB adapter (nianbao.store.dynamo.FindingsStore) does, and
``MemoryNotifier`` as the SNS one (nianbao.notify.Notifier); tests/integration/test_store.py and
tests/integration/test_notifier_contract.py hold each pair to one contract.

How the store mirrors the table:

* Values go in and come out through the table's own conversion (``to_dynamo`` / ``from_dynamo``),
  so the fake hands back what DynamoDB would (``1.5`` for ``Decimal("1.5")``, an int for an
  integral amount) and nothing a caller holds can change what is stored, or the other way round.
* Lists are the adapter's indexes: the same partitions (by province, the division's first two
  digits: ``nianbao.store.provinces``), the same sort keys (the ``#``-joined strings of the
  adapter's docstring, compared as text, so a body id ``A B`` sorts before ``A`` as on DynamoDB,
  ``" " < "#"``), only the attributes each index projects, and the same paging: a page walks the
  partitions in order behind one cursor, and lists of findings drop the entries of runs that
  are not current after the page is cut.
* Writes are the adapter's: whole puts where it puts, the same conditions where it updates.

Where the adapter's behaviour is surprising the fake mirrors it and says so (``Mirrors:``). Where
it writes an item for a report or body that does not exist (an unconditional UpdateItem), the
fake writes nothing: the adapter's phantom item makes later reads fail validation.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from nianbao.model import Finding, Severity, Status
from nianbao.notify import Notice
from nianbao.store import (
    NOTICE_SHARDS,
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
    RunConflictError,
    StoredFinding,
    StoredReport,
    TriageState,
    decode_cursor,
    encode_cursor,
    from_dynamo,
    province,
    provinces,
    stamp,
    to_dynamo,
)

Item = dict[str, Any]

# What the list indexes project (template.yaml, the findings table's GlobalSecondaryIndexes).
_CURRENT_PROJECTION = (
    "body_id", "year", "report_id", "order", "division", "status", "counts", "agency", "body_name", "key", "checked_at",
)  # fmt: skip
_REPORT_PROJECTION = (
    "report_id", "key", "division", "year", "key_year", "agency", "title", "body_id", "body_name", "status",
    "effective_status", "counts", "file_type", "received_at", "checked_at", "event_time", "superseded_by",
)  # fmt: skip
# ByRule and OpenErrors: these of the finding item, and the finding's code, severity, message and location
_FINDING_PROJECTION = ("report_id", "run_id", "fingerprint", "body_id", "year", "division", "triage")


def _stored(value: Any) -> Any:
    """A value as the table holds it and gives it back: numbers through Decimal, a fresh copy."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return from_dynamo(to_dynamo(value))


def _year(year: int) -> str:
    return f"{year:04d}"


@dataclass(frozen=True)
class _Entry:
    """One entry of an index partition: its sort key, the item's own key (which orders entries
    with equal sort keys, as DynamoDB's LastEvaluatedKey does) and what the index projects."""

    sort_key: str
    table_key: str
    item: Item

    @property
    def position(self) -> tuple[str, str]:
        return (self.sort_key, self.table_key)


@dataclass
class _Record:
    """The report of record of one body and year (``BODY#<body>``, ``YEAR#<yyyy>``)."""

    fields: Item  # what make_current sets: Current's fields but ``noticed``
    history: list[str] = field(default_factory=list)  # every report made current here, in order
    noticed: set[str] = field(default_factory=set)
    listed: bool = True  # in Current and CurrentByStatus (retire_current takes it out)


class MemoryStore:
    """``ReportStore`` in dicts, with FindingsStore's observable behaviour (see the module)."""

    def __init__(self) -> None:
        self._reports: dict[str, Item] = {}  # report id -> StoredReport's fields
        self._due: dict[str, str] = {}  # report id -> its ByNoticeDue sort key, while it has one
        self._findings: dict[tuple[str, str, str], Item] = {}  # (report, run, fingerprint)
        self._details: dict[tuple[str, str], Item] = {}  # (report, run)
        self._records: dict[tuple[str, int], _Record] = {}  # (body, year)
        self._bodies: dict[str, Item] = {}
        self._listed_bodies: set[str] = set()  # in the Bodies index: not merged into another
        self._decisions: dict[tuple[str, int, str], Item] = {}  # (body, year, fingerprint)
        self._audit: list[tuple[str, int, str, Item]] = []  # (body, year, sort key, decision)
        self._loads: dict[tuple[str, str], Item] = {}  # (division, loaded_at)
        self._overdue: dict[tuple[str, int], Item] = {}  # (body, year)

    # --- runs ---------------------------------------------------------------------------------------

    def save_run(
        self, report: StoredReport, findings: list[StoredFinding], detail: ReportDetail, *, replaces: str | None = None
    ) -> bool:
        """Mirrors: the findings and the detail are written first and whatever happens next (a
        refused report leaves them behind, out of every list); the report is then put whole, on
        condition. A first run: False when the report is stored already (True when it is this
        very run). A re-check: RunConflictError unless the stored run is ``replaces`` and its
        notice is not being sent. A re-check's report replaces every attribute, ``superseded_by``
        and the notice's included, as the adapter's PutItem does."""
        for finding in findings:
            self._findings[(finding.report_id, finding.run_id, finding.fingerprint)] = _stored(finding)
        self._details[(detail.report_id, detail.run_id)] = _stored(detail)
        stored = self._reports.get(report.report_id)
        if stored is not None and stored["run_id"] == report.run_id:
            return True  # this very run, written before (its answer lost)
        if replaces is None:
            if stored is not None:
                return False
        elif stored is None or stored["run_id"] != replaces or stored["notice"] == NoticeState.SENDING.value:
            raise RunConflictError(f"the run of {report.report_id} changed since {replaces}")
        self._reports[report.report_id] = _stored(report)
        self._due.pop(report.report_id, None)
        # Mirrors: a report is in the sweeper's index only when stored pending (or sending) WITH a
        # due time; claims and releases move its place there but never put it in.
        if report.notice in (NoticeState.PENDING, NoticeState.SENDING) and report.notice_due_at:
            self._due[report.report_id] = f"{report.notice_due_at}#{report.report_id}"
        return True

    def get(self, report_id: str) -> StoredReport | None:
        fields = self._reports.get(report_id)
        return StoredReport.model_validate(copy.deepcopy(fields)) if fields is not None else None

    def stored_findings(self, report_id: str, run_id: str | None = None) -> list[StoredFinding]:
        """The run's findings (the current run's unless named) in the checker's order; equal
        indexes in fingerprint order (the items' sort key)."""
        if run_id is None:
            report = self._reports.get(report_id)
            if report is None:
                return []
            run_id = str(report["run_id"])
        found = sorted(
            (fp, item) for (rid, run, fp), item in self._findings.items() if (rid, run) == (report_id, run_id)
        )
        stored = [StoredFinding.model_validate(copy.deepcopy(item)) for _, item in found]
        return sorted(stored, key=lambda f: f.finding_index)

    def findings(self, report_id: str, run_id: str | None = None) -> list[Finding]:
        return [f.finding for f in self.stored_findings(report_id, run_id)]

    def detail(self, report_id: str, run_id: str | None = None) -> ReportDetail | None:
        if run_id is None:
            report = self._reports.get(report_id)
            if report is None:
                return None
            run_id = str(report["run_id"])
        item = self._details.get((report_id, run_id))
        return ReportDetail.model_validate(copy.deepcopy(item)) if item is not None else None

    # --- the report of record -----------------------------------------------------------------------

    def make_current(self, report: StoredReport) -> bool:
        """The newest upload (by ``order``, compared as text) becomes the body and year's record;
        an older one, or one of equal order delivered second, is marked superseded by the record's.
        Mirrors: every success appends to the record's history (a refresh too) and marks every
        earlier report in it superseded by this one again; the record's ``noticed`` is kept."""
        year = report.listed_year
        record = self._records.get((report.body_id, year))
        if record is not None:
            holder = record.fields["report_id"]
            if not (record.fields["order"] < report.order or holder == report.report_id):
                self._supersede(report.report_id, holder)
                return False
        earlier = set(record.history) if record is not None else set()
        fields = _stored(
            {
                "report_id": report.report_id,
                "order": report.order,
                "division": report.division,
                "status": report.shown_status.value,
                "counts": report.counts,
                "agency": report.agency,
                "body_name": report.body_name,
                "key": report.key,
                "checked_at": report.checked_at,
                "body_id": report.body_id,
                "year": year,
            }
        )
        if record is None:
            record = self._records[(report.body_id, year)] = _Record(fields)
        record.fields, record.listed = fields, True
        record.history.append(report.report_id)
        for other in earlier - {report.report_id}:
            self._supersede(other, report.report_id)
        return True

    def _supersede(self, report_id: str, successor: str) -> None:
        """Only a stored report is marked (the adapter's ``attribute_exists`` condition)."""
        if report_id in self._reports:
            self._reports[report_id]["superseded_by"] = successor

    def current(self, body_id: str, year: int) -> Current | None:
        record = self._records.get((body_id, year))
        return self._current(record) if record is not None else None

    @staticmethod
    def _current(record: _Record) -> Current:
        """The record read from the table (not an index): ``noticed`` included, sorted."""
        return Current.model_validate(copy.deepcopy(record.fields) | {"noticed": sorted(record.noticed)})

    def mark_noticed(self, body_id: str, year: int, fingerprints: Iterable[str]) -> None:
        """Adds to the record's set; nothing without a record (the adapter's condition)."""
        told = set(fingerprints)
        record = self._records.get((body_id, year))
        if told and record is not None:
            record.noticed |= told

    def set_status(self, report: StoredReport, effective: Status, current: bool) -> None:
        """The stored report's effective status; the record refreshed from ``report`` (as given,
        with the new status) when ``current``."""
        if report.report_id in self._reports:
            self._reports[report.report_id]["effective_status"] = effective.value
        if current:
            self.make_current(report.model_copy(update={"effective_status": effective}))

    # --- bodies and rosters -------------------------------------------------------------------------

    def put_bodies(self, bodies: list[BodyRecord]) -> None:
        """Each body replaces the stored one whole (a merged one stays out of the lists)."""
        for body in bodies:
            self._put_body(body)

    def _put_body(self, body: BodyRecord) -> None:
        self._bodies[body.body_id] = _stored(body)
        if body.merged_into:
            self._listed_bodies.discard(body.body_id)
        else:
            self._listed_bodies.add(body.body_id)

    def ensure_body(self, body: BodyRecord) -> None:
        if body.body_id not in self._bodies:
            self._put_body(body)

    def body(self, body_id: str) -> BodyRecord | None:
        item = self._bodies.get(body_id)
        return BodyRecord.model_validate(copy.deepcopy(item)) if item is not None else None

    def bodies_by_id(self, body_ids: list[str]) -> dict[str, BodyRecord]:
        return {b: BodyRecord.model_validate(self._bodies[b]) for b in body_ids if b in self._bodies}

    def bodies(self, prefix: str = "", cursor: str | None = None, limit: int = 100) -> Page[BodyRecord]:
        """The Bodies index: ``BODIES#<prov>``, sorted by ``<division>#<body>``, whole items."""
        entries = [
            (f"BODIES#{province(item['division'])}", _Entry(f"{item['division']}#{body_id}", f"BODY#{body_id}", item))
            for body_id, item in self._bodies.items()
            if body_id in self._listed_bodies
        ]
        names = [f"BODIES#{p}" for p in provinces(prefix)]
        items, next_cursor = _page(_index(entries, names), prefix, cursor, limit)
        return Page([BodyRecord.model_validate(i) for i in items], next_cursor)

    def merge_body(self, provisional: BodyRecord, into: str) -> None:
        """Marks the stored body merged and takes it out of the lists; the rest of it stays."""
        item = self._bodies.get(provisional.body_id)
        if item is not None:
            item["merged_into"] = into
            self._listed_bodies.discard(provisional.body_id)

    def move_report(self, report: StoredReport, body: BodyRecord) -> StoredReport:
        """The stored report and its current run's findings (read back, their triage kept) now
        name ``body``. Mirrors: what is returned is ``report`` as given with the body changed,
        not the stored report read back."""
        moved = report.model_copy(update={"body_id": body.body_id, "body_name": body.name, "provisional_body": False})
        stored = self._reports.get(report.report_id)
        if stored is None:
            return report  # not stored: nothing to move
        stored |= {"body_id": body.body_id, "body_name": body.name, "provisional_body": False}
        for finding in self.stored_findings(report.report_id):
            self._findings[(finding.report_id, finding.run_id, finding.fingerprint)] = _stored(
                finding.model_copy(update={"body_id": body.body_id})
            )
        return moved

    def retire_current(self, body_id: str, year: int) -> None:
        """Out of the current lists only: ``current`` and ``body_years`` still read the record."""
        record = self._records.get((body_id, year))
        if record is not None:
            record.listed = False

    def body_years(self, body_id: str) -> list[Current]:
        """Every record of the body (retired ones too), by year."""
        years = sorted((_year(year), record) for (body, year), record in self._records.items() if body == body_id)
        return [self._current(record) for _, record in years]

    def save_roster_load(self, load: RosterLoad) -> None:
        self._loads[(load.division, load.loaded_at)] = _stored(load)  # one per instant: a second replaces it

    def roster_loads(self, division: str, limit: int = 10) -> list[RosterLoad]:
        """Newest first (by ``loaded_at`` as text)."""
        loads = sorted(((at, item) for (d, at), item in self._loads.items() if d == division), reverse=True)
        return [RosterLoad.model_validate(copy.deepcopy(item)) for _, item in loads[: max(limit, 0)]]

    # --- overdue reports --------------------------------------------------------------------------------

    def record_overdue(self, overdue: Overdue) -> bool:
        where = (overdue.body_id, overdue.year)
        if where in self._overdue:
            return False
        self._overdue[where] = _stored(overdue)
        return True

    def overdue(self, body_id: str, year: int) -> Overdue | None:
        item = self._overdue.get((body_id, year))
        return Overdue.model_validate(copy.deepcopy(item)) if item is not None else None

    def overdue_noticed(self, body_id: str, year: int, now: datetime) -> None:
        item = self._overdue.get((body_id, year))
        if item is not None:
            item["noticed_at"] = stamp(now)

    def clear_overdue(self, body_id: str, year: int, now: datetime) -> None:
        item = self._overdue.get((body_id, year))
        if item is not None and item.get("cleared_at") is None:
            item["cleared_at"] = stamp(now)

    # --- triage -------------------------------------------------------------------------------------

    def decide(self, decision: Decision) -> None:
        """The decision in force for (body, year, fingerprint), and one more audit entry."""
        where = (decision.body_id, decision.year, decision.fingerprint)
        self._decisions[where] = _stored(decision)
        # the adapter's audit key ends in 8 random hex digits: entries of one fingerprint taken at
        # the same instant come in any order there, in the order taken here
        sort_key = f"{decision.fingerprint}#{decision.at}#{len(self._audit):012d}"
        self._audit.append((decision.body_id, decision.year, sort_key, _stored(decision)))

    def decisions(self, body_id: str, year: int) -> dict[str, Decision]:
        """By fingerprint, in fingerprint order."""
        found = sorted((fp, item) for (b, y, fp), item in self._decisions.items() if (b, y) == (body_id, year))
        return {fp: Decision.model_validate(copy.deepcopy(item)) for fp, item in found}

    def history(self, body_id: str, year: int, fingerprint: str = "") -> list[Decision]:
        """Oldest first by ``at`` (ties in key order: fingerprint, then as taken). Only
        ``fingerprint``'s own entries: the adapter's key prefix ``AUDIT#<yyyy>#<fp>#`` also takes
        in those of ``<fp>#2``, ``<fp>#3`` (fingerprints of repeated findings), which is a bug."""
        entries = sorted(
            (key, item)
            for b, y, key, item in self._audit
            if (b, y) == (body_id, year) and (not fingerprint or item["fingerprint"] == fingerprint)
        )
        found = [Decision.model_validate(copy.deepcopy(item)) for _, item in entries]
        return sorted(found, key=lambda d: d.at)

    def set_triage(self, stored: StoredFinding, state: TriageState) -> None:
        """Mirrors: ``stored`` as given is put whole with the new state (a stale copy wins)."""
        self._findings[(stored.report_id, stored.run_id, stored.fingerprint)] = _stored(
            stored.model_copy(update={"triage": state})
        )

    # --- lists --------------------------------------------------------------------------------------

    def current_reports(
        self, prefix: str, year: int, status: Status | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Current]:
        """The Current index (``C#<prov>#<yyyy>``; CurrentByStatus ``S#<prov>#<yyyy>#<status>``
        by the status the record was last made current with), sorted by ``<division>#<body>``.
        Mirrors the projection: ``noticed`` is not in it (always empty here; ``current`` reads it)."""
        if status is None:
            names = [f"C#{p}#{_year(year)}" for p in provinces(prefix)]
        else:
            names = [f"S#{p}#{_year(year)}#{status.value}" for p in provinces(prefix)]
        entries = []
        for (body_id, y), record in self._records.items():
            if not record.listed:
                continue
            division, prov = record.fields["division"], province(record.fields["division"])
            partition = f"C#{prov}#{_year(y)}" if status is None else f"S#{prov}#{_year(y)}#{record.fields['status']}"
            projected = {k: v for k, v in record.fields.items() if k in _CURRENT_PROJECTION}
            entries.append((partition, _Entry(f"{division}#{body_id}", f"BODY#{body_id}", projected)))
        items, next_cursor = _page(_index(entries, names), prefix, cursor, limit)
        return Page([Current.model_validate(i) for i in items], next_cursor)

    def _report_entries(self, key: Callable[[StoredReport], tuple[str, str]]) -> list[tuple[str, _Entry]]:
        """Every stored report under its (partition, sort key) in an index, as the index projects
        it (ReportRow's fields)."""
        entries = []
        for report_id, fields in self._reports.items():
            partition, sort_key = key(StoredReport.model_validate(fields))
            projected = {k: v for k, v in fields.items() if k in _REPORT_PROJECTION}
            entries.append((partition, _Entry(sort_key, f"REPORT#{report_id}", projected)))
        return entries

    def all_reports(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[ReportRow]:
        """The AllReports index: ``R#<prov>#<yyyy>`` (the listed year), sorted by
        ``<division>#<order>#<id>``; superseded uploads included."""
        entries = self._report_entries(
            lambda r: (f"R#{province(r.division)}#{_year(r.listed_year)}", f"{r.division}#{r.order}#{r.report_id}")
        )
        names = [f"R#{p}#{_year(year)}" for p in provinces(prefix)]
        items, next_cursor = _page(_index(entries, names), prefix, cursor, limit)
        return Page([ReportRow.model_validate(i) for i in items], next_cursor)

    def body_reports(self, body_id: str, cursor: str | None = None, limit: int = 50) -> Page[ReportRow]:
        """The BodyReports index: ``B#<body>``, sorted by ``<yyyy>#<order>#<id>`` (oldest first)."""
        entries = self._report_entries(lambda r: (f"B#{r.body_id}", f"{_year(r.listed_year)}#{r.order}#{r.report_id}"))
        items, next_cursor = _page(_index(entries, [f"B#{body_id}"]), "", cursor, limit)
        return Page([ReportRow.model_validate(i) for i in items], next_cursor)

    def _finding_entries(self, key: Callable[[StoredFinding], tuple[str, str] | None]) -> list[tuple[str, _Entry]]:
        """Every stored finding (of every run) with a (partition, sort key) in an index, as the
        index projects it (FindingRow's fields)."""
        entries = []
        for (report_id, run_id, fp), item in self._findings.items():
            where = key(StoredFinding.model_validate(item))
            if where is not None:
                projected = {k: item[k] for k in _FINDING_PROJECTION} | {
                    k: item["finding"][k] for k in ("code", "severity", "message", "location")
                }
                entries.append((where[0], _Entry(where[1], f"REPORT#{report_id}#RUN#{run_id}#F#{fp}", projected)))
        return entries

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
        """The ByRule index: ``F#<code>#<prov>#<yyyy>``, sorted by
        ``<division>#<body>#<id>#<run>#<fp>``, ``triage`` a filter. Mirrors: rows of runs that
        are not current are dropped after the page is cut, so a page may hold fewer than
        ``limit`` rows (none at all) and still have a next page."""
        entries = self._finding_entries(
            lambda f: (
                f"F#{f.finding.code}#{province(f.division)}#{_year(f.year)}",
                f"{f.division}#{f.body_id}#{f.report_id}#{f.run_id}#{f.fingerprint}",
            )
        )
        names = [f"F#{code}#{p}#{_year(year)}" for p in provinces(prefix)]

        def wanted(item: Item) -> bool:
            return triage is None or item["triage"] == triage.value

        items, next_cursor = _page(_index(entries, names), prefix, cursor, limit, wanted)
        return Page(self._current_only([FindingRow.model_validate(i) for i in items]), next_cursor)

    def open_errors(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[FindingRow]:
        """The OpenErrors index: error findings not dismissed (as each item was last written),
        ``O#<prov>#<yyyy>``, sorted by ``<division>#<body>#<code>#<id>#<fp>`` (the entries of two
        runs of one report share a sort key). Mirrors the current-only join of findings_by_rule."""

        def key(f: StoredFinding) -> tuple[str, str] | None:
            if f.finding.severity is not Severity.ERROR or f.triage is TriageState.DISMISSED:
                return None
            where = f"{f.division}#{f.body_id}#{f.finding.code}#{f.report_id}#{f.fingerprint}"
            return f"O#{province(f.division)}#{_year(f.year)}", where

        names = [f"O#{p}#{_year(year)}" for p in provinces(prefix)]
        items, next_cursor = _page(_index(self._finding_entries(key), names), prefix, cursor, limit)
        return Page(self._current_only([FindingRow.model_validate(i) for i in items]), next_cursor)

    def missing_reports(self, prefix: str, year: int, cursor: str | None = None, limit: int = 50) -> Page[BodyRecord]:
        """A page of ``bodies`` less the provisional ones and those with a record for ``year``
        (a retired record counts). Mirrors: a page may be short, or empty with a next one."""
        page = self.bodies(prefix, cursor, limit)
        missing = [b for b in page.items if not b.provisional and (b.body_id, year) not in self._records]
        return Page(missing, page.cursor)

    def _current_only(self, rows: list[FindingRow]) -> list[FindingRow]:
        """The rows whose report is stored, not superseded, and at that run."""
        kept = []
        for row in rows:
            report = self._reports.get(row.report_id)
            if report is not None and report["run_id"] == row.run_id and not report.get("superseded_by"):
                kept.append(row)
        return kept

    # --- the notices outbox -------------------------------------------------------------------------

    def claim_notice(self, report_id: str, now: datetime, lease_seconds: int) -> Claim | None:
        """The adapter's condition: pending, or sending under a claim taken before
        ``now - lease`` (strictly), or held by this very token (the adapter's guard for its own
        request retried: a fresh token never matches here). Counts the attempt, and moves the
        report's place in the sweeper's index to the end of the lease."""
        fields = self._reports.get(report_id)
        if fields is None:
            return None
        token = uuid.uuid4().hex
        claimed_at = fields.get("notice_claimed_at")
        stale = claimed_at is not None and claimed_at < stamp(now - timedelta(seconds=lease_seconds))
        if not (
            fields["notice"] == NoticeState.PENDING.value
            or (fields["notice"] == NoticeState.SENDING.value and stale)
            or fields.get("notice_claim") == token
        ):
            return None
        fields |= {
            "notice": NoticeState.SENDING.value,
            "notice_claimed_at": stamp(now),
            "notice_claim": token,
            "notice_attempts": int(fields.get("notice_attempts") or 0) + 1,
        }
        self._move_due(report_id, now + timedelta(seconds=lease_seconds))
        return Claim(token, fields["notice_attempts"])

    def _move_due(self, report_id: str, due: datetime) -> None:
        if report_id in self._due:
            self._due[report_id] = f"{stamp(due)}#{report_id}"

    def _holds(self, report_id: str, token: str) -> Item | None:
        fields = self._reports.get(report_id)
        return fields if fields is not None and fields.get("notice_claim") == token else None

    def notice_failed(self, report_id: str, token: str, now: datetime) -> None:
        """By the holder only: failed, out of the sweeper's index (``notice_claimed_at`` and
        ``notice_due_at`` stay)."""
        fields = self._holds(report_id, token)
        if fields is not None:
            fields |= {"notice": NoticeState.FAILED.value, "notice_failed_at": stamp(now), "notice_claim": None}
            self._due.pop(report_id, None)

    def release_notice(self, report_id: str, token: str, now: datetime) -> None:
        """By the holder only: pending again, due at ``now``."""
        fields = self._holds(report_id, token)
        if fields is not None:
            fields |= {"notice": NoticeState.PENDING.value, "notice_claimed_at": None, "notice_claim": None}
            self._move_due(report_id, now)

    def notice_sent(self, report_id: str, token: str, message_id: str, now: datetime) -> bool:
        """By the holder, or again once it is recorded with this message id (True both times).
        Mirrors: recording it again sets ``notice_sent_at`` to the later ``now``."""
        fields = self._reports.get(report_id)
        if fields is None:
            return False
        already = fields["notice"] == NoticeState.SENT.value and fields.get("notice_message_id") == message_id
        if fields.get("notice_claim") != token and not already:
            return False
        fields |= {
            "notice": NoticeState.SENT.value,
            "notice_message_id": message_id,
            "notice_sent_at": stamp(now),
            "notice_claim": None,
            "notice_due_at": None,
        }
        self._due.pop(report_id, None)
        return True

    def due_notices(self, now: datetime) -> list[str]:
        """The ByNoticeDue index: partition ``NOTICE#<first character of the id>`` for each hex
        digit in order, entries ``<due>#<id> <= <now>#~`` in sort-key order. Mirrors: ``#~``
        makes a notice due at exactly ``now`` count (``~`` sorts after every id character of
        ASCII, not after an id with characters past ``~``); an id whose first character is not
        a lowercase hex digit (ids are sha256 hex) is in no partition the sweeper reads."""
        bound = f"{stamp(now)}#~"
        due: list[str] = []
        for shard in NOTICE_SHARDS:
            due += [rid for key, rid in sorted((k, r) for r, k in self._due.items() if r[:1] == shard) if key <= bound]
        return due


def _index(entries: Iterable[tuple[str, _Entry]], partitions: list[str]) -> list[list[_Entry]]:
    """The entries of the named partitions of an index, in the order named."""
    found: dict[str, list[_Entry]] = {name: [] for name in partitions}
    for partition, entry in entries:
        if partition in found:
            found[partition].append(entry)
    return [found[name] for name in partitions]


def _page(
    partitions: list[list[_Entry]],
    prefix: str,
    cursor: str | None,
    limit: int,
    wanted: Callable[[Item], bool] = lambda _: True,
) -> tuple[list[Item], str | None]:
    """FindingsStore._paged: the partitions walked in order from the cursor's, the entries whose
    sort key starts with ``prefix``, those ``wanted`` (a filter) up to ``limit``. A page that
    fills stops at its last entry: the next page starts after it, in the same partition, even
    when nothing follows (DynamoDB gives a LastEvaluatedKey whenever its Limit stops a query,
    so the last page may be empty). A page that does not fill has walked every partition.
    Items are copies."""
    shard, after = _position(cursor, len(partitions))
    items: list[Item] = []
    while shard < len(partitions) and len(items) < limit:
        entries = sorted(
            (e for e in partitions[shard] if e.sort_key.startswith(prefix) and (after is None or e.position > after)),
            key=lambda e: e.position,
        )
        for entry in entries:
            if wanted(entry.item):
                items.append(copy.deepcopy(entry.item))
            if len(items) == limit:
                after = entry.position
                break
        else:
            shard, after = shard + 1, None
    more = shard < len(partitions)
    return items, encode_cursor({"s": shard, "k": list(after) if after else None}) if more else None


def _position(cursor: str | None, partitions: int) -> tuple[int, tuple[str, str] | None]:
    """The partition and the entry a cursor of ``_page`` points after; ValueError for anything
    else (the adapter passes a forged cursor's key on to DynamoDB, which refuses it with a
    ParamValidationError or ClientError instead)."""
    state = decode_cursor(cursor)
    shard, after = state.get("s", 0), state.get("k")
    valid_shard = isinstance(shard, int) and not isinstance(shard, bool) and 0 <= shard <= partitions
    valid_after = after is None or (
        isinstance(after, list) and len(after) == 2 and all(isinstance(part, str) for part in after)
    )
    if not (valid_shard and valid_after) or set(state) - {"s", "k"}:
        raise ValueError("not a cursor of this list")
    return shard, (after[0], after[1]) if after else None


# --- the notifier -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One notice as SNS would carry it: its message id, subject, body and message attributes."""

    message_id: str
    subject: str
    body: str
    attributes: dict[str, dict[str, str]]


class MemoryNotifier:
    """``NoticePublisher`` in a list: ``published`` holds every notice sent, with ids ``m-1``,
    ``m-2``… in order. ``fail_next(n)``: the next ``n`` publishes raise what SNS raises for its own
    failure (a ClientError, code InternalError) and send nothing. ``attempts`` counts every
    publish, failed ones included."""

    def __init__(self) -> None:
        self.published: list[Published] = []
        self.attempts = 0
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    def publish(self, notice: Notice) -> str:
        self.attempts += 1
        if self._failures > 0:
            self._failures -= 1
            raise ClientError(
                {
                    "Error": {"Code": "InternalError", "Message": "injected by MemoryNotifier.fail_next"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "Publish",
            )
        message_id = f"m-{len(self.published) + 1}"
        self.published.append(Published(message_id, notice.subject, notice.body, copy.deepcopy(notice.attributes())))
        return message_id
