"""The dashboard in a real browser: Debian's chromium driven by Playwright over the demo's data,
served by `nianbao serve`'s adapter around the deployed handler.

A district office signs in, goes from the overview to the failing cell of a failing PDF report in
two clicks (the rule's bar, the report), sees the cell highlighted in Table 3 and its box on the
page image, filters the list, dismisses the report's errors and sees its status change, and
downloads the CSV. A report whose agency is ``<script>alert(1)</script>`` shows as text and runs
nothing. The screenshots go to the test's temporary folder, or with NIANBAO_SCREENSHOTS=DIR
(``make screenshots``) to DIR: the README shows the ones in docs/screenshots.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.dashboard.local import local_offices, serving
from tests.e2e.dashboard_fixtures import SCRIPT_AGENCY, DemoDashboard, demo_dashboard

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): `apt-get install chromium`, as .ci/run does",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency: make install")


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDashboard]:
    yield from demo_dashboard(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def url(dash: DemoDashboard) -> Iterator[str]:
    with serving(dash.handler, local_offices()) as address:
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN")
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("NIANBAO_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Any, url: str, office: str) -> None:
    page.goto(url)
    page.wait_for_url("**/local/sign-in")  # no session: the page sends the user to sign in
    page.get_by_role("button", name=office).click()
    page.wait_for_selector(".tiles")


def test_from_the_overview_to_the_failing_cell_and_its_box_on_the_page(page, url, dash, shots):
    sign_in(page, url, "城北区政务公开办（630105）")
    assert page.locator("#local-banner").is_visible()  # local sign-in, marked as such
    assert page.locator("#who").inner_text() == "office-630105@local（630105）"
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    # click 1: the rule's bar in the chart of failing rules
    page.locator('.bars a[data-rule="T3_RESULTS_TOTAL"]').click()
    rows = page.locator("tr[data-report]")
    sync_api.expect(rows).to_have_count(1)
    # click 2: the report
    rows.first.get_by_role("link").click()
    page.wait_for_selector("#table3")
    cell = page.locator('#table3 td.selected[data-row="results_total"][data-column="natural"]')
    assert cell.inner_text() == "68"  # as printed in the PDF, page 3
    assert page.locator("li.finding.selected code").inner_text() == "T3_RESULTS_TOTAL"
    box = page.locator("#cell-box")
    box.wait_for()
    image = page.locator("figure.page img")
    # (the page's CSP forbids eval, so waits poll from here, never by a script string in the page)
    sync_api.expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 893
    drawn, frame = box.bounding_box(), image.bounding_box()
    assert _inside(drawn, frame), "the cell's box lies on the page image"
    # where the finding puts it: PDF points from the bottom left, the image the whole page
    view = dash.get(f"/api/reports/{dash.report_id('2023-results-total-wrong.pdf')}", "630105")
    where = next(f["location"] for f in view["findings"] if f["code"] == "T3_RESULTS_TOTAL")
    (x0, y0, x1, y1), (width, height) = where["bbox"], where["page_size"]
    assert drawn is not None
    assert frame is not None
    assert abs((drawn["x"] - frame["x"]) / frame["width"] - x0 / width) < 0.01
    assert abs((drawn["y"] - frame["y"]) / frame["height"] - (height - y1) / height) < 0.01
    assert abs(drawn["height"] / frame["height"] - (y1 - y0) / height) < 0.01
    assert abs(drawn["width"] / frame["width"] - (x1 - x0) / width) < 0.01
    page.screenshot(path=str(shots / "report.png"), full_page=True)
    assert page.errors == []


def _inside(box: dict[str, float] | None, frame: dict[str, float] | None) -> bool:
    if box is None or frame is None or box["width"] <= 0 or box["height"] <= 0:
        return False
    return (
        frame["x"] <= box["x"]
        and box["x"] + box["width"] <= frame["x"] + frame["width"]
        and frame["y"] <= box["y"]
        and box["y"] + box["height"] <= frame["y"] + frame["height"]
    )


def test_filter_dismiss_and_download(page, url, dash, shots):
    sign_in(page, url, "湟中区政务公开办（630122）")
    page.locator('.tile[data-status="fail"]').click()
    page.wait_for_selector("form.filters")
    # filter: the county's failing reports of departments
    page.locator('select[name="kind"]').select_option("部门")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**kind=*")
    # the list is drawn again for the filter: wait for its rows, not the previous list's
    sync_api.expect(page.locator("tr[data-report]")).to_have_count(1)
    sync_api.expect(page.locator("tr[data-report] td").nth(1)).to_have_text("部门")
    page.screenshot(path=str(shots / "list.png"), full_page=True)
    page.locator("tr[data-report] a").first.click()
    page.wait_for_selector("li.finding")
    assert page.locator(".report-head .badge").inner_text() == "不通过"

    # dismiss every error, each with a reason: the report is no longer failing
    errors = page.locator("li.finding.error button.dismiss").count()
    assert errors >= 1
    for left in range(errors, 0, -1):
        finding = page.locator("li.finding.error").filter(has=page.locator("button.dismiss")).first
        finding.locator("input.reason").fill("上年报告数据有误，已另行更正")
        finding.locator("button.dismiss").click()
        # the view is drawn again with one open error fewer
        sync_api.expect(page.locator("li.finding.error button.dismiss")).to_have_count(left - 1)
        assert not page.locator("#error").is_visible(), page.locator("#error").inner_text()
    sync_api.expect(page.locator(".report-head .badge")).to_have_text("有警告")
    assert "上年报告数据有误，已另行更正" in page.locator("ul.audit").inner_text()
    page.screenshot(path=str(shots / "dismissed.png"), full_page=True)

    page.goto(f"{url}#/reports?year=2023")
    page.wait_for_selector("tr[data-report]")
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "单位"
    statuses = {row[0]: row[5] for row in rows[1:]}
    assert statuses["安平县自然资源局"] == "有警告"  # the dismissal shows in the export too
    assert page.errors == []


def test_a_hostile_agency_name_is_shown_as_text(page, url, dash):
    sign_in(page, url, "湟中区政务公开办（630122）")
    page.goto(f"{url}#/reports/{dash.report_id('script-agency.txt')}")
    page.wait_for_selector(".report-head h2")
    assert SCRIPT_AGENCY in page.locator(".report-head h2").inner_text()
    assert page.locator("main script").count() == 0
    page.goto(f"{url}#/reports?year=2023&q=HYPERLINK")
    page.wait_for_selector("tr[data-report]")
    assert page.locator("tr[data-report] a").first.inner_text().startswith("=HYPERLINK(")
    assert page.dialogs == []  # alert(1) never ran
    assert page.errors == []
