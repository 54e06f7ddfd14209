"""What every answer carries, and what none may carry.

- Security headers on every answer: the Content-Security-Policy below (no inline scripts or styles,
  nothing from elsewhere, no framing), `X-Content-Type-Options: nosniff`, `Referrer-Policy:
  same-origin`, `X-Frame-Options: DENY`; `Cache-Control: no-store` on what an authenticated request
  was answered (a shared or back-button cache must not keep a department's data).
- A fault of ours is answered 500 `internal` with a request id, never with a stack trace; the
  trace goes to the server's log under the same id.

Both are plain ASGI middleware, so they wrap every answer: the API's, the console's, the static
files' and the errors'.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http import logs
from adapters.http.auth import SESSION_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CREDENTIALS = (b"authorization", b"x-api-key")


def authenticated(scope: Scope) -> bool:
    """Whether the request came with credentials, or was found to be signed in."""
    state = scope.get("state") or {}
    if state.get("principal") is not None:
        return True
    for name, value in scope.get("headers", ()):
        if name in CREDENTIALS:
            return True
        if name == b"cookie" and SESSION_COOKIE.encode() in value:
            return True
    return False


STATIC = "/static/"
"""The package's own files (htmx, the CSS, draw.js): the same for everyone, so a browser keeps
them whoever is signed in, instead of fetching them again on every page."""


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                static = scope.get("path", "").startswith(STATIC)
                if not static and (authenticated(scope) or "set-cookie" in headers):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestIds:
    """Puts the request's id on its answer (X-Request-ID) and turns an unexpected exception
    into a 500 that names the id and nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Observed (health.py), outside, has given it one already; an app without it, its own.
        state = scope.setdefault("state", {})
        request_id = state.get("request_id") or secrets.token_hex(8)
        state["request_id"] = request_id
        started = False

        async def with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except Exception:
            logs.log.exception(
                "fault",
                extra={
                    "ssj_fields": {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                    }
                },
            )
            if started:  # the answer is under way: nothing better can be sent than closing it
                return
            await internal_error(scope, request_id)(scope, receive, with_id)


def internal_error(scope: Scope, request_id: str) -> Response:
    message = f"服务器内部错误，已记录（请求编号 {request_id}），请稍后再试或联系管理员"
    if str(scope.get("path", "")).startswith("/api/"):
        body = {"error": {"code": "internal", "field": None, "message": message}}
        return JSONResponse({**body, "request_id": request_id}, status_code=500)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>服务器内部错误</title></head>"
        f"<body><h1>服务器内部错误</h1><p>{message}</p></body></html>"
    )
    return HTMLResponse(page, status_code=500)
