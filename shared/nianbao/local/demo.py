"""``nianbao demo``: the whole system on this machine, no AWS account.

moto runs in server mode on 127.0.0.1; the stack is created from template.yaml (see stack.py for
the shim); the example reports (and any files given) are uploaded under
reports/<division>/<year>/; the real handler is called on the real queue messages; and what was
stored and which offices were notified is printed. Nothing here re-implements the pipeline.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nianbao import aws
from nianbao.local.stack import EventSourceMapping, LocalStack, deploy, drain, load_handler, repository_root
from nianbao.model import Finding
from nianbao.store import StoredReport

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Where each example is filed: a county (630122 湟中区), another district of the same city
# (630105 城北区) and a county of another prefecture (632121 平安区); all in the province 63.
EXAMPLE_DIVISIONS = {
    "2022-unbalanced.txt": ("630122", 2022),
    "2023-clean.txt": ("630122", 2023),
    "2023-outdated-2019-layout.txt": ("630105", 2023),
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


@dataclass
class Row:
    upload: Upload
    report: StoredReport | None  # None: nothing was stored (a defect the demo makes visible)
    findings: list[Finding]
    offices: list[str]  # the offices whose probe queue received the report's notice


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
) -> list[Row]:
    """Stand the stack up on moto, upload, process, and report what happened to each upload.
    ``verbose`` lets the handler's JSON logs through."""
    from nianbao.pipeline import s3_objects, services_from_env  # noqa: PLC0415

    uploads = plan(files, division, year)
    with moto_server():
        services_from_env.cache_clear()
        stack = deploy(aws.client, root=root or repository_root())
        # the function's environment as the stack set it, quieter unless asked
        quiet = {"POWERTOOLS_LOG_LEVEL": "INFO" if verbose else "WARNING"}
        try:
            with environment(stack.environment | quiet):
                s3 = aws.client("s3")
                for upload in uploads:
                    s3.put_object(Bucket=stack.bucket, Key=upload.key, Body=upload.path.read_bytes())
                deliveries = EventSourceMapping(
                    aws.client, stack.queue_url, load_handler(root), timeout_seconds=stack.timeout_seconds
                ).run()
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
        finally:
            services_from_env.cache_clear()
    return rows


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the duration, and what was there before put back after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _noticed(stack: LocalStack) -> dict[str, list[str]]:
    """Which offices got a notice about each report (by the ``report`` attribute)."""
    offices: dict[str, list[str]] = {}
    for office, url in stack.probes.items():
        for message in drain(aws.client, url):
            report_id = json.loads(message["Body"])["MessageAttributes"]["report"]["Value"]
            offices.setdefault(report_id, []).append(office)
    return offices
