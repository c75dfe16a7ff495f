"""The notices outbox (nianbao.outbox.Outbox) on the in-memory fakes of the ports (tests/fakes.py,
held to the adapters' contract by tests/integration): each notice published once and recorded,
failures released to the sweeper, claims respected until their lease runs out, hopeless notices
given up on, re-check notices naming only what is new. Runs are made as the pipeline makes them
(nianbao.runs.build). Expected values are written out by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from nianbao.events import S3Object
from nianbao.model import CheckResult, Finding, Location, Report, Severity, Status
from nianbao.outbox import NoticeOutcome, Outbox
from nianbao.runs import Run, build
from nianbao.store import BodyRecord, NoticeState
from tests.fakes import MemoryNotifier, MemoryStore

pytestmark = pytest.mark.unit

NOW = datetime(2024, 1, 20, 8, 0, tzinfo=UTC)
GRACE = 300  # seconds a pending notice is left to its delivery before the sweeper may take it
LEASE = 900  # seconds a claim is held

OBJ = S3Object("nianbao-reports", "reports/630122/2023/年报.pdf", "v1", event_time="2024-01-20T07:59:00.000Z")
BODY = BodyRecord(body_id="630122-qs", name="青川县清水镇人民政府", division="630122")

TOTAL = Finding(
    code="T3_ROW_TOTAL",
    severity=Severity.ERROR,
    message="表三“自然人”列：“（七）总计”为19，但各项办理结果之和为6。",
    location=Location(section=3, table="table3", row="results_total", column="natural"),
    expected=6,
    actual=19,
    evidence="（七）总计 19 0 0 0 0 0 19",
)
SECTION = Finding(
    code="SECTION_MISSING",
    severity=Severity.ERROR,
    message="缺少第五部分“存在的主要问题及改进情况”。",
    location=Location(section=5),
)
BLANK = Finding(code="CELL_BLANK", severity=Severity.WARNING, message="表二有空白单元格", location=Location(section=2))
# their fingerprints (nianbao.fingerprint): sha256 of "T3_ROW_TOTAL|table3|results_total|natural",
# and of "SECTION_MISSING|§5|", first 16 hex digits
FP_TOTAL = "3cc152a0d3952544"
FP_SECTION = "c4a28ef7d4682341"


@dataclass
class Clock:
    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class World:
    store: MemoryStore = field(default_factory=MemoryStore)
    notifier: MemoryNotifier = field(default_factory=MemoryNotifier)
    clock: Clock = field(default_factory=Clock)

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.store, self.notifier, self.clock.now, lease_seconds=LEASE)

    def upload(self, findings: list[Finding], *, told: set[str] | None = None, replaces: str | None = None) -> Run:
        """A run of OBJ stored and made its body and year's report of record, as the pipeline
        (a first check) or a re-check (``told``, ``replaces``) stores it."""
        report = Report(
            source=f"s3://{OBJ.bucket}/{OBJ.key}", file_type="pdf", agency="青川县清水镇人民政府", year=2023
        )
        result = CheckResult(report=report, findings=findings, status=Status.FAIL)
        run = build(OBJ, result, BODY, {}, now=self.clock.now(), grace_seconds=GRACE, told=told)
        assert self.store.save_run(run.report, run.findings, run.detail, replaces=replaces)
        assert self.store.make_current(run.report)
        return run

    def noticed(self) -> list[str]:
        current = self.store.current("630122-qs", 2023)
        assert current is not None
        return current.noticed


@pytest.fixture
def world() -> World:
    world = World()
    world.store.put_bodies([BODY])
    return world


SENT = NoticeOutcome(NoticeState.SENT, published=True)
DEFERRED = NoticeOutcome(NoticeState.PENDING, deferred=True)
HELD = NoticeOutcome(NoticeState.SENDING)  # sent already, or held by another delivery


def test_a_notice_is_published_once_and_recorded(world):
    run = world.upload([TOTAL, SECTION, BLANK])
    assert world.outbox.deliver(run.report, run.plain) == SENT
    [sent] = world.notifier.published
    assert sent.message_id == "m-1"
    assert sent.subject == "【年报核查】青川县清水镇人民政府2023年度报告：不通过，2项错误"
    assert (
        sent.body.splitlines()[0]
        == "《青川县清水镇人民政府2023年度报告》经自动核查，结论为“不通过”：错误 2 项，警告 1 项。"
    )
    assert "1. 表三行总计不符（T3_ROW_TOTAL） — 第三部分 表三 “（七）总计”行 “自然人”列" in sent.body
    assert "   应为：6；报告中为：19" in sent.body
    assert "2. 缺少必备章节（SECTION_MISSING） — 第五部分" in sent.body
    assert "表二有空白单元格" not in sent.body  # warnings are not in notices
    assert sent.attributes["division"] == {"DataType": "String", "StringValue": "630122"}
    assert sent.attributes["rules"] == {
        "DataType": "String.Array",
        "StringValue": '["SECTION_MISSING", "T3_ROW_TOTAL"]',
    }
    back = world.store.get(OBJ.report_id)
    assert back is not None
    assert (back.notice, back.notice_message_id, back.notice_attempts, back.notice_claim) == (
        NoticeState.SENT, "m-1", 1, None,
    )  # fmt: skip
    assert back.notice_sent_at == "2024-01-20T08:00:00.000000Z"
    assert world.noticed() == ["3cc152a0d3952544", "c4a28ef7d4682341"]
    # a redelivery holding the record as first stored (pending), then the sweeper much later
    assert world.outbox.deliver(run.report, run.plain) == HELD
    world.clock.advance(GRACE + LEASE + 1)
    assert world.outbox.sweep() == []
    assert [p.message_id for p in world.notifier.published] == ["m-1"]


def test_a_notice_whose_delivery_died_is_swept_after_its_grace_time(world):
    world.upload([TOTAL])  # stored pending; the delivery died before publishing
    world.clock.advance(GRACE - 1)
    assert world.outbox.sweep() == []
    world.clock.advance(1)
    assert world.outbox.sweep() == [SENT]
    assert [p.message_id for p in world.notifier.published] == ["m-1"]
    assert world.noticed() == ["3cc152a0d3952544"]


def test_a_failed_publish_releases_the_claim_and_the_sweeper_sends_it_once(world):
    run = world.upload([TOTAL, SECTION])
    world.notifier.fail_next(1)
    assert world.outbox.deliver(run.report, run.plain) == DEFERRED
    assert world.notifier.published == []
    back = world.store.get(OBJ.report_id)
    assert back is not None
    assert (back.notice, back.notice_claim, back.notice_attempts) == (NoticeState.PENDING, None, 1)
    assert world.noticed() == []
    world.clock.advance(GRACE + 1)
    assert world.outbox.sweep() == [SENT]
    assert world.outbox.sweep() == []
    world.clock.advance(10 * LEASE)
    assert world.outbox.sweep() == []
    assert [p.message_id for p in world.notifier.published] == ["m-1"]
    assert world.notifier.attempts == 2
    back = world.store.get(OBJ.report_id)
    assert back is not None
    assert (back.notice, back.notice_message_id, back.notice_attempts) == (NoticeState.SENT, "m-1", 2)
    assert world.noticed() == ["3cc152a0d3952544", "c4a28ef7d4682341"]


def test_a_claim_held_by_another_delivery_is_left_alone_until_its_lease_runs_out(world):
    run = world.upload([TOTAL])
    other = world.store.claim_notice(OBJ.report_id, world.clock.now(), LEASE)  # still publishing, or dead
    assert other is not None
    assert world.outbox.deliver(run.report, run.plain) == HELD
    world.clock.advance(LEASE - 1)
    assert world.outbox.sweep() == []
    assert world.notifier.published == []
    world.clock.advance(2)
    assert world.outbox.sweep() == [SENT]
    assert [p.message_id for p in world.notifier.published] == ["m-1"]
    # the other delivery, back late, can no longer record it
    assert not world.store.notice_sent(OBJ.report_id, other.token, "late", world.clock.now())
    back = world.store.get(OBJ.report_id)
    assert back is not None
    assert (back.notice, back.notice_message_id, back.notice_attempts) == (NoticeState.SENT, "m-1", 2)


def test_a_notice_that_cannot_be_published_is_given_up_after_12_attempts(world):
    run = world.upload([TOTAL])
    world.notifier.fail_next(100)
    outcomes = [world.outbox.deliver(run.report, run.plain)]
    for _ in range(20):
        world.clock.advance(60)
        outcomes += world.outbox.sweep()
    assert outcomes == [DEFERRED] * 11 + [NoticeOutcome(NoticeState.FAILED)]
    assert world.notifier.attempts == 12
    assert world.notifier.published == []
    back = world.store.get(OBJ.report_id)
    assert back is not None
    assert (back.notice, back.notice_attempts) == (NoticeState.FAILED, 12)
    assert back.notice_failed_at == "2024-01-20T08:11:00.000000Z"  # the 12th attempt: 11 sweeps after the first
    assert world.store.due_notices(world.clock.now() + timedelta(days=365)) == []
    assert world.noticed() == []


def test_a_recheck_notice_names_only_the_new_errors_and_adds_them_to_the_offices_record(world):
    first = world.upload([TOTAL])
    assert world.outbox.deliver(first.report, first.plain) == SENT
    assert world.noticed() == ["3cc152a0d3952544"]
    # a newer checker finds a second error in the same file
    world.clock.advance(86_400)
    rerun = world.upload([TOTAL, SECTION], told=set(world.noticed()), replaces=first.report.run_id)
    assert rerun.report.notice_fingerprints == ["c4a28ef7d4682341"]
    assert world.outbox.deliver(rerun.report, rerun.plain) == SENT
    [_, second] = world.notifier.published
    assert second.message_id == "m-2"
    assert second.subject == "【年报核查】青川县清水镇人民政府2023年度报告：复核新发现1项错误"
    assert second.body.splitlines()[0] == (
        "《青川县清水镇人民政府2023年度报告》经核查系统更新后复核，新发现错误 1 项（此前已通知的错误不再列出）。"
    )
    assert "1. 缺少必备章节（SECTION_MISSING） — 第五部分" in second.body
    assert "T3_ROW_TOTAL" not in second.body
    assert second.attributes["rules"] == {"DataType": "String.Array", "StringValue": '["SECTION_MISSING"]'}
    assert world.noticed() == ["3cc152a0d3952544", "c4a28ef7d4682341"]
    # and a re-check that finds nothing new has nothing to send
    world.clock.advance(86_400)
    again = world.upload([TOTAL, SECTION], told=set(world.noticed()), replaces=rerun.report.run_id)
    assert again.report.notice is NoticeState.NONE
    assert world.outbox.deliver(again.report, again.plain) == NoticeOutcome(NoticeState.NONE)
    assert len(world.notifier.published) == 2
