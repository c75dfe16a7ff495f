"""The three ways of reading a PDF the PDF benchmark compares. Kept free of heavy imports: a
fresh process imports only this to measure one of them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path


def check(data: bytes) -> object:
    from nianbao.check import check_bytes  # noqa: PLC0415

    return check_bytes(data, "bench.pdf")


def pdfplumber_text(data: bytes) -> object:
    import pdfplumber  # noqa: PLC0415

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() for page in pdf.pages]


def pdfium_text(data: bytes) -> object:
    import pypdfium2 as pdfium  # noqa: PLC0415

    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


WORK: dict[str, Callable[[bytes], object]] = {"check": check, "pdfplumber": pdfplumber_text, "pdfium": pdfium_text}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the current address space only;
    ru_maxrss would also count the parent's peak inherited at fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # noqa: PLC0415 - not Linux: the best available

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    import sys

    WORK[sys.argv[1]](Path(sys.argv[2]).read_bytes())
    print(peak_rss_mb())
