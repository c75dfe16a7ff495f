"""The scanned-report generator (tests/synth/scan.py): image-only files of the right size and page
count, really tilted, grainy and JPEG-damaged, and reproducible from their seed."""

from __future__ import annotations

import copy
import dataclasses
import io
import random

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageSequence

from nianbao.spec import FormatVersion
from tests.synth.blocks import blocks
from tests.synth.scan import Scan, degrade, image_only_pdf, jpeg_artefacts, rasterise, scan_pdf, scanned_report, tiff
from tests.synth.to_pdf import FixtureUnavailable, to_pdf
from tests.synth.truth import Truth, random_truth

pytestmark = pytest.mark.unit

A4_MM = (210.0, 297.0)


def report_truth() -> Truth:
    return random_truth(random.Random(9), version=FormatVersion.V2021, year=2023)


def short_truth() -> Truth:
    """The report cut to its preamble and Table 2: one page, for the slower checks."""
    return dataclasses.replace(report_truth(), sections=(2,))


@pytest.fixture(scope="module")
def source_pdf() -> bytes:
    try:
        pdf = to_pdf(blocks(report_truth(), random.Random(9)), "reportlab")
        rasterise(pdf, 72)  # pdftoppm is there
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))
    return pdf


@pytest.fixture(scope="module")
def short_pdf(source_pdf: bytes) -> bytes:
    return to_pdf(blocks(short_truth(), random.Random(9)), "reportlab")


@pytest.fixture(scope="module")
def clean_pages(source_pdf: bytes) -> list[Image.Image]:
    return rasterise(source_pdf, 150)


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def darkest_row(page: Image.Image) -> tuple[int, float]:
    """The row with the least light on average, and that average: on an upright page, a table rule."""
    profile = page.convert("L").resize((1, page.height), Image.Resampling.BOX).tobytes()
    row = min(range(len(profile)), key=profile.__getitem__)
    return row, profile[row]


def measured_tilt(page: Image.Image, rule: int) -> float:
    """The tilt of the page, counterclockwise in degrees, from the table rules near row ``rule``
    (where the upright page has one): the angle that, undone, makes some row of the band darkest,
    a rule being then one row across the whole table. Coarse steps of 0.2°, then of 0.02°."""
    band = page.convert("L").crop((0, rule - 70, page.width, rule + 70))

    def darkness(angle: float) -> float:
        straight = band.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        return -min(straight.resize((1, band.height), Image.Resampling.BOX).tobytes())

    coarse = max((step / 5 for step in range(-13, 14)), key=darkness)
    return max((coarse + step / 50 for step in range(-10, 11)), key=darkness)


def table_page(pages: list[Image.Image]) -> tuple[int, int]:
    """The first page with a table rule on it, and the rule's row."""
    for number, page in enumerate(pages):
        row, light = darkest_row(page)
        if light < 160:
            return number, row
    raise AssertionError("no page holds a table rule")


def a4_pixels(dpi: int) -> tuple[int, int]:
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def test_the_pdf_has_one_image_and_no_text_on_every_page(source_pdf):
    # Given a rendered report (with a text layer) scanned the issue's main way
    rng = random.Random(1)
    scanned = scan_pdf(source_pdf, Scan.random(rng), rng, "pdf")

    # Then every page of the scan is one image and no text, A4 in size, as many pages as the report
    assert page_count(scanned) == page_count(source_pdf) >= 2
    document = pdfium.PdfDocument(scanned)
    try:
        for page in document:
            assert page.get_textpage().get_text_range() == ""
            assert len(list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))) == 1
            width, height = page.get_size()
            assert width == pytest.approx(A4_MM[0] / 25.4 * 72, abs=1.0)
            assert height == pytest.approx(A4_MM[1] / 25.4 * 72, abs=1.0)
    finally:
        document.close()


@pytest.mark.parametrize(("dpi", "kind", "report"), [(150, "png", "source_pdf"), (200, "jpeg", "short_pdf")])
def test_page_images_have_the_size_the_dpi_gives_and_the_tilt_asked_for(request, dpi, kind, report):
    # Given a report (both begin with the same page) scanned tilted up to 2°, JPEG-damaged, grainy
    pdf = request.getfixturevalue(report)
    rng = random.Random(dpi)
    scan = Scan.random(rng, dpi=dpi, max_tilt=2.0)

    # When it is saved as one image file per page
    files = scan_pdf(pdf, scan, rng, kind)

    # Then there is one file per page, A4 at the dpi (1240 x 1754 at 150 dpi), the dpi recorded
    assert len(files) == page_count(pdf)
    pages = [Image.open(io.BytesIO(data)) for data in files]
    for page in pages:
        assert page.format == kind.upper()
        assert page.size[0] == pytest.approx(a4_pixels(dpi)[0], abs=1)
        assert page.size[1] == pytest.approx(a4_pixels(dpi)[1], abs=1)
        assert page.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)  # PNG stores pixels per metre
    # and the table's rules lean by the scan's tilt
    number, rule = table_page(request.getfixturevalue("clean_pages"))  # at 150 dpi
    assert measured_tilt(pages[number], round(rule * dpi / 150)) == pytest.approx(scan.tilt, abs=0.3)


@pytest.mark.parametrize(
    "scan",
    [
        Scan(tilt=0.0),
        Scan(tilt=-2.0, grain=10.0),
        Scan(tilt=0.6, grain=6.0),
        Scan(tilt=1.7, grain=8.0, photo=True),
    ],
    ids=["upright", "clockwise-2", "slight", "photo"],
)
def test_the_tilt_is_applied(clean_pages, scan):
    # Given an upright page holding a table
    number, rule = table_page(clean_pages)

    # When it is scanned
    scanned = degrade(clean_pages[number], scan, random.Random(3))

    # Then its rules lean by the tilt (counterclockwise positive), the page size unchanged
    assert scanned.size == clean_pages[number].size
    assert scanned.mode == ("RGB" if scan.photo else "L")
    assert measured_tilt(scanned, rule) == pytest.approx(scan.tilt, abs=0.3)


def corners(page: Image.Image, size: int = 150) -> list[bytes]:
    """The grey levels of the page's four corners (margin: paper only), grayscale."""
    w, h = page.size
    boxes = [(0, 0), (w - size, 0), (0, h - size), (w - size, h - size)]
    return [page.convert("L").crop((x, y, x + size, y + size)).tobytes() for x, y in boxes]


def test_grain_scatters_the_paper_and_a_photo_greys_it_unevenly(clean_pages):
    # Given an upright page
    page = clean_pages[0]

    # When it is scanned with grain, and photographed
    grainy = corners(degrade(page, Scan(grain=8.0), random.Random(1)))
    photo = corners(degrade(page, Scan(photo=True), random.Random(1)))

    # Then the scanned paper is white on average but speckled; the photo's paper is grey, and
    # lighter in one corner than another
    assert all(240 <= sum(corner) / len(corner) <= 255 and min(corner) < 235 for corner in grainy)
    assert all(max(corner) < 240 for corner in photo)
    light = [sum(corner) / len(corner) for corner in photo]
    assert max(light) - min(light) > 5


def test_jpeg_quality_changes_the_bytes(clean_pages):
    # Given the same degraded pages
    pages = [degrade(page, Scan(tilt=0.5, grain=5.0), random.Random(2)) for page in clean_pages]

    # When they are saved at two JPEG qualities
    low, high = image_only_pdf(pages, 150, quality=30), image_only_pdf(pages, 150, quality=90)

    # Then the files differ, the lower quality smaller, on every page (the quality reaches them all)
    assert low != high
    assert len(low) < len(high) * 0.7
    assert jpeg_artefacts(pages[0], 30).tobytes() != jpeg_artefacts(pages[0], 90).tobytes()
    assert jpeg_artefacts(pages[-1], 30).tobytes() != pages[-1].tobytes()
    assert page_count(low) == page_count(high) == len(pages)


def test_the_tiff_holds_every_page(source_pdf, clean_pages):
    # Given a report scanned to TIFF
    rng = random.Random(4)
    data = scan_pdf(source_pdf, Scan.random(rng), rng, "tiff")

    # Then one file holds every page, each A4 at 150 dpi
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "TIFF"
        frames = [(frame.size, frame.info["dpi"]) for frame in ImageSequence.Iterator(image)]
    assert len(frames) == len(clean_pages) == page_count(source_pdf)
    for (size, dpi), page in zip(frames, clean_pages, strict=True):
        assert size == page.size
        assert dpi == pytest.approx((150, 150), abs=0.05)
    # and one page gives a single-page TIFF
    with Image.open(io.BytesIO(tiff(clean_pages[:1], 150))) as single:
        assert len(list(ImageSequence.Iterator(single))) == 1


def test_the_same_seed_gives_the_same_report_and_the_truth_is_untouched(short_pdf):
    # Given a report's truth
    truth = short_truth()
    before = copy.deepcopy(truth)

    # When it is scanned to PDF twice from the same seed
    def scanned(seed: int) -> bytes:
        rng = random.Random(seed)
        return scanned_report(truth, rng, Scan.random(rng), "pdf")

    # Then the two are identical byte for byte (no time stamp), and the truth is as it was
    assert scanned(5) == scanned(5)
    assert truth == before


def test_the_same_seed_gives_the_same_photos(short_pdf):
    def scanned(seed: int) -> list[bytes]:
        rng = random.Random(seed)
        return scan_pdf(short_pdf, Scan.random(rng, photo=True), rng, "jpeg")

    assert scanned(5) == scanned(5)


def test_another_seed_gives_other_grain_and_light(clean_pages):
    page = clean_pages[0]
    for scan in (Scan(grain=5.0), Scan(photo=True)):
        assert degrade(page, scan, random.Random(5)).tobytes() == degrade(page, scan, random.Random(5)).tobytes()
        assert degrade(page, scan, random.Random(5)).tobytes() != degrade(page, scan, random.Random(6)).tobytes()


@pytest.mark.parametrize(
    "bad",
    [{"dpi": 30}, {"tilt": 7.0}, {"grain": -1.0}, {"jpeg_quality": 0}, {"jpeg_quality": 100}],
)
def test_a_scan_outside_its_bounds_is_refused(bad):
    with pytest.raises(ValueError, match=r"outside|beyond"):
        Scan(**bad)


def test_random_scans_stay_within_the_issue_bounds():
    rng = random.Random(0)
    scans = [Scan.random(rng) for _ in range(200)]
    assert all(scan.dpi == 150 and scan.jpeg_quality == 70 and not scan.photo for scan in scans)
    assert all(abs(scan.tilt) <= 1.0 and scan.grain > 0 for scan in scans)
    assert max(abs(Scan.random(rng, max_tilt=2.0).tilt) for _ in range(200)) > 1.5


def test_an_unknown_kind_is_refused(source_pdf):
    with pytest.raises(ValueError, match="unknown kind"):
        scan_pdf(source_pdf, Scan(), random.Random(0), "gif")  # type: ignore[call-overload]
