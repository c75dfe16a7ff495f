"""The demo's stack and results with the dashboard function loaded over them, kept up for a whole
test module: the demo runs in a thread and waits inside its ``then`` callback (moto server still
up, the environment set) until the module's tests are done.

Besides the examples, two hostile reports are uploaded: an agency named
``<script>alert(1)</script>`` and one whose name and table cells start with ``=HYPERLINK(``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao.dashboard.local import dashboard_environment, event, json_body, load_dashboard_handler
from nianbao.local.demo import ROSTER_YEAR, Result, run
from nianbao.local.stack import LambdaContext, LocalStack, environment
from tests.synth.examples import examples

SCRIPT_AGENCY = "<script>alert(1)</script>"
FORMULA_AGENCY = '=HYPERLINK("http://evil.example/","点此")'
FORMULA_CELL = '=HYPERLINK("http://evil.example/","1")'


@dataclass
class DemoDashboard:
    stack: LocalStack
    result: Result
    handler: Any

    def call(self, method: str, target: str, division: str | None, body: bytes = b"") -> dict[str, Any]:
        """The function's answer to one request, as API Gateway would pass it (claims: the
        authorizer's, for an office over ``division``; None: no token)."""
        claims = None
        if division is not None:
            claims = {"custom:division": division, "email": f"office-{division}@example.cn", "sub": division}
        headers = {"host": "dashboard.example", "content-type": "application/json"}
        context = LambdaContext(function_name="DashboardApiFunction", timeout_seconds=29)
        response: dict[str, Any] = self.handler(event(method, target, headers, body, claims), context)
        return response

    def get(self, target: str, division: str | None) -> Any:
        response = self.call("GET", target, division)
        assert response["statusCode"] == 200, response
        return json_body(response)

    def report_id(self, file_name: str) -> str:
        row = next(r for r in self.result.rows if r.upload.path.name == file_name)
        assert row.report is not None
        return row.report.report_id


def hostile_files(folder: Path) -> list[Path]:
    """Two reports whose text is hostile to a page and to a spreadsheet, built from the clean
    example with the agency (and, for the second, the first cells of Table 3) replaced."""
    clean = examples()["2023-clean.txt"].decode()
    agency = "青川县清水镇人民政府"
    script = folder / "script-agency.txt"
    script.write_text(clean.replace(agency, SCRIPT_AGENCY), encoding="utf-8")
    formula = folder / "formula-agency.txt"
    lines = clean.replace(agency, FORMULA_AGENCY).splitlines()
    # the row 一、本年新收…: its first number becomes a formula (a cell that is not a number)
    row = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收"))
    fields = lines[row].split("\t")
    first = next(i for i, field in enumerate(fields) if field.isdigit())
    fields[first] = FORMULA_CELL
    lines[row] = "\t".join(fields)
    formula.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [script, formula]


def demo_dashboard(folder: Path) -> Iterator[DemoDashboard]:
    """Run the demo (with the hostile files, filed under 630122 for 2023) and yield the dashboard
    over its results until the generator is closed."""
    ready, done = threading.Event(), threading.Event()
    box: dict[str, Any] = {}

    def then(stack: LocalStack, result: Result) -> None:
        with environment(dashboard_environment(stack.outputs["FindingsTableName"], stack.bucket, ROSTER_YEAR)):
            box["dashboard"] = DemoDashboard(stack, result, load_dashboard_handler())
            ready.set()
            done.wait()

    def main() -> None:
        try:
            run(hostile_files(folder), division="630122", year=2023, then=then)
        except BaseException as error:
            box["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    ready.wait(timeout=600)
    if "error" in box:
        raise box["error"]
    try:
        yield box["dashboard"]
    finally:
        done.set()
        thread.join(timeout=60)
