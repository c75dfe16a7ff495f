"""Cross-year checks through the real handlers on the template's stack: a broken carry-over found
whichever year arrives first and noticed once, a series that carries over correctly left alone,
copied prose, a parent's report that sums its children, and bodies that never file."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from nianbao import aws
from nianbao.local.stack import LambdaContext, LocalStack, drain, load_handler, load_module
from nianbao.model import Severity
from nianbao.notify import subscribe
from nianbao.pipeline import S3Object, Services, services_from_env
from nianbao.spec import TABLE3_COLUMNS, FormatVersion
from tests.aws_fixtures import aws_event
from tests.synth import Layout, random_truth, render_text
from tests.synth.chain import chain
from tests.synth.truth import Truth

pytestmark = pytest.mark.e2e

AGENCY = "青川县清水镇人民政府"
COLUMNS = [column.key for column in TABLE3_COLUMNS]  # 自然人 … 总计, in printed order
CROSS_YEAR = {"CARRYOVER_MISMATCH", "IN_FORCE_CONTINUITY", "TEXT_REUSE", "HIERARCHY_SUM"}


class Uploads:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.handler = load_handler()
        self.count = 0

    def upload(self, key: str, body: bytes, event_time: str) -> str:
        put = aws.client("s3").put_object(Bucket=self.stack.bucket, Key=key, Body=body)
        self.count += 1
        event = aws_event(self.stack.bucket, key, put, f"{self.count:018X}", event_time)
        assert self.handler(event, LambdaContext()) == {"batchItemFailures": []}
        return S3Object(self.stack.bucket, key, put["VersionId"], put["ETag"]).report_id


@pytest.fixture
def uploads(stack: LocalStack) -> Uploads:
    return Uploads(stack)


def text(truth: Truth, seed: int = 0) -> bytes:
    return render_text(truth, Layout.TABS, random.Random(seed), variants=False).encode("utf-8")


def notices(stack: LocalStack, office: str = "湟中区政务公开办") -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in drain(aws.client, stack.probes[office])]


def codes_of(report_id: str) -> set[str]:
    return {f.code for f in services_from_env().store.findings(report_id)}


def two_unlinked_years() -> tuple[Truth, Truth]:
    """Two clean years of one body whose carry-over does not add up (each balances in itself)."""
    first = random_truth(random.Random(101), version=FormatVersion.V2021, year=2022)
    second = random_truth(random.Random(202), version=FormatVersion.V2021, year=2023)
    first.agency = second.agency = AGENCY
    assert first.table3["carried_out"] != second.table3["carried_in"]
    return first, second


@pytest.mark.parametrize("order", ["earlier year first", "later year first"])
def test_a_broken_carry_over_is_found_whichever_year_arrives_first_and_noticed_once(stack, uploads, order):
    first, second = two_unlinked_years()
    files = [("reports/630122/2022/2022.txt", text(first), "2023-01-10T00:00:00.000Z"),
             ("reports/630122/2023/2023.txt", text(second), "2024-01-10T00:00:00.000Z")]  # fmt: skip
    ids = {}
    for key, body, at in files if order == "earlier year first" else reversed(files):
        ids[key] = uploads.upload(key, body, at)
    later = ids["reports/630122/2023/2023.txt"]
    store = services_from_env().store
    mismatches = [f for f in store.findings(later) if f.code == "CARRYOVER_MISMATCH"]
    columns = {f.location.column for f in mismatches}
    pairs = zip(first.table3["carried_out"], second.table3["carried_in"], strict=True)
    expected = {key for key, (out, carried) in zip(COLUMNS, pairs, strict=True) if out != carried}
    assert columns == expected
    assert all(f.severity is Severity.ERROR for f in mismatches)
    assert "CARRYOVER_MISMATCH" not in codes_of(ids["reports/630122/2022/2022.txt"])  # last year's report is not blamed
    # the offices hear of it once, on the later year's report
    received = notices(stack)
    assert [json.loads(n["MessageAttributes"]["rules"]["Value"]) for n in received] == [["CARRYOVER_MISMATCH"]]
    assert received[0]["MessageAttributes"]["report"]["Value"] == later


def test_six_consecutive_years_that_carry_over_correctly_give_no_cross_year_finding(stack, uploads):
    years = chain(random.Random(7), 6, agency=AGENCY, start_year=2019, version=None)
    order = list(range(6))
    random.Random(3).shuffle(order)  # the series arrives out of order
    ids = {}
    for index in order:
        truth = years[index]
        ids[truth.year] = uploads.upload(
            f"reports/630122/{truth.year}/{truth.year}.txt", text(truth, index), f"{truth.year + 1}-01-10T00:00:00.000Z"
        )
    for year, report_id in ids.items():
        assert not codes_of(report_id) & CROSS_YEAR, year
        assert not {f.code for f in services_from_env().store.findings(report_id) if f.severity is Severity.ERROR}
    assert notices(stack) == []


def test_a_count_in_force_that_does_not_follow_from_last_years_is_in_force_continuity(stack, uploads):
    [first, second] = chain(random.Random(13), 2, agency=AGENCY, start_year=2022)
    in_force = second.table2["regulations"][2]
    assert isinstance(in_force, int)
    second = second.with_cell("table2", "regulations", 2, in_force + 4)  # 现行有效件数 4 too many
    uploads.upload("reports/630122/2022/a.txt", text(first), "2023-01-10T00:00:00.000Z")
    later = uploads.upload("reports/630122/2023/b.txt", text(second), "2024-01-10T00:00:00.000Z")
    [continuity] = [f for f in services_from_env().store.findings(later) if f.code == "IN_FORCE_CONTINUITY"]
    assert (continuity.severity, continuity.location.row) == (Severity.WARNING, "regulations")
    assert (continuity.expected, continuity.actual) == (in_force, in_force + 4)


def test_prose_copied_from_last_year_is_text_reuse(stack, uploads):
    [first, second] = chain(random.Random(11), 2, agency=AGENCY, start_year=2022)
    second.narrative = first.narrative  # this year's narrative copied from last year's
    uploads.upload("reports/630122/2022/a.txt", text(first), "2023-01-10T00:00:00.000Z")
    later = uploads.upload("reports/630122/2023/b.txt", text(second), "2024-01-10T00:00:00.000Z")
    [reuse] = [f for f in services_from_env().store.findings(later) if f.code == "TEXT_REUSE"]
    assert reuse.severity is Severity.WARNING
    assert reuse.actual is not None
    assert reuse.actual > 50
    assert reuse.evidence


ROSTER = (
    "body_id,name,aliases,kind,parent_body_id,division,sums_children\n"
    "630122-gov,湟中区人民政府,,人民政府,,630122,是\n"
    "630122-qs,青川县清水镇人民政府,,乡镇,630122-gov,630122,\n"
    "630122-hx,河西区民政局,,部门,630122-gov,630122,\n"
    "630122-lz,临江镇人民政府,,乡镇,,630122,\n"
)


@pytest.mark.parametrize("parent_first", [True, False], ids=["parent first", "children first"])
def test_a_parents_report_that_sums_its_children_is_checked_against_them_once_all_have_filed(
    stack, uploads, parent_first
):
    uploads.upload("rosters/630122.csv", ROSTER.encode("utf-8"), "2024-01-01T00:00:00.000Z")
    children = [random_truth(random.Random(seed), version=FormatVersion.V2021, year=2023) for seed in (31, 32)]
    children[0].agency, children[1].agency = "青川县清水镇人民政府", "河西区民政局"
    parent = random_truth(random.Random(33), version=FormatVersion.V2021, year=2023)
    parent.agency = "湟中区人民政府"
    parent_key = "reports/630122/2023/区政府.txt"
    if parent_first:
        # the parent files first: a child has not filed, so nothing can be said yet
        parent_id = uploads.upload(parent_key, text(parent), "2024-03-01T00:00:00.000Z")
        uploads.upload("reports/630122/2023/清水镇.txt", text(children[0]), "2024-01-20T00:00:00.000Z")
        assert "HIERARCHY_SUM" not in codes_of(parent_id)
        # the last child files: the parent's report is evaluated again
        uploads.upload("reports/630122/2023/民政局.txt", text(children[1]), "2024-01-21T00:00:00.000Z")
    else:
        uploads.upload("reports/630122/2023/清水镇.txt", text(children[0]), "2024-01-20T00:00:00.000Z")
        uploads.upload("reports/630122/2023/民政局.txt", text(children[1]), "2024-01-21T00:00:00.000Z")
        parent_id = uploads.upload(parent_key, text(parent), "2024-03-01T00:00:00.000Z")
    sums = [f for f in services_from_env().store.findings(parent_id) if f.code == "HIERARCHY_SUM"]
    rows = {f.location.row for f in sums}
    summed = {
        row: sum(int(child.table3[row][6] or 0) for child in children)
        for row in ("new", "carried_in", "results_total", "carried_out")
    }
    assert rows == {row for row, total in summed.items() if total != parent.table3[row][6]}
    assert all(f.expected == summed[f.location.row or ""] for f in sums)


def office(stack: LocalStack, division: str) -> str:
    sqs = aws.client("sqs")
    url = str(sqs.create_queue(QueueName=f"office-{division}")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribe(aws.client("sns"), stack.outputs["NoticesTopicArn"], "sqs", arn, division)
    return url


def test_a_body_that_never_files_is_noticed_once_to_its_office_and_cleared_by_a_late_report(stack, uploads):
    # Given two counties' rosters, and every body filing but 临江镇 (630122)
    uploads.upload("rosters/630122.csv", ROSTER.encode("utf-8"), "2024-01-01T00:00:00.000Z")
    other_roster = "body_id,name,aliases,kind,parent_body_id,division\n632121-a,平安区教育局,,部门,,632121\n"
    uploads.upload("rosters/632121.csv", other_roster.encode("utf-8"), "2024-01-01T00:00:00.000Z")
    elsewhere = office(stack, "632121")
    filers = {"630122": ["青川县清水镇人民政府", "河西区民政局"], "632121": ["平安区教育局"]}
    for division, agencies in filers.items():
        for index, agency in enumerate(agencies):
            truth = random_truth(random.Random(40 + index), version=FormatVersion.V2021, year=2023)
            truth.agency = agency
            uploads.upload(f"reports/{division}/2023/{index}.txt", text(truth), "2024-01-20T00:00:00.000Z")
    notices(stack)  # what the uploads themselves caused
    drain(aws.client, elsewhere)
    # When the overdue check runs the day after the departments' and townships' deadline
    module = load_module(function="report_overdue")
    services = services_from_env()
    after = datetime(2024, 2, 1, 1, tzinfo=UTC)
    module.services = Services(  # type: ignore[attr-defined]
        services.s3, services.store, services.notifier, services.settings, now=lambda: after
    )
    answer = module.handler({"year": 2023}, LambdaContext(function_name="ReportOverdueFunction"))
    # Then one notice, to 临江镇's office, naming it alone: 湟中区人民政府's deadline is 31 March
    assert (answer["recorded"], answer["notices"]) == (1, 1)
    [notice] = notices(stack)
    assert json.loads(notice["MessageAttributes"]["rules"]["Value"]) == ["REPORT_OVERDUE"]
    assert notice["MessageAttributes"]["division"]["Value"] == "630122"
    assert "临江镇人民政府" in notice["Message"]
    assert "湟中区人民政府" not in notice["Message"]
    assert drain(aws.client, elsewhere) == []  # the other county's office hears nothing of it
    # once only
    module.handler({"year": 2023}, LambdaContext(function_name="ReportOverdueFunction"))
    assert notices(stack) == []
    # and a late report clears it
    late = random_truth(random.Random(44), version=FormatVersion.V2021, year=2023)
    late.agency = "临江镇人民政府"
    uploads.upload("reports/630122/2023/late.txt", text(late), "2024-02-10T00:00:00.000Z")
    record = services_from_env().store.overdue("630122-lz", 2023)
    assert record is not None
    assert (record.noticed_at, record.cleared_at is not None) == ("2024-02-01T01:00:00.000000Z", True)
