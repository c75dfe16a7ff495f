"""PDF reports: `nianbao check` against pdfplumber's own extract_text and pypdfium2's text.

Renders a typical 6-page report and a 100-page one (the same report with a long narrative), with
reportlab and, when LibreOffice is installed, through Word. For each it times, in the same run
and on one core: the whole check (extract + parse + rules), pdfplumber ``extract_text`` over every
page, and pypdfium2 text over every page; and measures the peak RSS of each in a fresh process.
The three are timed in turn within each round, so that a busy machine slows them alike; a round
of a fast one repeats it for at least ``SAMPLE_S`` and takes the mean.

Goals, for the 6-page report: check time <= 0.15x pdfplumber extract_text and <= 5x pypdfium2's
bare text extraction. On 100 pages: peak RSS <= 150 MB. The extraction notes of each check are
printed after the table: they say whether pdfminer was consulted (only where pdfium's table text
is suspect, which it is not in these reports).

    python -m bench.pdf_throughput [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.synth import random_truth
from tests.synth.blocks import Block, Heading, Paragraph, blocks
from tests.synth.to_pdf import FixtureUnavailable, to_pdf

from bench.pdf_work import WORK
from nianbao.spec import FormatVersion

RSS_GOAL_MB = 150
RATIO_GOAL = 0.15  # check / pdfplumber extract_text
PDFIUM_GOAL = 5.0  # check / pypdfium2 text
SAMPLE_S = 0.05  # the least time one sample of a fast reading runs for
_FILLER = (
    "坚持以公开为常态、不公开为例外，围绕重点领域信息公开，及时准确发布政策文件、规划计划、财政预决算、"
    "重大建设项目和公共资源配置等信息，主动回应社会关切，做好政策解读工作，切实保障人民群众的知情权、"
    "参与权、表达权和监督权，推动政务公开工作规范化、标准化、信息化水平不断提升。"
)


def report_blocks(filler: int) -> list[Block]:
    """A typical report with ``filler`` more paragraphs in its section 一."""
    document = blocks(random_truth(random.Random(7), version=FormatVersion.V2021, year=2023), random.Random(7))
    at = next(i for i, b in enumerate(document) if isinstance(b, Heading) and b.text.startswith("一")) + 2
    return document[:at] + [Paragraph(f"（{n + 1}）{_FILLER}") for n in range(filler)] + document[at:]


def render(pages: int, generator: str) -> bytes:
    """A report of ``pages`` pages (as near as whole paragraphs allow) from ``generator``."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    def rendered(filler: int) -> tuple[bytes, int]:
        data = to_pdf(report_blocks(filler), generator)  # type: ignore[arg-type]
        return data, len(pdfium.PdfDocument(data))

    data, base = rendered(0)
    if pages <= base:
        return data
    probe = 60
    per_page = probe / max(rendered(probe)[1] - base, 1)  # filler paragraphs a page holds
    filler = round((pages - base) * per_page)
    for _ in range(4):
        data, count = rendered(filler)
        if count == pages:
            break
        filler += round((pages - count) * per_page)
    return data


def _times(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """The median seconds of each of ``works``, timed in turn within each round after a warm-up."""
    repeats: dict[str, int] = {}
    for kind, work in works.items():  # warm up, and size the samples
        start = time.perf_counter()
        work()
        repeats[kind] = max(1, round(SAMPLE_S / max(time.perf_counter() - start, 1e-6)))
    samples: dict[str, list[float]] = {kind: [] for kind in works}
    for _ in range(rounds):
        for kind, work in works.items():
            start = time.perf_counter()
            for _ in range(repeats[kind]):
                work()
            samples[kind].append((time.perf_counter() - start) / repeats[kind])
    return {kind: statistics.median(taken) for kind, taken in samples.items()}


def _peak_rss_mb(kind: str, path: Path) -> float:
    """Peak RSS of a fresh process that does ``kind`` once on the file at ``path``."""
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(root / "shared"), str(root)])}
    command = [sys.executable, "-m", "bench.pdf_work", kind, str(path)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=root, env=env)  # noqa: S603
    return float(out.stdout.split()[-1])


@dataclass(frozen=True)
class Measurement:
    name: str
    pages: int
    seconds: dict[str, float]
    rss_mb: dict[str, float]
    notes: list[str]  # the check's extraction notes

    @property
    def ratio(self) -> float:
        return self.seconds["check"] / self.seconds["pdfplumber"]

    @property
    def pdfium_ratio(self) -> float:
        return self.seconds["check"] / self.seconds["pdfium"]


def measure(name: str, data: bytes, rounds: int) -> Measurement:
    import pypdfium2 as pdfium  # noqa: PLC0415

    from nianbao.check import check_bytes  # noqa: PLC0415

    pages = len(pdfium.PdfDocument(data))
    seconds = _times({kind: functools.partial(work, data) for kind, work in WORK.items()}, rounds)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        rss = {kind: _peak_rss_mb(kind, Path(handle.name)) for kind in WORK}
    return Measurement(name, pages, seconds, rss, check_bytes(data, "bench.pdf").report.extraction_notes)


def verdict(measured: Measurement) -> str:
    """The goals a measurement meets or misses: the time ratios for a typical report, the peak
    RSS for a long one."""
    if measured.pages >= 90:
        return f"RSS {'meets' if measured.rss_mb['check'] <= RSS_GOAL_MB else 'MISSES'} <= {RSS_GOAL_MB} MB"
    plumber = "meets" if measured.ratio <= RATIO_GOAL else "MISSES"
    pdfium = "meets" if measured.pdfium_ratio <= PDFIUM_GOAL else "MISSES"
    return f"{plumber} <= {RATIO_GOAL}x pdfplumber; {pdfium} <= {PDFIUM_GOAL:g}x pdfium"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON as well")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    cases: list[tuple[str, bytes]] = []
    for pages in (6, 100):
        for generator in ("reportlab", "libreoffice"):
            try:
                cases.append((f"{generator}, {pages} pages", render(pages, generator)))
            except FixtureUnavailable as missing:
                print(f"skipped {generator}: {missing}")
    results = [measure(name, data, args.rounds) for name, data in cases]
    print(f"one core; median of {args.rounds} rounds after a warm-up; peak RSS of a fresh process doing it once")
    print(f"{'report':24s} {'pages':>5s} {'check':>9s} {'pdfplumber':>11s} {'pdfium':>8s} {'/plumber':>9s}"
          f" {'/pdfium':>8s} {'RSS check':>10s} {'RSS plumber':>12s} {'RSS pdfium':>11s}")  # fmt: skip
    for r in results:
        s, m = r.seconds, r.rss_mb
        print(
            f"{r.name:24s} {r.pages:5d} {s['check'] * 1000:7.1f}ms {s['pdfplumber'] * 1000:9.1f}ms"
            f" {s['pdfium'] * 1000:6.1f}ms {r.ratio:8.3f}x {r.pdfium_ratio:7.2f}x"
            f" {m['check']:8.0f}MB {m['pdfplumber']:10.0f}MB {m['pdfium']:9.0f}MB  {verdict(r)}"
        )
    for r in results:
        print(f"{r.name}: " + " / ".join(r.notes))
    if args.json:
        print(json.dumps([asdict(r) | {"ratio": r.ratio, "pdfium_ratio": r.pdfium_ratio} for r in results], indent=2))


if __name__ == "__main__":
    main()
