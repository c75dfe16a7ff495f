"""A page of an uploaded PDF as a PNG, for the report view: rendered by pypdfium2 on first request
and cached in the bucket (under a prefix the pipeline does not watch), so that later views read
one small object. The finding's box is drawn by the page over the image, from the box in PDF
points and the page's size that the finding carries.

The PDF passed the pipeline's reader, and it is read again with the same guard (the stream
preflight) and limits (bytes, pages) before pdfium renders it.
"""

from __future__ import annotations

import io
import time
from typing import Any

from nianbao.store import StoredReport

SCALE = 1.5  # 108 dpi: an A4 page is 893 x 1263 pixels, table digits legible, ~150 KB of PNG


class PageError(LookupError):
    """No image of this page (not a PDF, no such page, a file that cannot be rendered)."""


def _cached(s3: Any, bucket: str, key: str) -> bytes | None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def render(data: bytes, number: int, *, max_pages: int, scale: float = SCALE, seconds: float = 20.0) -> bytes:
    """Page ``number`` (1-based) of the PDF ``data`` as PNG bytes."""
    import pypdfium2 as pdfium  # noqa: PLC0415 - only page images need it

    from nianbao.extract.document import ExtractError  # noqa: PLC0415
    from nianbao.extract.pdf_preflight import check_streams  # noqa: PLC0415

    try:
        check_streams(data, time.monotonic() + seconds)
        pdf = pdfium.PdfDocument(data)
    except (ExtractError, pdfium.PdfiumError) as error:
        raise PageError("原文件无法显示") from error
    try:
        if not 1 <= number <= min(len(pdf), max_pages):
            raise PageError("没有这一页")
        page = pdf[number - 1]
        try:
            image = page.render(scale=scale).to_pil()
        except pdfium.PdfiumError as error:
            raise PageError("这一页无法显示") from error
        finally:
            page.close()
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def page_image(
    s3: Any,
    report: StoredReport,
    number: int,
    *,
    cache_key: str,
    cache_bucket: str,
    max_bytes: int,
    max_pages: int,
) -> bytes:
    """The PNG of page ``number`` of ``report``'s own version of the file, from the cache or
    rendered and cached."""
    if report.file_type != "pdf":
        raise PageError("只有 PDF 文件可以显示原页")
    cached = _cached(s3, cache_bucket, cache_key)
    if cached is not None:
        return cached
    if report.size is not None and report.size > max_bytes:
        raise PageError("原文件过大，无法显示")
    params: dict[str, Any] = {"Bucket": report.bucket, "Key": report.key}
    if report.version_id:
        params["VersionId"] = report.version_id
    body = s3.get_object(**params)["Body"]
    data = body.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PageError("原文件过大，无法显示")
    png = render(data, number, max_pages=max_pages)
    s3.put_object(Bucket=cache_bucket, Key=cache_key, Body=png, ContentType="image/png")
    return png
