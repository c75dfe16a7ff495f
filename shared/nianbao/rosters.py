"""Loading a roster: an office uploads ``rosters/<division>.csv``; its bodies are upserted, the
rows that cannot be used are kept with the reason (a stored roster result, never a crash), and
uploads that matched no body before and match one now (an alias added) are re-attached to it.

The reading and matching are pure (nianbao.roster, nianbao.bodies); this is the use case around
them, called by ProcessReport for keys under ``rosters/``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from nianbao import runs
from nianbao.bodies import match_body
from nianbao.events import S3Object
from nianbao.pipeline import ObjectUnreadableError, Services, fetch
from nianbao.roster import MAX_BYTES, Body, parse_roster
from nianbao.store import BodyRecord, RosterLoad, stamp, walk
from nianbao.store.ports import ReportStore

log = logging.getLogger(__name__)

ROSTER_KEY = re.compile(r"^rosters/(?P<division>\d{2,12})\.csv$", re.IGNORECASE)
PREFIX = "rosters/"


def is_roster(obj: S3Object) -> bool:
    return obj.key.startswith(PREFIX)


def load(obj: S3Object, services: Services) -> RosterLoad:
    """Load the roster ``obj``; the result says what was accepted, rejected and re-attached."""
    store, now = services.store, services.now()
    match = ROSTER_KEY.match(obj.key)
    result = RosterLoad(
        division=match["division"] if match else "",
        key=obj.key,
        version_id=obj.version_id,
        loaded_at=stamp(now),
        accepted=0,
    )
    if match is None:
        result.refused = "名册文件应存放为 rosters/<区划代码>.csv（如 rosters/630122.csv），未读取"
    else:
        try:
            roster = parse_roster(fetch(obj, services.s3, MAX_BYTES), result.division)
        except ObjectUnreadableError as error:
            result.refused = error.reason
        else:
            records = [_record(body, result.division, now) for body in roster.bodies]
            store.put_bodies(records)
            result.encoding = roster.encoding
            result.accepted = len(records)
            result.rejected = [row.model_dump() for row in roster.rejected]
            result.refused = roster.refused
            result.reattached = reattach(store, result.division, roster.bodies)
    store.save_roster_load(result)
    return result


def _record(body: Body, roster: str, now: datetime) -> BodyRecord:
    return runs.body_record(body).model_copy(update={"roster": roster, "updated_at": stamp(now)})


def reattach(store: ReportStore, division: str, bodies: Sequence[Body]) -> list[str]:
    """Move the uploads of provisional bodies under ``division`` that now match a roster body (a
    name or alias added) to that body; returns the provisional bodies re-attached. Their report
    of record is recomputed for the roster body (the newest upload wins, as always)."""
    moved: list[str] = []
    for provisional in list(walk(lambda cursor: store.bodies(division, cursor))):
        if not provisional.provisional or provisional.merged_into:
            continue
        agency = None if provisional.name == runs.UNRECOGNISED else provisional.name
        match = match_body(agency, provisional.division, bodies)
        if match.body is None:
            continue
        target = runs.body_record(match.body)
        for row in list(walk(partial(store.body_reports, provisional.body_id))):
            report = store.get(row.report_id)
            if report is not None:
                store.make_current(store.move_report(report, target))
        for year in store.body_years(provisional.body_id):
            store.retire_current(provisional.body_id, year.year)
        store.merge_body(provisional, target.body_id)
        log.info("provisional body %s re-attached to %s", provisional.body_id, target.body_id)
        moved.append(provisional.body_id)
    return moved
