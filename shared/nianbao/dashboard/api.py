"""The dashboard's HTTP API and page: a Powertools ``APIGatewayHttpResolver`` behind an HTTP API
whose JWT authorizer (Cognito) has checked the token. Every endpoint under /api is scoped to the
``custom:division`` claim of the signed-in office: a record outside it is answered as not found,
and lists, counts and exports never include it.

The page (/, /static/...) is served without a token and signs in on its own; nothing from a report
is ever inserted as HTML, and every response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
)

from nianbao.dashboard import export, views
from nianbao.dashboard.pages import PageError, page_image
from nianbao.model import Status
from nianbao.rules.catalog import CODES
from nianbao.store import BodyRecord, Current, StoredReport, TriageState, walk
from nianbao.store.ports import ReportStore
from nianbao.store.records import decode_cursor, encode_cursor
from nianbao.triage import TriageError, decide

# A division claim: a province (2 digits), a city (4) or a county (6).
_DIVISION = re.compile(r"^\d{2}(?:\d{2}){0,2}$")
_REPORT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_FINGERPRINT = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_FILE_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,120}$")
_STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
_LIST_LIMIT = 50
_PAGES_PER_LIST = 20  # index pages one filtered list request may read before it answers with a cursor
_EXPORT_ROWS = 20_000
_DOWNLOAD_SECONDS = 300
_UPLOAD_SECONDS = 600
_CACHE_PREFIX = "dashboard-cache/pages/"


@dataclass(frozen=True)
class Office:
    """Who is signed in: their division (the scope of every answer) and a name for the audit trail."""

    division: str
    who: str


@dataclass
class Dashboard:
    store: ReportStore
    s3: Any
    bucket: str
    # the page's sign-in: authorize_url, client_id and logout_url at the issuer (empty: local)
    auth: dict[str, str] = field(default_factory=dict)
    division_claim: str = "custom:division"
    default_year: int | None = None
    upload_max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    local: bool = False  # served by `nianbao serve`: the page offers the local sign-in
    upload_origin: str = ""  # where the browser posts uploads (the bucket's endpoint) for the CSP

    @property
    def year(self) -> int:
        return self.default_year or self.now().year - 1


def content_security_policy(connect: list[str]) -> str:
    sources = " ".join(["'self'", *connect])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        f"connect-src {sources}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def make_app(dashboard: Dashboard) -> APIGatewayHttpResolver:  # noqa: C901, PLR0915 - one route per function
    app = APIGatewayHttpResolver(strip_prefixes=[])
    connect = [dashboard.upload_origin] if dashboard.upload_origin else []
    security = {
        "Content-Security-Policy": content_security_policy(connect),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }

    def office() -> Office:
        claims = app.current_event.request_context.authorizer.jwt_claim or {}
        division = str(claims.get(dashboard.division_claim) or "")
        if not _DIVISION.match(division):
            raise ForbiddenError(f"账号未设置有效的区划代码（{dashboard.division_claim}）")
        who = str(claims.get("email") or claims.get("cognito:username") or claims.get("sub") or "")
        return Office(division, who or "未知用户")

    def query(name: str) -> str | None:
        value = app.current_event.get_query_string_value(name)
        return value.strip() or None if value is not None else None

    def year() -> int:
        raw = query("year")
        if raw is None:
            return dashboard.year
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise BadRequestError("年度应为四位数字")
        return int(raw)

    def scoped(report_id: str, scope: str) -> StoredReport:
        if not _REPORT_ID.match(report_id):
            raise NotFoundError("没有这份报告")
        report = dashboard.store.get(report_id)
        if report is None or not views.within(report.division, scope):
            raise NotFoundError("没有这份报告")
        return report

    def json_response(body: Any, status: int = 200) -> Response[Any]:
        return Response(
            status_code=status,
            content_type="application/json; charset=utf-8",
            body=json.dumps(body, ensure_ascii=False, default=str),
            headers=security,
        )

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def service_error(error: ServiceError) -> Response[Any]:
        return json_response({"message": error.msg}, error.status_code)

    @app.exception_handler(ValueError)  # type: ignore[untyped-decorator]
    def bad_value(error: ValueError) -> Response[Any]:
        return json_response({"message": "请求参数无效（例如翻页标记不属于这个列表）"}, 400)

    # --- the page -----------------------------------------------------------------------------

    @app.get("/")
    def index() -> Response[Any]:
        return Response(200, "text/html; charset=utf-8", _asset("index.html"), headers=security)

    @app.get("/static/<name>")
    def static(name: str) -> Response[Any]:
        if name not in _STATIC:
            raise NotFoundError("没有这个文件")
        return Response(200, _STATIC[name], _asset(name), headers=security | {"Cache-Control": "max-age=300"})

    @app.get("/config.json")
    def config() -> Response[Any]:
        return json_response({"auth": dashboard.auth or None, "local": dashboard.local, "year": dashboard.year})

    # --- reading ------------------------------------------------------------------------------

    @app.get("/api/me")
    def me() -> Response[Any]:
        who = office()
        return json_response({"division": who.division, "who": who.who, "local": dashboard.local})

    @app.get("/api/overview")
    def overview() -> Response[Any]:
        scope, y = office().division, year()
        store = dashboard.store
        summary = views.overview(
            scope,
            y,
            walk(lambda c: store.current_reports(scope, y, cursor=c, limit=200)),
            walk(lambda c: store.open_errors(scope, y, cursor=c, limit=200)),
            walk(lambda c: store.missing_reports(scope, y, cursor=c, limit=200)),
        )
        return json_response(summary.as_json())

    @app.get("/api/reports")
    def reports() -> Response[Any]:
        scope, y = office().division, year()
        limit = _limit(query("limit"))
        items, cursor = _filtered(dashboard.store, scope, y, _filters(query), query("cursor"), limit=limit)
        return json_response({"items": items, "cursor": cursor, "year": y})

    @app.get("/api/reports/<report_id>")
    def report(report_id: str) -> Response[Any]:
        scope = office().division
        stored = scoped(report_id, scope)
        store = dashboard.store
        findings = views.ordered(store.stored_findings(report_id))
        detail = store.detail(report_id)
        y = stored.listed_year
        versions = [
            row.model_dump(mode="json")
            for row in walk(lambda c: store.body_reports(stored.body_id, cursor=c, limit=100))
            if (row.year or row.key_year) == y and views.within(row.division, scope)
        ]
        current = store.current(stored.body_id, y) if stored.body_id and y else None
        return json_response(
            {
                "report": views.report_summary(stored),
                "current": current is not None and current.report_id == report_id,
                "current_report_id": current.report_id if current else None,
                "findings": [views.finding_view(f) for f in findings],
                "table3": views.table3_view(stored, detail, findings),
                "table4": views.table4_view(detail, findings),
                "sections": detail.sections if detail else {},
                "notes": detail.extraction_notes if detail else [],
                "versions": versions,
                "triage": [
                    views.decision_view(d) for d in (store.history(stored.body_id, y) if stored.body_id and y else [])
                ],
                "pages": sorted({f.finding.location.page for f in findings if f.finding.location.page}),
                "renders_pages": stored.file_type == "pdf" and stored.status is not Status.UNREADABLE,
            }
        )

    @app.get("/api/reports/<report_id>/pages/<number>")
    def page(report_id: str, number: str) -> Response[Any]:
        stored = scoped(report_id, office().division)
        if not number.isdigit():
            raise NotFoundError("没有这一页")
        try:
            png = page_image(
                dashboard.s3,
                stored,
                int(number),
                cache_key=f"{_CACHE_PREFIX}{report_id}/{int(number)}.png",
                cache_bucket=dashboard.bucket,
                max_bytes=dashboard.upload_max_bytes,
                max_pages=dashboard.max_pages,
            )
        except PageError as error:
            raise NotFoundError(str(error)) from error
        return Response(200, "image/png", png, headers=security | {"Cache-Control": "private, max-age=3600"})

    @app.get("/api/reports/<report_id>/original")
    def original(report_id: str) -> Response[Any]:
        stored = scoped(report_id, office().division)
        params: dict[str, Any] = {"Bucket": stored.bucket, "Key": stored.key}
        if stored.version_id:
            params["VersionId"] = stored.version_id
        url = dashboard.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=_DOWNLOAD_SECONDS)
        return json_response({"url": url, "expires_in": _DOWNLOAD_SECONDS})

    @app.get("/api/missing")
    def missing() -> Response[Any]:
        scope, y = office().division, year()
        page = dashboard.store.missing_reports(scope, y, cursor=query("cursor"), limit=_limit(query("limit")))
        items = [
            {"body_id": b.body_id, "name": b.name, "kind": b.kind, "division": b.division}
            for b in page.items
            if views.within(b.division, scope)
        ]
        return json_response({"items": items, "cursor": page.cursor, "year": y})

    @app.get("/api/export")
    def export_list() -> Response[Any]:
        scope, y = office().division, year()
        kind = query("format") or "csv"
        if kind not in ("csv", "xlsx"):
            raise BadRequestError("导出格式应为 csv 或 xlsx")
        items = list(_all_filtered(dashboard.store, scope, y, _filters(query)))
        name = f"nianbao-{scope}-{y}"
        if kind == "csv":
            body: str | bytes = export.to_csv(items)
            content_type = "text/csv; charset=utf-8"
        else:
            body = export.to_xlsx(items)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        disposition = {"Content-Disposition": f'attachment; filename="{name}.{kind}"'}
        return Response(200, content_type, body, headers=security | disposition)

    # --- writing: triage and uploads ---------------------------------------------------------------

    @app.post("/api/reports/<report_id>/findings/<fingerprint>/triage")
    def triage(report_id: str, fingerprint: str) -> Response[Any]:
        who = office()
        stored = scoped(report_id, who.division)
        if not _FINGERPRINT.match(fingerprint):
            raise NotFoundError("没有这一项问题")
        body = _json_body(app.current_event.decoded_body)
        try:
            state = TriageState(str(body.get("state", "")))
        except ValueError as error:
            raise BadRequestError("state 应为 confirmed、dismissed 或 open") from error
        current = dashboard.store.current(stored.body_id, stored.listed_year) if stored.body_id else None
        if current is None or current.report_id != report_id:
            return json_response({"message": "这份报告已被更新的上传取代，请在当前报告上处理"}, 409)
        try:
            decision = decide(
                dashboard.store,
                body_id=stored.body_id,
                year=stored.listed_year,
                fingerprint=fingerprint,
                state=state,
                who=who.who,
                now=dashboard.now(),
                reason=str(body.get("reason") or ""),
            )
        except TriageError as error:
            raise BadRequestError(str(error)) from error
        updated = dashboard.store.get(report_id)
        return json_response(
            {
                "decision": views.decision_view(decision),
                "status": updated.shown_status.value if updated else None,
            }
        )

    @app.post("/api/uploads")
    def upload() -> Response[Any]:
        who = office()
        body = _json_body(app.current_event.decoded_body)
        name = " ".join(str(body.get("filename") or "").split())
        raw_year = body.get("year")
        if not _FILE_NAME.match(name) or name in (".", ".."):
            raise BadRequestError("文件名无效")
        if not isinstance(raw_year, int) or not 2000 <= raw_year <= 2100:
            raise BadRequestError("年度应为四位数字")
        prefix = f"reports/{who.division}/{raw_year}/"
        key = prefix + name
        post = dashboard.s3.generate_presigned_post(
            Bucket=dashboard.bucket,
            Key=key,
            Conditions=[["starts-with", "$key", prefix], ["content-length-range", 1, dashboard.upload_max_bytes]],
            ExpiresIn=_UPLOAD_SECONDS,
        )
        return json_response(
            {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": dashboard.upload_max_bytes}
        )

    @app.get("/api/uploads")
    def uploaded() -> Response[Any]:
        who = office()
        key = query("key") or ""
        match = re.match(r"^reports/(\d{2,12})/(\d{4})/", key)
        if not match or not views.within(match[1], who.division):
            raise NotFoundError("没有这个上传")
        since = query("since") or ""
        rows = [
            row
            for row in walk(lambda c: dashboard.store.all_reports(match[1], int(match[2]), cursor=c, limit=200))
            if row.key == key and row.received_at >= since
        ]
        newest = max(rows, key=lambda r: r.received_at, default=None)
        return json_response(
            {
                "stored": newest is not None,
                "report_id": newest.report_id if newest else None,
                "status": newest.shown_status.value if newest else None,
            }
        )

    return app


# --- lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: Status | None = None
    rule: str | None = None
    kind: str | None = None
    text: str | None = None

    def keeps(self, row: dict[str, Any]) -> bool:
        if self.kind and row.get("kind") != self.kind:
            return False
        if self.text:
            names = " ".join(str(row.get(k) or "") for k in ("body_name", "agency", "body_id", "key"))
            if self.text.casefold() not in names.casefold():
                return False
        return not (self.status and row.get("status") != self.status.value)


def _filters(query: Callable[[str], str | None]) -> Filters:
    status, rule = query("status"), query("rule")
    if status is not None and status not in {s.value for s in Status}:
        raise BadRequestError("状态应为 fail、warn、pass 或 unreadable")
    if rule is not None and rule not in CODES:
        raise BadRequestError("没有这个问题代码")
    text = query("q")
    return Filters(Status(status) if status else None, rule, query("kind"), text[:64] if text else None)


def _limit(raw: str | None) -> int:
    if raw is None:
        return _LIST_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise BadRequestError("每页条数应在 1 到 200 之间")
    return int(raw)


def _rows(
    store: ReportStore, currents: list[Current], rules: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    bodies: dict[str, BodyRecord] = store.bodies_by_id(sorted({c.body_id for c in currents}))
    rows = []
    for current in currents:
        row = views.list_row(current, bodies.get(current.body_id))
        if rules is not None:
            row["rules"] = rules.get(current.report_id, [])
        rows.append(row)
    return rows


def _filtered(
    store: ReportStore, scope: str, year: int, filters: Filters, cursor: str | None, *, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the current reports under ``scope`` that pass ``filters`` and the cursor of the
    next. The index narrows by status (CurrentByStatus) or rule (ByRule); kind and name are matched
    on the rows read, at most _PAGES_PER_LIST index pages per request."""
    items: list[dict[str, Any]] = []
    state = decode_cursor(cursor)
    inner = state.get("c")
    if inner is not None and not isinstance(inner, str):
        raise ValueError("not a cursor of this list")
    for _ in range(_PAGES_PER_LIST):
        if filters.rule:
            rows, inner = _rule_page(store, scope, year, filters.rule, inner, limit=limit)
        else:
            page = store.current_reports(scope, year, filters.status, cursor=inner, limit=limit)
            rows, inner = _rows(store, [c for c in page.items if views.within(c.division, scope)]), page.cursor
        items.extend(r for r in rows if filters.keeps(r))
        if inner is None or len(items) >= limit:
            break
    return items, encode_cursor({"c": inner}) if inner else None


def _rule_page(
    store: ReportStore, scope: str, year: int, rule: str, cursor: str | None, *, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the current reports with a finding of ``rule`` (not dismissed), each once."""
    state = decode_cursor(cursor)
    seen_last = state.get("last")
    page = store.findings_by_rule(rule, prefix=scope, year=year, cursor=state.get("c"), limit=limit)
    order: list[str] = []
    bodies: dict[str, str] = {}
    for row in page.items:
        if row.triage is TriageState.DISMISSED or not views.within(row.division, scope) or row.report_id == seen_last:
            continue
        if row.report_id not in bodies:
            order.append(row.report_id)
            bodies[row.report_id] = row.body_id
    currents = [c for rid in order if (c := store.current(bodies[rid], year)) is not None and c.report_id == rid]
    rows = _rows(store, currents, {rid: [rule] for rid in order})
    last = page.items[-1].report_id if page.items else seen_last
    return rows, encode_cursor({"c": page.cursor, "last": last}) if page.cursor else None


def _all_filtered(store: ReportStore, scope: str, year: int, filters: Filters) -> Iterator[dict[str, Any]]:
    """Every row of a filter for an export (at most _EXPORT_ROWS), with the codes of its errors not
    dismissed: read from the OpenErrors index in one walk, not report by report, so that a
    province's export stays within the API's 30 seconds."""
    codes: dict[str, set[str]] = {}
    for row in walk(lambda c: store.open_errors(scope, year, cursor=c, limit=200)):
        codes.setdefault(row.report_id, set()).add(row.code)
    cursor: str | None = None
    count = 0
    while True:
        items, cursor = _filtered(store, scope, year, filters, cursor, limit=200)
        for item in items:
            if count >= _EXPORT_ROWS:
                return
            item["rules"] = sorted(codes.get(item["report_id"], ()))
            count += 1
            yield item
        if cursor is None:
            return


def _json_body(raw: str | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or "{}")
    except ValueError as error:
        raise BadRequestError("请求体应为 JSON") from error
    if not isinstance(body, dict):
        raise BadRequestError("请求体应为 JSON 对象")
    return body


def _asset(name: str) -> str:
    return resources.files("nianbao.dashboard").joinpath("static", name).read_text(encoding="utf-8")


def dashboard_from_env(env: dict[str, str] | None = None) -> Dashboard:
    """The deployed function's dashboard: the table, the bucket and the sign-in from its environment
    (template.yaml); a missing name fails at init."""
    import os  # noqa: PLC0415

    from nianbao import aws  # noqa: PLC0415
    from nianbao.config import ConfigError  # noqa: PLC0415
    from nianbao.extract.limits import Limits  # noqa: PLC0415
    from nianbao.store import FindingsStore  # noqa: PLC0415

    values = dict(os.environ if env is None else env)
    missing = [name for name in ("FINDINGS_TABLE", "REPORTS_BUCKET") if not values.get(name)]
    if missing:
        raise ConfigError(f"missing environment variables: {', '.join(missing)}")
    s3 = aws.client("s3", "s3v4")
    bucket = values["REPORTS_BUCKET"]
    auth = {
        "authorize_url": values.get("NIANBAO_AUTH_AUTHORIZE_URL", ""),
        "client_id": values.get("NIANBAO_AUTH_CLIENT_ID", ""),
    }
    logout = values.get("NIANBAO_AUTH_LOGOUT_URL", "")
    limits = Limits.from_env()
    year = values.get("NIANBAO_DASHBOARD_YEAR")
    # where the browser posts uploads: the origin of a presigned POST's URL (signed locally, no call)
    post_url = s3.generate_presigned_post(Bucket=bucket, Key="reports/")["url"]
    origin = "/".join(post_url.split("/")[:3])
    return Dashboard(
        store=FindingsStore(aws.client("dynamodb"), values["FINDINGS_TABLE"]),
        s3=s3,
        bucket=bucket,
        auth=(auth | ({"logout_url": logout} if logout else {})) if all(auth.values()) else {},
        division_claim=values.get("NIANBAO_AUTH_DIVISION_CLAIM") or "custom:division",
        default_year=int(year) if year else None,
        upload_max_bytes=limits.max_bytes,
        max_pages=limits.max_pages,
        local=values.get("NIANBAO_LOCAL_DASHBOARD") == "1",
        upload_origin=origin,
    )
