"""The command line, in Chinese for the officials who use it.

``nianbao check PATH...`` checks reports offline; ``nianbao demo`` runs the whole system on moto;
``nianbao subscribe`` subscribes an office's email address to the notices of its area;
``nianbao redrive`` moves dead-lettered notifications back to the queue once their cause is fixed;
``nianbao recheck`` re-checks stored reports checked by an older checker.
"""

from __future__ import annotations

import logging
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import Progress
from rich.text import Text

from nianbao.batch import Batch, default_workers
from nianbao.check import check_path, os_reason, unreadable
from nianbao.contract import csv_parts, json_parts, jsonl_line, visible
from nianbao.describe import location_text
from nianbao.extract import ocr
from nianbao.extract.limits import Limits
from nianbao.isolate import Sandbox
from nianbao.model import CheckResult, Severity, Status
from nianbao.rules.catalog import CODES
from nianbao.sanitize import clean_text, escape_name
from nianbao.spec import SECTIONS

if TYPE_CHECKING:
    from nianbao.local.demo import Result as DemoResult
    from nianbao.local.demo import Row as DemoRow
    from nianbao.local.stack import LocalStack
    from nianbao.store import RosterLoad

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
    JSONL = "jsonl"
    CSV = "csv"


_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.PASS: "green",
    Status.UNREADABLE: "bold magenta",
}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _is(path: Path, kind: int) -> bool:
    """Whether ``path`` is a directory (``stat.S_IFDIR``) or regular file (``S_IFREG``); False when
    it cannot be looked at (Path.is_dir raises on a name too long for the file system)."""
    try:
        return stat.S_IFMT(path.stat().st_mode) == kind
    except (OSError, ValueError):
        return False


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given, and the report files inside directories (sorted, hidden ones skipped; only
    regular files: a FIFO or device named like a report is not picked up)."""
    for path in paths:
        if _is(path, stat.S_IFDIR):
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in REPORT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and _is(p, stat.S_IFREG)
            )
        else:
            yield path


def _jobs(path: Path) -> list[Path | CheckResult]:
    """What one PATH argument stands for: itself (check_path says why a FIFO, a device or a socket
    is not read), the report files of a directory, or an unreadable result saying why not."""
    try:
        is_dir = stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError) as error:
        return [unreadable(str(path), os_reason(error))]
    if not is_dir:
        return [path]
    try:
        found: list[Path | CheckResult] = list(expand([path]))
    except OSError as error:
        return [unreadable(str(path), os_reason(error))]
    return found or [unreadable(str(path), "目录中没有可检查的报告文件（PDF、Word、网页、文本）")]


def exit_code(results: Iterable[CheckResult]) -> int:
    """0: no report has errors; 1: a report has errors; 2: an input could not be read."""
    return status_exit_code({r.status for r in results})


def status_exit_code(statuses: Iterable[Status]) -> int:
    """``exit_code`` from the statuses met (a batch counts them as it writes, keeping no result)."""
    found = set(statuses)
    if Status.UNREADABLE in found:
        return 2
    return 1 if Status.FAIL in found else 0


# What the text view shows of a report's own text (characters); JSON and CSV carry it whole.
_SHOWN = {"agency": 100, "title": 300, "date": 40, "source": 500, "message": 1000, "evidence": 500, "where": 200}


def _render(console: Console, result: CheckResult, min_severity: Severity) -> None:
    """One report as a panel. Text from the report or the file name is cleaned first: no terminal
    escape sequence, control or bidi character reaches the screen (rich passes ESC through)."""
    report = result.report
    heading = Text()
    heading.append(clean_text(report.agency, _SHOWN["agency"]) or "（未识别机关）", style="bold")
    heading.append(f" · {report.year}年度" if report.year else " · 年度未知")
    heading.append(f" · {report.format.value}版格式" if report.format.value != "unknown" else " · 格式未知")
    heading.append("  ")
    heading.append(result.status.zh, style=_STATUS_STYLE[result.status])
    lines = [Text(f"文件：{escape_name(report.source, _SHOWN['source'])}")]
    if title := clean_text(report.title, _SHOWN["title"]):
        lines.append(Text(f"标题：{title}"))
    if published := clean_text(report.published_text, _SHOWN["date"]):
        lines.append(Text(f"发布日期：{published}"))
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
        item.append(f"  {clean_text(location_text(f.location), _SHOWN['where'])}\n", style="dim")
        item.append(f"  {clean_text(f.message, _SHOWN['message'])}")
        if evidence := clean_text(f.evidence, _SHOWN["evidence"]):
            item.append(f"\n  原文：{evidence}", style="dim")
        lines.append(item)
    console.print(Panel(Group(*lines), title=heading, title_align="left", border_style=_STATUS_STYLE[result.status]))


def _summary(counts: Counter[Status]) -> str:
    parts = "，".join(f"{s.zh} {counts[s]} 份" for s in (Status.FAIL, Status.WARN, Status.PASS, Status.UNREADABLE))
    return f"共检查 {counts.total()} 份报告：{parts}。"


def _write(results: Iterable[CheckResult], output: OutputFormat, min_severity: Severity) -> Counter[Status]:
    """Write each result as it comes (to ``sys.stdout`` as it is at each write: a progress bar may
    route it above itself), flushed, so a reader of the output sees each report once it is done;
    the statuses met, counted."""
    counts: Counter[Status] = Counter()

    def counted() -> Iterator[CheckResult]:
        for result in results:
            counts[result.status] += 1
            yield result

    if output is OutputFormat.TEXT:
        console = Console()
        for result in counted():
            _render(console, result, min_severity)
        console.print(_summary(counts))
        return counts
    parts: Iterable[str]
    if output is OutputFormat.JSON:
        parts = _json_document(counted(), min_severity)
    elif output is OutputFormat.JSONL:
        parts = (jsonl_line(result, min_severity) for result in counted())
    else:
        parts = csv_parts(counted(), min_severity)
    for part in parts:
        sys.stdout.write(part)
        sys.stdout.flush()
    return counts


def _json_document(results: Iterable[CheckResult], min_severity: Severity) -> Iterator[str]:
    yield from json_parts(results, min_severity)
    yield "\n"


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr while the files are checked (a function to call per file), or
    None. Output to a terminal goes above the bar; output to a file or pipe is left alone."""
    if not show:
        yield None
        return
    bar = Progress(
        *Progress.get_default_columns(),
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=sys.stdout.isatty(),
    )
    with bar:
        task = bar.add_task("检查中…", total=total)
        yield lambda: bar.advance(task)


@app.command()
def check(  # noqa: PLR0917 - typer reads each option from a parameter
    paths: Annotated[
        list[Path], typer.Argument(help="报告文件或目录（目录下查找 PDF、Word、网页和文本文件）", show_default=False)
    ],
    output: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="输出格式（jsonl：每行一份报告的 JSON 对象）"),
    ] = OutputFormat.TEXT,
    min_severity: Annotated[
        Severity, typer.Option("--min-severity", "-s", help="只显示不低于该级别的问题")
    ] = Severity.INFO,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="显示进度条（默认：文件多且在终端时）")
    ] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="总以 0 退出（用于演示）")] = False,
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="同一机关相邻年度的报告之间做跨年度核对（默认开启）")
    ] = True,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="上一年度的报告文件，用于跨年度核对（本身不输出结果）", show_default=False),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="同时检查的文件数（进程数；默认：本机可用的 CPU 核数）", show_default=False
        ),
    ] = None,
) -> None:
    """检查年度报告。同一机关多个年度的报告一起检查时，核对年度之间的衔接（上年结转、现行有效件数、文字重复）。
    结果按输入顺序边检查边输出（跨年度核对时，全部文件检查完后输出）。
    退出码：0 无错误；1 有报告存在错误；2 有文件无法读取。"""
    # Inputs are checked, and written, in the order given; a path that cannot be read is an
    # unreadable result. A path is small: the list holds a province's batch easily.
    inputs = [job for path in paths for job in _jobs(path)]
    err = Console(stderr=True)
    show_progress = progress if progress is not None else (len(inputs) >= PROGRESS_FROM and err.is_terminal)
    # each file in a child process with memory, CPU and wall-clock limits, as in the pipeline
    limits = Limits.from_env()
    # a scan read by OCR needs more room than other files, where the OCR libraries are installed
    sandbox = Sandbox.from_env(limits.max_seconds, default_mb=ocr.MEMORY_MB if ocr.available() else 1024)
    # last year's report for the cross-year rules, checked here (before any worker starts)
    before = check_path(previous, limits, sandbox) if previous is not None else None
    files = sum(isinstance(job, Path) for job in inputs)
    workers = min(jobs or default_workers(), max(files, 1))
    # the workers start before the progress bar's thread (see Batch)
    with Batch(limits, sandbox, workers) as batch, _progress(show_progress, len(inputs)) as advance:
        results = batch.results(inputs, history=history or previous is not None, previous=before, on_checked=advance)
        counts = _write(results, output, min_severity)
    raise typer.Exit(0 if exit_zero else status_exit_code(counts))


_DIVISION = re.compile(r"^\d{2,12}$")


def _division(value: str) -> str:
    if not _DIVISION.match(value):
        raise typer.BadParameter("行政区划代码应为 2 至 12 位数字，如 63（省）、6301（市）、630122（县）")
    return value


@app.command()
def demo(  # noqa: PLR0917 - typer reads each option from a parameter
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="另外上传的报告文件（在示例报告之后）", exists=True, dir_okay=False, show_default=False),
    ] = None,
    division: Annotated[
        str, typer.Option("--division", "-d", help="上传文件所属行政区划代码", callback=_division)
    ] = "630122",
    year: Annotated[int, typer.Option("--year", "-y", help="上传文件的报告年度（存放路径中的年份）", min=2008)] = 2023,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="显示处理函数的日志")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="演示后在本机打开核查看板（Ctrl-C 结束）")] = False,
    port: Annotated[int, typer.Option("--port", help="看板端口（与 --serve 同用）", min=1, max=65535)] = 8000,
) -> None:
    """在本机演示整个系统：moto 模拟 AWS，按 template.yaml 建立资源，上传示例报告，运行真实的处理函数，
    显示每份报告的核查结论和收到通知的公开办。无需 AWS 账号。加 --serve 则随后在 127.0.0.1 上打开核查看板。"""
    from nianbao.local.demo import plan, run  # noqa: PLC0415 - moto and the SAM translator only load here

    for name in ("moto", "werkzeug"):  # request lines, and notes on the resources moto does not model
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)
    try:
        plan(list(files or []), division, year)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="FILES") from error
    err = Console(stderr=True)
    dashboard = f"http://127.0.0.1:{port}/"
    then = (lambda stack, result: _serve_demo(stack, result, port)) if serve else None
    with err.status("正在启动 moto 并按 template.yaml 建立资源、处理上传的报告…") as status:
        if serve:
            status.stop()  # the dashboard prints and serves from inside the run
        result = run(
            list(files or []), division=division, year=year, verbose=verbose, then=then, dashboard_url=dashboard
        )
    if not serve:
        _print_demo(result)
    raise typer.Exit(1 if any(row.report is None for row in result.rows) else 0)


def _serve_demo(stack: LocalStack, result: DemoResult, port: int) -> None:
    """Print the demo's results, then serve the dashboard over them until Ctrl-C."""
    from nianbao.dashboard.local import dashboard_environment  # noqa: PLC0415
    from nianbao.local.demo import ROSTER_YEAR  # noqa: PLC0415
    from nianbao.local.stack import environment  # noqa: PLC0415

    _print_demo(result)
    with environment(dashboard_environment(stack.outputs["FindingsTableName"], stack.bucket, ROSTER_YEAR)):
        _serve_dashboard(port)


def _serve_dashboard(port: int) -> None:
    """The DashboardApi handler (its environment set) on 127.0.0.1 until Ctrl-C."""
    from nianbao.dashboard.local import load_dashboard_handler, serve_forever  # noqa: PLC0415

    console = Console()
    serve_forever(
        load_dashboard_handler(),
        "127.0.0.1",
        port,
        on_ready=lambda url: console.print(
            f"核查看板：{url} （本地模式，选择一个公开办登录；Ctrl-C 结束）", style="bold"
        ),
    )


@app.command()
def serve(
    table: Annotated[
        str, typer.Option("--table", envvar="FINDINGS_TABLE", help="核查结果表（堆栈输出 FindingsTableName）")
    ],
    bucket: Annotated[
        str, typer.Option("--bucket", envvar="REPORTS_BUCKET", help="报告存储桶（堆栈输出 ReportsBucketName）")
    ],
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="如 moto server 的地址 http://127.0.0.1:5000"),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8000,
    year: Annotated[int | None, typer.Option("--year", "-y", help="默认显示的年度", min=2008)] = None,
) -> None:
    """在本机（127.0.0.1）运行核查看板：与部署的看板函数相同的代码，读取 moto server 或真实的结果表。
    登录为本地模式（选择一个公开办，不经验证），只供本机使用。"""
    import os  # noqa: PLC0415

    from nianbao import aws  # noqa: PLC0415
    from nianbao.dashboard.local import dashboard_environment  # noqa: PLC0415

    os.environ.update(dashboard_environment(table, bucket, year))
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    aws.reset()
    _serve_dashboard(port)


def _print_demo(result: DemoResult) -> None:
    from nianbao.local.stack import DEFAULT_OFFICES  # noqa: PLC0415

    console = Console()
    offices = "，".join(f"{o.name}（{o.division_prefix}）" for o in DEFAULT_OFFICES)
    console.print(f"订阅通知的公开办（按区划代码前缀过滤）：{offices}")
    if result.roster is not None:
        console.print(_demo_roster(result.roster))
    rows = result.rows
    missing = 0
    for row in rows:
        console.print(_demo_row(row))
        missing += row.report is None
    notices = sum(bool(r.offices) for r in rows)
    console.print(f"共上传 {len(rows)} 份，已入库 {len(rows) - missing} 份，{notices} 份发出了通知。")
    console.print(_demo_lists(result))


def _demo_roster(load: RosterLoad) -> Text:
    text = Text(f"名册 {clean_text(load.key)}：收录 {load.accepted} 个机关", style="bold")
    if load.refused:
        return text.append(f"，未读取：{clean_text(load.refused)}")
    text.append(f"，{len(load.rejected)} 行未收录" if load.rejected else "")
    for row in load.rejected:
        text.append(f"\n  第 {row['line']} 行：{clean_text(str(row['reason']))}")
    return text


def _demo_lists(result: DemoResult) -> Text:
    """What an office's lists show: one current report per body and year, and who has not filed."""
    by_id = {row.report.report_id: row for row in result.rows if row.report is not None}
    text = Text("\n当前报告（每个机关每年一份：最新上传的一份，较早的已被替代）：\n", style="bold")
    for current in sorted(result.current, key=lambda c: (c.year, c.division, c.body_id)):
        row = by_id.get(current.report_id)
        name = row.upload.path.name if row else current.key or current.report_id
        text.append(f"  {current.year}年度 {clean_text(current.body_name or current.agency or '')} ")
        text.append(current.status.zh, style=_STATUS_STYLE[current.status])
        text.append(f" {clean_text(name)}")
        replaced = [
            clean_text(r.upload.path.name)
            for r in result.rows
            if r.report is not None and r.report.superseded_by == current.report_id
        ]
        text.append(f"（替代了 {'、'.join(replaced)}）\n" if replaced else "\n")
    for year, bodies in sorted(result.missing.items()):
        if bodies:
            names = "、".join(clean_text(b.name) for b in bodies)
            text.append(f"名册中尚未提交 {year} 年度报告的机关：{names}\n")
    if result.overdue:
        names = "、".join(clean_text(name) for name in result.overdue)
        offices = "、".join(result.overdue_offices) or "无"
        text.append(f"逾期检查（截至截止日次日）：{names} 逾期未报，已通知 {offices}\n")
    return text


def _demo_row(row: DemoRow) -> Text:
    """One upload: what was stored and who was told, in four short lines."""
    text = Text()
    report = row.report
    if report is None:
        text.append("未入库", style="bold red")
    else:
        text.append(report.status.zh, style=_STATUS_STYLE[report.status])
    text.append(f"  {row.upload.key}\n", style="bold")
    if report is None:
        return text.append("  处理函数没有写入结果（请用 --verbose 查看日志）\n")
    counts = report.counts
    text.append(f"  {report.agency or '（机关未识别）'} · {report.year or '年度未识别'}年度 · ")
    text.append(f"错误 {counts.get('error', 0)} · 警告 {counts.get('warning', 0)} · 提示 {counts.get('info', 0)}\n")
    top = [f for f in row.findings if f.severity is Severity.ERROR] or row.findings
    codes = list(dict.fromkeys(f.code for f in top))
    if codes:
        listed = "；".join(f"{CODES[code].title}（{code}）" for code in codes[:3])
        text.append(f"  问题：{listed}{f' 等 {len(codes)} 项' if len(codes) > 3 else ''}\n")
    text.append(f"  通知：{'、'.join(row.offices) if row.offices else '无（没有错误）'}\n")
    return text


@app.command()
def subscribe(
    topic_arn: Annotated[str, typer.Option("--topic-arn", help="通知主题的 ARN（部署输出 NoticesTopicArn）")],
    email: Annotated[str, typer.Option("--email", help="公开办接收通知的邮箱")],
    division: Annotated[
        str | None, typer.Option("--division", "-d", help="公开办辖区的行政区划代码（前缀）", show_default=False)
    ] = None,
    all_divisions: Annotated[
        bool, typer.Option("--all-divisions", help="接收所有区划的通知（含未按规定路径存放的文件）")
    ] = False,
) -> None:
    """为公开办订阅其辖区的核查通知（使用当前 AWS 凭证）。邮箱需点击确认邮件后生效。"""
    if (division is None) == (not all_divisions):
        raise typer.BadParameter("请指定 --division 行政区划代码，或 --all-divisions（二者选一）")
    prefix = "" if all_divisions else _division(division or "")
    import boto3  # noqa: PLC0415 - only this command talks to AWS

    from nianbao.notify import subscribe as subscribe_office  # noqa: PLC0415

    region = topic_arn.split(":")[3] if topic_arn.count(":") >= 5 else None
    arn = subscribe_office(boto3.client("sns", region_name=region), topic_arn, "email", email, prefix)
    scope = f"区划代码以 {prefix} 开头" if prefix else "所有区划"
    typer.echo(f"已为 {email} 订阅{scope}的核查通知：{arn}")
    typer.echo("请在该邮箱中点击 AWS 发来的确认链接，确认后才开始接收通知。")


@app.command()
def redrive(
    dead_letter_queue_url: Annotated[
        str, typer.Option("--dead-letter-queue-url", help="死信队列的 URL（部署输出 ReportsDeadLetterQueueUrl）")
    ],
    queue_url: Annotated[str, typer.Option("--queue-url", help="处理队列的 URL（部署输出 ReportsQueueUrl）")],
    most: Annotated[int | None, typer.Option("--most", min=1, help="最多移回多少条（默认全部）")] = None,
) -> None:
    """故障修复后，把死信队列中的上传通知移回处理队列，重新核查（使用当前 AWS 凭证）。"""
    from nianbao import aws  # noqa: PLC0415 - only this command and subscribe talk to AWS
    from nianbao.redrive import redrive as move  # noqa: PLC0415

    result = move(aws.client("sqs"), dead_letter_queue_url, queue_url, most=most)
    typer.echo(f"已将 {result.moved} 条通知移回处理队列。")
    if result.failed:
        typer.echo(f"另有 {result.failed} 条未能发送到处理队列，仍留在死信队列中。", err=True)
        raise typer.Exit(1)


@app.command()
def recheck(
    division: Annotated[str, typer.Option("--division", "-d", help="只复核该区划代码（前缀）下的报告")] = "",
    year: Annotated[int | None, typer.Option("--year", "-y", help="只复核该年度的报告", min=2008)] = None,
    force: Annotated[bool, typer.Option("--force", help="复核所有报告，而不只是旧版本核查或核查失败的")] = False,
) -> None:
    """用当前版本的核查程序复核已入库的报告：此前由旧版本核查、或系统原因核查失败的报告重新核查，
    只把新发现的错误通知公开办（使用当前 AWS 凭证，以及 FINDINGS_TABLE、NOTICES_TOPIC_ARN 环境变量）。"""
    if division and not _DIVISION.match(division):
        raise typer.BadParameter("行政区划代码应为 2 至 12 位数字", param_hint="--division")
    from nianbao.pipeline import services_from_env  # noqa: PLC0415 - only this command needs AWS here
    from nianbao.recheck import recheck as run  # noqa: PLC0415
    from nianbao.version import checker_version  # noqa: PLC0415

    services = services_from_env()
    totals = {"looked_at": 0, "rechecked": 0, "noticed": 0, "skipped": 0, "handed_over": 0}
    cursor: str | None = None
    while True:
        summary = run(services, division, year, cursor=cursor, force=force)
        for name in totals:
            totals[name] += getattr(summary, name)
        if summary.cursor is None:
            break
        cursor = summary.cursor
    typer.echo(
        f"核查程序版本 {checker_version()}：查看 {totals['looked_at']} 份，复核 {totals['rechecked']} 份，"
        f"{totals['noticed']} 份有新发现的错误并已通知，{totals['skipped']} 份稍后再复核。"
        + (f"另有 {totals['handed_over']} 份扫描件已转交文字识别（OCR）复核。" if totals["handed_over"] else "")
    )


@app.callback()
def _main() -> None:
    """nianbao（年报）。"""


def main() -> None:
    app()
