"""Notices: what they say, and which offices receive them (SNS filter policies, moto)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from nianbao import aws
from nianbao.cli import app
from nianbao.local.stack import LocalStack, drain
from nianbao.model import Finding, Location, Severity, Status
from nianbao.notify import Notifier, compose, filter_policy
from nianbao.store import StoredReport

pytestmark = pytest.mark.integration


def report(division: str = "630122", **changes: object) -> StoredReport:
    base = {
        "report_id": "r1", "bucket": "nianbao-reports", "key": f"reports/{division}/2023/年报.pdf", "version_id": "v7",
        "division": division, "year": 2023, "agency": "青川县清水镇人民政府",
        "title": "青川县清水镇人民政府2023年政府信息公开工作年度报告",
        "format": "2021", "file_type": "pdf", "status": Status.FAIL, "counts": {"error": 2, "warning": 1, "info": 0},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


FINDINGS = [
    Finding(code="T3_RESULTS_TOTAL", severity=Severity.ERROR,
            message="表三“自然人”列：“（七）总计”为19，但各项办理结果之和为6。",
            location=Location(section=3, table="table3", row="results_total", column="natural", line=56, page=2),
            expected=6, actual=19, evidence="（七）总计 19 0 0 0 0 0 19"),
    Finding(code="SECTION_MISSING", severity=Severity.ERROR, message="缺少第五部分“存在的主要问题及改进情况”。",
            location=Location(section=5)),
    Finding(code="CELL_BLANK", severity=Severity.WARNING, message="一个警告", location=Location()),
]  # fmt: skip


def test_a_notice_says_which_report_where_and_what_was_expected():
    notice = compose(report(), FINDINGS)
    assert notice is not None
    assert notice.subject == "【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误"
    assert "\n" not in notice.subject
    assert len(notice.subject) < 100
    body = notice.body
    assert "s3://nianbao-reports/reports/630122/2023/年报.pdf（版本 v7）" in body
    assert "表三收支" not in body  # only the report's own errors
    assert "表三办理结果总计不符（T3_RESULTS_TOTAL） — 第三部分 表三 “（七）总计”行 “自然人”列 第2页 第56行" in body
    assert "应为：6；报告中为：19" in body
    assert "缺少必备章节（SECTION_MISSING）" in body
    assert "一个警告" not in body  # warnings are on the dashboard, not in the notice
    assert notice.rules == ["SECTION_MISSING", "T3_RESULTS_TOTAL"]
    assert notice.attributes()["division"] == {"DataType": "String", "StringValue": "630122"}
    assert json.loads(notice.attributes()["rules"]["StringValue"]) == notice.rules
    assert "核查编号：r1" in body  # what an official quotes to find the full result
    assert notice.attributes()["report"] == {"DataType": "String", "StringValue": "r1"}


def test_an_unreadable_file_filed_in_the_wrong_place_is_named_by_the_year_it_was_filed_under():
    unreadable = report(
        division="000000", key="uploads/年报.pdf", year=None, key_year=None, agency=None, title=None,
        status=Status.UNREADABLE, counts={"error": 1, "warning": 0, "info": 0},
    )  # fmt: skip
    error = Finding(code="INPUT_UNREADABLE", severity=Severity.ERROR, message="无法读取该文件：文件为空")
    notice = compose(unreadable, [error])
    assert notice is not None
    assert notice.subject == "【年报核查】（机关未识别）年度报告：无法读取，1项错误"
    assert "区划：未识别（文件未按 reports/区划代码/年度/ 存放）" in notice.body
    filed = compose(report(year=None, key_year=2023), FINDINGS)
    assert filed is not None
    assert filed.subject.startswith("【年报核查】青川县清水镇人民政府2023年度报告")


def test_errors_past_what_the_store_lists_are_counted_in_the_notice():
    notice = compose(report(counts={"error": 130, "warning": 4, "info": 0}), FINDINGS)
    assert notice is not None
    assert "，130项错误" in notice.subject
    assert "……另有 128 项错误。" in notice.body


def test_no_notice_without_an_error():
    assert compose(report(status=Status.WARN), FINDINGS[2:]) is None


def test_filter_policies_follow_the_administrative_hierarchy():
    assert filter_policy("6301") == {"division": [{"prefix": "6301"}]}
    assert filter_policy("") is None


@pytest.mark.parametrize(
    ("division", "offices"),
    [
        ("630122", {"湟中区政务公开办", "西宁市政务公开办", "青海省政务公开办"}),
        ("630105", {"西宁市政务公开办", "青海省政务公开办"}),
        ("632121", {"青海省政务公开办"}),
        ("510104", set()),
    ],
)
def test_offices_receive_the_notices_of_their_area(stack: LocalStack, division, offices):
    notice = compose(report(division), FINDINGS)
    assert notice is not None
    Notifier(aws.client("sns"), stack.outputs["NoticesTopicArn"]).publish(notice)
    received = {name for name, url in stack.probes.items() if drain(aws.client, url)}
    assert received == offices


def test_what_an_office_receives(stack: LocalStack):
    notice = compose(report(), FINDINGS)
    assert notice is not None
    Notifier(aws.client("sns"), stack.outputs["NoticesTopicArn"]).publish(notice)
    [message] = drain(aws.client, stack.probes["湟中区政务公开办"])
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == notice.subject
    assert envelope["Message"] == notice.body
    assert envelope["MessageAttributes"]["severity"]["Value"] == "error"


def test_the_subscribe_command_filters_an_offices_email_on_its_division(mocked):
    topic = aws.client("sns").create_topic(Name="notices")["TopicArn"]
    result = CliRunner().invoke(
        app, ["subscribe", "--topic-arn", topic, "--email", "gongkai@xining.gov.cn", "--division", "6301"]
    )
    assert result.exit_code == 0, result.output
    assert "gongkai@xining.gov.cn" in result.output
    sns = aws.client("sns")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "gongkai@xining.gov.cn")
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"division": [{"prefix": "6301"}]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"


def test_the_subscribe_command_subscribes_to_every_division_only_when_asked(mocked):
    topic = aws.client("sns").create_topic(Name="notices")["TopicArn"]
    neither = CliRunner().invoke(app, ["subscribe", "--topic-arn", topic, "--email", "a@b.cn"])
    assert neither.exit_code == 2
    assert "--all-divisions" in neither.output
    both = CliRunner().invoke(
        app, ["subscribe", "--topic-arn", topic, "--email", "a@b.cn", "-d", "63", "--all-divisions"]
    )
    assert both.exit_code == 2
    result = CliRunner().invoke(app, ["subscribe", "--topic-arn", topic, "--email", "ops@b.cn", "--all-divisions"])
    assert result.exit_code == 0, result.output
    assert "所有区划" in result.output
    sns = aws.client("sns")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    assert "FilterPolicy" not in attributes


def test_the_subscribe_command_refuses_a_division_that_is_not_a_code(mocked):
    arguments = ["subscribe", "--topic-arn", "arn:aws:sns:us-east-1:1:t", "--email", "a@b.cn", "-d", "西宁"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "行政区划代码" in result.output
