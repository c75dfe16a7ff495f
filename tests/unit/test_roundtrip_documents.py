"""Many random reports rendered to PDF (three generators), Word and HTML, every cell read back.

Needs the CJK fonts and LibreOffice (CI installs them: fonts-noto-cjk, fonts-wqy-microhei,
libreoffice-writer-nogui); without them it skips, and the committed fixtures still run.
Set NIANBAO_ROUNDTRIP to change how many reports (default 12).
"""

from __future__ import annotations

import os
import random

import pytest

from nianbao.check import check_bytes
from nianbao.contract import report_dict
from nianbao.model import CheckResult, Severity
from nianbao.spec import FormatVersion
from tests.synth import Truth, blank_cells, random_truth
from tests.synth.blocks import blocks
from tests.synth.to_docx import to_docx
from tests.synth.to_html import to_html
from tests.synth.to_pdf import FixtureUnavailable, docx_to_pdf_many, to_pdf

pytestmark = pytest.mark.documents

COUNT = int(os.environ.get("NIANBAO_ROUNDTRIP", "12"))
KINDS = ("reportlab", "fpdf2", "libreoffice", "docx", "html", "html-gb18030-layout")


def truth_for(seed: int) -> Truth:
    rng = random.Random(seed)
    truth = random_truth(rng, version=rng.choice([FormatVersion.V2019, FormatVersion.V2021]), busy=rng.random())
    if seed % 2:
        truth = blank_cells(truth, rng, share=0.15, placeholders=seed % 4 == 1)
    return truth


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[int, str], bytes]:
    """Every report in every kind; LibreOffice converts the Word files in one batch."""
    out: dict[tuple[int, str], bytes] = {}
    try:
        for seed in range(COUNT):
            document = blocks(truth_for(seed), random.Random(seed))
            out[seed, "reportlab"] = to_pdf(document, "reportlab")
            out[seed, "fpdf2"] = to_pdf(document, "fpdf2")
            out[seed, "docx"] = to_docx(document)
            out[seed, "html"] = to_html(document)
            out[seed, "html-gb18030-layout"] = to_html(document, encoding="gb18030", layout_table=True)
        pdfs = docx_to_pdf_many([out[seed, "docx"] for seed in range(COUNT)])
    except FixtureUnavailable as missing:
        pytest.skip(f"cannot render documents here: {missing}")
    out.update({(seed, "libreoffice"): pdf for seed, pdf in enumerate(pdfs)})
    return out


def loud(result: CheckResult) -> set[str]:
    return {f.code for f in result.findings if f.severity is not Severity.INFO} - {"CELL_BLANK"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(COUNT))
def test_every_cell_is_read_back_from_every_kind_of_file(rendered, seed, kind):
    truth = truth_for(seed)
    result = check_bytes(rendered[seed, kind], f"{seed}.{kind}")
    assert report_dict(result)["tables"] == truth.expected_tables()
    assert (result.report.year, result.report.format, result.report.agency) == (truth.year, truth.version, truth.agency)
    assert loud(result) == set()
