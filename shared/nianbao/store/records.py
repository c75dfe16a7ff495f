"""What the findings table holds, as the rest of the package sees it (pydantic models; the item
shapes and keys are the adapter's business, nianbao.store.dynamo)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from nianbao.model import Finding, Status

T = TypeVar("T")


class NoticeState(StrEnum):
    NONE = "none"  # nothing to send (no error, or nothing new since the last notice)
    PENDING = "pending"
    SENDING = "sending"  # claimed by one delivery
    SENT = "sent"
    FAILED = "failed"  # could not be published after many attempts: for the operators


class TriageState(StrEnum):
    OPEN = "open"  # no decision, or a decision taken back
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Claim:
    """The right to send one report's notice until the lease runs out."""

    token: str
    attempts: int  # claims taken on this notice so far, this one included


class StoredReport(BaseModel):
    """One uploaded object and its current run: what lists show and notices are made from."""

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
    read_by: str = "text"  # "ocr" when pages of a scan were read by OCR, else the file's own text
    status: Status  # from every finding of the run
    effective_status: Status | None = None  # dismissed findings left out (None: as ``status``)
    counts: dict[str, int]
    published: str | None = None
    received_at: str
    checked_at: str
    finding_count: int = 0
    uploader: str | None = None  # the principal S3 names in the event (who put the object)
    sequencer: str | None = None  # S3's order of the events of one key
    event_time: str | None = None
    # the body the report is matched to (a roster's, or a provisional one: division + name)
    body_id: str = ""
    body_name: str | None = None
    provisional_body: bool = False
    superseded_by: str | None = None  # a newer upload of the same body and year
    run_id: str = ""
    checker_version: str = ""
    check_failed: bool = False
    notice: NoticeState = NoticeState.NONE
    notice_fingerprints: list[str] | None = None  # the errors the notice names (None: every error)
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

    @property
    def shown_status(self) -> Status:
        return self.effective_status or self.status

    @property
    def order(self) -> str:
        """Which of two uploads of one body and year is newer: S3's event time, then (for one key)
        its sequencer. Only where both are equal or missing (moto's events: no sequencer, the
        same millisecond) does the time it was received decide."""
        return f"{self.event_time or self.received_at}#{(self.sequencer or '').rjust(32, '0')}#{self.received_at}"


class ReportDetail(BaseModel):
    """What a run read from the file, too big for lists: its sections and table grids, and the
    facts later years (and a parent body) compare with (nianbao.history.YearFacts, as JSON)."""

    report_id: str
    run_id: str
    sections: dict[str, bool] = Field(default_factory=dict)
    tables: dict[str, Any] = Field(default_factory=dict)
    extraction_notes: list[str] = Field(default_factory=list)
    facts: dict[str, Any] | None = None


class Overdue(BaseModel):
    """A roster body with no report of record for a year by its deadline (REPORT_OVERDUE)."""

    body_id: str
    year: int
    name: str
    kind: str
    division: str
    deadline: str  # ISO date
    finding: Finding
    found_at: str
    noticed_at: str | None = None  # its office was told
    cleared_at: str | None = None  # a report arrived after all


class StoredFinding(BaseModel):
    """One finding of one run, under its stable fingerprint."""

    report_id: str
    run_id: str
    fingerprint: str
    finding_index: int  # its place in the checker's order
    body_id: str
    year: int
    division: str
    triage: TriageState = TriageState.OPEN
    finding: Finding


class Current(BaseModel):
    """The report of record of one body and year: the newest upload, by S3's event time."""

    body_id: str
    year: int
    report_id: str
    order: str
    division: str
    status: Status  # effective: dismissed findings left out
    counts: dict[str, int] = Field(default_factory=dict)
    agency: str | None = None
    body_name: str | None = None
    key: str | None = None
    checked_at: str | None = None
    previous_report_id: str | None = None
    noticed: list[str] = Field(default_factory=list)  # error fingerprints the offices were told of


class BodyRecord(BaseModel):
    """A body from a roster, or a provisional one for uploads that match none."""

    body_id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: str = "其他"
    parent_body_id: str | None = None
    division: str
    sums_children: bool = False
    provisional: bool = False
    merged_into: str | None = None  # a provisional body re-attached to a roster's
    roster: str | None = None  # the division of the roster that defines it
    updated_at: str = ""


class Decision(BaseModel):
    """A triage decision on one finding of a body and year (kept while the finding persists)."""

    body_id: str
    year: int
    fingerprint: str
    state: TriageState
    reason: str = ""
    who: str
    at: str
    code: str | None = None  # the finding's code, for the audit trail


class RosterLoad(BaseModel):
    """The result of loading one roster file: what was accepted, what was not and why."""

    division: str
    key: str
    version_id: str | None = None
    loaded_at: str
    encoding: str | None = None
    accepted: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)  # {line, text, reason}
    reattached: list[str] = Field(default_factory=list)  # provisional bodies now a roster's
    refused: str | None = None  # the whole file was refused, and why


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (None: the last page)."""

    items: list[T] = field(default_factory=list)
    cursor: str | None = None


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    """The state of a cursor; an empty state for None. A cursor that is not ours is a ValueError."""
    if not cursor:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("not a cursor of this list") from error
    if not isinstance(state, dict):
        raise ValueError("not a cursor of this list")
    return state


class ReportRow(BaseModel):
    """A report as lists show it (what the list indexes project)."""

    report_id: str
    key: str
    division: str
    year: int | None = None
    key_year: int | None = None
    agency: str | None = None
    title: str | None = None
    body_id: str = ""
    body_name: str | None = None
    status: Status
    effective_status: Status | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    file_type: str = ""
    received_at: str = ""
    checked_at: str = ""
    event_time: str | None = None
    superseded_by: str | None = None

    @property
    def shown_status(self) -> Status:
        return self.effective_status or self.status


class FindingRow(BaseModel):
    """A finding as lists show it: where, what and its triage; the quoted evidence and numbers are
    read with the report."""

    report_id: str
    run_id: str
    fingerprint: str
    body_id: str
    year: int
    division: str
    triage: TriageState = TriageState.OPEN
    code: str
    severity: str
    message: str
    location: dict[str, Any] = Field(default_factory=dict)


def walk(pages: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a list, page by page through its cursors (one page in memory at a time)."""
    cursor: str | None = None
    while True:
        page = pages(cursor)
        yield from page.items
        if page.cursor is None:
            return
        cursor = page.cursor
