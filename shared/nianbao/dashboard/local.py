"""``nianbao serve``: the DashboardApi function on 127.0.0.1.

A small HTTP server turns each request into the API Gateway HTTP API (payload 2.0) event the
deployed function receives and calls the function's own handler (functions/dashboard_api/app.py),
so the code a browser test drives is the deployed code. What API Gateway and Cognito do in front of
it is played here:

* routes: /, /static/{name} and /config.json without a token; /api/* with one, else 401 as the JWT
  authorizer answers;
* sign-in: a local page to pick an office's division, kept in a cookie; the adapter puts it in the
  event as the JWT claims the authorizer would pass. It checks nothing and says so on every page:
  local use only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nianbao.local.stack import DEFAULT_OFFICES, Office

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

COOKIE = "nianbao_local_division"
_DIVISION = re.compile(r"^\d{2}(?:\d{2}){0,2}$")
_MAX_BODY = 1024 * 1024
_PUBLIC = re.compile(r"^/(?:|static/[^/]+|config\.json)$")


def event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    """The HTTP API payload 2.0 event for one request (what API Gateway hands the function)."""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    lowered = {k.lower(): v for k, v in headers.items()}
    now = time.time()
    text_body: str | None = None
    encoded = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode(), True
    request_context: dict[str, Any] = {
        "accountId": "local",
        "apiId": "local",
        "domainName": lowered.get("host", "127.0.0.1"),
        "domainPrefix": "local",
        "http": {
            "method": method,
            "path": parts.path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": lowered.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    result: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": request_context,
        "isBase64Encoded": encoded,
    }
    if query:
        result["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if "cookie" in lowered:
        result["cookies"] = [c.strip() for c in lowered["cookie"].split(";") if c.strip()]
    if text_body is not None:
        result["body"] = text_body
    return result


def _claims(cookie_header: str | None) -> dict[str, str] | None:
    if not cookie_header:
        return None
    jar = cookies.SimpleCookie()
    try:
        jar.load(cookie_header)
    except cookies.CookieError:
        return None
    morsel = jar.get(COOKIE)
    if morsel is None or not _DIVISION.match(morsel.value):
        return None
    division = morsel.value
    return {
        "custom:division": division,
        "cognito:username": f"local-{division}",
        "email": f"office-{division}@local",
        "sub": f"local-{division}",
        "token_use": "id",
    }


def _sign_in_page(offices: list[Office]) -> str:
    """The local sign-in form: fixed markup, office names from our own settings, escaped."""
    from html import escape  # noqa: PLC0415

    button = '<li><button name="division" value="{0}">{1}（{0}）</button></li>'
    options = "".join(button.format(escape(o.division_prefix), escape(o.name)) for o in offices)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>本地登录</title>
<link rel="stylesheet" href="/static/app.css"></head><body>
<p class="local">本地模式：仅供在本机试用，登录未经身份验证，不要用于真实数据。</p>
<main><h2>选择一个政务公开办（本地登录）</h2>
<form method="post" action="/local/sign-in"><ul class="offices">{options}</ul>
<p><label>或输入区划代码 <input name="other" pattern="[0-9]{{2}}([0-9]{{2}}){{0,2}}" size="8"></label>
<button name="division" value="">登录</button></p></form></main></body></html>"""


def make_server(  # noqa: C901 - one request handler class: local routes, the authorizer's answers, the call
    handler: Handler, offices: list[Office], host: str = "127.0.0.1", port: int = 8000
) -> ThreadingHTTPServer:
    """An HTTP server that hands every request to ``handler`` as API Gateway would."""
    from nianbao.local.stack import LambdaContext  # noqa: PLC0415

    lock = threading.Lock()  # one invocation at a time, as one Lambda instance runs

    class Request(BaseHTTPRequestHandler):
        server_version = "nianbao-local"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser went elsewhere
                    self.wfile.write(body)

        def _local(self, path: str) -> bool:
            if path == "/local/sign-in" and self.command == "GET":
                page = _sign_in_page(offices).encode()
                self._send(200, page, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
                return True
            if path == "/local/sign-in" and self.command == "POST":
                form = parse_qs(self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 4096)).decode())
                division = (form.get("division", [""])[0] or form.get("other", [""])[0]).strip()
                if not _DIVISION.match(division):
                    self._send(
                        400, "区划代码应为 2、4 或 6 位数字".encode(), {"Content-Type": "text/plain; charset=utf-8"}
                    )
                    return True
                cookie = f"{COOKIE}={division}; Path=/; HttpOnly; SameSite=Strict"
                self._send(303, b"", {"Location": "/#/", "Set-Cookie": cookie})
                return True
            if path == "/local/sign-out":
                self._send(303, b"", {"Location": "/local/sign-in", "Set-Cookie": f"{COOKIE}=; Path=/; Max-Age=0"})
                return True
            return False

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/local/") and self._local(path):
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._send(413, b'{"message":"Request Entity Too Large"}', {"Content-Type": "application/json"})
                return
            body = self.rfile.read(length) if length else b""
            claims = _claims(self.headers.get("Cookie"))
            if not _PUBLIC.match(path):
                if not path.startswith("/api/"):
                    self._send(404, b'{"message":"Not Found"}', {"Content-Type": "application/json"})
                    return
                if claims is None:  # what the JWT authorizer answers without a valid token
                    self._send(401, b'{"message":"Unauthorized"}', {"Content-Type": "application/json"})
                    return
            request = event(
                self.command, self.path, dict(self.headers.items()), body, claims if path.startswith("/api/") else None
            )
            with lock:
                response = handler(request, LambdaContext(function_name="DashboardApiFunction", timeout_seconds=29))
            payload = response.get("body") or ""
            data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
            headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
            for name, values in (response.get("multiValueHeaders") or {}).items():
                headers[name] = ", ".join(str(v) for v in values)
            self._send(int(response.get("statusCode", 200)), data, headers)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle  # noqa: N815 - the base class's names

    return ThreadingHTTPServer((host, port), Request)


@contextmanager
def serving(handler: Handler, offices: list[Office], host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The server running in a thread for the duration; yields its URL."""
    server = make_server(handler, offices, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def json_body(response: dict[str, Any]) -> Any:
    """The decoded JSON body of a handler's response (tests)."""
    payload = response.get("body") or ""
    return json.loads(base64.b64decode(payload) if response.get("isBase64Encoded") else payload)


def dashboard_environment(table: str, bucket: str, year: int | None = None) -> dict[str, str]:
    """The DashboardApi function's environment for a local run over ``table`` and ``bucket``."""
    values = {"FINDINGS_TABLE": table, "REPORTS_BUCKET": bucket, "NIANBAO_LOCAL_DASHBOARD": "1"}
    if year:
        values["NIANBAO_DASHBOARD_YEAR"] = str(year)
    return values


def load_dashboard_handler() -> Handler:
    """functions/dashboard_api/app.py's handler, imported as Lambda imports it (its init reads the
    environment, so set it first)."""
    from nianbao.local.stack import load_handler  # noqa: PLC0415

    return load_handler(function="dashboard_api")


def local_offices() -> list[Office]:
    """The offices the local sign-in offers: the demo's (a county, its city, its province) and a
    district of the same city."""
    return [*(o for o in DEFAULT_OFFICES if o.division_prefix), Office("城北区政务公开办", "630105")]


def serve_forever(handler: Handler, host: str, port: int, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("本地看板的登录不经验证，只能在本机地址（127.0.0.1）上提供")
    server = make_server(handler, local_offices(), host, port)
    url = f"http://{host}:{server.server_address[1]}/"
    if on_ready is not None:
        on_ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
