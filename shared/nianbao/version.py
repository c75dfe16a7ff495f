"""The checker's version: the package version and a hash of what decides findings (the report
formats in ``spec`` and the rules and their catalogue in ``rules``). Stored with every run, so
that stored reports checked by an older checker can be found and checked again."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from nianbao import __version__

_PACKAGE = Path(__file__).resolve().parent
_DECIDING = ("spec", "rules")


@cache
def checker_version() -> str:
    """``<package version>+<12 hex digits>``, e.g. ``0.2.0+3f1c2a9b8d7e``."""
    digest = hashlib.sha256()
    for folder in _DECIDING:
        for path in sorted((_PACKAGE / folder).glob("*.py")):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"
