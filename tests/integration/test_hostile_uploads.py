"""Every hostile file of tests/hostile.py, uploaded: a stored result within the limits, checked by
a child whose peak memory stays under the function's memory setting, and the office told of
what it cannot read. (The readers' own bounds are tested in tests/unit/test_hostile_files.py;
this is the pipeline's promise on top of them.)"""

from __future__ import annotations

import pytest

from nianbao import aws
from nianbao.local.stack import LocalStack
from nianbao.model import Status
from nianbao.pipeline import S3Object, process, services_from_env
from nianbao.store import NoticeState
from tests.hostile import HOSTILE, READABLE

pytestmark = pytest.mark.integration

FUNCTION_MEMORY_MB = 1024  # template.yaml, Globals.Function.MemorySize


def test_every_hostile_upload_is_a_stored_result_within_the_functions_memory(stack: LocalStack, monkeypatch):
    # Given the function's settings (its memory and its time limit)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(FUNCTION_MEMORY_MB))
    services_from_env.cache_clear()
    services = services_from_env()
    seconds = services.settings.sandbox.wall_seconds
    s3 = aws.client("s3")
    outcomes = {}
    for name, build in sorted(HOSTILE.items()):
        key = f"reports/630122/2024/{name}"
        put = s3.put_object(Bucket=stack.bucket, Key=key, Body=build())
        # When each is uploaded and processed
        outcomes[name] = process(S3Object(stack.bucket, key, put.get("VersionId"), put["ETag"]), services)
    # Then each is stored, within the limits
    for name, outcome in outcomes.items():
        assert outcome.stored, name
        assert outcome.peak_rss_mb is not None
        assert outcome.peak_rss_mb < FUNCTION_MEMORY_MB, name
        assert outcome.check_seconds is not None
        assert outcome.check_seconds < seconds, name
        stored = services.store.get(outcome.report_id)
        assert stored is not None
        if name in READABLE:  # a hostile shape around a real report: read, not refused
            assert stored.status is not Status.UNREADABLE, name
        elif stored.status is Status.UNREADABLE:
            # the office is told why its upload could not be read
            assert stored.notice is NoticeState.SENT, name
            [finding] = services.store.findings(outcome.report_id)
            assert finding.code == "INPUT_UNREADABLE", name
    refused = {n for n, o in outcomes.items() if o.status is Status.UNREADABLE}
    for bomb in ("docx_zip_bomb", "docx_gridspan_bomb", "html_span_bomb", "pdf_flate_bomb", "pdf_operator_bomb"):
        assert bomb in refused
    assert not outcomes.keys() - HOSTILE.keys()
