"""The batch benchmark is a script, not a timed test; this only keeps it runnable."""

import pytest

pytestmark = pytest.mark.unit


def test_the_batch_benchmark_measures_memory_per_format_and_the_speed_up_of_jobs(monkeypatch, capsys):
    from bench import batch  # noqa: PLC0415

    arguments = ["--small", "3", "--large", "6", "--formats", "jsonl,csv", "--pdfs", "2", "--distinct-pdfs", "1"]
    monkeypatch.setattr("sys.argv", ["batch", *arguments, "--rounds", "1"])
    batch.main()
    out = capsys.readouterr().out
    assert "3 vs 6 files" in out
    assert out.count("goal <= 1.2x") == 1
    assert "jsonl " in out
    assert "csv " in out
    assert "(exit 0/0)" in out or "(exit 1/1)" in out  # the runs checked the files, whatever they found
    assert "speed-up" in out or "(b) skipped" in out


def test_the_benchmarks_bodies_are_distinct_and_read_back_as_written(tmp_path):
    from bench import batch  # noqa: PLC0415

    from nianbao.check import check_path  # noqa: PLC0415

    assert len({batch.agency(n) for n in range(2000)}) == 2000
    batch.write_texts(tmp_path, 5)
    results = [check_path(path) for path in sorted(tmp_path.iterdir())]
    assert [r.report.agency for r in results] == [batch.agency(0)] * 4 + [batch.agency(1)]
    assert [r.report.year for r in results] == [2021, 2022, 2023, 2024, 2021]
