"""What checking each file in a child process costs, and what a hostile file costs the process.

Part one: the same reports (synthetic text reports, and the committed PDF fixtures) checked in
this process (the baseline) and each in a child made by ``nianbao.isolate`` with the function's
limits; the ratio is the price of isolation on the common case.

Part two: every hostile file of ``tests/hostile.py`` checked in a child with the function's
settings (1024 MB, NIANBAO_MAX_SECONDS 45): status, reason, seconds and the child's peak RSS,
against the function's memory.

    python -m bench.isolation [--reports 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.text_throughput import corpus
from nianbao.check import check_bytes
from nianbao.extract.limits import Limits
from nianbao.isolate import Sandbox, check_isolated

FUNCTION_MEMORY_MB = 1024
FUNCTION_SECONDS = 45.0
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "documents"


def per_file(work: Callable[[bytes], object], files: list[bytes], rounds: int) -> float:
    """Median seconds per file over ``rounds`` passes."""
    for data in files[:5]:
        work(data)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for data in files:
            work(data)
        samples.append((time.perf_counter() - start) / len(files))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-hostile", action="store_true", help="skip part two")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    os.environ["NIANBAO_OCR"] = "off"  # as in ProcessReport, which has no OCR: the scan fixture is unread
    limits = Limits(max_seconds=FUNCTION_SECONDS)
    sandbox = Sandbox(memory_mb=FUNCTION_MEMORY_MB, seconds=FUNCTION_SECONDS)

    print("part one: the price of a child process per file (median of rounds, one core)")
    sets = {
        "text reports": corpus(args.reports),
        "PDF fixtures": [p.read_bytes() for p in sorted(FIXTURES.glob("*.pdf"))],
    }
    for name, files in sets.items():
        if not files:
            continue
        inline = per_file(lambda data: check_bytes(data, "bench", limits), files, args.rounds)
        isolated = per_file(lambda data: check_isolated(data, "bench", limits, sandbox), files, args.rounds)
        print(
            f"  {name:13} ({len(files):3} files): in-process {inline * 1000:7.2f} ms, in a child "
            f"{isolated * 1000:7.2f} ms, ratio {isolated / inline:.2f} (+{(isolated - inline) * 1000:.1f} ms)"
        )
    if args.no_hostile:
        return
    from tests.hostile import HOSTILE  # noqa: PLC0415

    print(f"part two: hostile files in a child with the function's settings ({FUNCTION_MEMORY_MB} MB, "
          f"{FUNCTION_SECONDS:g} s)")  # fmt: skip
    worst = 0
    for name, build in sorted(HOSTILE.items()):
        data = build()
        done = check_isolated(data, name, limits, sandbox)
        worst = max(worst, done.peak_rss)
        reason = done.value.findings[0].message if done.value.findings else ""
        print(
            f"  {name:34} {len(data) / 1024:8.1f} KB  {done.value.status.value:10} {done.seconds:6.2f} s "
            f"{done.peak_rss / 1024 / 1024:7.1f} MB  {reason[:60]}"
        )
    print(f"  worst peak RSS of a child: {worst / 1024 / 1024:.0f} MB of the function's {FUNCTION_MEMORY_MB} MB "
          f"({worst / 1024 / 1024 / FUNCTION_MEMORY_MB:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
