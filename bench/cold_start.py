"""Cold start of ProcessReport: what a new Lambda sandbox pays before its first message.

Every probe is a fresh interpreter that cannot write bytecode (Lambda's /opt is read-only), with
the function's folder and a copy of the layer's ``nianbao`` on its path, and the environment the
stack gives the function. Timed, each the median of ``--rounds`` interleaved runs:

* baseline: ``import boto3`` and the function's three clients from one session: what any
  handler that reads S3, writes DynamoDB and publishes to SNS pays before code of its own;
* init: importing ``app`` (Powertools, the nianbao pipeline, settings, the three clients) from
  the layer as shared/Makefile builds it: bytecode included;
* init from source: the same with the package as source only (what ``BuildMethod: python3.12``
  would ship), to show what the bytecode saves;
* first PDF: importing the PDF reader (pypdfium2, pdfplumber) after init: only the first PDF a
  sandbox sees pays it.

It also checks the modules init must not load, and lists the imports that cost most
(``python -X importtime``). Goal: init <= 0.5 s.

    python -m bench.cold_start [--rounds 7] [--json]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = ROOT / "functions" / "process_report"
GOAL_SECONDS = 0.5
MUST_NOT_LOAD = (
    "pdfplumber", "pdfminer", "pypdfium2", "docx", "lxml", "charset_normalizer",  # per file type, on demand
    "aws_xray_sdk", "moto", "samtranslator", "typer", "rich",  # never in the function
)  # fmt: skip

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "FINDINGS_TABLE": "nianbao-FindingsTable",
    "NOTICES_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:nianbao-NoticesTopic",
    "POWERTOOLS_SERVICE_NAME": "nianbao",
    "POWERTOOLS_METRICS_NAMESPACE": "Nianbao",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PYTHONDONTWRITEBYTECODE": "1",
}

# Run as ``python -c _PROBE <mode> <watched,modules>``; prints one JSON line.
_PROBE = """
import json, sys, time
mode, watch = sys.argv[1], set(sys.argv[2].split(","))
start = time.perf_counter()
if mode == "baseline":
    import boto3
    session = boto3.session.Session()
    clients = [session.client(name) for name in ("s3", "dynamodb", "sns")]
else:
    import app
init = time.perf_counter() - start
loaded = sorted({name.split(".")[0] for name in sys.modules} & watch)
pdf = None
if mode == "init":
    start = time.perf_counter()
    import nianbao.extract.pdf, pypdfium2, pdfplumber
    pdf = time.perf_counter() - start
print(json.dumps({"init": init, "pdf": pdf, "loaded_at_init": loaded}))
"""


def build_layers(into: Path) -> dict[str, Path]:
    """Two copies of the package: with bytecode as shared/Makefile compiles it, and source only."""
    layers = {}
    for name, compiled in (("compiled", True), ("source", False)):
        layer = into / name
        shutil.copytree(ROOT / "shared" / "nianbao", layer / "nianbao", ignore=shutil.ignore_patterns("__pycache__"))
        if compiled:
            mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
            compileall.compile_dir(layer, quiet=1, workers=0, invalidation_mode=mode)
        layers[name] = layer
    return layers


def run_probe(mode: str, layer: Path, *options: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    path = os.pathsep.join([str(layer), str(FUNCTION)])
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *options, "-c", _PROBE, mode, ",".join(MUST_NOT_LOAD)],
        capture_output=True,
        text=True,
        check=True,
        cwd=FUNCTION,
        env=keep | ENVIRONMENT | {"PYTHONPATH": path},
    )


def once(mode: str, layer: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(run_probe(mode, layer).stdout.strip().splitlines()[-1])
    return result


def heaviest_imports(layer: Path, count: int = 8) -> list[tuple[str, float]]:
    """The packages init spends most on: for each, the dearest import of one of its modules
    (cumulative, so a package that pulls in another counts it too), from ``-X importtime``."""
    costs: dict[str, float] = {}
    for line in run_probe("init", layer, "-X", "importtime").stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        if name == "app":  # init ends here; what follows is the PDF reader
            break
        package = name.split(".")[0]
        costs[package] = max(costs.get(package, 0.0), int(parts[1]) / 1e6)
    return sorted(costs.items(), key=lambda item: -item[1])[:count]


@dataclass
class Result:
    rounds: int
    baseline_s: float
    init_s: float
    init_best_s: float
    init_source_s: float
    first_pdf_s: float
    loaded_at_init: list[str]

    @property
    def ratio(self) -> float:
        return self.init_s / self.baseline_s


def measure(rounds: int, layers: dict[str, Path]) -> Result:
    times: dict[str, list[float]] = {"baseline": [], "init": [], "source": [], "pdf": []}
    loaded: set[str] = set()
    for _ in range(rounds):  # interleaved, so that a busy moment hits every probe alike
        times["baseline"].append(once("baseline", layers["compiled"])["init"])
        sample = once("init", layers["compiled"])
        times["init"].append(sample["init"])
        times["pdf"].append(sample["pdf"])
        loaded |= set(sample["loaded_at_init"])
        times["source"].append(once("init", layers["source"])["init"])
    median = {name: statistics.median(values) for name, values in times.items()}
    return Result(
        rounds=rounds,
        baseline_s=median["baseline"],
        init_s=median["init"],
        init_best_s=min(times["init"]),
        init_source_s=median["source"],
        first_pdf_s=median["pdf"],
        loaded_at_init=sorted(loaded),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON as well")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nianbao-layer-") as folder:
        layers = build_layers(Path(folder))
        r = measure(args.rounds, layers)
        heaviest = heaviest_imports(layers["compiled"])

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:7.0f} ms"

    print(f"ProcessReport cold start, median of {r.rounds} fresh processes each (Python {sys.version.split()[0]})")
    print(f"  baseline (boto3 + 3 clients)           {ms(r.baseline_s)}")
    print(f"  init (import app + setup)              {ms(r.init_s)}   best {r.init_best_s * 1000:.0f} ms")
    print(f"  ratio init / baseline                  {r.ratio:7.2f}")
    extra = (r.init_source_s - r.init_s) * 1000
    print(f"  init, package shipped as source        {ms(r.init_source_s)}   ({extra:+.0f} ms)")
    print(f"  first PDF (pypdfium2 + pdfplumber)     {ms(r.first_pdf_s)}   paid by a sandbox's first PDF only")
    print(f"  goal init <= {GOAL_SECONDS} s: {'meets' if r.init_s <= GOAL_SECONDS else 'MISSES'}")
    print(f"  loaded at init that should not be: {', '.join(r.loaded_at_init) or 'none'}")
    print("  heaviest imports at init (cumulative):")
    for name, seconds in heaviest:
        print(f"    {name:32s} {seconds * 1000:6.0f} ms")
    if args.json:
        print(json.dumps(asdict(r) | {"ratio": r.ratio, "goal_s": GOAL_SECONDS}, indent=2))


if __name__ == "__main__":
    main()
