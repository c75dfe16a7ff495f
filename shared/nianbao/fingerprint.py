"""A finding's stable identity: the same problem in the same place gets the same fingerprint in
every run and every corrected re-upload that keeps it, so decisions on it (confirmed, dismissed)
and the record of what an office was told survive re-checks.

A finding about a table is identified by its code and the cell, row or column it names; any other
by its code, its section and the text it quotes (normalised: width, spaces and punctuation do not
count). Messages are left out on purpose: their wording may improve between checker versions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from nianbao.model import Finding

_NOISE = re.compile(r"[\s\u3000，。、；：,.;:!?！？“”\"'‘’（）()\[\]【】《》<>—\-_/]+")


def _quoted(evidence: str | None) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", evidence or ""))


def identity(finding: Finding) -> str:
    """The text a fingerprint hashes (readable, for tests and logs)."""
    where = finding.location
    if where.table:
        place = f"{where.table}|{where.row or ''}|{where.column or ''}"
    else:
        place = f"§{where.section or ''}|{_quoted(finding.evidence)}"
    return f"{finding.code}|{place}"


def fingerprint(finding: Finding) -> str:
    return hashlib.sha256(identity(finding).encode()).hexdigest()[:16]


def fingerprints(findings: Iterable[Finding]) -> list[str]:
    """Each finding's fingerprint; findings that share one (the same code twice in one place) get
    ``#2``, ``#3`` … in the order the checker gives them, which is stable between runs."""
    seen: Counter[str] = Counter()
    out = []
    for finding in findings:
        base = fingerprint(finding)
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out
