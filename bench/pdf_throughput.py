"""PDF reports: `nianbao check` against pdfplumber's own extract_text and pypdfium2's text.

Renders a typical 6-page report and a 100-page one (the same report with a long narrative), with
reportlab and, when LibreOffice is installed, through Word. For each it times, in the same run
and on one core: the whole check (extract + parse + rules), pdfplumber ``extract_text`` over every
page, and pypdfium2 text over every page; and measures the peak RSS of each in a fresh process.

Goals: check time <= 0.5x pdfplumber extract_text; peak RSS <= 150 MB on 100 pages.

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
RATIO_GOAL = 0.5
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


def _time(work: Callable[[], object], rounds: int) -> float:
    work()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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

    @property
    def ratio(self) -> float:
        return self.seconds["check"] / self.seconds["pdfplumber"]


def measure(name: str, data: bytes, rounds: int) -> Measurement:
    import pypdfium2 as pdfium  # noqa: PLC0415

    pages = len(pdfium.PdfDocument(data))
    seconds = {kind: _time(functools.partial(work, data), rounds) for kind, work in WORK.items()}
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        rss = {kind: _peak_rss_mb(kind, Path(handle.name)) for kind in WORK}
    return Measurement(name, pages, seconds, rss)


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
    print(f"one core; median of {args.rounds} runs after a warm-up; peak RSS of a fresh process doing it once")
    print(f"{'report':24s} {'pages':>5s} {'check':>8s} {'pdfplumber':>11s} {'pdfium':>8s} {'check/plumber':>14s}"
          f" {'RSS check':>10s} {'RSS plumber':>12s} {'RSS pdfium':>11s}")  # fmt: skip
    for r in results:
        s, m = r.seconds, r.rss_mb
        verdict = f"{'meets' if r.ratio <= RATIO_GOAL else 'MISSES'} <= {RATIO_GOAL}x"
        if r.pages >= 90:
            verdict += f"; RSS {'meets' if m['check'] <= RSS_GOAL_MB else 'MISSES'} <= {RSS_GOAL_MB} MB"
        print(
            f"{r.name:24s} {r.pages:5d} {s['check']:7.3f}s {s['pdfplumber']:10.3f}s {s['pdfium']:7.3f}s"
            f" {r.ratio:13.2f}x {m['check']:8.0f}MB {m['pdfplumber']:10.0f}MB {m['pdfium']:9.0f}MB  {verdict}"
        )
    if args.json:
        print(json.dumps([asdict(r) | {"ratio": r.ratio} for r in results], indent=2))


if __name__ == "__main__":
    main()
