"""Notices to supervising offices: one SNS message per report with errors.

The message carries the attributes offices filter on: ``division`` (the upload's division code;
an office subscribes with a prefix of it: 630122 a county, 6301 its city, 63 the province),
``severity`` and ``rules`` (the error codes), and ``report`` (the report id in the findings
table, for machines that read the topic). The subject and body are in Chinese and say which
report, where in it, what was expected and what was printed.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from nianbao.describe import location_text
from nianbao.model import Finding, Severity
from nianbao.rules.catalog import CODES, fmt_number
from nianbao.store import StoredReport

UNKNOWN_DIVISION = "000000"  # the division of a key outside reports/<division>/<year>/

_SUBJECT_MAX = 99  # SNS: fewer than 100 characters, no line breaks
_LISTED = 20  # errors spelled out in a notice; the rest are counted


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


def _name(report: StoredReport) -> str:
    """「青川县清水镇人民政府2023年度报告」; the year the report states, else the one it is filed under."""
    return f"{report.agency or '（机关未识别）'}{report.listed_year or ''}年度报告"


def _division(report: StoredReport) -> str:
    if report.division == UNKNOWN_DIVISION:
        return "未识别（文件未按 reports/区划代码/年度/ 存放）"
    return report.division


def compose(report: StoredReport, findings: list[Finding]) -> Notice | None:
    """The notice for ``report``, or None when it has no error."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors:
        return None
    # the counts are the report's own: findings past the store's limit are counted, not listed
    error_count = max(report.counts.get("error", 0), len(errors))
    warnings = report.counts.get("warning", 0)
    subject = f"【年报核查】{_name(report)}：{report.status.zh}，{error_count}项错误"
    subject = " ".join(subject.split())[:_SUBJECT_MAX]
    version = f"（版本 {report.version_id}）" if report.version_id else ""
    lines = [
        f"{_name(report)}经自动核查，结论为“{report.status.zh}”：错误 {error_count} 项，警告 {warnings} 项。",
        "",
        f"文件：s3://{report.bucket}/{report.key}{version}",
        f"机关：{report.agency or '未识别'}    年度：{report.year or '未识别'}    区划：{_division(report)}",
        f"标题：{report.title or '未识别'}",
        f"核查编号：{report.report_id}（在核查平台查询完整结果时使用）",
        "",
        "需要更正的错误：",
    ]
    for number, finding in enumerate(errors[:_LISTED], start=1):
        lines.append(f"{number}. {CODES[finding.code].title}（{finding.code}） — {location_text(finding.location)}")
        lines.append(f"   {finding.message}")
        if finding.expected is not None or finding.actual is not None:
            lines.append(f"   应为：{fmt_number(finding.expected)}；报告中为：{fmt_number(finding.actual)}")
        if finding.evidence:
            lines.append(f"   原文：{finding.evidence[:200]}")
    if error_count > min(len(errors), _LISTED):
        lines.append(f"……另有 {error_count - min(len(errors), _LISTED)} 项错误。")
    lines += ["", "警告和提示不在此列出，请凭核查编号在核查平台查看完整结果。本通知由系统自动发送。"]
    rules = sorted({f.code for f in errors})
    return Notice(
        subject=subject, body="\n".join(lines), division=report.division, rules=rules, report_id=report.report_id
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
