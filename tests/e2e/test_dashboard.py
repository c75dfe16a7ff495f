"""The dashboard's API over the demo's stored results (moto server, the stack from template.yaml,
the real DashboardApi handler on API Gateway HTTP API events): scoping by the office's division,
lists and their cursors, the report view with its failing cells, page images, downloads, triage,
exports that a spreadsheet cannot run, and uploads through a presigned POST."""

from __future__ import annotations

import base64
import csv
import io
import json
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao import aws
from nianbao.dashboard.local import json_body
from nianbao.local.stack import EventSourceMapping, load_handler
from tests.e2e.dashboard_fixtures import FORMULA_AGENCY, SCRIPT_AGENCY, DemoDashboard, demo_dashboard

pytestmark = pytest.mark.e2e

PDF = "2023-results-total-wrong.pdf"  # filed under 630105 (城北区)
COUNTY, DISTRICT, CITY, PROVINCE = "630122", "630105", "6301", "63"


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDashboard]:
    yield from demo_dashboard(tmp_path_factory.mktemp("hostile"))


def _all(dash: DemoDashboard, target: str, division: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        sep = "&" if "?" in target else "?"
        page = dash.get(target + (f"{sep}cursor={urllib.parse.quote(cursor)}" if cursor else ""), division)
        items += page["items"]
        cursor = page["cursor"]
        if not cursor:
            return items


# --- scoping ---------------------------------------------------------------------------------------


def test_a_county_office_never_sees_another_district_report(dash):
    pdf = dash.report_id(PDF)
    for target in (f"/api/reports/{pdf}", f"/api/reports/{pdf}/pages/3", f"/api/reports/{pdf}/original"):
        response = dash.call("GET", target, COUNTY)
        assert response["statusCode"] == 404, target
        assert json_body(response) == {"message": "没有这份报告"}  # the same answer as for an id that does not exist
    assert dash.call("GET", "/api/reports/no-such-report", COUNTY)["statusCode"] == 404
    fingerprint = dash.get(f"/api/reports/{pdf}", DISTRICT)["findings"][0]["fingerprint"]
    triage = dash.call("POST", f"/api/reports/{pdf}/findings/{fingerprint}/triage", COUNTY, b'{"state": "confirmed"}')
    assert triage["statusCode"] == 404

    listed = {row["report_id"] for row in _all(dash, "/api/reports?year=2023&limit=2", COUNTY)}
    assert pdf not in listed
    assert listed
    assert all(row["division"].startswith(COUNTY) for row in _all(dash, "/api/reports?year=2023", COUNTY))
    overview = dash.get("/api/overview?year=2023", COUNTY)
    assert [d["division"] for d in overview["divisions"]] == [COUNTY]
    assert "T3_RESULTS_TOTAL" not in {r["code"] for r in overview["rules"]}  # only the 630105 PDF fails on it
    export = dash.call("GET", "/api/export?year=2023&format=csv", COUNTY)["body"]
    assert pdf not in export
    assert "reports/630105/" not in export


def test_the_district_its_city_and_its_province_see_the_report(dash):
    pdf = dash.report_id(PDF)
    for office in (DISTRICT, CITY, PROVINCE):
        assert dash.get(f"/api/reports/{pdf}", office)["report"]["division"] == DISTRICT
    province = {row["report_id"] for row in _all(dash, "/api/reports?year=2023", PROVINCE)}
    county = {row["report_id"] for row in _all(dash, "/api/reports?year=2023", COUNTY)}
    assert pdf in province
    assert county < province
    # another prefecture's report (632121) is the province's, not the city's
    other = dash.report_id("2023-missing-section-gb18030.txt")
    assert other in province
    assert other not in {row["report_id"] for row in _all(dash, "/api/reports?year=2023", CITY)}


def test_a_token_without_a_division_code_gets_nothing(dash):
    for claims in ("", "6", "630122x", "6301220"):
        response = dash.call("GET", "/api/reports?year=2023", claims)
        assert response["statusCode"] == 403
        assert "区划代码" in json_body(response)["message"]
    assert dash.call("GET", "/api/me", None)["statusCode"] == 403  # no authorizer context at all


# --- lists ---------------------------------------------------------------------------------------------


def test_pages_of_one_walk_the_same_reports_as_one_page_of_all(dash):
    whole = dash.get("/api/reports?year=2023&limit=200", PROVINCE)
    assert whole["cursor"] is None
    walked = _all(dash, "/api/reports?year=2023&limit=1", PROVINCE)
    assert [r["report_id"] for r in walked] == [r["report_id"] for r in whole["items"]]
    assert len({r["report_id"] for r in walked}) == len(walked) == 7  # one current report per body and year


def test_a_cursor_that_is_not_ours_is_a_bad_request(dash):
    for cursor in ("garbage", base64.urlsafe_b64encode(b'{"c": 5}').decode(), base64.urlsafe_b64encode(b"[]").decode()):
        response = dash.call("GET", f"/api/reports?year=2023&cursor={cursor}", PROVINCE)
        assert response["statusCode"] == 400, cursor


def test_filters_narrow_by_status_rule_kind_and_name(dash):
    failing = dash.get("/api/reports?year=2023&status=fail", PROVINCE)["items"]
    assert failing
    assert {r["status"] for r in failing} == {"fail"}
    by_rule = dash.get("/api/reports?year=2023&rule=T3_RESULTS_TOTAL", PROVINCE)["items"]
    assert [r["report_id"] for r in by_rule] == [dash.report_id(PDF)]
    towns = dash.get("/api/reports?year=2023&kind=乡镇", PROVINCE)["items"]
    assert [r["body_name"] for r in towns] == ["青川县清水镇人民政府"]
    named = dash.get("/api/reports?year=2023&q=自然资源", PROVINCE)["items"]
    assert [r["body_name"] for r in named] == ["安平县自然资源局"]
    assert dash.call("GET", "/api/reports?year=2023&rule=NOT_A_RULE", PROVINCE)["statusCode"] == 400
    assert dash.call("GET", "/api/reports?year=2023&status=bad", PROVINCE)["statusCode"] == 400


def test_the_overview_counts_statuses_rules_and_child_divisions(dash):
    overview = dash.get("/api/overview?year=2023", PROVINCE)
    assert overview["filed"] == 7
    assert sum(overview["statuses"].values()) == 7
    divisions = {d["division"]: d for d in overview["divisions"]}
    assert set(divisions) == {"6301", "6321"}  # Xining and Haidong prefectures
    assert divisions["6301"]["missing"] == 3  # the roster's bodies without a 2023 report
    assert divisions["6321"] == {"division": "6321", "filed": 1, "missing": 0, "failing": 1, "passing": 0}
    rules = {r["code"]: r["count"] for r in overview["rules"]}
    assert rules["T3_RESULTS_TOTAL"] == 1
    assert rules["CARRYOVER_MISMATCH"] == 1


def test_bodies_without_a_report_come_from_the_roster(dash):
    missing = dash.get("/api/missing?year=2023", COUNTY)["items"]
    assert sorted(b["name"] for b in missing) == ["东湖区白沙街道办事处", "湟中区人民政府", "湟中区教育局"]
    assert dash.get("/api/missing?year=2023", DISTRICT)["items"] == []


# --- one report ----------------------------------------------------------------------------------------


def test_the_report_view_marks_the_failing_cell_with_its_finding(dash):
    view = dash.get(f"/api/reports/{dash.report_id(PDF)}", DISTRICT)
    assert view["report"]["agency"] == "西宁市城北区人民政府"
    total = next(f for f in view["findings"] if f["code"] == "T3_RESULTS_TOTAL")
    row = next(r for r in view["table3"]["rows"] if r["key"] == "results_total")
    assert row["label"] == "（七）总计"
    cell = row["cells"][0]
    # 68: printed in the natural-person column of （七）总计 on page 3 of the PDF
    assert cell == {"column": "natural", "value": 68, "findings": [total["fingerprint"]], "related": cell["related"]}
    assert total["location"]["page"] == 3
    assert len(total["location"]["bbox"]) == 4
    assert view["pages"] == [3]
    assert view["renders_pages"] is True
    assert [h["label"] for h in view["table4"]["groups"]] == ["行政复议", "行政诉讼"]
    assert len(view["table4"]["cells"]) == 15
    # errors first
    severities = [f["severity"] for f in view["findings"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_the_page_image_is_rendered_once_and_then_read_from_the_bucket(dash):
    pdf = dash.report_id(PDF)
    response = dash.call("GET", f"/api/reports/{pdf}/pages/3", DISTRICT)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"]
    png = base64.b64decode(response["body"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (893, 1263)  # A4 at 1.5 x 72 dpi
    s3 = aws.client("s3")
    cached = s3.get_object(Bucket=dash.stack.bucket, Key=f"dashboard-cache/pages/{pdf}/3.png")["Body"].read()
    assert cached == png
    assert dash.call("GET", f"/api/reports/{pdf}/pages/99", DISTRICT)["statusCode"] == 404
    assert dash.call("GET", f"/api/reports/{pdf}/pages/x", DISTRICT)["statusCode"] == 404
    text = dash.report_id("2023-clean.txt")
    assert dash.call("GET", f"/api/reports/{text}/pages/1", COUNTY)["statusCode"] == 404


def test_the_original_is_a_short_lived_link_to_the_version_checked(dash):
    pdf = dash.report_id(PDF)
    link = dash.get(f"/api/reports/{pdf}/original", DISTRICT)
    assert link["expires_in"] == 300
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    with urllib.request.urlopen(link["url"], timeout=30) as response:  # noqa: S310 - moto server
        original = response.read()
    assert original == (Path(__file__).parents[2] / "shared/nianbao/examples" / PDF).read_bytes()


def test_report_text_is_data_never_markup(dash):
    view = dash.get(f"/api/reports/{dash.report_id('script-agency.txt')}", COUNTY)
    assert view["report"]["agency"] == SCRIPT_AGENCY  # as text: the page sets it with textContent
    page = dash.call("GET", "/", None)
    assert page["headers"]["Content-Type"].startswith("text/html")
    policy = page["headers"]["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    script = dash.call("GET", "/static/app.js", None)["body"]
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "eval(" not in script
    assert dash.call("GET", "/static/../api.py", None)["statusCode"] == 404


# --- exports ---------------------------------------------------------------------------------------------


def test_the_csv_export_is_inert_in_a_spreadsheet(dash):
    response = dash.call("GET", "/api/export?year=2023&format=csv", COUNTY)
    assert response["headers"]["Content-Disposition"] == 'attachment; filename="nianbao-630122-2023.csv"'
    rows = list(csv.reader(io.StringIO(response["body"].lstrip("\ufeff"))))
    assert rows[0][:3] == ["单位", "报告中的机关名称", "类别"]
    formula = next(r for r in rows if "formula-agency" in r[10])
    assert formula[1].startswith("'=HYPERLINK(")  # quoted: shown as text, never run
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    script = next(r for r in rows if "script-agency" in r[10])
    assert script[1] == SCRIPT_AGENCY
    carry = next(r for r in rows if "carryover-broken" in r[10])
    assert carry[5] == "不通过"
    assert "CARRYOVER_MISMATCH" in carry[8].split()


def test_the_xlsx_export_holds_text_and_numbers_and_no_formula(dash):
    response = dash.call("GET", "/api/export?year=2023&format=xlsx", COUNTY)
    book = zipfile.ZipFile(io.BytesIO(base64.b64decode(response["body"])))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet
    assert "<f " not in sheet
    assert "'=HYPERLINK(" in strings.replace("&quot;", '"')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in strings
    assert FORMULA_AGENCY.replace('"', "")[1:] in strings  # the agency as read, quotes dropped by the parser
    assert dash.call("GET", "/api/export?year=2023&format=pdf", COUNTY)["statusCode"] == 400


# --- triage ----------------------------------------------------------------------------------------------


def _post(dash: DemoDashboard, target: str, division: str, body: dict[str, Any]) -> dict[str, Any]:
    return dash.call("POST", target, division, json.dumps(body, ensure_ascii=False).encode())


def test_dismissing_every_error_with_a_reason_changes_the_status_and_is_recorded(dash):
    rid = dash.report_id("2023-carryover-broken.txt")
    view = dash.get(f"/api/reports/{rid}", COUNTY)
    assert view["report"]["status"] == "fail"
    assert view["current"]
    errors = [f for f in view["findings"] if f["severity"] == "error"]
    target = f"/api/reports/{rid}/findings/{errors[0]['fingerprint']}/triage"
    refused = _post(dash, target, COUNTY, {"state": "dismissed"})
    assert refused["statusCode"] == 400
    assert "理由" in json_body(refused)["message"]
    assert _post(dash, target, COUNTY, {"state": "maybe"})["statusCode"] == 400
    assert dash.call("POST", target, COUNTY, b"not json")["statusCode"] == 400
    for finding in errors:
        answer = _post(
            dash,
            f"/api/reports/{rid}/findings/{finding['fingerprint']}/triage",
            COUNTY,
            {"state": "dismissed", "reason": "上年报告已更正"},
        )
        assert answer["statusCode"] == 200, answer
    assert json_body(answer)["status"] == "warn"
    after = dash.get(f"/api/reports/{rid}", COUNTY)
    assert after["report"]["status"] == "warn"
    assert after["report"]["checked_status"] == "fail"
    assert {f["triage"] for f in after["findings"] if f["severity"] == "error"} == {"dismissed"}
    assert [(d["state"], d["reason"], d["who"]) for d in after["triage"]][-1] == (
        "dismissed",
        "上年报告已更正",
        "office-630122@example.cn",
    )
    listed = {r["report_id"]: r["status"] for r in dash.get("/api/reports?year=2023", COUNTY)["items"]}
    assert listed[rid] == "warn"
    rules = {r["code"] for r in dash.get("/api/overview?year=2023", COUNTY)["rules"]}
    assert "CARRYOVER_MISMATCH" not in rules
    # taken back: the error counts again
    reopened = _post(dash, target, COUNTY, {"state": "open"})
    assert json_body(reopened)["status"] == "fail"


def test_a_superseded_upload_cannot_be_triaged(dash):
    draft = dash.report_id("2023-draft-unbalanced.txt")
    view = dash.get(f"/api/reports/{draft}", COUNTY)
    assert view["current"] is False
    assert view["report"]["superseded_by"] == dash.report_id("2023-clean.txt")
    assert [v["report_id"] for v in view["versions"]] == [draft, dash.report_id("2023-clean.txt")]
    error = next(f for f in view["findings"] if f["severity"] == "error")
    answer = _post(dash, f"/api/reports/{draft}/findings/{error['fingerprint']}/triage", COUNTY, {"state": "confirmed"})
    assert answer["statusCode"] == 409


# --- uploads ---------------------------------------------------------------------------------------------


def _multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----nianbao-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_an_upload_goes_to_the_office_prefix_and_its_result_is_found(dash):
    answer = _post(dash, "/api/uploads", COUNTY, {"filename": "清水镇 2023 年报.txt", "year": 2023})
    assert answer["statusCode"] == 200
    post = json_body(answer)
    assert post["key"] == "reports/630122/2023/清水镇 2023 年报.txt"
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    assert ["starts-with", "$key", "reports/630122/2023/"] in policy["conditions"]
    assert ["content-length-range", 1, post["max_bytes"]] in policy["conditions"]
    before = json_body(dash.call("GET", f"/api/uploads?key={urllib.parse.quote(post['key'])}", COUNTY))
    assert before["stored"] is False

    content = (Path(__file__).parents[2] / "shared/nianbao/examples/2023-clean.txt").read_bytes()
    body, content_type = _multipart(post["fields"], "年报.txt", content)
    request = urllib.request.Request(post["url"], data=body, headers={"Content-Type": content_type}, method="POST")  # noqa: S310 - moto server
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - moto server
        assert response.status in (200, 201, 204)
    EventSourceMapping(
        aws.client, dash.stack.queue_url, load_handler(), timeout_seconds=dash.stack.timeout_seconds
    ).run()

    found = json_body(dash.call("GET", f"/api/uploads?key={urllib.parse.quote(post['key'])}", COUNTY))
    assert found["stored"] is True
    assert found["status"] == "pass"
    assert dash.get(f"/api/reports/{found['report_id']}", COUNTY)["report"]["key"] == post["key"]
    # another office's uploads are not looked up for it
    other = dash.call("GET", f"/api/uploads?key={urllib.parse.quote(post['key'])}", DISTRICT)
    assert other["statusCode"] == 404


@pytest.mark.parametrize("name", ["", "../x.pdf", "a/b.pdf", "x\x07.pdf", "a" * 121])
def test_an_upload_name_that_could_leave_the_prefix_is_refused(dash, name):
    answer = _post(dash, "/api/uploads", COUNTY, {"filename": name, "year": 2023})
    assert answer["statusCode"] == 400
