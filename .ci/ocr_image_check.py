"""What OcrReport's image would run, without a container runtime: run by `make ocr-image-check`
inside a folder laid out as the Dockerfile lays out ${LAMBDA_TASK_ROOT} (the OCR lock installed for
CPython 3.12 on manylinux x86_64, the package, the handler), with that folder's Python 3.12 and
the function's environment. It runs the handler's init, then checks a scanned report in the
sandbox as the function would, and fails unless the scan was read by OCR.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(scan: Path) -> int:
    started = time.monotonic()
    import app  # noqa: PLC0415 - the handler, as Lambda imports it (its init runs here)

    from nianbao.check import check_bytes  # noqa: PLC0415
    from nianbao.isolate import check_isolated  # noqa: PLC0415

    init = time.monotonic() - started
    settings = app.services.settings
    if app.services.scans is not None:
        print("OcrReport's environment must name no OCR queue", file=sys.stderr)
        return 1
    done = check_isolated(scan.read_bytes(), scan.name, settings.limits, settings.sandbox, check=check_bytes)
    result = done.value
    print(
        f"Python {sys.version.split()[0]}; init {init:.2f} s; {scan.name}: {result.status.value}, "
        f"read by {result.report.read_by} (pages {result.report.ocr_pages}), "
        f"{done.seconds:.1f} s, child peak {done.peak_rss / 2**20:.0f} MB"
    )
    print("findings:", ", ".join(f.code for f in result.findings))
    return 0 if result.report.read_by == "ocr" else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
