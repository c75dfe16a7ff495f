"""mutmut for `make mutants`: mutation testing of nianbao.rules and nianbao.spec, as configured in
pyproject.toml ([tool.mutmut]). Not part of CI: a full run takes about 15 minutes on two cores.

    python .ci/mutants.py run [NAME ...]   mutmut's commands (run, results, show NAME, browse ...)
    python .ci/mutants.py score            killed / total of the last run, then every survivor

Why a wrapper and not the `mutmut` script: mutmut names a mutant after its file's path from the
repository root, with a leading ``src/`` dropped, and a mutant is active only in the module of that
name. The package lives in ``shared/`` (the Lambda layer's layout), so a mutant of
``shared/nianbao/rules/claims.py`` would be named for a module ``shared.nianbao.rules.claims`` that
no test imports, and every mutant would survive untested. ``shared/`` is dropped here the way
mutmut drops ``src/``. The pytest ``pythonpath`` (``shared``) makes the tests import the mutated
copy in ``mutants/shared``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mutmut.__main__ import cli
from mutmut.utils import format_utils

_strip_prefix = format_utils.strip_prefix


def _strip_package_root(s: str, *, prefix: str, strict: bool = False) -> str:
    if prefix == "src.":  # the one call that turns a file's path into its module's name
        s = _strip_prefix(s, prefix="shared.")
    return _strip_prefix(s, prefix=prefix, strict=strict)


format_utils.strip_prefix = _strip_package_root  # get_mutant_name looks it up at each call

STATS = Path("mutants/mutmut-cicd-stats.json")


def score() -> int:
    """Print the last run's score and list what was not killed; 1 when there is no run."""
    cli.main(["export-cicd-stats"], standalone_mode=False)
    if not STATS.exists():
        return 1
    stats = json.loads(STATS.read_text(encoding="utf-8"))
    total, killed = stats["total"], stats["killed"]
    others = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stats.items() if k not in ("total", "killed") and v)
    print(
        f"mutation score: {killed} killed / {total} mutants = {killed / total:.1%}" + (f" ({others})" if others else "")
    )
    cli.main(["results"], standalone_mode=False)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["score"]:
        sys.exit(score())
    cli()
