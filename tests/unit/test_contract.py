import csv
import io
import json
import random
from decimal import Decimal

import pytest

from nianbao.contract import report_dict, to_csv, to_json
from nianbao.model import Severity
from nianbao.spec import FormatVersion
from tests.conftest import check_text
from tests.synth import Layout, random_truth, render_text

pytestmark = pytest.mark.unit


@pytest.fixture
def result():
    truth = random_truth(random.Random(8), version=FormatVersion.V2019, year=2023)
    rows = {k: list(v) for k, v in truth.table2.items()}
    rows["procurement"][1] = Decimal("816.44")
    truth.table2 = rows
    return check_text(render_text(truth, Layout.TABS, random.Random(2)), "r.txt")


def test_the_contract_has_every_member_the_dashboard_reads(result):
    report = report_dict(result)
    assert set(report) >= {"source", "agency", "year", "format", "status", "sections", "tables", "findings"}
    assert report["sections"] == {str(n): True for n in range(1, 7)}
    assert report["format"] == "2019"
    assert report["status"] == "fail"  # a 2023 report in the 2019 layout
    assert len(report["tables"]["table3"]["new"]) == 7
    assert len(report["tables"]["table4"]) == 15
    assert report["tables"]["table2"]["procurement"][1] == 816.44


def test_json_is_plain_json_with_chinese_kept(result):
    payload = json.loads(to_json([result]))
    assert payload["version"] == 1
    [report] = payload["reports"]
    finding = report["findings"][0]
    assert set(finding) == {"code", "severity", "message", "location", "expected", "actual", "evidence"}
    assert set(finding["location"]) == {"section", "table", "row", "column", "line", "page", "bbox", "page_size"}
    # a text report knows lines, not boxes (fields added in version 1: tests/unit/test_locations.py)
    assert all(f["location"]["bbox"] is None and f["location"]["page_size"] is None for f in report["findings"])
    assert "报告" in to_json([result])  # not \\u-escaped


def test_min_severity_filters_findings_but_not_counts(result):
    errors_only = report_dict(result, Severity.ERROR)
    assert {f["severity"] for f in errors_only["findings"]} == {"error"}
    assert errors_only["counts"] == report_dict(result)["counts"]


def test_unplaceable_cells_are_null():
    text = "三、收到和处理政府信息公开申请情况\n三、本年度办理结果\t(一) 予以公开\t6\t0\t0\t0\t0\t0\n"
    report = report_dict(check_text(text))
    assert report["tables"]["table3"]["granted"] == [None] * 7
    assert report["tables"]["table2"] is None


def test_csv_has_a_row_per_finding_and_one_for_a_report_without(result):
    clean = check_text(
        render_text(
            random_truth(random.Random(9), version=FormatVersion.V2021, year=2022),
            Layout.TABS,
            random.Random(0),
            variants=False,
        )
    )
    rows = list(csv.DictReader(io.StringIO(to_csv([result, clean], Severity.WARNING))))
    assert [r["source"] for r in rows].count("r.txt") == len(
        [f for f in result.findings if f.severity is not Severity.INFO]
    )
    [quiet] = [r for r in rows if r["source"] == "test.txt"]
    assert quiet["code"] == ""
    assert quiet["status"] == "pass"
