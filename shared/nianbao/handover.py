"""Scans handed on to OcrReport. ProcessReport's zip has no room for OCR (its libraries are about
430 MB, past Lambda's 250 MB), so a file it finds pages without a text layer in (or an image) is
not stored there: it goes, as the S3 notification of the same object, to the OCR queue, whose
function (a container image with the OCR libraries and more memory) checks it again from the
start, with the same use case, and stores and notices it. A stored report that a re-check finds
to be a scan goes the same way, by its id.

Idempotent as the pipeline is: OcrReport stores an object's report only if it is absent, so a hand
over sent twice (a redelivered notification) costs a second reading at most, never a second record
or notice.
"""

from __future__ import annotations

import json
from typing import Any

from nianbao.events import S3Object, notification
from nianbao.model import CheckResult

RECHECK = "recheck"  # a hand-over message's key naming a stored report to re-check


def needs_ocr(result: CheckResult) -> bool:
    """Whether a result of a check without OCR left pages (or an image) unread for want of it."""
    return any(finding.code == "NO_TEXT_LAYER" for finding in result.findings)


def recheck_request(body: dict[str, Any]) -> str | None:
    """The report id a hand-over message asks to re-check (None: it is an S3 notification)."""
    report_id = body.get(RECHECK)
    return report_id if isinstance(report_id, str) and report_id else None


class ScanQueue:
    """The OCR queue: what ProcessReport and the re-check hand on to OcrReport."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def scan(self, obj: S3Object) -> None:
        """Hand on an uploaded object to be checked with OCR."""
        self._send(notification(obj))

    def recheck(self, report_id: str) -> None:
        """Hand on a stored report to be re-checked with OCR."""
        self._send({RECHECK: report_id})

    def _send(self, body: dict[str, Any]) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(body, ensure_ascii=False))
