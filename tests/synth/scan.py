"""Scanned copies of rendered reports: the test data for reading reports by OCR (issue 9).

A report rendered by ``to_pdf`` is rasterised page by page with poppler's ``pdftoppm`` (grayscale,
150 or 200 dpi, as offices scan), then degraded the way a scanner or a phone degrades it, and
wrapped the ways such copies are put online: an image-only PDF (one JPEG per page, no text layer),
PNG or JPEG files (one per page), or a TIFF holding every page.

The degradations, in the order the page meets them:

- tilt: the paper lies askew on the glass; the page turns about its centre (counterclockwise for a
  positive angle, as the image is viewed) and the uncovered corners are white;
- photo (optional): a phone photo instead of a scan: lower contrast, uneven lighting (a vignette
  and a gradient from a random side) and a slight blur, in warm-tinted colour;
- grain: additive Gaussian noise, drawn from the seeded ``random.Random`` (Pillow's own noise comes
  from the C library's generator and would make the files differ between runs);
- JPEG: the page is JPEG-encoded once at ``jpeg_quality``; PNG and TIFF files keep the artefacts.

Nothing here changes what the report states: the ``Truth`` it was rendered from is the truth of
every cell of every scanned copy. Same truth, seed and ``Scan`` give the same bytes.
Pillow only (no numpy, no OpenCV); ``pdftoppm`` missing raises ``FixtureUnavailable``.
"""

from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Literal, overload

from PIL import Image, ImageChops, ImageFilter

from tests.synth.blocks import blocks
from tests.synth.to_pdf import FixtureUnavailable, Generator, to_pdf
from tests.synth.truth import Truth

Kind = Literal["pdf", "png", "jpeg", "tiff"]
KINDS: tuple[Kind, ...] = ("pdf", "png", "jpeg", "tiff")
DPIS = (150, 200)  # what offices scan at
MAX_TILT = 5.0  # degrees; the issue asks for up to ±2
UNSET_JPEG_QUALITY = 95  # PDF pages and JPEG files are always JPEG: near-lossless when no quality is set
PDFTOPPM_TIMEOUT_S = 60.0
# Pillow's PDF writer stamps the current time; a fixed one keeps the bytes reproducible.
FIXED_TIME = time.gmtime(1704067200)  # 2024-01-01 00:00:00 UTC


@dataclass(frozen=True)
class Scan:
    """How a page was scanned (or photographed) and saved.

    ``tilt`` is in degrees, counterclockwise as the image is viewed; ``grain`` the standard
    deviation of the added noise in grey levels (0-255); ``jpeg_quality`` None saves lossless
    images (PNG, TIFF) without JPEG artefacts; ``photo`` makes a phone photo of the page instead.
    """

    dpi: int = 150
    tilt: float = 0.0
    grain: float = 0.0
    jpeg_quality: int | None = None
    photo: bool = False

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 600:
            raise ValueError(f"dpi {self.dpi} is outside 72-600")
        if not abs(self.tilt) <= MAX_TILT:
            raise ValueError(f"tilt {self.tilt}° is beyond ±{MAX_TILT}°")
        if not 0 <= self.grain <= 40:
            raise ValueError(f"grain {self.grain} is outside 0-40 grey levels")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 95:
            raise ValueError(f"JPEG quality {self.jpeg_quality} is outside 1-95")

    @classmethod
    def random(
        cls,
        rng: random.Random,
        *,
        dpi: int = 150,
        max_tilt: float = 1.0,
        jpeg_quality: int | None = 70,
        photo: bool = False,
    ) -> Scan:
        """The issue's main case by default: 150 dpi, a tilt within ±1°, some grain, JPEG quality
        70. ``max_tilt=2`` gives the harder tilts; ``photo=True`` the phone photo."""
        grain = rng.uniform(6.0, 12.0) if photo else rng.uniform(3.0, 9.0)
        return cls(dpi=dpi, tilt=rng.uniform(-max_tilt, max_tilt), grain=grain, jpeg_quality=jpeg_quality, photo=photo)


# --- rasterise -----------------------------------------------------------------------------------
def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page of ``pdf`` as a grayscale image at ``dpi``, by ``pdftoppm`` (anti-aliased).

    Raises ``FixtureUnavailable`` when poppler-utils is not installed.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise FixtureUnavailable("pdftoppm (poppler-utils) is not installed; it rasterises the scanned fixtures")
    with tempfile.TemporaryDirectory(prefix="nianbao-scan-") as work:
        folder = Path(work)
        source = folder / "report.pdf"
        source.write_bytes(pdf)
        command = [pdftoppm, "-r", str(dpi), "-gray", str(source), str(folder / "page")]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDFTOPPM_TIMEOUT_S, check=False)  # noqa: S603
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"pdftoppm did not rasterise the PDF within {PDFTOPPM_TIMEOUT_S:.0f} s") from error
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"pdftoppm failed (exit {done.returncode}): {detail}")
        # page-1.pgm ... page-12.pgm: pdftoppm pads the numbers, but sort on them rather than trust it
        files = sorted(folder.glob("page-*.pgm"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
        pages = []
        for path in files:
            with Image.open(path) as image:
                pages.append(image.convert("L"))  # a loaded copy: the file goes with the folder
    if not pages:
        raise RuntimeError("pdftoppm wrote no pages")
    return pages


# --- degrade -------------------------------------------------------------------------------------
def _grain(image: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    """Add Gaussian noise of standard deviation ``sigma``: uniform random bytes from ``rng`` mapped
    through the normal quantile function (a lookup table), centred on 128, then added."""
    if sigma <= 0:
        return image
    normal = NormalDist(128.0, sigma)
    table = [min(255, max(0, round(normal.inv_cdf((level + 0.5) / 256)))) for level in range(256)]
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height)).point(table)
    bands = [ImageChops.add(band, noise, scale=1.0, offset=-128) for band in image.split()]
    return bands[0] if len(bands) == 1 else Image.merge(image.mode, bands)


def _lighting(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A smooth field of light (255 = full light): brightest near a random spot, falling off as a
    vignette and darker towards a random side, as a page photographed under a desk lamp."""
    columns, rows = 24, 34  # a coarse grid, enlarged bicubically: no edges anywhere
    direction = rng.uniform(0.0, 2 * math.pi)
    slope, vignette = rng.uniform(0.15, 0.35), rng.uniform(0.10, 0.25)
    spot_x, spot_y = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)
    values = []
    for j in range(rows):
        for i in range(columns):
            x, y = i / (columns - 1), j / (rows - 1)
            side = ((x - 0.5) * math.cos(direction) + (y - 0.5) * math.sin(direction)) / math.sqrt(0.5)  # -1..1
            light = 1.0 - slope * (side + 1) / 2 - vignette * ((x - spot_x) ** 2 + (y - spot_y) ** 2) / 0.5
            values.append(round(255 * min(1.0, max(0.35, light))))
    return Image.frombytes("L", (columns, rows), bytes(values)).resize(size, Image.Resampling.BICUBIC)


def _photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the page: paper greyer and ink lighter, lit unevenly, slightly blurred."""
    paper, ink = rng.uniform(205.0, 235.0), rng.uniform(35.0, 70.0)
    image = image.point([round(ink + level * (paper - ink) / 255) for level in range(256)])
    image = ImageChops.multiply(image, _lighting(image.size, rng))
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))


def _tint(image: Image.Image, rng: random.Random) -> Image.Image:
    """Warm indoor light on a camera: the grey page in colour, blue and green slightly weaker."""
    green, blue = rng.uniform(0.94, 0.99), rng.uniform(0.82, 0.92)
    return Image.merge(
        "RGB",
        (
            image,
            image.point([round(v * green) for v in range(256)]),
            image.point([round(v * blue) for v in range(256)]),
        ),
    )


def degrade(page: Image.Image, scan: Scan, rng: random.Random) -> Image.Image:
    """One rasterised page as the scanner (or camera) gives it, before it is saved: tilted, for a
    photo lit unevenly, blurred and tinted, then grainy. Grayscale ("L"); RGB for a photo."""
    image = page.convert("L")
    if scan.tilt:
        image = image.rotate(scan.tilt, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if scan.photo:
        image = _photo(image, rng)
    image = _grain(image, scan.grain, rng)
    return _tint(image, rng) if scan.photo else image


# --- wrap ----------------------------------------------------------------------------------------
def jpeg(page: Image.Image, dpi: int, quality: int) -> bytes:
    """The page as a JPEG file at ``quality``, its resolution recorded."""
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()


def jpeg_artefacts(page: Image.Image, quality: int) -> Image.Image:
    """The page after a round trip through JPEG at ``quality``: blocks and ringing, kept."""
    with Image.open(io.BytesIO(jpeg(page, 72, quality))) as image:
        return image.convert(page.mode)


def png(page: Image.Image, dpi: int) -> bytes:
    """The page as a PNG file, its resolution recorded."""
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(dpi, dpi), compress_level=1)  # grain barely compresses: higher levels cost 4x
    return out.getvalue()


def tiff(pages: Sequence[Image.Image], dpi: int) -> bytes:
    """The pages as one TIFF file (a single-page TIFF for one page), LZW-compressed as scanners do."""
    out = io.BytesIO()
    first, *rest = pages
    first.save(out, format="TIFF", save_all=True, append_images=rest, compression="tiff_lzw", dpi=(dpi, dpi))
    return out.getvalue()


def image_only_pdf(pages: Sequence[Image.Image], dpi: int, quality: int = UNSET_JPEG_QUALITY) -> bytes:
    """The pages as a PDF of images only, as a scanner's "scan to PDF" makes it: one JPEG per page
    (DCTDecode, at ``quality``), no text layer, the page the paper's size at ``dpi``."""
    out = io.BytesIO()
    first, *rest = pages
    first.save(
        out,
        format="PDF",
        save_all=True,
        append_images=rest,
        resolution=float(dpi),
        quality=quality,
        creationDate=FIXED_TIME,
        modDate=FIXED_TIME,
    )
    return out.getvalue()


@overload
def scan_pdf(pdf: bytes, scan: Scan, rng: random.Random, kind: Literal["pdf", "tiff"]) -> bytes: ...
@overload
def scan_pdf(pdf: bytes, scan: Scan, rng: random.Random, kind: Literal["png", "jpeg"]) -> list[bytes]: ...
@overload
def scan_pdf(pdf: bytes, scan: Scan, rng: random.Random, kind: Kind) -> bytes | list[bytes]: ...
def scan_pdf(pdf: bytes, scan: Scan, rng: random.Random, kind: Kind) -> bytes | list[bytes]:
    """A scanned copy of a rendered PDF: one file (``pdf``, ``tiff``) or one file per page (``png``,
    ``jpeg``). The JPEG artefacts are made once, at ``scan.jpeg_quality``: by the PDF's and the
    JPEG files' own encoding, by a round trip through JPEG for PNG and TIFF."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    pages = [degrade(page, scan, rng) for page in rasterise(pdf, scan.dpi)]
    quality = scan.jpeg_quality or UNSET_JPEG_QUALITY
    if kind == "pdf":
        return image_only_pdf(pages, scan.dpi, quality)
    if kind == "jpeg":
        return [jpeg(page, scan.dpi, quality) for page in pages]
    if scan.jpeg_quality is not None:
        pages = [jpeg_artefacts(page, scan.jpeg_quality) for page in pages]
    return tiff(pages, scan.dpi) if kind == "tiff" else [png(page, scan.dpi) for page in pages]


@overload
def scanned_report(
    truth: Truth, rng: random.Random, scan: Scan, kind: Literal["pdf", "tiff"], generator: Generator = ...
) -> bytes: ...
@overload
def scanned_report(
    truth: Truth, rng: random.Random, scan: Scan, kind: Literal["png", "jpeg"], generator: Generator = ...
) -> list[bytes]: ...
@overload
def scanned_report(
    truth: Truth, rng: random.Random, scan: Scan, kind: Kind, generator: Generator = ...
) -> bytes | list[bytes]: ...
def scanned_report(
    truth: Truth, rng: random.Random, scan: Scan, kind: Kind, generator: Generator = "reportlab"
) -> bytes | list[bytes]:
    """The report ``truth`` states, rendered by ``generator`` and scanned as ``scan`` says: its
    truth is ``truth``, cell for cell. ``rng`` draws the prose, then the grain and the lighting.

    Raises ``FixtureUnavailable`` when a font, LibreOffice or ``pdftoppm`` is missing.
    """
    return scan_pdf(to_pdf(blocks(truth, rng), generator), scan, rng, kind)
