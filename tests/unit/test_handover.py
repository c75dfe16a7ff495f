"""Handing scans on to OcrReport (nianbao.handover): the notification it sends is read back as the
very object it names, a recheck request is told from a notification, and only a check that left
pages unread for want of OCR hands a file on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from nianbao.check import check_bytes
from nianbao.events import S3Object, notification, s3_objects
from nianbao.handover import needs_ocr, recheck_request

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT / "tests" / "fixtures" / "documents"
EXAMPLES = ROOT / "shared" / "nianbao" / "examples"

_KEY_PART = st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20)
_OPTIONAL = st.none() | st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(_KEY_PART, min_size=1, max_size=4),
    version_id=_OPTIONAL,
    etag=_OPTIONAL,
    size=st.none() | st.integers(min_value=0, max_value=5 * 2**30),
    sequencer=_OPTIONAL,
    event_time=_OPTIONAL,
    uploader=_OPTIONAL,
)
def test_a_hand_over_names_exactly_the_object_it_was_made_for(
    parts, version_id, etag, size, sequencer, event_time, uploader
):
    obj = S3Object("nianbao-reports", "/".join(parts), version_id, etag, size, sequencer, event_time, uploader)
    body = json.loads(json.dumps(notification(obj), ensure_ascii=False))  # through the queue as text
    assert s3_objects(body) == [obj]
    assert s3_objects(body)[0].report_id == obj.report_id  # so OcrReport stores it under the same id
    assert recheck_request(body) is None


def test_a_key_is_sent_url_encoded_as_s3_sends_it():
    obj = S3Object("b", "reports/630122/2024/年报 (1)+附件.pdf")
    [record] = notification(obj)["Records"]
    assert record["s3"]["object"]["key"] == "reports/630122/2024/%E5%B9%B4%E6%8A%A5+%281%29%2B%E9%99%84%E4%BB%B6.pdf"


@pytest.mark.parametrize(
    ("body", "report_id"),
    [
        ({"recheck": "5f0c"}, "5f0c"),
        ({"recheck": ""}, None),
        ({"recheck": 12}, None),
        ({"Records": []}, None),
        ({"Event": "s3:TestEvent"}, None),
    ],
)
def test_a_recheck_request_is_told_from_a_notification(body, report_id):
    assert recheck_request(body) == report_id


def _png_with_writing() -> bytes:
    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).text((20, 80), "2023 annual report", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_only_a_check_that_left_pages_unread_for_want_of_ocr_hands_on(monkeypatch):
    monkeypatch.setenv("NIANBAO_OCR", "off")  # as in ProcessReport
    assert needs_ocr(check_bytes((DOCUMENTS / "r2021-scan.pdf").read_bytes(), "part-scanned.pdf"))
    assert needs_ocr(check_bytes(_png_with_writing(), "photo.png"))
    assert not needs_ocr(check_bytes((DOCUMENTS / "r2021-reportlab.pdf").read_bytes(), "text.pdf"))
    assert not needs_ocr(check_bytes((EXAMPLES / "2022-unbalanced.txt").read_bytes(), "text.txt"))
    assert not needs_ocr(check_bytes(b"%PDF-1.7\n1 0 obj <<\n garbage", "broken.pdf"))  # unreadable, not a scan
