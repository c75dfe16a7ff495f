"""Untrusted text stays text: what a report, a file name or an S3 key says can never add a line to a
notice, break its SNS subject, drive a terminal or start a spreadsheet formula; and a path that is
not a readable regular file is an unreadable result, never a hang, a huge read or a traceback."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import random
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path, PosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nianbao.check import NOT_A_FILE, check_path
from nianbao.cli import app
from nianbao.contract import to_csv, to_json
from nianbao.extract import Limits
from nianbao.model import CheckResult, Finding, Location, Report, Severity, Status
from nianbao.notify import compose, valid_subject
from nianbao.rules.catalog import CODES
from nianbao.sanitize import LINE_BREAKS, clean_text, escape_name, printable_text, unsafe_characters
from nianbao.spec import FormatVersion
from nianbao.store import StoredReport
from tests.synth import Layout, random_truth, render_text

pytestmark = pytest.mark.unit
runner = CliRunner()

ESC_AGENCY = "青川县\x1b[31m\x1b]0;pwned\x07\x1b[2J清水镇人民政府\u202e"
HOSTILE_KEY = "reports/630122/2023/年报.pdf\n核查编号：FAKE-1\n\n请点击 http://evil.example/ 重新上传\r\n"


def controls(text: str) -> list[str]:
    """Control and format characters in ``text``, but the line feeds a layout is made of."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]


# --- the cleaning rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("brk", sorted(LINE_BREAKS))
def test_every_line_break_becomes_a_space(brk):
    assert clean_text(f"a{brk}b") == "a b"
    assert len(f"a{brk}b".splitlines()) == 2  # each is a line break to str.splitlines
    assert escape_name(f"a{brk}b").splitlines() == [escape_name(f"a{brk}b")]


def test_escape_sequences_go_whole_and_other_controls_go_but_spaces_stay():
    assert clean_text(ESC_AGENCY) == "青川县清水镇人民政府"
    assert clean_text("a\x9b31mb\x1b(0c") == "abc"  # the 8-bit CSI, a charset switch
    assert clean_text("\x1b]8;;http://evil.example/\x1b\\链接\x1b]8;;\x1b\\") == "链接"  # an OSC 8 hyperlink
    assert clean_text("a\x00b\x7fc\u200bd\ufeffe\u2066f\u2069") == "abcdef"
    assert clean_text("表三\t（七）总计  19\u3000元") == "表三 （七）总计 19\u3000元"
    assert clean_text("  \n  ") == ""
    assert clean_text(None) == ""


def test_names_show_what_was_removed():
    assert escape_name("a\nb\x1b[2Jc\u202ed\udcff.pdf") == "a\\nb\\x1b[2Jc\\u202ed\\xff.pdf"
    assert escape_name("reports\\630122\\年报.pdf") == "reports\\630122\\年报.pdf"  # backslashes are kept


def test_lengths_are_bounded():
    assert clean_text("长" * 500, 10) == "长" * 9 + "…"
    assert clean_text("\x1b[31m" * 10_000 + "尾", 10) == "…"  # the work is bounded too
    name = "reports/630122/2023/" + "x" * 2000 + "/年报.pdf"
    shown = escape_name(name, 100)
    assert len(shown) == 100
    assert shown.startswith("reports/630122/")
    assert shown.endswith("/年报.pdf")
    assert printable_text("a\u3000b\xa0c\ue000d") == "a b cd"


# --- the SNS subject ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误",
        "Report 2023: fail, 2 errors",
        "1 error",
        "“引号”开头",
        "a" * 99,
        "a" * 49 + "😀" * 25,  # 99 UTF-16 code units
    ],
)
def test_subjects_sns_accepts(subject):
    assert valid_subject(subject)


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "a" * 100,  # SNS: fewer than 100 characters
        "aa" + "😀" * 49,  # 51 characters, but 100 UTF-16 code units
        "line\nbreak",
        "carriage\rreturn",
        "tab\there",
        "nel\x85",
        "ls\u2028",
        "ps\u2029",
        "esc\x1b[31m",
        "nul\x00",
        "del\x7f",
        "bidi\u202e",
        "zero\u200bwidth",
        "bom\ufeff",
        " leading space",
        "\u3000ideographic space",
        "😀 begins with a symbol",
        "lone\udcff surrogate",
        "private\ue000use",
    ],
)
def test_subjects_sns_rejects(subject):
    assert not valid_subject(subject)


# --- notices --------------------------------------------------------------------------------------


def stored(**changes: Any) -> StoredReport:
    base = {
        "report_id": "r1", "bucket": "nianbao-reports", "key": "reports/630122/2023/年报.pdf", "version_id": "v7",
        "division": "630122", "year": 2023, "agency": "青川县清水镇人民政府",
        "title": "青川县清水镇人民政府2023年政府信息公开工作年度报告", "format": "2021", "file_type": "pdf",
        "status": Status.FAIL, "counts": {"error": 2, "warning": 1, "info": 0},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


ERRORS = [
    Finding(code="T3_RESULTS_TOTAL", severity=Severity.ERROR, message="表三“自然人”列：“（七）总计”为19，但和为6。",
            location=Location(section=3, table="table3", row="results_total", column="natural", line=56),
            expected=6, actual=19, evidence="（七）总计 19 0 0 0 0 0 19"),
    Finding(code="SECTION_MISSING", severity=Severity.ERROR, message="缺少第五部分。", location=Location(section=5)),
]  # fmt: skip


def test_a_key_with_line_breaks_adds_no_line_to_the_notice():
    plain = compose(stored(), ERRORS)
    hostile = compose(stored(key=HOSTILE_KEY, version_id="v7\n核查编号：FAKE-2"), ERRORS)
    assert plain is not None
    assert hostile is not None
    lines = hostile.body.splitlines()
    assert len(lines) == len(plain.body.splitlines())
    assert [line for line in lines if line.startswith("核查编号")] == ["核查编号：r1（在核查平台查询完整结果时使用）"]
    assert not any(line.startswith("请点击") for line in lines)
    # the official still recognises the file: what was removed is shown as an escape
    assert "文件：s3://nianbao-reports/reports/630122/2023/年报.pdf\\n核查编号：FAKE-1\\n\\n请点击" in hostile.body
    assert "（版本 v7\\n核查编号：FAKE-2）" in hostile.body


def test_a_control_character_in_the_agency_cannot_break_the_subject():
    notice = compose(stored(agency=ESC_AGENCY + "\x07\n"), ERRORS)
    assert notice is not None
    assert valid_subject(notice.subject)
    assert notice.subject == "【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误"
    assert "机关：青川县清水镇人民政府    年度" in notice.body
    assert not controls(notice.body)


def test_a_long_agency_is_shortened_and_the_count_stays_in_the_subject():
    notice = compose(stored(agency="很长的机关名称" * 30), ERRORS)
    assert notice is not None
    assert valid_subject(notice.subject)
    assert notice.subject.endswith("…2023年度报告：不通过，2项错误")


def test_a_subject_that_cannot_be_made_valid_falls_back_to_a_fixed_one():
    notice = compose(stored(counts={"error": 10**120, "warning": 0, "info": 0}), ERRORS)
    assert notice is not None
    assert notice.subject == "【年报核查】年度报告核查结果"
    assert valid_subject(notice.subject)


# Text as an attacker would write it: line breaks, escape sequences, bidi controls, lone surrogates
# (undecodable file names), the template's own words, and anything hypothesis finds.
FRAGMENTS = [*LINE_BREAKS, "\t", "\x1b[2J", "\x1b]0;x\x07", "\x9b", "\u202e", "\u2066", "\u200b", "\ufeff",
             "\udcff", "\x00", "核查编号：FAKE", "需要更正的错误：", "1. ", "   原文：", "http://evil.example/",
             "=cmd|' /C calc'!A0", " ", "\u3000", "😀", "长"]  # fmt: skip
hostile = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=40).map("".join),
)
optional = st.none() | hostile
error_codes = sorted(code for code, spec in CODES.items() if spec.severity is Severity.ERROR)
findings = st.builds(
    Finding,
    code=st.sampled_from(error_codes),
    severity=st.just(Severity.ERROR),
    message=hostile,
    location=st.builds(
        Location,
        section=st.none() | st.integers(1, 6),
        table=optional,
        row=optional,
        column=optional,
        line=st.none() | st.integers(0, 10**9),
        page=st.none() | st.integers(0, 10**9),
    ),
    expected=st.none() | st.integers(-(10**30), 10**30),
    actual=st.none() | st.decimals(allow_nan=False, allow_infinity=False),
    evidence=optional,
)


def assert_template_shape(body: str, errors: list[Finding], more: bool) -> None:
    """Every line of ``body`` is one the template writes, in the template's order."""
    lines = body.split("\n")
    assert body.splitlines() == lines  # no other line separator anywhere
    assert lines[0].startswith("《")
    assert lines[1] == ""
    assert lines[2].startswith("文件：s3://")
    assert lines[3].startswith("机关：")
    assert lines[4].startswith("标题：")
    assert lines[5].startswith("核查编号：")
    assert lines[5].endswith("（在核查平台查询完整结果时使用）")
    assert lines[6:8] == ["", "需要更正的错误："]
    at = 8
    for number, finding in enumerate(errors, start=1):
        assert lines[at].startswith(f"{number}. {CODES[finding.code].title}（{finding.code}） — ")
        assert lines[at + 1].startswith("   ")
        at += 2
        if finding.expected is not None or finding.actual is not None:
            assert lines[at].startswith("   应为：")
            at += 1
        if lines[at].startswith("   "):  # only the evidence can follow, and only when there is some
            assert finding.evidence
            assert lines[at].startswith("   原文：")
            at += 1
    if more:
        assert lines[at].startswith("……另有 ")
        at += 1
    assert lines[at:] == ["", "警告和提示不在此列出，请凭核查编号在核查平台查看完整结果。本通知由系统自动发送。"]
    assert [line for line in lines if line.startswith("核查编号")] == [lines[5]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=hostile,
    bucket=hostile,
    version_id=optional,
    agency=optional,
    title=optional,
    division=hostile,
    report_id=hostile,
    errors=st.lists(findings, min_size=1, max_size=25),
    error_count=st.integers(0, 10**6),
)
def test_whatever_the_outside_fields_say_the_notice_is_the_template(
    key, bucket, version_id, agency, title, division, report_id, errors, error_count
):
    report = stored(
        key=key, bucket=bucket, version_id=version_id, agency=agency, title=title, division=division,
        report_id=report_id, counts={"error": error_count, "warning": 0, "info": 0},
    )  # fmt: skip
    notice = compose(report, errors)
    assert notice is not None
    assert valid_subject(notice.subject)
    assert notice.subject.startswith("【年报核查】")
    listed = errors[:20]
    assert_template_shape(notice.body, listed, more=max(error_count, len(errors)) > len(listed))
    assert not controls(notice.body)
    notice.body.encode("utf-8")  # SNS takes UTF-8: no lone surrogate survives


# --- CSV and JSON ---------------------------------------------------------------------------------


def hostile_result() -> CheckResult:
    report = Report(source="=cmd.txt", agency='=HYPERLINK("http://evil.example/","点击")', year=2023)
    finding = Finding(
        code="CELL_INVALID", severity=Severity.ERROR, message="-2+3\x1b[31m", evidence="\t=1+1\r\n@SUM(A1)",
        location=Location(table="+t", row="@r", column="\r=c", line=3), expected=Decimal("-3"), actual=-5,
    )  # fmt: skip
    return CheckResult(report=report, findings=[finding], status=Status.FAIL)


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers():
    text = to_csv([hostile_result()])
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["source"] == "'=cmd.txt"
    assert row["agency"] == '\'=HYPERLINK("http://evil.example/","点击")'
    assert row["message"] == "'-2+3"  # text, and the escape sequence is gone
    assert row["evidence"] == "'=1+1 @SUM(A1)"  # one line; its tab and line break are spaces, then trimmed
    assert (row["table"], row["row"], row["column"]) == ("'+t", "'@r", "'=c")
    assert (row["expected"], row["actual"], row["year"], row["line"]) == ("-3", "-5", "2023", "3")
    assert not controls(text)
    assert text.count("\n") == 2  # the header and one row


def test_csv_and_json_show_a_file_names_control_characters_as_escapes():
    result = CheckResult(
        report=Report(source="a\x1b[2J\nb\udcff\u202e.txt", agency="机关\x9b\u2028名", looks_like_report=False),
        findings=[],
        status=Status.PASS,
    )
    [row] = list(csv.DictReader(io.StringIO(to_csv([result]))))
    assert row["source"] == "a\\x1b[2J\\nb\\xff\\u202e.txt"
    assert row["agency"] == "机关 名"
    as_json = to_json([result])
    assert not controls(as_json)
    as_json.encode("utf-8")
    [report] = json.loads(as_json)["reports"]
    assert (report["source"], report["agency"]) == (result.report.source, result.report.agency)  # exact


# --- the CLI --------------------------------------------------------------------------------------


def hostile_report(path: Path) -> Path:
    """A failing report whose agency (and so its title) carries terminal escape sequences."""
    truth = replace(random_truth(random.Random(3), version=FormatVersion.V2021, year=2022), agency=ESC_AGENCY)
    value = truth.table3["granted"][0]
    assert isinstance(value, int)
    truth = truth.with_cell("table3", "granted", 0, value + 5)
    path.write_text(render_text(truth, Layout.TABS, random.Random(3), variants=False), encoding="utf-8")
    return path


_PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None, "COLUMNS": "200"}


@pytest.mark.parametrize("output", ["text", "json", "csv"])
def test_no_escape_sequence_from_a_report_or_a_file_name_reaches_stdout(tmp_path, output):
    path = hostile_report(tmp_path / "a\x1b[2J\x1b]0;pwned\x07b\u202e.txt")
    result = runner.invoke(app, ["check", str(path), "-f", output], env=_PLAIN)
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.stdout
    assert not controls(result.stdout)
    if output == "text":
        assert "青川县清水镇人民政府" in result.stdout
        assert "a\\x1b[2J\\x1b]0;pwned\\x07b\\u202e.txt" in result.stdout
    if output == "json":
        assert json.loads(result.stdout)["reports"][0]["agency"] == ESC_AGENCY  # the data, exact


def test_with_colours_forced_only_richs_own_styles_reach_the_terminal(tmp_path):
    path = hostile_report(tmp_path / "a\x1b[2Jb.txt")
    result = runner.invoke(app, ["check", str(path)], env=_PLAIN | {"FORCE_COLOR": "1"})
    assert result.exit_code == 1, result.output
    assert "\x1b[" in result.stdout  # rich styles the panel
    unstyled = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # SGR: colours and weights only
    assert "\x1b" not in unstyled
    assert "pwned" not in unstyled


# --- reading files: stat first, regular files only, bounded -----------------------------------------


def guarded(call: Callable[[], Any], fifo: Path | None = None, seconds: float = 15) -> Any:
    """``call()`` in a thread, failing the test (not hanging it) when it does not return; a reader
    blocked on ``fifo`` is released by opening its write end."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # handed to the test thread
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if fifo is not None:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"did not return within {seconds} s (blocked on a FIFO or device?)")
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The paths check_path opens."""
    seen: list[str] = []
    real = os.open

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        seen.append(os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    return seen


def reason(result: CheckResult) -> str:
    assert result.status is Status.UNREADABLE
    [finding] = result.findings
    assert finding.code == "INPUT_UNREADABLE"
    return finding.message


@pytest.mark.timeout(60)
def test_a_sparse_file_over_the_limit_is_never_read(tmp_path, opened):
    path = tmp_path / "sparse.txt"
    path.touch()
    os.truncate(path, 3 * 1024**3)  # 3 GB that take no disk
    opened.clear()
    result = guarded(lambda: check_path(path))
    assert "文件大小 3072.0 MB，超过 50.0 MB 的上限" in reason(result)
    assert str(path) not in opened


@pytest.mark.timeout(60)
def test_a_fifo_is_an_unreadable_result_and_is_never_opened(tmp_path, opened):
    fifo = tmp_path / "report.txt"
    os.mkfifo(fifo)
    result = guarded(lambda: check_path(fifo), fifo)
    assert NOT_A_FILE in reason(result)
    assert str(fifo) not in opened


class LooksRegular(PosixPath):
    """A path whose stat() shows a small regular file, whatever is there by the time it is read."""

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        real = super().stat(follow_symlinks=follow_symlinks)
        fields = list(real)
        fields[0], fields[6] = 0o100644, 1
        return os.stat_result(fields)


@pytest.mark.timeout(60)
def test_a_fifo_swapped_in_after_the_stat_cannot_hang_the_open(tmp_path):
    fifo = tmp_path / "report.txt"
    os.mkfifo(fifo)
    result = guarded(lambda: check_path(LooksRegular(fifo)), fifo)
    assert NOT_A_FILE in reason(result)


def test_at_most_the_limit_plus_one_byte_is_read(tmp_path, monkeypatch):
    path = tmp_path / "grown.txt"
    path.write_bytes(b"x" * 5000)  # grew after its size was looked at
    read: list[int] = []
    real = os.read

    def counted(descriptor: int, most: int) -> bytes:
        read.append(most)
        return real(descriptor, most)

    monkeypatch.setattr(os, "read", counted)
    result = check_path(LooksRegular(path), Limits(max_bytes=100))
    assert "超过 0 KB 的上限" in reason(result)
    assert sum(read) == 101


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_not_read(monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_BYTES", "1024")  # were it read after all, the read stays small
    result = guarded(lambda: check_path(Path("/dev/zero")))
    assert NOT_A_FILE in reason(result)
    cli = guarded(lambda: runner.invoke(app, ["check", "/dev/zero", "-f", "json"]))
    assert cli.exit_code == 2
    assert NOT_A_FILE in json.loads(cli.stdout)["reports"][0]["findings"][0]["message"]


@pytest.mark.timeout(60)
def test_the_cli_reports_a_fifo_a_sparse_file_and_a_name_too_long_and_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_BYTES", "1048576")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    sparse = tmp_path / "sparse.txt"
    sparse.touch()
    os.truncate(sparse, 3 * 1024**3)
    long_name = tmp_path / ("年" * 100 + ".txt")  # 300 bytes: over the file system's 255
    good = hostile_report(tmp_path / "good.txt")
    arguments = ["check", str(fifo), str(sparse), str(long_name), str(good), "-f", "json"]
    result = guarded(lambda: runner.invoke(app, arguments), fifo)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    reports = json.loads(result.stdout)["reports"]
    assert [r["status"] for r in reports] == ["unreadable", "unreadable", "unreadable", "fail"]
    messages = [r["findings"][0]["message"] for r in reports[:3]]
    assert NOT_A_FILE in messages[0]
    assert "超过 1.0 MB 的上限" in messages[1]
    assert "文件名或路径过长" in messages[2]
    text = runner.invoke(app, ["check", str(long_name)])
    assert text.exit_code == 2
    assert "文件名或路径过长" in text.stdout


def test_a_file_name_too_long_and_a_denied_permission_are_reasons(tmp_path, monkeypatch):
    assert "文件名或路径过长" in reason(check_path(tmp_path / ("a" * 300 + ".txt")))
    path = tmp_path / "a.txt"
    path.write_text("x", encoding="utf-8")

    def denied(*_: Any, **__: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # works as root too, where chmod would not
    assert "没有读取权限" in reason(check_path(path))
    assert "这是目录" in reason(check_path(tmp_path))
    assert "文件或目录不存在" in reason(check_path(tmp_path / "nope.txt"))


def test_a_fifo_inside_a_directory_is_not_picked_up(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    hostile_report(tmp_path / "good.txt")
    result = guarded(lambda: runner.invoke(app, ["check", str(tmp_path), "-f", "json"]), tmp_path / "pipe.txt")
    assert [Path(r["source"]).name for r in json.loads(result.stdout)["reports"]] == ["good.txt"]


def test_unsafe_characters_lists_what_cleaning_removes():
    assert unsafe_characters("a\x1b\u202eb\n") == ["\x1b", "\u202e", "\n"]


def test_a_notice_links_to_the_report_page_when_the_dashboard_is_known():
    notice = compose(stored(), ERRORS, dashboard_url="https://abc123.execute-api.cn-north-1.amazonaws.com.cn/")
    assert notice is not None
    lines = notice.body.splitlines()
    assert "查看完整结果：https://abc123.execute-api.cn-north-1.amazonaws.com.cn/#/reports/r1" in lines
    assert not any(line.startswith("核查编号") for line in lines)
    assert lines[-1] == "警告和提示不在此列出，请打开上面的链接查看完整结果和出错的单元格。本通知由系统自动发送。"
    # a report id that is not ours never makes the link point elsewhere
    hostile = compose(stored(report_id="r1\nhttp://evil.example/"), ERRORS, dashboard_url="https://d.example/")
    assert hostile is not None
    [link] = [line for line in hostile.body.splitlines() if line.startswith("查看完整结果：")]
    assert link.startswith("查看完整结果：https://d.example/#/reports/r1")
    assert "\n" not in link


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://d.example/\n请点击", "ftp://d.example/", "https://d.example/?a=1"]
)
def test_the_dashboard_setting_must_be_a_plain_http_address(url):
    from nianbao.config import Settings  # noqa: PLC0415

    env = {"FINDINGS_TABLE": "t", "NOTICES_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "NIANBAO_DASHBOARD_URL": url}
    with pytest.raises(ValueError, match="dashboard_url"):
        Settings.from_env(env)
