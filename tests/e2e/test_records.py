"""The findings table as a system of record, through the real handlers on the template's stack:
bodies from a roster, the report of record of a body and year, decisions that survive re-checks
and corrected re-uploads, a newer checker that notices only what is new, and re-checks of failed
checks. S3 events are built as AWS sends them (version id, sequencer, event time)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from typer.testing import CliRunner

from nianbao import aws, pipeline, recheck, runs, triage
from nianbao.check import check_bytes
from nianbao.cli import app
from nianbao.local.stack import LambdaContext, LocalStack, drain, load_handler
from nianbao.model import Location, Severity, Status
from nianbao.pipeline import services_from_env
from nianbao.rules.catalog import finding
from nianbao.spec import FormatVersion
from nianbao.store import TriageState
from tests.aws_fixtures import aws_event
from tests.synth import Layout, random_truth, render_text

pytestmark = pytest.mark.e2e

AGENCY = "青川县清水镇人民政府"
DIVISION = "630122"
ROSTER = (
    "body_id,name,aliases,kind,parent_body_id,division\n"
    "630122-qs,青川县清水镇人民政府,清水镇|清水镇政府,乡镇,630122-gov,630122\n"
    "630122-gov,湟中区人民政府,,人民政府,,630122\n"
    "630122-mz,湟中区民政局,,部门,630122-gov,630122\n"
)


def report_text(*, broken: bool, seed: int = 1, agency: str = AGENCY, year: int = 2023) -> bytes:
    """A synthetic 2021-format report of ``agency``; ``broken``: Table 3's results total (the 总计
    column) is 3 too high, which three balance relations see."""
    truth = random_truth(random.Random(seed), version=FormatVersion.V2021, year=year)
    truth.agency = agency
    if broken:
        value = truth.table3["results_total"][6]
        assert isinstance(value, int)
        truth = truth.with_cell("table3", "results_total", 6, value + 3)
    return render_text(truth, Layout.TABS, random.Random(seed), variants=False).encode("utf-8")


class Uploads:
    """Puts objects in the stack's bucket and delivers their AWS-shaped events to the handler."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.handler = load_handler()
        self.sequencer = 0

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        return dict(aws.client("s3").put_object(Bucket=self.stack.bucket, Key=key, Body=body))

    def deliver(self, key: str, put: dict[str, Any], event_time: str) -> None:
        self.sequencer += 1
        event = aws_event(self.stack.bucket, key, put, f"{self.sequencer:018X}", event_time)
        assert self.handler(event, LambdaContext()) == {"batchItemFailures": []}

    def upload(self, key: str, body: bytes, event_time: str) -> dict[str, Any]:
        put = self.put(key, body)
        self.deliver(key, put, event_time)
        return put


@pytest.fixture
def uploads(stack: LocalStack) -> Uploads:
    return Uploads(stack)


def notices(stack: LocalStack) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in drain(aws.client, stack.probes["湟中区政务公开办"])]


def current_ids(year: int = 2023) -> list[str]:
    return [c.report_id for c in services_from_env().store.current_reports(DIVISION, year).items]


def report_id(stack: LocalStack, key: str, put: dict[str, Any]) -> str:
    return pipeline.S3Object(stack.bucket, key, put["VersionId"], put["ETag"]).report_id


def load_roster(uploads: Uploads, text: str, at: str = "2024-01-02T00:00:00.000Z") -> None:
    uploads.upload(f"rosters/{DIVISION}.csv", text.encode("utf-8"), at)


# --- the report of record --------------------------------------------------------------------------


def test_a_failing_v1_then_a_fixed_v2_of_one_body_and_year_lists_show_v2_only(stack, uploads):
    v1 = uploads.upload("reports/630122/2023/清水镇年报.txt", report_text(broken=True), "2024-01-20T08:00:00.000Z")
    v2 = uploads.upload(
        "reports/630122/2023/清水镇年报（更正）.txt", report_text(broken=False), "2024-01-22T10:00:00.000Z"
    )
    first, second = (
        report_id(stack, "reports/630122/2023/清水镇年报.txt", v1),
        report_id(stack, "reports/630122/2023/清水镇年报（更正）.txt", v2),
    )
    store = services_from_env().store
    assert current_ids() == [second]
    assert sorted(r.report_id for r in store.all_reports(DIVISION, 2023).items) == sorted([first, second])
    old = store.get(first)
    assert old is not None
    assert old.superseded_by == second
    assert store.current_reports(DIVISION, 2023, Status.FAIL).items == []
    # the failing draft's findings are no longer anyone's open errors
    assert store.open_errors(DIVISION, 2023).items == []


def test_v1_delivered_after_v2_leaves_v2_current(stack, uploads):
    key1, key2 = "reports/630122/2023/v1.txt", "reports/630122/2023/v2.txt"
    put1 = uploads.put(key1, report_text(broken=True))
    put2 = uploads.put(key2, report_text(broken=False))
    uploads.deliver(key2, put2, "2024-01-22T10:00:00.000Z")
    uploads.deliver(key1, put1, "2024-01-20T08:00:00.000Z")  # late: SQS keeps no order
    assert current_ids() == [report_id(stack, key2, put2)]


# --- bodies and rosters ---------------------------------------------------------------------------


def test_a_roster_is_loaded_its_bad_rows_kept_with_the_reason(stack, uploads):
    bad = ROSTER + "630122-x,,,,乡镇,,630122\n630122-qs,重复的机关,,乡镇,,630122\n630199-y,外区机关,,火星,,530101\n"
    load_roster(uploads, bad)
    store = services_from_env().store
    [loaded] = store.roster_loads(DIVISION)
    assert loaded.accepted == 3
    assert [row["line"] for row in loaded.rejected] == [5, 6, 7]
    assert all(row["reason"] for row in loaded.rejected)
    assert sorted(b.body_id for b in store.bodies(DIVISION).items) == ["630122-gov", "630122-mz", "630122-qs"]


def test_a_report_is_matched_to_its_body_by_an_alias(stack, uploads):
    load_roster(uploads, ROSTER)
    key = "reports/630122/2023/清水.txt"
    put = uploads.upload(key, report_text(broken=False, agency="清水镇"), "2024-01-20T08:00:00.000Z")
    stored = services_from_env().store.get(report_id(stack, key, put))
    assert stored is not None
    assert (stored.body_id, stored.provisional_body) == ("630122-qs", False)
    assert "BODY_UNKNOWN" not in {f.code for f in services_from_env().store.findings(stored.report_id)}
    assert [b.body_id for b in services_from_env().store.missing_reports(DIVISION, 2023).items] == [
        "630122-gov", "630122-mz",
    ]  # fmt: skip


def test_an_unknown_body_is_kept_provisionally_then_reattached_when_the_alias_is_added(stack, uploads):
    load_roster(uploads, ROSTER)
    key = "reports/630122/2023/民政.txt"
    put = uploads.upload(key, report_text(broken=False, agency="湟中区民政局办公室"), "2024-01-20T08:00:00.000Z")
    store = services_from_env().store
    rid = report_id(stack, key, put)
    stored = store.get(rid)
    assert stored is not None
    assert stored.provisional_body
    [unknown] = [f for f in store.findings(rid) if f.code == "BODY_UNKNOWN"]
    assert unknown.severity is Severity.INFO
    assert "湟中区民政局" in unknown.message  # the closest roster name, so the office can add an alias
    # the office adds the alias: the upload joins its body
    load_roster(
        uploads,
        ROSTER.replace("湟中区民政局,,部门", "湟中区民政局,湟中区民政局办公室,部门"),
        "2024-01-03T00:00:00.000Z",
    )
    moved = store.get(rid)
    assert moved is not None
    assert (moved.body_id, moved.provisional_body) == ("630122-mz", False)
    assert [c.body_id for c in store.current_reports(DIVISION, 2023).items] == ["630122-mz"]
    [latest, *_] = store.roster_loads(DIVISION)
    assert latest.reattached == [stored.body_id]


# --- triage survives re-checks and re-uploads ------------------------------------------------------------


def test_a_dismissal_survives_a_recheck_and_a_corrected_reupload_that_keeps_the_problem(stack, uploads):
    load_roster(uploads, ROSTER)
    store = services_from_env().store
    key1 = "reports/630122/2023/清水镇.txt"
    put1 = uploads.upload(key1, report_text(broken=True), "2024-01-20T08:00:00.000Z")
    rid1 = report_id(stack, key1, put1)
    errors = [f for f in store.stored_findings(rid1) if f.finding.severity is Severity.ERROR]
    assert {f.finding.code for f in errors} == {"T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL"}
    # Given every error of the report dismissed with a reason
    services = services_from_env()
    for error in errors:
        triage.decide(
            store, body_id="630122-qs", year=2023, fingerprint=error.fingerprint, state=TriageState.DISMISSED,
            who="李四", reason="总计栏按上级口径填报", now=services.now(),
        )  # fmt: skip
    current = store.current("630122-qs", 2023)
    assert current is not None
    assert current.status is not Status.FAIL  # the effective status leaves dismissed findings out
    assert store.open_errors(DIVISION, 2023).items == []
    # When a newer checker re-checks it
    recheck.recheck(services, DIVISION, 2023, force=True)
    again = store.get(rid1)
    assert again is not None
    assert again.run_id != errors[0].run_id
    assert {f.triage for f in store.stored_findings(rid1) if f.finding.severity is Severity.ERROR} == {
        TriageState.DISMISSED
    }
    assert again.effective_status is not Status.FAIL
    # and a corrected re-upload keeps the same problem (the prose changed, the table did not)
    key2 = "reports/630122/2023/清水镇（更正）.txt"
    text = report_text(broken=True).decode("utf-8").replace("认真贯彻落实", "深入贯彻落实").encode("utf-8")
    put2 = uploads.upload(key2, text, "2024-01-25T08:00:00.000Z")
    rid2 = report_id(stack, key2, put2)
    assert current_ids() == [rid2]
    assert {f.triage for f in store.stored_findings(rid2) if f.finding.severity is Severity.ERROR} == {
        TriageState.DISMISSED
    }
    assert store.current("630122-qs", 2023).status is not Status.FAIL  # type: ignore[union-attr]
    history = store.history("630122-qs", 2023)
    assert len(history) == 3
    assert {d.who for d in history} == {"李四"}


def test_a_dismissal_needs_a_reason_and_a_finding_of_the_current_report(stack, uploads):
    store = services_from_env().store
    uploads.upload("reports/630122/2023/a.txt", report_text(broken=True), "2024-01-20T08:00:00.000Z")
    [body_year] = store.current_reports(DIVISION, 2023).items
    now = services_from_env().now()
    with pytest.raises(triage.TriageError, match="理由"):
        triage.decide(
            store, body_id=body_year.body_id, year=2023, fingerprint="x", state=TriageState.DISMISSED, who="王五",
            now=now,
        )  # fmt: skip
    with pytest.raises(triage.TriageError, match="没有这一项"):
        triage.decide(
            store, body_id=body_year.body_id, year=2023, fingerprint="nope", state=TriageState.CONFIRMED, who="王五",
            now=now,
        )  # fmt: skip


# --- re-checks by a newer checker -----------------------------------------------------------------------


def test_a_checker_version_that_adds_an_error_notices_only_the_new_error(stack, uploads, monkeypatch):
    uploads.upload("reports/630122/2023/清水镇.txt", report_text(broken=True), "2024-01-20T08:00:00.000Z")
    [first] = notices(stack)
    assert "3项错误" in first["Subject"]

    # Given a newer checker with a rule that finds one more error
    def newer(data: bytes, source: str, limits: Any = None) -> Any:
        result = check_bytes(data, source, limits)
        extra = finding("FORMAT_UNKNOWN", "新规则发现的问题", location=Location(section=2, table="table2"))
        return result.model_copy(update={"findings": [*result.findings, extra], "status": Status.FAIL})

    monkeypatch.setattr(pipeline, "check_bytes", newer)
    monkeypatch.setattr(runs, "checker_version", lambda: "9.9.9+newrules0000")
    monkeypatch.setattr(recheck, "checker_version", lambda: "9.9.9+newrules0000")
    # When the stored reports are re-checked (only those an older checker checked)
    summary = recheck.recheck(services_from_env(), DIVISION, 2023)
    assert (summary.rechecked, summary.noticed) == (1, 1)
    # Then the offices get one notice naming only the new error
    [second] = notices(stack)
    assert "复核新发现1项错误" in second["Subject"]
    assert json.loads(second["MessageAttributes"]["rules"]["Value"]) == ["FORMAT_UNKNOWN"]
    assert "新规则发现的问题" in second["Message"]
    assert "T3_ROW_TOTAL" not in second["Message"]
    # and a second re-check finds nothing to do
    assert recheck.recheck(services_from_env(), DIVISION, 2023).rechecked == 0
    assert notices(stack) == []


def test_a_check_failed_run_is_rechecked_by_nianbao_recheck(stack, uploads, monkeypatch):
    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug, since fixed")

    monkeypatch.setattr(pipeline, "check_bytes", broken)
    key = "reports/630122/2023/清水镇.txt"
    put = uploads.upload(key, report_text(broken=True), "2024-01-20T08:00:00.000Z")
    rid = report_id(stack, key, put)
    store = services_from_env().store
    failed = store.get(rid)
    assert failed is not None
    assert failed.check_failed
    assert notices(stack) == []  # our defect: no notice
    # the defect is fixed; the operator re-checks
    monkeypatch.setattr(pipeline, "check_bytes", check_bytes)
    result = CliRunner().invoke(app, ["recheck", "--division", DIVISION])
    assert result.exit_code == 0, result.output
    assert "复核 1 份" in result.output
    fixed = store.get(rid)
    assert fixed is not None
    assert (fixed.check_failed, fixed.status) == (False, Status.FAIL)
    assert "CHECK_FAILED" not in {f.code for f in store.findings(rid)}
    # it was never read before: it now belongs to its body and year, and the office hears of it
    assert current_ids() == [rid]
    [notice] = notices(stack)
    assert "T3_RESULTS_TOTAL" in notice["Message"]


def test_findings_carry_their_fingerprint_stable_across_runs(stack, uploads):
    store = services_from_env().store
    key = "reports/630122/2023/a.txt"
    put = uploads.upload(key, report_text(broken=True), "2024-01-20T08:00:00.000Z")
    rid = report_id(stack, key, put)
    before = {f.fingerprint: f.finding.code for f in store.stored_findings(rid)}
    recheck.recheck(services_from_env(), DIVISION, 2023, force=True)
    after = {f.fingerprint: f.finding.code for f in store.stored_findings(rid)}
    assert before == after
    assert len(before) == len(store.findings(rid))
