"""Shared helpers. Test fixtures are written by the project (tests/synth); the team's real
samples are only read by tests/acceptance."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from nianbao.check import check_bytes
from nianbao.model import CheckResult, Finding
from nianbao.rules import balance
from tests.synth import Layout, Truth, random_truth, render_text

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def check_text(text: str, source: str = "test.txt") -> CheckResult:
    return check_bytes(text.encode("utf-8"), source)


def codes(result: CheckResult) -> set[str]:
    return {f.code for f in result.findings}


def only(result: CheckResult, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


@pytest.fixture
def make_report() -> Callable[..., CheckResult]:
    """Render a synthetic report (a clean one unless the test changes the truth) and check it."""

    def make(truth: Truth | None = None, layout: Layout = Layout.TABS, seed: int = 0) -> CheckResult:
        truth = truth or random_truth(random.Random(seed))
        return check_text(render_text(truth, layout, random.Random(seed)))

    return make


@pytest.fixture(autouse=True)
def _fresh_rule_caches() -> None:
    """What the rules build once from the spec and keep (a cache) is built anew in each test, so that
    each test that needs it runs the code that builds it: mutation testing (``make mutants``) runs a
    mutant against the tests that ran its function, and a cache filled by an earlier test hides it."""
    balance.block_totals.cache_clear()
