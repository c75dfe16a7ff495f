"""The findings table: the system of record of bodies, reports, runs, findings and decisions.

``records`` holds what the rest of the package sees (pydantic models, pages and cursors);
``dynamo`` the DynamoDB adapter (items, keys, indexes); ``ports`` the protocol both it and the
tests' in-memory fake implement.
"""

from nianbao.store.dynamo import (
    NOTICE_SHARDS,
    PROVINCES,
    FindingsStore,
    RunConflictError,
    from_dynamo,
    province,
    provinces,
    stamp,
    to_dynamo,
)
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
    walk,
)

__all__ = [
    "NOTICE_SHARDS",
    "PROVINCES",
    "BodyRecord",
    "Claim",
    "Current",
    "Decision",
    "FindingRow",
    "FindingsStore",
    "NoticeState",
    "Overdue",
    "Page",
    "ReportDetail",
    "ReportRow",
    "RosterLoad",
    "RunConflictError",
    "StoredFinding",
    "StoredReport",
    "TriageState",
    "decode_cursor",
    "encode_cursor",
    "from_dynamo",
    "province",
    "provinces",
    "stamp",
    "to_dynamo",
    "walk",
]
