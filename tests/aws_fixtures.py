"""moto fixtures shared by the integration and end-to-end tests: fake credentials set before any
client exists, a fresh mock per test, the stack deployed from template.yaml itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from moto import mock_aws

from nianbao import aws
from nianbao.local.stack import LocalStack, deploy
from nianbao.pipeline import services_from_env
from nianbao.store import StoredReport
from nianbao.store.ports import ReportStore

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "nianbao",
        "POWERTOOLS_METRICS_NAMESPACE": "Nianbao",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mocked() -> Iterator[None]:
    aws.reset()
    services_from_env.cache_clear()
    with mock_aws():
        yield
    aws.reset()
    services_from_env.cache_clear()


@pytest.fixture
def stack(mocked: None, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    """The template's stack on moto, and the function's environment as it configures it."""
    local = deploy(aws.client)
    for name, value in local.environment.items():
        monkeypatch.setenv(name, value)
    return local


def all_stored(store: ReportStore, years: range = range(2017, 2027)) -> list[StoredReport]:
    """Every upload the store holds (year 0 and ``years``), read whole, through the lists only."""
    found: list[StoredReport] = []
    for year in (0, *years):
        cursor: str | None = None
        while True:
            page = store.all_reports("", year, cursor)
            found.extend(report for row in page.items if (report := store.get(row.report_id)) is not None)
            if page.cursor is None:
                break
            cursor = page.cursor
    return found


_EVENTS = Path(__file__).resolve().parents[1] / "events"


def aws_event(
    bucket: str, key: str, put: dict[str, Any], sequencer: str, event_time: str = "2024-01-25T02:14:36.218Z"
) -> dict[str, Any]:
    """The SQS message of an S3 notification as AWS sends it for a versioned bucket (version id,
    sequencer, event time and the uploader's principal, which moto's events leave out), built
    from events/s3-put.json; ``put`` is S3's answer to the upload."""
    record = json.loads((_EVENTS / "s3-put.json").read_text(encoding="utf-8"))["Records"][0]
    record["eventTime"] = event_time
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["object"] = {
        "key": quote_plus(key, safe="/"),
        "size": 1,
        "eTag": put["ETag"].strip('"'),
        "versionId": put["VersionId"],
        "sequencer": sequencer,
    }
    body = json.dumps({"Records": [record]})
    return {"Records": [{
        "messageId": f"m-{sequencer}", "receiptHandle": "r", "body": body, "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:nianbao-ReportsQueue", "awsRegion": "us-east-1",
    }]}  # fmt: skip
