"""``nianbao demo``: the whole system on this machine, no AWS account.

moto runs in server mode on 127.0.0.1; the stack is created from template.yaml (see stack.py for
the shim); the example roster is loaded, then the example reports (and any files given) are
uploaded under reports/<division>/<year>/ (two of them: a failing draft and the corrected report
of one body and year); the real handler is called on the real queue messages; and what was stored,
which offices were notified, and what the office's lists show (one current report per body and
year; who has not filed) is printed. Nothing here re-implements the pipeline.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nianbao import aws
from nianbao.local.stack import (
    LOCAL_DASHBOARD_URL,
    EventSourceMapping,
    LocalStack,
    deploy,
    drain,
    environment,
    load_function,
    load_handler,
    repository_root,
)
from nianbao.model import Finding
from nianbao.store import BodyRecord, Current, RosterLoad, StoredReport

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Where each example is filed: a county (630122 湟中区), another district of the same city
# (630105 城北区) and a county of another prefecture (632121 平安区); all in the province 63.
EXAMPLE_DIVISIONS = {
    "2022-unbalanced.txt": ("630122", 2022),
    # the same body's next year, whose 上年结转 is not last year's 结转下年度
    "2023-carryover-broken.txt": ("630122", 2023),
    # two uploads of one body and year: the failing draft, then the corrected report
    "2023-draft-unbalanced.txt": ("630122", 2023),
    "2023-clean.txt": ("630122", 2023),
    "2023-outdated-2019-layout.txt": ("630105", 2023),
    # a PDF with a failing cell: its box is drawn on the page image in the dashboard
    "2023-results-total-wrong.pdf": ("630105", 2023),
    "2023-missing-section-gb18030.txt": ("632121", 2023),
    "2024-totals-only-late.md": ("630122", 2024),
    "not-a-report.txt": ("630105", 2024),
}


@dataclass(frozen=True)
class Upload:
    path: Path
    division: str
    year: int

    @property
    def key(self) -> str:
        return f"reports/{self.division}/{self.year}/{self.path.name}"


ROSTER = EXAMPLES / "roster-630122.csv"  # loaded first: the bodies of 湟中区 (630122)
ROSTER_KEY = "rosters/630122.csv"
ROSTER_YEAR = 2023  # the year whose missing reports the demo lists
# the day the overdue check runs in the demo: after the 31 January deadline of the 2023 reports
OVERDUE_CHECK = datetime(2024, 2, 1, 1, 0, tzinfo=UTC)


@dataclass
class Row:
    upload: Upload
    report: StoredReport | None  # None: nothing was stored (a defect the demo makes visible)
    findings: list[Finding]
    offices: list[str]  # the offices whose probe queue received the report's notice


@dataclass
class Result:
    """What the demo did: the roster it loaded, each upload, and the lists an office would see."""

    rows: list[Row]
    roster: RosterLoad | None = None
    current: list[Current] = field(default_factory=list)  # the report of record of each body and year
    missing: dict[int, list[BodyRecord]] = field(default_factory=dict)  # roster bodies without one, by year
    overdue: list[str] = field(default_factory=list)  # bodies found overdue on OVERDUE_CHECK
    overdue_offices: list[str] = field(default_factory=list)  # the offices their notice reached


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode on a free port of 127.0.0.1, every boto3 client pointed at it."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - the demo's own dependency

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's state lives in the process, not the server: start from nothing every time
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()  # noqa: S310 - our own server
    aws.reset()
    try:
        with environment(_ENV | {"AWS_ENDPOINT_URL": endpoint}):
            yield endpoint
    finally:
        server.stop()
        aws.reset()


_ENV = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "nianbao",
    "POWERTOOLS_METRICS_NAMESPACE": "Nianbao",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no metric lines in the demo's output
}


def plan(files: list[Path], division: str, year: int) -> list[Upload]:
    """The example reports, then ``files``, each with its key; ValueError when two would share a
    key (the second upload would replace the first)."""
    uploads = [
        Upload(EXAMPLES / name, div, y) for name, (div, y) in EXAMPLE_DIVISIONS.items() if (EXAMPLES / name).exists()
    ]
    uploads += [Upload(path, division, year) for path in files]
    keys = [upload.key for upload in uploads]
    clashes = sorted({key for key in keys if keys.count(key) > 1})
    if clashes:
        raise ValueError(f"这些文件会上传到同一对象键（后者覆盖前者），请改名：{'、'.join(clashes)}")
    return uploads


def run(
    files: list[Path],
    *,
    division: str = "630122",
    year: int = 2023,
    root: Path | None = None,
    verbose: bool = False,
    then: Callable[[LocalStack, Result], None] | None = None,
    dashboard_url: str = LOCAL_DASHBOARD_URL,
) -> Result:
    """Stand the stack up on moto, load the example roster, upload, process, and report what
    happened to each upload and what the office's lists show. ``verbose`` lets the handler's JSON
    logs through. ``then`` is called with the stack and the result while moto still holds them
    (``nianbao demo --serve`` serves the dashboard there); notices link to ``dashboard_url``."""
    from nianbao.pipeline import s3_objects, services_from_env  # noqa: PLC0415

    uploads = plan(files, division, year)
    with moto_server():
        services_from_env.cache_clear()
        stack = deploy(aws.client, root=root or repository_root(), dashboard_url=dashboard_url)
        # the function's environment as the stack set it, quieter unless asked
        quiet = {"POWERTOOLS_LOG_LEVEL": "INFO" if verbose else "WARNING"}
        try:
            with environment(stack.environment | quiet):
                s3 = aws.client("s3")
                mapping = EventSourceMapping(
                    aws.client, stack.queue_url, load_handler(root), timeout_seconds=stack.timeout_seconds
                )
                # the scans ProcessReport hands on, read by OcrReport under its own environment
                ocr = stack.functions["OcrReportFunction"]
                scans = EventSourceMapping(
                    aws.client,
                    stack.ocr_queue_url,
                    load_function(stack, "OcrReportFunction", root, overrides=quiet),
                    batch_size=1,
                    timeout_seconds=ocr.timeout_seconds,
                )
                # the roster first, so that the reports find their bodies
                s3.put_object(Bucket=stack.bucket, Key=ROSTER_KEY, Body=ROSTER.read_bytes())
                mapping.run()
                for upload in uploads:
                    s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.path.read_bytes())
                deliveries = mapping.run()
                scans.run()  # the same objects (so the same report ids) as ProcessReport's deliveries
                # the ids the handler stored under: from the notifications it was given
                ids = {
                    obj.key: obj.report_id
                    for delivery in deliveries
                    for record in delivery.event["Records"]
                    for obj in s3_objects(json.loads(record["body"]))
                }
                store = services_from_env().store
                noticed = _noticed(stack)
                rows = []
                for upload in uploads:
                    report_id = ids.get(upload.key)
                    report = store.get(report_id) if report_id else None
                    findings = store.findings(report.report_id) if report else []
                    rows.append(Row(upload, report, findings, noticed.get(report_id or "", [])))
                years = sorted({u.year for u in uploads})
                loads = store.roster_loads("630122", limit=1)
                overdue, told = _overdue(stack, services_from_env())
                result = Result(
                    overdue=overdue,
                    overdue_offices=told,
                    rows=rows,
                    roster=loads[0] if loads else None,
                    current=[c for y in years for c in store.current_reports("63", y, limit=200).items],
                    missing={ROSTER_YEAR: store.missing_reports("630122", ROSTER_YEAR, limit=200).items},
                )
                if then is not None:
                    then(stack, result)
                return result
        finally:
            services_from_env.cache_clear()


def _overdue(stack: LocalStack, services: Any) -> tuple[list[str], list[str]]:
    """The overdue check as ReportOverdue runs it the day after the deadline: the roster's bodies
    with no 2023 report, and the offices their notice reached."""
    from nianbao.overdue import sweep  # noqa: PLC0415
    from nianbao.pipeline import Services  # noqa: PLC0415

    on_the_day = Services(services.s3, services.store, services.notifier, services.settings, now=lambda: OVERDUE_CHECK)
    summary = sweep(on_the_day, ROSTER_YEAR)
    names = [body.name for body_id in summary.bodies_noticed if (body := services.store.body(body_id)) is not None]
    noticed = _noticed(stack)
    offices = [office for office in stack.probes if any(office in told for told in noticed.values())]
    return names, offices


def _noticed(stack: LocalStack) -> dict[str, list[str]]:
    """Which offices got a notice about each report (by the ``report`` attribute)."""
    offices: dict[str, list[str]] = {}
    for office, url in stack.probes.items():
        for message in drain(aws.client, url):
            report_id = json.loads(message["Body"])["MessageAttributes"]["report"]["Value"]
            offices.setdefault(report_id, []).append(office)
    return offices
