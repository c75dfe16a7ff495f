"""The dashboard's pure parts: scoping by division prefix, the official layout of Tables 3 and 4
with the findings on their cells, the overview's counts, the exports' inert cells, and the
adapter's API Gateway events."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from nianbao.dashboard import export, views
from nianbao.dashboard.local import _claims, event
from nianbao.model import Finding, Location, Severity, Status
from nianbao.store import BodyRecord, Current, FindingRow, ReportDetail, StoredFinding, StoredReport

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("division", "scope", "inside"),
    [
        ("630122", "630122", True),
        ("630122", "6301", True),
        ("630122", "63", True),
        ("630105", "630122", False),  # a neighbouring district
        ("632121", "6301", False),  # another prefecture of the same province
        ("630122", "", False),  # no scope sees nothing
        ("000000", "63", False),  # uploads outside reports/<division>/ belong to nobody's scope
    ],
)
def test_an_office_sees_its_own_division_and_everything_below_it(division, scope, inside):
    assert views.within(division, scope) is inside


@pytest.mark.parametrize(
    ("division", "scope", "child"),
    [("630122", "63", "6301"), ("630122", "6301", "630122"), ("630122", "630122", "630122")],
)
def test_the_child_division_is_the_next_level_down(division, scope, child):
    assert views.child_division(division, scope) == child


def _report(**changes: object) -> StoredReport:
    base = {
        "report_id": "r1", "bucket": "b", "key": "reports/630122/2023/a.pdf", "division": "630122", "year": 2023,
        "format": "2021", "file_type": "pdf", "status": Status.FAIL, "counts": {"error": 1},
        "received_at": "2024-01-20T08:00:00+00:00", "checked_at": "2024-01-20T08:00:01+00:00",
        "body_id": "630122-qs", "run_id": "run1",
    }  # fmt: skip
    return StoredReport.model_validate(base | changes)


def _finding(fingerprint: str, table: str, row: str | None, column: str | None, index: int = 0) -> StoredFinding:
    return StoredFinding(
        report_id="r1",
        run_id="run1",
        fingerprint=fingerprint,
        finding_index=index,
        body_id="630122-qs",
        year=2023,
        division="630122",
        finding=Finding(
            code="T3_RESULTS_TOTAL",
            severity=Severity.ERROR,
            message="m",
            location=Location(table=table, row=row, column=column),
        ),
    )


def test_table3_has_the_2021_rows_in_print_order_and_marks_the_cells_findings_name():
    detail = ReportDetail(
        report_id="r1", run_id="run1", tables={"table3": {"results_total": [68, 30, 38, 32, 18, 50, 234]}}
    )
    findings = [
        _finding("cell", "table3", "results_total", "natural"),
        _finding("column", "table3", None, "natural", 1),
        _finding("row", "table3", "results_total", None, 2),
        _finding("other-table", "table4", "cases", "review_total", 3),
    ]
    view = views.table3_view(_report(), detail, findings)
    labels = [row["label"] for row in view["rows"]]
    assert labels[0] == "一、本年新收政府信息公开申请数量"
    assert labels[-2:] == ["（七）总计", "四、结转下年度继续办理"]
    assert "3.其他" in labels
    assert "（六）其他处理" not in labels
    assert [c["label"] for c in view["columns"]] == [
        "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计",
    ]  # fmt: skip
    total = next(r for r in view["rows"] if r["key"] == "results_total")
    assert total["cells"][0] == {"column": "natural", "value": 68, "findings": ["cell"], "related": ["row", "column"]}
    assert total["cells"][6] == {"column": "total", "value": 234, "findings": [], "related": ["row"]}
    assert total["findings"] == ["row"]
    new = next(r for r in view["rows"] if r["key"] == "new")
    assert new["read"] is False
    assert [c["value"] for c in new["cells"]] == [None] * 7
    assert new["cells"][0]["related"] == ["column"]


def test_table3_of_a_2019_report_has_its_single_other_row():
    view = views.table3_view(_report(format="2019"), None, [])
    labels = [row["label"] for row in view["rows"]]
    assert "（六）其他处理" in labels
    assert "3.其他" not in labels
    assert view["read"] is False


def test_table4_is_one_row_of_fifteen_under_its_two_level_head():
    values = list(range(15))
    detail = ReportDetail(report_id="r1", run_id="run1", tables={"table4": values})
    view = views.table4_view(detail, [_finding("f", "table4", "cases", "suit_total")])
    assert view["groups"] == [{"label": "行政复议", "span": 5}, {"label": "行政诉讼", "span": 10}]
    assert [b["label"] for b in view["blocks"]] == ["行政复议", "未经复议直接起诉", "复议后起诉"]
    assert [c["label"] for c in view["columns"][:5]] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert [c["value"] for c in view["cells"]] == values
    assert [c["column"] for c in view["cells"] if c["findings"]] == ["suit_total"]


def _current(body: str, division: str, status: Status, report_id: str) -> Current:
    return Current(body_id=body, year=2023, report_id=report_id, order="o", division=division, status=status)


def _error_row(code: str, report_id: str, division: str) -> FindingRow:
    return FindingRow(
        report_id=report_id, run_id="run1", fingerprint=f"{code}-{report_id}", body_id="b", year=2023,
        division=division, code=code, severity="error", message="m",
    )  # fmt: skip


def test_the_overview_counts_each_report_once_per_rule_and_only_inside_the_scope():
    current = [
        _current("a", "630122", Status.FAIL, "r1"),
        _current("b", "630122", Status.PASS, "r2"),
        _current("c", "630105", Status.UNREADABLE, "r3"),
        _current("d", "632121", Status.FAIL, "r4"),  # another prefecture: outside 6301
    ]
    errors = [
        _error_row("T3_ROW_TOTAL", "r1", "630122"),
        _error_row("T3_ROW_TOTAL", "r1", "630122"),  # a second finding of the same rule, same report
        _error_row("SECTION_MISSING", "r1", "630122"),
        _error_row("T3_ROW_TOTAL", "r4", "632121"),
    ]
    missing = [
        BodyRecord(body_id="x", name="x", division="630105"),
        BodyRecord(body_id="y", name="y", division="632121"),
    ]
    summary = views.overview("6301", 2023, current, errors, missing).as_json()
    assert summary["statuses"] == {"fail": 1, "warn": 0, "pass": 1, "unreadable": 1}
    assert summary["filed"] == 3
    assert summary["missing"] == 1
    assert [(r["code"], r["count"]) for r in summary["rules"]] == [("SECTION_MISSING", 1), ("T3_ROW_TOTAL", 1)]
    assert summary["divisions"] == [
        {"division": "630105", "filed": 1, "missing": 1, "failing": 1, "passing": 0},
        {"division": "630122", "filed": 2, "missing": 0, "failing": 1, "passing": 1},
    ]


HOSTILE = {
    "body_name": '=HYPERLINK("http://evil.example/","x")',
    "agency": "+SUM(1,2)",
    "kind": "-1+1",
    "division": "630122",
    "year": 2023,
    "status": "fail",
    "counts": {"error": 2, "warning": 1},
    "rules": ["T3_ROW_TOTAL", "@cmd"],
    "report_id": "r1",
    "key": "reports/630122/2023/@a\tb.pdf",
    "checked_at": "2024-01-20",
}


def test_csv_cells_that_would_start_a_formula_are_quoted_and_numbers_stay_numbers():
    text = export.to_csv([HOSTILE])
    assert text.startswith("\ufeff单位,")
    [header, row] = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:3] == ["单位", "报告中的机关名称", "类别"]
    cells = dict(zip(header, row, strict=True))
    assert cells["单位"] == '\'=HYPERLINK("http://evil.example/","x")'
    assert cells["报告中的机关名称"] == "'+SUM(1,2)"
    assert cells["类别"] == "'-1+1"
    assert cells["状态"] == "不通过"
    assert (cells["错误"], cells["警告"]) == ("2", "1")
    assert cells["文件"] == "reports/630122/2023/@a b.pdf"  # one clean line
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_xlsx_cells_are_strings_and_numbers_never_formulas():
    book = zipfile.ZipFile(io.BytesIO(export.to_xlsx([HOSTILE])))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet
    assert "<f " not in sheet
    assert '\'=HYPERLINK("http://evil.example/","x")' in strings
    assert "'+SUM(1,2)" in strings
    assert '<c r="F2" t="s">' in sheet  # 状态 as text
    assert '<c r="G2"><v>2</v></c>' in sheet  # 错误 as a number


def test_the_adapter_makes_the_http_api_event_the_function_gets():
    made = event(
        "GET",
        "/api/reports?year=2023&q=%E6%B8%85%E6%B0%B4&q=x",
        {"Host": "127.0.0.1:8000", "Cookie": "a=1; nianbao_local_division=630122"},
        b"",
        {"custom:division": "630122"},
    )
    assert made["version"] == "2.0"
    assert made["rawPath"] == "/api/reports"
    assert made["queryStringParameters"] == {
        "year": "2023",
        "q": "清水,x",
    }  # repeated values joined, as API Gateway does
    assert made["requestContext"]["http"]["method"] == "GET"
    assert made["requestContext"]["authorizer"]["jwt"]["claims"] == {"custom:division": "630122"}
    assert made["cookies"] == ["a=1", "nianbao_local_division=630122"]
    assert "body" not in made
    binary = event("POST", "/api/x", {}, b"\xff\x00", None)
    assert binary["isBase64Encoded"] is True
    assert "authorizer" not in binary["requestContext"]


@pytest.mark.parametrize(
    ("cookie", "division"),
    [
        ("nianbao_local_division=630122", "630122"),
        ("x=1; nianbao_local_division=63", "63"),
        ("nianbao_local_division=6301220", None),
        ("nianbao_local_division=63<script>", None),
        ("", None),
        (None, None),
    ],
)
def test_the_local_sign_in_cookie_becomes_claims_only_for_a_division_code(cookie, division):
    claims = _claims(cookie)
    assert (claims or {}).get("custom:division") == division


def test_the_local_server_plays_the_authorizer_and_listens_on_loopback_only():
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    from nianbao.dashboard.local import local_offices, serve_forever, serving  # noqa: PLC0415

    calls: list[dict[str, Any]] = []

    def handler(request: dict[str, Any], context: object) -> dict[str, Any]:
        calls.append(request)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    def status(url: str, cookie: str = "") -> int:
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    with serving(handler, local_offices()) as url:
        assert status(url + "api/me") == 401  # no session: the authorizer's answer, the function never called
        assert status(url + "elsewhere") == 404  # no such route on the API
        assert calls == []
        assert status(url + "api/me", "nianbao_local_division=630122") == 200
        assert status(url) == 200  # the page needs no session
    claims = [c["requestContext"].get("authorizer") for c in calls]
    assert claims == [{"jwt": {"claims": _claims("nianbao_local_division=630122"), "scopes": None}}, None]
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        serve_forever(handler, "0.0.0.0", 0)  # noqa: S104 - the address refused
