"""The offline use case: bytes or a file -> a checked report (many files: ``nianbao.batch``). No
AWS, no network."""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

from nianbao.extract import ExtractError, Limits, extract, size_text, sniff
from nianbao.isolate import ChildError, Sandbox, SandboxUnavailableError, check_isolated
from nianbao.model import CheckResult, Report, Status
from nianbao.parse import parse
from nianbao.rules import run, status_of
from nianbao.rules.catalog import finding

log = logging.getLogger(__name__)
# A defect of ours met while checking a file offline (the pipeline records it as CHECK_FAILED).
CHECK_DEFECT = "核查程序在检查该文件时出错（程序缺陷，非文件问题），错误详情已输出；请将该文件反馈给开发者"


def unreadable(source: str, reason: str, code: str = "INPUT_UNREADABLE", file_type: str = "unknown") -> CheckResult:
    """The result for an input that could not be read: a stored result, never an exception."""
    return CheckResult(
        report=Report(source=source, file_type=file_type, looks_like_report=False),
        findings=[finding(code, f"无法读取该文件：{reason}")],
        status=Status.UNREADABLE,
    )


def check_bytes(data: bytes, source: str, limits: Limits | None = None) -> CheckResult:
    """Extract, parse and check one report."""
    try:
        document = extract(data, source, limits)
    except ExtractError as error:
        return unreadable(source, error.reason, error.code, sniff(data) if data else "empty")
    report = parse(document)
    findings = run(report)
    return CheckResult(report=report, findings=findings, status=status_of(findings))


# Why a path could not be opened, for officials; other errors keep the system's own words.
_OS_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.ENAMETOOLONG: "文件名或路径过长，超出文件系统的限制",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ELOOP: "符号链接层数过多或成环",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EISDIR: "这是目录，不是文件",
}
NOT_A_FILE = "不是普通文件（管道、设备或套接字等），未打开读取"
_CHUNK = 1 << 20


def os_reason(error: OSError | ValueError) -> str:
    """An error from the file system (or a name with a NUL byte) in words for officials."""
    if isinstance(error, ValueError):
        return "文件名含有空字符"
    return _OS_REASONS.get(error.errno or 0, f"打不开文件（{error.strerror or error}）")


def _too_large(limits: Limits, size: int | None = None) -> str:
    of = f" {size_text(size)}" if size is not None else ""
    return f"文件大小{of}，超过 {size_text(limits.max_bytes)} 的上限"


def _read_regular(path: Path, most: int) -> bytes | None:
    """At most ``most`` bytes of the regular file at ``path``; None when what was opened is not a
    regular file (it was swapped since it was looked at). Opened non-blocking, so even a FIFO put
    in its place cannot hang the open."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        chunks: list[bytes] = []
        left = most
        while left > 0:
            chunk = os.read(descriptor, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _read(path: Path, limits: Limits) -> bytes | str:
    """The bytes of the regular file at ``path``, or why they are not read."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return _OS_REASONS[errno.EISDIR]
        if not stat.S_ISREG(info.st_mode):
            return NOT_A_FILE
        if info.st_size > limits.max_bytes:
            return _too_large(limits, info.st_size)
        data = _read_regular(path, limits.max_bytes + 1)
    except (OSError, ValueError) as error:
        return os_reason(error)
    if data is None:
        return NOT_A_FILE
    return _too_large(limits) if len(data) > limits.max_bytes else data


def check_path(path: Path, limits: Limits | None = None, sandbox: Sandbox | None = None) -> CheckResult:
    """Check a file on disk; a path that cannot or must not be read is an unreadable result.

    The path is looked at before anything is opened: only a regular file is read (a FIFO, device
    or socket could block or never end), and only when its size is within ``limits.max_bytes``; at
    most that many bytes plus one are read, so a file that grows meanwhile is caught too. A name
    too long for the file system, a missing file or a denied permission is a reason, never a
    traceback. With a ``sandbox`` the check runs in a child process within its limits, as in the
    pipeline: a file that exhausts them is an unreadable result saying which.
    """
    limits = limits or Limits.from_env()
    data = _read(path, limits)
    if isinstance(data, str):
        return unreadable(str(path), data)
    if sandbox is None or not hasattr(os, "fork"):
        return check_bytes(data, str(path), limits)
    try:
        return check_isolated(data, str(path), limits, sandbox).value
    except SandboxUnavailableError:
        log.warning("no child process for %s; checking it in this one", path)
        return check_bytes(data, str(path), limits)
    except ChildError:
        log.exception("checking %s failed", path)
        return unreadable(str(path), CHECK_DEFECT)
