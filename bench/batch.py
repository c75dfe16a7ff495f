"""`nianbao check` over many files: memory that does not grow with the files, and `--jobs`.

(a) Peak RSS of a fresh `nianbao check DIR -f FORMAT` process on 200 and on 2,000 text reports,
    for each output format (text, json, jsonl, csv). Goal: 2,000 files <= 1.2x 200 files.
    Two measures: the largest process of the run (the kernel's ru_maxrss for the process and the
    workers and sandbox children it waited for, from wait4), and the peak of the sum over its
    long-lived processes (the command and its workers: proportional set sizes, sampled every
    20 ms). A per-file sandbox child, alive for one check, counts in the first and not the second:
    a sampled sum would catch all the workers' children at their peak at once more often in a
    longer run, which says nothing of memory growing with the files.
(b) Wall time of `nianbao check DIR -f json` on 200 PDFs with `--jobs 2` against `--jobs 1`,
    alternated, median of `--rounds`. Goal: at least 1.7x faster.

Both as ratios measured in the same run. The reports are synthetic (tests.synth): every text
report is rendered, four years of each body in a row (so the cross-year rules run, as they do by
default); PDFs are slower to render, so `--distinct-pdfs` of them are rendered with reportlab and
copied to make up `--pdfs` files. The CPU time other processes used during (b) is printed: on a
shared machine it lowers the speed-up (with the kernel's autogroup scheduling, another session
that keeps both cores busy leaves this one about one core, whatever `--jobs` says).

    python -m bench.batch [--small 200] [--large 2000] [--pdfs 200] [--distinct-pdfs 40] [--rounds 3]
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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.synth import Layout, blank_cells, random_truth, render_text
from tests.synth.blocks import blocks

from nianbao.spec import FormatVersion

RSS_GOAL = 1.2
SPEEDUP_GOAL = 1.7
FORMATS = ("text", "json", "jsonl", "csv")
LONG_LIVED_S = 1.0  # a sandbox child lives for one check: far less than this for these reports
ROOT = Path(__file__).resolve().parents[1]
_COUNTIES = ("安平县", "青川县", "临江市城南区", "北山县", "西岭县", "河西区")
_OFFICES = ("民政局", "教育局", "自然资源局", "卫生健康局", "人民政府办公室", "财政局")


def agency(body: int) -> str:
    """A distinct body for each number: a county, an office and a serial (安平县第12民政局)."""
    return f"{_COUNTIES[body % len(_COUNTIES)]}第{body}{_OFFICES[body // len(_COUNTIES) % len(_OFFICES)]}"


def write_texts(folder: Path, count: int) -> None:
    """``count`` text reports: body ``n // 4`` files them for 2021-2024, in every layout, some with
    blank cells."""
    folder.mkdir(parents=True, exist_ok=True)
    layouts = list(Layout)
    for n in range(count):
        rng = random.Random(n)
        truth = random_truth(rng, version=FormatVersion.V2021, year=2021 + n % 4, busy=rng.random())
        truth.agency = agency(n // 4)
        if n % 3 == 0:
            truth = blank_cells(truth, rng, share=0.2, placeholders=n % 2 == 0)
        text = render_text(truth, layouts[n % len(layouts)], rng)
        (folder / f"r{n:05d}.txt").write_text(text, encoding="utf-8")


def write_pdfs(folder: Path, count: int, distinct: int) -> None:
    """``distinct`` reports rendered with reportlab, copied round-robin to make ``count`` files."""
    from tests.synth.to_pdf import to_pdf  # noqa: PLC0415 - reportlab only when PDFs are wanted

    folder.mkdir(parents=True, exist_ok=True)
    rendered: list[Path] = []
    for n in range(min(distinct, count)):
        rng = random.Random(10_000 + n)
        truth = random_truth(rng, version=FormatVersion.V2021, year=2021 + n % 4)
        truth.agency = agency(n // 4)
        path = folder / f"p{n:05d}.pdf"
        path.write_bytes(to_pdf(blocks(truth, rng), "reportlab"))
        rendered.append(path)
    for n in range(len(rendered), count):
        shutil.copyfile(rendered[n % len(rendered)], folder / f"p{n:05d}.pdf")


# --- running `nianbao check` ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    largest_mb: float  # ru_maxrss: the largest process of the tree
    all_mb: float  # the sampled peak of the sum over the long-lived processes (PSS, else RSS)
    cpu_seconds: float  # user + system time of the tree
    exit_code: int
    output_bytes: int


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listed:
                found.extend(int(child) for child in listed.read().split())
        except OSError:
            continue
    return found


def _memory_kb(pid: int) -> int:
    """The process's proportional set size (shared pages split among their sharers), else RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def _age(pid: int) -> float:
    """Seconds since the process started (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
            started = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, after the name
        with open("/proc/uptime", encoding="ascii") as uptime:
            return float(uptime.read().split()[0]) - started / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree_kb(pid: int, long_lived: float = LONG_LIVED_S) -> int:
    """The memory of ``pid`` and its descendants that have lived ``long_lived`` seconds or more."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        if current == pid or _age(current) >= long_lived:
            total += _memory_kb(current)
        todo.extend(_children(current))
    return total


def run_check(folder: Path, output: str, jobs: int | None, out_path: Path) -> Run:
    """One fresh `nianbao check folder -f output [--jobs jobs]`, its output written to a file."""
    command = [sys.executable, "-m", "nianbao", "check", str(folder), "-f", output, "--no-progress"]
    command += ["--jobs", str(jobs)] if jobs else []
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])}
    peak = 0
    with out_path.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)  # noqa: S603
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_kb(process.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        seconds=seconds,
        largest_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        all_mb=peak / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        exit_code=process.returncode,
        output_bytes=out_path.stat().st_size,
    )


def _busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat), in seconds."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# --- the two measurements ------------------------------------------------------------------------


def measure_rss(small: Path, large: Path, formats: tuple[str, ...], jobs: int | None, scratch: Path) -> None:
    sizes = (len(list(small.iterdir())), len(list(large.iterdir())))
    print(f"(a) peak memory of a fresh `nianbao check DIR -f FORMAT` (--jobs {jobs or 'default: all cores'})")
    print(f"    {sizes[0]} vs {sizes[1]} files: the largest process (ru_maxrss), and the sum over the")
    print("    long-lived processes (the command and its workers; PSS, sampled)")
    print(
        f"    {'format':7s} {'largest':>17s} {'ratio':>6s}   {'long-lived, sum':>17s} {'ratio':>6s}"
        f"   {'output':>8s}  goal <= {RSS_GOAL}x"
    )
    for output in formats:
        few = run_check(small, output, jobs, scratch / f"small.{output}")
        many = run_check(large, output, jobs, scratch / f"large.{output}")
        ratio, ratio_all = many.largest_mb / few.largest_mb, many.all_mb / max(few.all_mb, 1e-9)
        verdict = "meets" if ratio <= RSS_GOAL and ratio_all <= RSS_GOAL else "MISSES"
        print(
            f"    {output:7s} {few.largest_mb:6.0f} -> {many.largest_mb:4.0f} MB {ratio:5.2f}x"
            f"   {few.all_mb:6.0f} -> {many.all_mb:4.0f} MB {ratio_all:5.2f}x"
            f"   {many.output_bytes / 1e6:5.1f} MB  {verdict} (exit {few.exit_code}/{many.exit_code})"
        )


def measure_jobs(pdfs: Path, rounds: int, scratch: Path, distinct: int) -> None:
    count = len(list(pdfs.iterdir()))
    print(f"(b) wall time of `nianbao check DIR -f json` on {count} PDFs ({distinct} rendered, the rest copies)")
    seconds: dict[int, list[float]] = {1: [], 2: []}
    cores_used: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    ours = 0.0
    busy = _busy_seconds()
    started = time.perf_counter()
    for _ in range(rounds):
        for jobs in (1, 2):
            run = run_check(pdfs, "json", jobs, scratch / f"pdfs.{jobs}.json")
            seconds[jobs].append(run.seconds)
            cores_used[jobs].append(run.cpu_seconds / run.seconds)
            cpu[jobs].append(run.cpu_seconds)
            ours += run.cpu_seconds
    elapsed = time.perf_counter() - started
    others = max(0.0, _busy_seconds() - busy - ours)
    one, two = statistics.median(seconds[1]), statistics.median(seconds[2])
    speedup = one / two
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for jobs, median in ((1, one), (2, two)):
        runs = ", ".join(f"{s:.2f}" for s in seconds[jobs])
        used, work = statistics.mean(cores_used[jobs]), statistics.median(cpu[jobs])
        print(
            f"    --jobs {jobs}: {median:7.2f} s   (median of {rounds}: {runs}; {work:.1f} CPU-s,"
            f" {used:.2f} cores busy on average)"
        )
    verdict = "meets" if speedup >= SPEEDUP_GOAL else "MISSES"
    print(f"    speed-up: {speedup:7.2f}x  goal >= {SPEEDUP_GOAL}x: {verdict}")
    share = others / (elapsed * cores)
    print(
        f"    other processes used {others:.1f} CPU-s of the {elapsed * cores:.1f} the {cores} cores had meanwhile"
        f" ({share:.0%}); load average now {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=200, help="text reports in the small run")
    parser.add_argument("--large", type=int, default=2000, help="text reports in the large run")
    parser.add_argument("--formats", default=",".join(FORMATS), help="output formats for (a), comma-separated")
    parser.add_argument("--rss-jobs", type=int, default=None, help="--jobs for (a) (default: the CLI's own)")
    parser.add_argument("--pdfs", type=int, default=200, help="PDF files for (b); 0 skips (b)")
    parser.add_argument("--distinct-pdfs", type=int, default=40, help="PDFs rendered; the rest are copies")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each --jobs in (b)")
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    with tempfile.TemporaryDirectory(prefix="nianbao-batch-") as temporary:
        scratch = Path(temporary)
        started = time.perf_counter()
        write_texts(scratch / "small", args.small)
        write_texts(scratch / "large", args.large)
        print(f"rendered {args.small} + {args.large} text reports in {time.perf_counter() - started:.1f} s")
        print(f"load average at the start: {os.getloadavg()[0]:.2f}")
        if formats:
            measure_rss(scratch / "small", scratch / "large", formats, args.rss_jobs, scratch)
        if args.pdfs <= 0:
            return
        from tests.synth.to_pdf import FixtureUnavailable  # noqa: PLC0415

        started = time.perf_counter()
        try:
            write_pdfs(scratch / "pdfs", args.pdfs, args.distinct_pdfs)
        except FixtureUnavailable as missing:
            print(f"(b) skipped: {missing}")
            return
        print(f"rendered {min(args.distinct_pdfs, args.pdfs)} PDFs in {time.perf_counter() - started:.1f} s")
        measure_jobs(scratch / "pdfs", args.rounds, scratch, min(args.distinct_pdfs, args.pdfs))


if __name__ == "__main__":
    main()
