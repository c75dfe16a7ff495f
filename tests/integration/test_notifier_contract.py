"""The notifier's contract (nianbao.store.ports.NoticePublisher): the SNS adapter on the template's
own topic (moto; what arrives is read from the probe queue of an office subscribed to the notice's
division) and the in-memory fake of tests/fakes.py pass the same tests. Expected values are
written out by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from nianbao import aws
from nianbao.local.stack import DEFAULT_OFFICES, drain
from nianbao.notify import Notice, Notifier
from nianbao.store.ports import NoticePublisher
from tests.fakes import MemoryNotifier

pytestmark = pytest.mark.integration

DIVISION = "630122"


@dataclass(frozen=True)
class Received:
    message_id: str
    subject: str
    body: str
    attributes: dict[str, dict[str, str]]  # as they were published: {name: {DataType, StringValue}}


@dataclass(frozen=True)
class Channel:
    publisher: NoticePublisher
    inbox: Callable[[], list[Received]]  # what an office of DIVISION received since the last look


def _from_envelope(message: dict[str, Any]) -> Received:
    """An SNS notification as an SQS subscriber gets it (not raw): a JSON envelope."""
    envelope = json.loads(message["Body"])
    attributes = {
        name: {"DataType": value["Type"], "StringValue": value["Value"]}
        for name, value in envelope["MessageAttributes"].items()
    }
    return Received(envelope["MessageId"], envelope["Subject"], envelope["Message"], attributes)


@pytest.fixture(params=["sns", "memory"])
def channel(request: pytest.FixtureRequest) -> Channel:
    if request.param == "memory":
        notifier = MemoryNotifier()
        seen = 0

        def delivered() -> list[Received]:
            nonlocal seen
            new, seen = notifier.published[seen:], len(notifier.published)
            return [Received(p.message_id, p.subject, p.body, p.attributes) for p in new]

        return Channel(notifier, delivered)
    stack = request.getfixturevalue("stack")
    # the county's office: its filter policy's prefix is the whole division
    [office] = [o.name for o in DEFAULT_OFFICES if o.division_prefix == DIVISION]
    sns = Notifier(aws.client("sns"), stack.outputs["NoticesTopicArn"])
    return Channel(sns, lambda: [_from_envelope(m) for m in drain(aws.client, stack.probes[office])])


def notice(report_id: str = "r1", **changes: Any) -> Notice:
    base: dict[str, Any] = {
        "subject": "【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误",
        "body": "《青川县清水镇人民政府2023年度报告》经自动核查，结论为“不通过”：错误 2 项，警告 0 项。\n\n"
        "需要更正的错误：\n1. 表三行总计不符（T3_ROW_TOTAL） — 第三部分 表三\n   应为：6；报告中为：19",
        "division": DIVISION,
        "rules": ["SECTION_MISSING", "T3_ROW_TOTAL"],
        "report_id": report_id,
    }
    return Notice.model_validate(base | changes)


def test_each_publish_returns_its_own_message_id(channel):
    first = channel.publisher.publish(notice("r1"))
    second = channel.publisher.publish(notice("r2"))
    assert first
    assert second
    assert first != second
    assert sorted(r.message_id for r in channel.inbox()) == sorted([first, second])


def test_subject_body_and_attributes_arrive_as_published(channel):
    message_id = channel.publisher.publish(notice())
    [received] = channel.inbox()
    assert received == Received(
        message_id=message_id,
        subject="【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误",
        body="《青川县清水镇人民政府2023年度报告》经自动核查，结论为“不通过”：错误 2 项，警告 0 项。\n\n"
        "需要更正的错误：\n1. 表三行总计不符（T3_ROW_TOTAL） — 第三部分 表三\n   应为：6；报告中为：19",
        attributes={
            "division": {"DataType": "String", "StringValue": "630122"},
            "severity": {"DataType": "String", "StringValue": "error"},
            "rules": {"DataType": "String.Array", "StringValue": '["SECTION_MISSING", "T3_ROW_TOTAL"]'},
            "report": {"DataType": "String", "StringValue": "r1"},
        },
    )
    assert channel.inbox() == []  # delivered once
