"""The benchmarks are scripts, not timed tests; this only keeps them runnable."""

import pytest
from bench import text_throughput

pytestmark = pytest.mark.unit


def test_text_throughput_runs_and_reports_against_its_baseline(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["text_throughput", "--reports", "4", "--rounds", "1"])
    text_throughput.main()
    out = capsys.readouterr().out
    assert "reports/s" in out
    assert "ratio check / baseline" in out
