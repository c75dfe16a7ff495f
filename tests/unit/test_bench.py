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


def test_the_cold_start_benchmark_runs_and_init_loads_nothing_it_should_not(tmp_path):
    from bench import cold_start  # noqa: PLC0415

    layers = cold_start.build_layers(tmp_path)
    assert list((layers["compiled"] / "nianbao").glob("__pycache__/*.pyc"))
    assert not list((layers["source"] / "nianbao").rglob("*.pyc"))
    result = cold_start.measure(1, layers)
    assert result.baseline_s > 0
    assert result.init_s > 0
    assert result.first_pdf_s > 0
    # the PDF, Word and HTML readers, the X-Ray SDK and the dev tools stay out of the function's init
    assert result.loaded_at_init == []


def test_the_isolation_benchmark_compares_a_child_with_the_same_check_in_process(monkeypatch, capsys):
    from bench import isolation  # noqa: PLC0415

    monkeypatch.setattr("sys.argv", ["isolation", "--reports", "4", "--rounds", "1", "--no-hostile"])
    monkeypatch.setenv("NIANBAO_OCR", "off")  # the benchmark turns OCR off: restored after the test
    isolation.main()
    out = capsys.readouterr().out
    assert "in-process" in out
    assert "in a child" in out
    assert "ratio" in out
