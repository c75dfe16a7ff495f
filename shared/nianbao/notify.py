"""Notices to supervising offices: one SNS message per report with errors.

The message carries the attributes offices filter on: ``division`` (the upload's division code;
an office subscribes with a prefix of it: 630122 a county, 6301 its city, 63 the province),
``severity`` and ``rules`` (the error codes), and ``report`` (the report id in the findings
table, for machines that read the topic). The subject and body are in Chinese and say which
report, where in it, what was expected and what was printed.

What comes from outside (the S3 key, bucket and version id, the report's agency and title, the
findings' text) is cleaned by ``nianbao.sanitize`` before it enters a notice: it can add no line
to the body, and the subject always passes ``valid_subject`` (SNS's rule for subjects).
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from nianbao.describe import location_text
from nianbao.events import UNKNOWN_DIVISION
from nianbao.model import Finding, Severity
from nianbao.rules.catalog import CODES, fmt_number
from nianbao.sanitize import ELLIPSIS, clean_text, escape_name, printable_text
from nianbao.store import StoredReport

SUBJECT_LIMIT = 100  # SNS: a subject is shorter than 100 characters
_SUBJECT_PREFIX = "【年报核查】"
_SUBJECT_FALLBACK = "【年报核查】年度报告核查结果"  # valid whatever the report says
_LISTED = 20  # errors spelled out in a notice; the rest are counted

# How much of each outside field a notice shows (characters): the body stays readable and bounded.
_AGENCY = 100
_TITLE = 200
_KEY = 400  # S3 keys are up to 1024 bytes; cut in the middle, so the file name stays
_BUCKET = 70  # S3 bucket names are at most 63
_VERSION = 100
_ID = 100
_DIVISION = 20
_LOCATION = 200
_MESSAGE = 500
_EVIDENCE = 200
_NUMBER = 40


class Notice(BaseModel):
    subject: str
    body: str
    division: str
    rules: list[str]
    report_id: str

    def attributes(self) -> dict[str, dict[str, str]]:
        return {
            "division": {"DataType": "String", "StringValue": self.division},
            "severity": {"DataType": "String", "StringValue": Severity.ERROR.value},
            "rules": {"DataType": "String.Array", "StringValue": json.dumps(self.rules)},
            "report": {"DataType": "String", "StringValue": self.report_id},
        }


def _units(text: str) -> int:
    """Length in UTF-16 code units (a character outside the BMP counts twice), the stricter count."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def valid_subject(subject: str) -> bool:
    """Whether SNS Publish accepts ``subject``, mirroring its documented constraint: "Subjects must
    be UTF-8 text with no line breaks or control characters, and less than 100 characters long"
    (older wording: "ASCII text that begins with a letter, number, or punctuation mark").

    Stricter where the rule is vague: not empty; the first character a letter, number or
    punctuation mark; every character printable by ``str.isprintable`` (no Cc, Cf, Cs, Co, Cn, no
    line or paragraph separator, no space but U+0020); fewer than 100 UTF-16 code units.
    """
    if not subject or _units(subject) >= SUBJECT_LIMIT:
        return False
    return unicodedata.category(subject[0])[0] in "LNP" and subject.isprintable()


def _cut_units(text: str, units: int) -> str:
    """``text`` within ``units`` UTF-16 code units, a cut marked with an ellipsis."""
    if _units(text) <= units:
        return text
    kept = ""
    for char in text:
        if _units(kept + char) > units - 1:
            break
        kept += char
    return kept.rstrip() + ELLIPSIS


def _year(report: StoredReport) -> str:
    return clean_text(str(report.listed_year or ""), 8)


def _agency(report: StoredReport) -> str:
    return clean_text(report.agency, _AGENCY)


def _name(report: StoredReport) -> str:
    """「青川县清水镇人民政府2023年度报告」; the year the report states, else the one it is filed under."""
    return f"{_agency(report) or '（机关未识别）'}{_year(report)}年度报告"


def _division(report: StoredReport) -> str:
    if report.division == UNKNOWN_DIVISION:
        return "未识别（文件未按 reports/区划代码/年度/ 存放）"
    return clean_text(report.division, _DIVISION) or "未识别"


def _subject(report: StoredReport, error_count: int, *, new: bool = False) -> str:
    """``【年报核查】<机关><年度>年度报告：<结论>，N项错误`` (a re-check: ``复核新发现N项错误``), the
    agency shortened to fit; always valid."""
    found = f"复核新发现{error_count}项错误" if new else f"{report.status.zh}，{error_count}项错误"
    tail = f"{_year(report)}年度报告：{found}"
    agency = printable_text(report.agency, _AGENCY) or "（机关未识别）"
    room = SUBJECT_LIMIT - 1 - _units(_SUBJECT_PREFIX + tail)
    subject = _SUBJECT_PREFIX + _cut_units(agency, room) + tail if room > 1 else ""
    return subject if valid_subject(subject) else _SUBJECT_FALLBACK


def _number(value: int | Decimal | None) -> str:
    return clean_text(fmt_number(value), _NUMBER)


def _error_lines(number: int, finding: Finding) -> list[str]:
    """Two to four lines; every outside text is indented or follows the template's own words."""
    where = clean_text(location_text(finding.location), _LOCATION) or "全文"
    lines = [
        f"{number}. {CODES[finding.code].title}（{finding.code}） — {where}",
        f"   {clean_text(finding.message, _MESSAGE) or '（无说明）'}",
    ]
    if finding.expected is not None or finding.actual is not None:
        lines.append(f"   应为：{_number(finding.expected)}；报告中为：{_number(finding.actual)}")
    evidence = clean_text(finding.evidence, _EVIDENCE)
    if evidence:
        lines.append(f"   原文：{evidence}")
    return lines


def report_link(dashboard_url: str, report_id: str) -> str:
    """The report's page on the dashboard."""
    return f"{dashboard_url.rstrip('/')}/#/reports/{escape_name(report_id, _ID)}"


def compose(report: StoredReport, findings: list[Finding], *, dashboard_url: str | None = None) -> Notice | None:
    """The notice for ``report``, or None when it has no error.

    Every field from outside (the S3 bucket, key and version id, the agency and title read from
    the report, findings' messages, evidence and locations) is cleaned first
    (``nianbao.sanitize``): no line of the body comes from anywhere but this template, and the
    subject always satisfies ``valid_subject``.
    """
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors:
        return None
    # a re-check by a newer checker names only the errors new since the offices' last notice
    new = report.notice_fingerprints is not None
    # the counts are the report's own: findings past the store's limit are counted, not listed
    error_count = len(errors) if new else max(report.counts.get("error", 0), len(errors))
    warnings = report.counts.get("warning", 0)
    version = escape_name(report.version_id, _VERSION)
    key = f"s3://{escape_name(report.bucket, _BUCKET)}/{escape_name(report.key, _KEY)}"
    if new:
        summary = f"《{_name(report)}》经核查系统更新后复核，新发现错误 {error_count} 项（此前已通知的错误不再列出）。"
    else:
        summary = (
            f"《{_name(report)}》经自动核查，结论为“{report.status.zh}”：错误 {error_count} 项，警告 {warnings} 项。"
        )
    lines = [
        summary,
        "",
        f"文件：{key}{f'（版本 {version}）' if version else ''}",
        f"机关：{_agency(report) or '未识别'}    年度：{report.year or '未识别'}    区划：{_division(report)}",
        f"标题：{clean_text(report.title, _TITLE) or '未识别'}",
        f"查看完整结果：{report_link(dashboard_url, report.report_id)}"
        if dashboard_url
        else f"核查编号：{escape_name(report.report_id, _ID)}（在核查平台查询完整结果时使用）",
        "",
        "需要更正的错误：",
    ]
    for number, finding in enumerate(errors[:_LISTED], start=1):
        lines += _error_lines(number, finding)
    if error_count > min(len(errors), _LISTED):
        lines.append(f"……另有 {error_count - min(len(errors), _LISTED)} 项错误。")
    where = "请打开上面的链接查看完整结果和出错的单元格" if dashboard_url else "请凭核查编号在核查平台查看完整结果"
    lines += ["", f"警告和提示不在此列出，{where}。本通知由系统自动发送。"]
    rules = sorted({f.code for f in errors})
    return Notice(
        subject=_subject(report, error_count, new=new),
        body="\n".join(lines),
        division=report.division,
        rules=rules,
        report_id=report.report_id,
    )


def _overdue_line(number: int, body_id: str, name: str) -> str:
    return f"{number}. {clean_text(name, _AGENCY) or '（名称未识别）'}（名册编码 {escape_name(body_id, _ID)}）"


def compose_overdue(division: str, year: int, overdue: list[tuple[str, str]], deadline: str) -> Notice:
    """The notice of a division's roster bodies with no report of ``year`` by ``deadline``
    (``overdue``: (body id, name) pairs), routed like any notice by ``division``."""
    listed = overdue[:_LISTED]
    lines = [
        f"截至 {deadline}，以下 {len(overdue)} 个机关尚未提交 {year} 年度政府信息公开工作年度报告（按名册核对）：",
        "",
        *[_overdue_line(number, body_id, name) for number, (body_id, name) in enumerate(listed, start=1)],
    ]
    if len(overdue) > len(listed):
        lines.append(f"……另有 {len(overdue) - len(listed)} 个机关。")
    lines += [
        "",
        f"区划：{clean_text(division, _ID)}。报告上传后即自动核销，无需另行说明。",
        "本通知由系统自动发送，每个机关每年只通知一次。",
    ]
    subject = f"{_SUBJECT_PREFIX}{len(overdue)}个机关未按期提交{year}年度报告"
    return Notice(
        subject=subject if valid_subject(subject) else _SUBJECT_FALLBACK,
        body="\n".join(lines),
        division=division,
        rules=["REPORT_OVERDUE"],
        report_id=f"overdue-{division}-{year}",
    )


def filter_policy(division_prefix: str) -> dict[str, Any] | None:
    """The filter policy an office subscribes with: notices whose division starts with its prefix
    (630122 a county, 6301 its city, 63 the province); None for every notice."""
    return {"division": [{"prefix": division_prefix}]} if division_prefix else None


def subscribe(client: Any, topic_arn: str, protocol: str, endpoint: str, division_prefix: str) -> str:
    """Subscribe an office (an email address, or a queue standing for one) to the notices of its area."""
    attributes = {"FilterPolicyScope": "MessageAttributes"}
    policy = filter_policy(division_prefix)
    if policy is not None:
        attributes["FilterPolicy"] = json.dumps(policy)
    response = client.subscribe(
        TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, Attributes=attributes, ReturnSubscriptionArn=True
    )
    return str(response["SubscriptionArn"])


class Notifier:
    """Publishes notices to the topic through a boto3 SNS client passed in."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def publish(self, notice: Notice) -> str:
        response = self._client.publish(
            TopicArn=self._topic,
            Subject=notice.subject,
            Message=notice.body,
            MessageAttributes=notice.attributes(),
        )
        return str(response["MessageId"])
