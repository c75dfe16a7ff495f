"""Write the committed document fixtures: two synthetic reports as every kind of file offices put
online, and a manifest of what each file states.

    python -m tests.synth.fixtures tests/fixtures/documents

Per report (``r2021``: 2021 format, year 2023, some blank Table 3 cells; ``r2019``: 2019 format,
year 2020): a PDF from each generator (``r2021-reportlab.pdf``, ``-fpdf2``, ``-libreoffice``), the
Word file (``r2021.docx``), a UTF-8 page (``r2021-utf8.html``) and an old-site page in GB18030 inside
a layout table (``r2021-gb18030-layout.html``); plus ``r2021-scan.pdf`` (reportlab) ending in an
image-only page. ``manifest.json`` maps each file name to its truth: format, year, agency, the
``tables`` member of the JSON contract, and the 1-based numbers of its image-only pages.

reportlab, fpdf2 and python-docx output is byte-for-byte reproducible; LibreOffice stamps each PDF
with the time, so its two files change whenever the set is regenerated.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from nianbao.spec import FormatVersion
from tests.synth.blocks import Block, blocks
from tests.synth.to_docx import to_docx
from tests.synth.to_html import to_html
from tests.synth.to_pdf import docx_to_pdf_many, to_pdf
from tests.synth.truth import Truth, blank_cells, random_truth


def fixture_truths() -> dict[str, Truth]:
    """The reports of the fixture set, by name."""
    r2021 = random_truth(random.Random(21), version=FormatVersion.V2021, year=2023)
    r2021 = blank_cells(r2021, random.Random(21), share=0.15, placeholders=False)
    r2019 = random_truth(random.Random(19), version=FormatVersion.V2019, year=2020)
    return {"r2021": r2021, "r2019": r2019}


def image_only_pages(pdf: bytes) -> list[int]:
    """1-based numbers of the pages with an image and no text layer (scans)."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            text = page.get_textpage().get_text_range().strip()
            images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
            if images and not text:
                pages.append(index + 1)
        return pages
    finally:
        document.close()


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def _entry(name: str, truth: Truth, kind: str, **details: object) -> dict[str, object]:
    return {
        "truth": name,
        "format": truth.version.value,
        "year": truth.year,
        "agency": truth.agency,
        "kind": kind,
        **details,
        "tables": truth.expected_tables(),
    }


def _dump(manifest: dict[str, dict[str, object]]) -> str:
    """Indented JSON with each list of numbers on one line (a table row reads as a row)."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    return re.sub(r"\[\s+([^\[\]{}\"]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def build(out_dir: Path) -> dict[str, dict[str, object]]:
    """Render every fixture into ``out_dir`` and return the manifest (also written there)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    timings: dict[str, float] = {}

    def pdf_file(file: str, name: str, truth: Truth, generator: str, data: bytes) -> None:
        (out_dir / file).write_bytes(data)
        manifest[file] = _entry(
            name, truth, "pdf", generator=generator, pages=_page_count(data), scanned_pages=image_only_pages(data)
        )

    truths = fixture_truths()
    documents: dict[str, Sequence[Block]] = {name: blocks(truth) for name, truth in truths.items()}
    docx: dict[str, bytes] = {}
    for name, truth in truths.items():
        for generator in ("reportlab", "fpdf2"):
            started = time.perf_counter()
            data = to_pdf(documents[name], generator)
            timings[f"{name}-{generator}"] = time.perf_counter() - started
            pdf_file(f"{name}-{generator}.pdf", name, truth, generator, data)
        docx[name] = to_docx(documents[name])
        (out_dir / f"{name}.docx").write_bytes(docx[name])
        manifest[f"{name}.docx"] = _entry(name, truth, "docx", scanned_pages=[])
        for file, encoding, layout in ((f"{name}-utf8.html", "utf-8", False),
                                       (f"{name}-gb18030-layout.html", "gb18030", True)):  # fmt: skip
            (out_dir / file).write_bytes(to_html(documents[name], encoding=encoding, layout_table=layout))
            manifest[file] = _entry(name, truth, "html", encoding=encoding, layout_table=layout, scanned_pages=[])

    started = time.perf_counter()
    pdfs = docx_to_pdf_many([docx[name] for name in truths])  # one soffice run for all
    timings["libreoffice (all)"] = time.perf_counter() - started
    for name, data in zip(truths, pdfs, strict=True):
        pdf_file(f"{name}-libreoffice.pdf", name, truths[name], "libreoffice", data)

    scan = to_pdf(blocks(truths["r2021"], scanned_page=True), "reportlab")
    pdf_file("r2021-scan.pdf", "r2021", truths["r2021"], "reportlab", scan)

    manifest = dict(sorted(manifest.items()))
    (out_dir / "manifest.json").write_text(_dump(manifest), encoding="utf-8")
    for label, seconds in timings.items():
        print(f"{label:<24} {seconds:6.2f} s")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m tests.synth.fixtures OUT_DIR``."""
    parser = argparse.ArgumentParser(description="Write the synthetic document fixtures and their manifest.")
    parser.add_argument("out_dir", type=Path, help="directory to write into (e.g. tests/fixtures/documents)")
    args = parser.parse_args(argv)
    manifest = build(args.out_dir)
    total = 0
    for file in [*manifest, "manifest.json"]:
        size = (args.out_dir / file).stat().st_size
        total += size
        print(f"{file:<32} {size:>9,d} B")
    print(f"{'total':<32} {total:>9,d} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
