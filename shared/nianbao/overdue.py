"""Reports that never came: after the deadline, every roster body with no report of record for
the year is recorded overdue (``REPORT_OVERDUE``) and its office is told once, through the same
topic and routing as any notice, of its own overdue bodies. A report that arrives later clears the
record (nianbao.pipeline).

Deadlines (Regulation art. 49): departments, townships, streets and other bodies by 31 January,
people's governments (their summary report for the whole jurisdiction) by 31 March, of the year
after the report year; ``NIANBAO_DEADLINES`` changes them (``人民政府=03-31,*=01-31``).
ReportOverdue runs daily (the schedule is a template parameter) and acts the day after a
deadline: a body is recorded and noticed once, so later runs only add bodies newly overdue (and a
run that failed is made up the next day). By hand it takes ``{"year": 2024}``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from nianbao.notify import compose_overdue
from nianbao.pipeline import Services
from nianbao.roster import BodyKind
from nianbao.rules.catalog import finding, report_overdue_message
from nianbao.store import Overdue, stamp, walk

log = logging.getLogger(__name__)

DEFAULT_DEADLINES = {BodyKind.GOVERNMENT.value: (3, 31), "*": (1, 31)}


def deadlines_from(text: str | None) -> dict[str, tuple[int, int]]:
    """``人民政府=03-31,*=01-31`` (kinds, ``*`` for the rest) -> {kind: (month, day)}; the
    defaults for what the text leaves out. ValueError for a date that cannot be."""
    found = dict(DEFAULT_DEADLINES)
    for part in filter(None, (text or "").split(",")):
        kind, _, when = part.partition("=")
        month, _, day = when.strip().partition("-")
        date(2001, int(month), int(day))  # raises for a date no year has
        found[kind.strip()] = (int(month), int(day))
    return found


def deadline(kind: str, year: int, deadlines: dict[str, tuple[int, int]] = DEFAULT_DEADLINES) -> date:
    """When a body of ``kind`` must have published its report of ``year`` (the next year's date)."""
    month, day = deadlines.get(kind, deadlines["*"])
    return date(year + 1, month, day)


@dataclass
class Summary:
    year: int
    overdue: int = 0  # bodies found overdue now or before, not yet cleared
    recorded: int = 0  # newly recorded in this run
    notices: int = 0  # offices told
    bodies_noticed: list[str] = field(default_factory=list)


def sweep(
    services: Services,
    year: int,
    now: datetime | None = None,
    deadlines: dict[str, tuple[int, int]] = DEFAULT_DEADLINES,
) -> Summary:
    """Record and notice the roster bodies with no report of record for ``year`` whose deadline
    has passed at ``now``; each body once, one notice per division."""
    store = services.store
    now = now or services.now()
    summary = Summary(year)
    waiting: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # division -> (body, name, deadline)
    for body in walk(lambda cursor: store.missing_reports("", year, cursor, limit=100)):
        due = deadline(body.kind, year, deadlines)
        if now.date() <= due:
            continue
        record = Overdue(
            body_id=body.body_id,
            year=year,
            name=body.name,
            kind=body.kind,
            division=body.division,
            deadline=due.isoformat(),
            finding=finding("REPORT_OVERDUE", report_overdue_message(body.name, year, due)),
            found_at=stamp(now),
        )
        summary.recorded += store.record_overdue(record)
        stored = store.overdue(body.body_id, year)
        if stored is None or stored.cleared_at is not None:
            continue
        summary.overdue += 1
        if stored.noticed_at is None:
            waiting[body.division].append((body.body_id, body.name, stored.deadline))
    for division, bodies in sorted(waiting.items()):
        notice = compose_overdue(division, year, [(b, n) for b, n, _ in bodies], max(d for _, _, d in bodies))
        services.notifier.publish(notice)
        for body_id, _, _ in bodies:
            store.overdue_noticed(body_id, year, now)
        summary.notices += 1
        summary.bodies_noticed += [b for b, _, _ in bodies]
        log.info("overdue bodies noticed", extra={"division": division, "bodies": len(bodies), "year": year})
    return summary
