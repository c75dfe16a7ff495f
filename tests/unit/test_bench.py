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


def test_the_pdf_benchmark_measures_each_way_of_reading_and_its_memory(tmp_path):
    from bench import pdf_work  # noqa: PLC0415

    from tests.unit.test_extract_files import pdf  # noqa: PLC0415

    data = pdf([["annual report"], ["page two"]])
    for work in pdf_work.WORK.values():
        work(data)
    assert 0 < pdf_work.peak_rss_mb() < 10_000
