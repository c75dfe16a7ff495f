"""Scanned reports read by OCR: seconds a page on one core at 150 dpi and peak memory, against the
time poppler's ``pdftoppm`` takes to rasterise the same pages (a ratio in the same run).

The report is a typical synthetic one rendered by reportlab; its scan is the issue's case (150 dpi,
a tilt within ±1°, grain, JPEG quality 70, an image-only PDF). In each round, on one core: the
whole check of the scan (``check_bytes``: render each page, OCR, parse, rules), and ``pdftoppm``
rasterising the text PDF at 150 dpi in grey. The OCR engine is built once before the rounds (its
0.2 s is a cold start's). Peak RSS is a fresh process checking the scan once.

    python -m bench.ocr [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.synth.blocks import blocks
from tests.synth.scan import Scan, scan_pdf
from tests.synth.to_pdf import to_pdf
from tests.synth.truth import random_truth

from nianbao.check import check_bytes
from nianbao.spec import FormatVersion

_PEAK = """
import sys
from pathlib import Path
from bench.pdf_work import peak_rss_mb
from nianbao.check import check_bytes
check_bytes(Path(sys.argv[1]).read_bytes(), "scan.pdf")
print(peak_rss_mb())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, children included
    rng = random.Random(7)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    pdf = to_pdf(blocks(truth, random.Random(7)), "reportlab")
    scan = scan_pdf(pdf, Scan(tilt=0.6, grain=6.0, jpeg_quality=70), random.Random(7), "pdf")
    pages = check_bytes(scan, "warm-up.pdf").report.pages or 1  # builds the engine once
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        sys.exit("pdftoppm is not installed (Debian: poppler-utils)")
    rasterise = [pdftoppm, "-r", "150", "-gray"]
    with tempfile.TemporaryDirectory() as folder:
        source, scanned = Path(folder) / "report.pdf", Path(folder) / "scan.pdf"
        source.write_bytes(pdf)
        scanned.write_bytes(scan)
        ocr, raster = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = check_bytes(scan, "scan.pdf")
            ocr.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run([*rasterise, str(source), str(Path(folder) / "page")], check=True, timeout=120)  # noqa: S603
            raster.append(time.perf_counter() - start)
        peak = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _PEAK, str(scanned)], check=True, capture_output=True, text=True, timeout=600
        ).stdout.split()[-1]
    per_page, raster_page = statistics.median(ocr) / pages, statistics.median(raster) / pages
    print(
        f"scan: {pages} pages at 150 dpi; read by {result.report.read_by}, findings {[f.code for f in result.findings]}"
    )
    print(f"OCR check (render, OCR, parse, rules): {per_page:6.2f} s a page  (median of {args.rounds})")
    print(f"pdftoppm -r 150 -gray:                  {raster_page:6.3f} s a page")
    print(f"ratio OCR / rasterising:                {per_page / raster_page:6.1f}x")
    print(f"peak RSS of a fresh process checking the scan: {float(peak):.0f} MB")


if __name__ == "__main__":
    main()
