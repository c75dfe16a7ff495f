"""Scanned reports read by OCR, against their truth: the issue's bar, over random reports each run.

Each report is random (``random_truth``), rendered by reportlab, scanned (``Scan.random``) and
wrapped as an image-only PDF; every third has one count changed so that a balance relation fails.
Its truth is the ``Truth`` it was rendered from. Three kinds of scan are read:

- the issue's main case: 150 dpi, tilted by up to ±1°, grained and JPEG-compressed at quality 70,
  over ``NIANBAO_OCR_REPORTS`` reports (30 by default). At least 99% of the cells of Tables 3 and 4
  read exactly (a cell OCR was unsure of counts as wrong, as does a cell missing); no balance error
  on a balanced report, and on an unbalanced one the same balance findings the report's own text
  layer gives (read from the unscanned PDF).
- the harder scans (``HARDER``): 200 dpi tilted by up to ±2°, and a phone photo (lower contrast,
  uneven lighting, blur, colour), a few reports each. No error finding the text layer does not
  give (anything OCR cannot read surely is uncertain, never an error); the planted balance failure
  found as the text layer finds it wherever OCR read the table's every cell surely, and no other
  then; and each kind's measured share of cells read exactly.

The reports are checked two at a time.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from nianbao.check import check_bytes
from nianbao.contract import report_dict
from nianbao.model import CellKind, Finding, Report
from nianbao.spec import FormatVersion
from tests.synth.blocks import blocks
from tests.synth.scan import Scan, scan_pdf
from tests.synth.to_pdf import FixtureUnavailable, to_pdf
from tests.synth.truth import Truth, random_truth

pytestmark = pytest.mark.unit

REPORTS = int(os.environ.get("NIANBAO_OCR_REPORTS", "30"))
MIN_CELLS_RIGHT = 0.99
BALANCE = ("T3_", "T4_")


@dataclass(frozen=True)
class Kind:
    """A kind of scan: ``reports`` reports from seed ``first``, and the share of the cells of Tables
    3 and 4 that must read exactly."""

    name: str
    first: int
    reports: int
    min_cells_right: float
    dpi: int = 150
    max_tilt: float = 1.0
    photo: bool = False

    def scan(self, rng: random.Random) -> Scan:
        return Scan.random(rng, dpi=self.dpi, max_tilt=self.max_tilt, photo=self.photo)


MAIN = Kind("150 dpi, ±1°", 1000, REPORTS, MIN_CELLS_RIGHT)
# The bars, measured with the reader of this commit's parent: at 200 dpi and ±2°, every cell of
# 24 reports (seeds 1000-1011, 2000-2011) read right; of photos, 99.5% of the cells of 10 reports
# (seeds 1000-1005, 3002, 3005, 3007, 3008), the worst report 98.4%. The seeds run here are ones
# the reader before it failed on: at 200 dpi, 1000-1003 gave three false balance or ROW_MISSING
# errors; as photos, 3000-3003 gave false errors and 68% of the cells (2000-2003 at 200 dpi it
# read right, so they would not have told).
HARDER = (
    Kind("200 dpi, ±2°", 1000, 4, 0.99, dpi=200, max_tilt=2.0),
    Kind("phone photo", 3000, 4, 0.97, photo=True),
)


@dataclass(frozen=True)
class Outcome:
    seed: int
    cells: int
    right: int
    wrong: list[tuple[str, str, int, object, object]]  # (table, row, column, truth, read)
    scanned_balance: list[str]
    text_balance: list[str]
    planted: bool
    read_by: str
    scanned_errors: list[str]  # the codes of the error findings, each as often as found
    text_errors: list[str]
    uncertain: dict[str, int]  # table: cells OCR was unsure of


def planted(truth: Truth, rng: random.Random) -> Truth:
    """``truth`` with one count of Table 3 or Table 4 raised, so that a relation fails."""
    if rng.random() < 0.5:
        row = rng.choice(sorted(truth.table3))
        column = rng.randrange(7)
        value = truth.table3[row][column]
        return truth.with_cell("table3", row, column, (value if isinstance(value, int) else 0) + rng.randint(1, 9))
    column = rng.randrange(len(truth.table4))
    value = truth.table4[column]
    return truth.with_cell("table4", None, column, (value if isinstance(value, int) else 0) + rng.randint(1, 9))


def uncertain(report: Report) -> dict[str, int]:
    counts = {}
    for name in ("table2", "table3", "table4"):
        table = getattr(report, name)
        rows = table.rows.values() if table is not None else []
        counts[name] = sum(c.kind is CellKind.UNCERTAIN for row in rows for p in row.placements for c in p)
    return counts


def one(job: tuple[Kind, int]) -> Outcome:
    kind, seed = job
    rng = random.Random(seed)
    truth = random_truth(rng, version=rng.choice(list(FormatVersion)[:2]), busy=rng.random())
    unbalanced = seed % 3 == 2
    if unbalanced:
        truth = planted(truth, rng)
    pdf = to_pdf(blocks(truth, random.Random(seed)), "reportlab")
    scan = scan_pdf(pdf, kind.scan(rng), rng, "pdf")
    result, text = check_bytes(scan, f"scan-{seed}.pdf"), check_bytes(pdf, f"text-{seed}.pdf")
    expected, read = truth.expected_tables(), report_dict(result)["tables"]
    cells = right = 0
    wrong = []
    for name in ("table3", "table4"):
        rows: dict[str, Any] = {"": expected[name]} if name == "table4" else dict(expected[name])  # type: ignore[call-overload]
        got: dict[str, Any] = {"": read[name]} if name == "table4" else read[name] or {}
        for key, values in rows.items():
            shown = got.get(key) or [None] * len(values)
            for column, (want, have) in enumerate(zip(values, shown, strict=True)):
                cells += 1
                if want == have:
                    right += 1
                else:
                    wrong.append((name, key, column, want, have))

    def balance(findings: list[Finding]) -> list[str]:
        return sorted(f.code for f in findings if f.code.startswith(BALANCE))

    def errors(findings: list[Finding]) -> list[str]:
        return sorted(f.code for f in findings if f.severity.value == "error")

    return Outcome(
        seed,
        cells,
        right,
        wrong,
        balance(result.findings),
        balance(text.findings),
        unbalanced,
        result.report.read_by,
        errors(result.findings),
        errors(text.findings),
        uncertain(result.report),
    )


def read_all(kinds: tuple[Kind, ...]) -> dict[str, list[Outcome]]:
    try:
        one_probe = to_pdf(blocks(random_truth(random.Random(0)), random.Random(0)), "reportlab")
        scan_pdf(one_probe, Scan(), random.Random(0), "pdf")
    except FixtureUnavailable as missing:
        pytest.skip(str(missing))
    jobs = [(kind, seed) for kind in kinds for seed in range(kind.first, kind.first + kind.reports)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(one, jobs))
    return {kind.name: [o for (k, _), o in zip(jobs, done, strict=True) if k is kind] for kind in kinds}


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return read_all((MAIN,))[MAIN.name]


@pytest.fixture(scope="module")
def harder() -> dict[str, list[Outcome]]:
    return read_all(HARDER)


def cells_right(outcomes: list[Outcome], bar: float) -> None:
    cells = sum(o.cells for o in outcomes)
    right = sum(o.right for o in outcomes)
    wrong = [(o.seed, *w) for o in outcomes for w in o.wrong]
    assert right / cells >= bar, (f"{right}/{cells}", wrong[:20])
    print(f"\n{len(outcomes)} scans: {right}/{cells} cells right ({right / cells:.2%}); wrong: {wrong[:10]}")


def test_every_scan_is_read_by_ocr(outcomes):
    assert [o.seed for o in outcomes if o.read_by != "ocr"] == []


def test_at_least_99_percent_of_table_3_and_4_cells_are_read_exactly(outcomes):
    cells_right(outcomes, MIN_CELLS_RIGHT)


def test_no_balance_error_on_a_balanced_scan(outcomes):
    balanced = [o for o in outcomes if not o.planted]
    assert balanced
    assert [(o.seed, o.scanned_balance) for o in balanced if o.scanned_balance] == []


def test_every_planted_balance_failure_is_found_as_the_text_layer_finds_it(outcomes):
    unbalanced = [o for o in outcomes if o.planted]
    assert unbalanced
    assert all(o.text_balance for o in unbalanced)
    assert [
        (o.seed, o.text_balance, o.scanned_balance) for o in unbalanced if o.scanned_balance != o.text_balance
    ] == []


# --- the harder scans ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", HARDER, ids=lambda kind: kind.name)
def test_a_harder_scan_reads_its_measured_share_of_cells_exactly(harder, kind):
    assert [o.seed for o in harder[kind.name] if o.read_by != "ocr"] == []
    cells_right(harder[kind.name], kind.min_cells_right)


@pytest.mark.parametrize("kind", HARDER, ids=lambda kind: kind.name)
def test_a_harder_scan_gives_no_error_its_text_layer_does_not(harder, kind):
    false = [
        (o.seed, sorted((Counter(o.scanned_errors) - Counter(o.text_errors)).elements()))
        for o in harder[kind.name]
        if Counter(o.scanned_errors) - Counter(o.text_errors)
    ]
    assert false == []


@pytest.mark.parametrize("kind", HARDER, ids=lambda kind: kind.name)
def test_a_harder_scans_planted_failure_is_found_where_ocr_read_its_table_surely(harder, kind):
    unbalanced = [o for o in harder[kind.name] if o.planted]
    assert unbalanced
    assert all(o.text_balance for o in unbalanced)
    sure = [o for o in unbalanced if not o.uncertain["table3"] and not o.uncertain["table4"]]
    assert [(o.seed, o.text_balance, o.scanned_balance) for o in sure if o.scanned_balance != o.text_balance] == []
    unsure = [o for o in unbalanced if o not in sure]
    assert [(o.seed, o.scanned_balance) for o in unsure if not set(o.scanned_balance) <= set(o.text_balance)] == []
