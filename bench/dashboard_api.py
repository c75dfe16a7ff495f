"""The dashboard API's latency on a full findings table, against the table's own speed.

The stack is created from template.yaml on moto (in process); 2,000 current reports (by default)
are stored across the province's counties, each a real run of the checker on an example report
(the failing PDF, a failing and a clean text report), as the pipeline stores them (runs.build).
Then, for the list endpoint (/api/reports, a page of 50 for the province, first pages and pages
behind a cursor) and the report endpoint (/api/reports/<id>, random reports), the p50 and p95
latency of the DashboardApi handler called with API Gateway events, against a plain DynamoDB
query of the same page (the Current index page; the report's partition). The ratio is what the API
adds: scoping, the joins (bodies, findings, detail, versions, triage), JSON.

    python -m bench.dashboard_api [--reports 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "shared" / "nianbao" / "examples"
SOURCES = ("2023-results-total-wrong.pdf", "2023-draft-unbalanced.txt", "2023-clean.txt")
# the counties the reports are spread over (Qinghai's prefectures and counties)
COUNTIES = ("630102", "630103", "630104", "630105", "630106", "630121", "630122", "630123", "632121", "632122")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], Any], rounds: int) -> list[float]:
    for _ in range(min(5, rounds)):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def fill(store: Any, bucket: str, reports: int) -> list[str]:
    """``reports`` current reports, each a stored run of one of the examples; returns their ids."""
    from nianbao.check import check_bytes  # noqa: PLC0415
    from nianbao.events import S3Object  # noqa: PLC0415
    from nianbao.runs import build  # noqa: PLC0415
    from nianbao.store import BodyRecord  # noqa: PLC0415

    results = [check_bytes((EXAMPLES / name).read_bytes(), name) for name in SOURCES]
    start = datetime(2024, 1, 20, tzinfo=UTC)
    ids = []
    for n in range(reports):
        division = COUNTIES[n % len(COUNTIES)]
        name = SOURCES[n % len(SOURCES)]
        body = BodyRecord(body_id=f"{division}-b{n:05d}", name=f"第{n}号机关", kind="部门", division=division)
        store.put_bodies([body])
        obj = S3Object(bucket, f"reports/{division}/2023/{n:05d}-{name}", version_id=f"v{n}", size=1000)
        run = build(obj, results[n % len(results)], body, {}, now=start + timedelta(seconds=n), grace_seconds=300)
        store.save_run(run.report, run.findings, run.detail)
        store.make_current(run.report)
        ids.append(run.report.report_id)
    return ids


def _environment() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "nianbao",
    }.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    logging.getLogger("moto").setLevel(logging.ERROR)


class Bench:
    """The calls timed: the API's two endpoints and the plain queries of the same pages."""

    def __init__(self, handler: Any, client: Any, table: str, ids: list[str], rng: random.Random) -> None:
        from nianbao.local.stack import LambdaContext  # noqa: PLC0415

        self.handler, self.client, self.table, self.ids, self.rng = handler, client, table, ids, rng
        self.context = LambdaContext(function_name="DashboardApiFunction", timeout_seconds=29)
        self.claims = {"custom:division": "63", "email": "bench@example.cn"}
        self.cursors: list[str | None] = [None]  # the list's first pages, as a user paging reads them
        while len(self.cursors) < 10:
            page = json.loads(self._page(self.cursors[-1])["body"])
            if not page["cursor"]:
                break
            self.cursors.append(page["cursor"])

    def api(self, target: str) -> dict[str, Any]:
        from nianbao.dashboard.local import event  # noqa: PLC0415

        response: dict[str, Any] = self.handler(event("GET", target, {"host": "bench"}, b"", self.claims), self.context)
        assert response["statusCode"] == 200, response
        return response

    def _page(self, cursor: str | None) -> dict[str, Any]:
        return self.api("/api/reports?year=2023&limit=50" + (f"&cursor={cursor}" if cursor else ""))

    def list_page(self) -> None:
        self._page(self.rng.choice(self.cursors))

    def plain_list(self) -> None:
        from nianbao.store.records import decode_cursor  # noqa: PLC0415

        cursor = self.rng.choice(self.cursors)
        start = decode_cursor(decode_cursor(cursor).get("c")).get("k") if cursor else None
        self.client.query(
            TableName=self.table,
            IndexName="Current",
            KeyConditionExpression="cur_pk = :p",
            ExpressionAttributeValues={":p": {"S": "C#63#2023"}},
            Limit=50,
            **({"ExclusiveStartKey": start} if start else {}),
        )

    def report(self) -> None:
        self.api(f"/api/reports/{self.rng.choice(self.ids)}")

    def plain_report(self) -> None:
        self.client.query(
            TableName=self.table,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": f"REPORT#{self.rng.choice(self.ids)}"}},
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    _environment()
    from moto import mock_aws  # noqa: PLC0415

    from nianbao import aws  # noqa: PLC0415
    from nianbao.dashboard.local import dashboard_environment, load_dashboard_handler  # noqa: PLC0415
    from nianbao.local.stack import deploy, environment  # noqa: PLC0415
    from nianbao.store import FindingsStore  # noqa: PLC0415

    with mock_aws():
        aws.reset()
        stack = deploy(aws.client)
        table = stack.outputs["FindingsTableName"]
        client = aws.client("dynamodb")
        started = time.perf_counter()
        ids = fill(FindingsStore(client, table), stack.bucket, args.reports)
        print(f"stored {len(ids)} current reports in {time.perf_counter() - started:.1f} s (moto, in process)")
        with environment(dashboard_environment(table, stack.bucket, 2023)):
            bench = Bench(load_dashboard_handler(), client, table, ids, random.Random(7))
            rows = []
            for name, call, baseline in (
                ("list (50 rows)", bench.list_page, bench.plain_list),
                ("report", bench.report, bench.plain_report),
            ):
                api_p50, api_p95 = _percentiles(_time(call, args.requests))
                base_p50, base_p95 = _percentiles(_time(baseline, args.requests))
                rows.append((name, api_p50, api_p95, base_p50, base_p95))
    print(f"{'endpoint':<16}{'API p50':>10}{'API p95':>10}{'query p50':>11}{'query p95':>11}{'p95 ratio':>11}")
    for name, api_p50, api_p95, base_p50, base_p95 in rows:
        print(
            f"{name:<16}{api_p50 * 1000:>8.1f}ms{api_p95 * 1000:>8.1f}ms{base_p50 * 1000:>9.1f}ms"
            f"{base_p95 * 1000:>9.1f}ms{api_p95 / base_p95:>10.1f}x"
        )


if __name__ == "__main__":
    main()
