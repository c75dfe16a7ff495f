"""``nianbao check PATH...``: check annual reports offline and say what is wrong, in Chinese."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import track
from rich.text import Text

from nianbao.check import check_path, unreadable
from nianbao.contract import to_csv, to_json, visible
from nianbao.describe import location_text
from nianbao.model import CheckResult, Severity, Status
from nianbao.spec import SECTIONS

app = typer.Typer(
    help="nianbao（年报）：检查政府信息公开工作年度报告的章节、表格和勾稽关系。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

# Files a directory is searched for; a file named explicitly is read whatever its name.
REPORT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".pdf", ".docx", ".html", ".htm", ".shtml"})
PROGRESS_FROM = 10  # show a progress bar from this many files on


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.PASS: "green",
    Status.UNREADABLE: "bold magenta",
}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given, and the report files inside directories (sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in REPORT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            yield path


def exit_code(results: list[CheckResult]) -> int:
    """0: no report has errors; 1: a report has errors; 2: an input could not be read."""
    statuses = {r.status for r in results}
    if Status.UNREADABLE in statuses:
        return 2
    return 1 if Status.FAIL in statuses else 0


def _render(console: Console, result: CheckResult, min_severity: Severity) -> None:
    report = result.report
    heading = Text()
    heading.append(report.agency or "（未识别机关）", style="bold")
    heading.append(f" · {report.year}年度" if report.year else " · 年度未知")
    heading.append(f" · {report.format.value}版格式" if report.format.value != "unknown" else " · 格式未知")
    heading.append("  ")
    heading.append(result.status.zh, style=_STATUS_STYLE[result.status])
    lines = [Text(f"文件：{report.source}")]
    if report.title:
        lines.append(Text(f"标题：{report.title}"))
    if report.published_text:
        lines.append(Text(f"发布日期：{report.published_text}"))
    if report.looks_like_report:
        marks = Text("章节：")
        for spec in SECTIONS:
            ok = spec.number in report.sections
            marks.append(f"{spec.ordinal}{'✓' if ok else '✗'} ", style="green" if ok else "bold red")
        lines.append(marks)
    counts = Counter(f.severity for f in result.findings)
    lines.append(
        Text(f"错误 {counts[Severity.ERROR]} · 警告 {counts[Severity.WARNING]} · 提示 {counts[Severity.INFO]}")
    )
    for f in visible(result.findings, min_severity):
        item = Text("\n")
        item.append(f"{f.severity.zh} ", style=_SEVERITY_STYLE[f.severity])
        item.append(f.code, style="bold")
        item.append(f"  {location_text(f.location)}\n", style="dim")
        item.append(f"  {f.message}")
        if f.evidence:
            item.append(f"\n  原文：{f.evidence}", style="dim")
        lines.append(item)
    console.print(Panel(Group(*lines), title=heading, title_align="left", border_style=_STATUS_STYLE[result.status]))


def _summary(results: list[CheckResult]) -> str:
    counts = Counter(r.status for r in results)
    parts = "，".join(f"{s.zh} {counts[s]} 份" for s in (Status.FAIL, Status.WARN, Status.PASS, Status.UNREADABLE))
    return f"共检查 {len(results)} 份报告：{parts}。"


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="报告文件或目录（目录下查找 PDF、Word、网页和文本文件）", show_default=False)
    ],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="输出格式")] = OutputFormat.TEXT,
    min_severity: Annotated[
        Severity, typer.Option("--min-severity", "-s", help="只显示不低于该级别的问题")
    ] = Severity.INFO,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="显示进度条（默认：文件多且在终端时）")
    ] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="总以 0 退出（用于演示）")] = False,
) -> None:
    """检查年度报告。退出码：0 无错误；1 有报告存在错误；2 有文件无法读取。"""
    # Inputs are checked in the order given; a path that names nothing is an unreadable result.
    jobs: list[Path | CheckResult] = []
    for path in paths:
        if not path.exists():
            jobs.append(unreadable(str(path), "文件或目录不存在"))
            continue
        found = list(expand([path]))
        jobs.extend(found or [unreadable(str(path), "目录中没有可检查的报告文件（PDF、Word、网页、文本）")])
    err = Console(stderr=True)
    show_progress = progress if progress is not None else (len(jobs) >= PROGRESS_FROM and err.is_terminal)
    iterator = track(jobs, description="检查中…", console=err, transient=True) if show_progress else jobs
    results = [job if isinstance(job, CheckResult) else check_path(job) for job in iterator]

    if output is OutputFormat.JSON:
        sys.stdout.write(to_json(results, min_severity) + "\n")
    elif output is OutputFormat.CSV:
        sys.stdout.write(to_csv(results, min_severity))
    else:
        console = Console()
        for result in results:
            _render(console, result, min_severity)
        console.print(_summary(results))
    raise typer.Exit(0 if exit_zero else exit_code(results))


@app.callback()
def _main() -> None:
    """nianbao（年报）。"""


def main() -> None:
    app()
