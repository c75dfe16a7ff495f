"""Text reports checked per second on one core (goal: at least 500/s).

The corpus is synthetic reports in every layout (plus the team's real samples when
../shared/seeds is there). Reported against a baseline measured in the same run on the same
bytes: decoding them and splitting them into normalised lines, which any checker must do.

    python -m bench.text_throughput [--reports 400] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from tests.synth import Layout, blank_cells, random_truth, render_text

from nianbao.check import check_bytes
from nianbao.extract import extract

GOAL = 500.0
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def corpus(count: int) -> list[bytes]:
    reports: list[bytes] = []
    rng = random.Random(2026)
    layouts = list(Layout)
    for index in range(count):
        truth = random_truth(rng, busy=rng.random())
        if index % 3 == 0:
            truth = blank_cells(truth, rng, share=0.2, placeholders=index % 2 == 0)
        reports.append(render_text(truth, layouts[index % len(layouts)], rng).encode("utf-8"))
    if SEEDS.is_dir():
        reports.extend(p.read_bytes() for p in sorted(SEEDS.glob("*.txt")))
    return reports


def rate(work: Callable[[bytes], object], reports: list[bytes], rounds: int) -> float:
    """Reports per second: the median of ``rounds`` passes over the corpus."""
    for data in reports[:20]:
        work(data)  # warm up caches and lazy imports
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for data in reports:
            work(data)
        samples.append(len(reports) / (time.perf_counter() - start))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    reports = corpus(args.reports)
    size = sum(len(r) for r in reports) / len(reports)

    baseline = rate(lambda data: extract(data, "bench"), reports, args.rounds)
    checked = rate(lambda data: check_bytes(data, "bench"), reports, args.rounds)

    print(f"corpus: {len(reports)} text reports, {size / 1024:.1f} KiB each on average")
    print(f"baseline (decode + normalised lines): {baseline:8.0f} reports/s")
    print(f"nianbao check (extract+parse+rules):  {checked:8.0f} reports/s  ({1000 / checked:.2f} ms each)")
    print(f"ratio check / baseline: {checked / baseline:.3f}  (the full check costs {baseline / checked:.1f}x reading)")
    verdict = "meets" if checked >= GOAL else "MISSES"
    print(f"goal >= {GOAL:.0f} reports/s on one core: {verdict} ({checked / GOAL:.1f}x the goal)")


if __name__ == "__main__":
    main()
