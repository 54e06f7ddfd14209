"""The HTTP front: `create_app(service)` builds it on the composition root's Service.

    /api/v1/…   every command and query (adapters/http/api/), JSON, OpenAPI at /openapi.json
    /           the console's pages (adapters/http/console/), /static its files

    /healthz, /readyz, /metrics   the probes and Prometheus' metrics (health.py)

Around every answer, from the outside in: the request's id, its metrics and access log line
(health.py), the security headers (security.py), the public pages' cache, the request id on the
answer and the one 500 (security.py), the signed session cookie (auth.py); every route is guarded
by the CSRF check (auth.py, which lets every GET through); every refusal is worded by the one
mapping (errors.py), the database being away included (503 store_unavailable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from adapters import metrics
from adapters.calendar import CalendarDataError
from adapters.http import console, health, logs
from adapters.http.api import api_router
from adapters.http.auth import (
    SAME_SITE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    check_csrf,
    not_signed_in,
)
from adapters.http.errors import (
    STORE_DOWN,
    HttpProblem,
    Problem,
    describe,
    validation_problem,
)
from adapters.http.public_cache import PublicCache
from adapters.http.secret_key import session_secret
from adapters.http.security import RequestIds, SecurityHeaders
from domain.errors import DomainError
from services.errors import ForbiddenError, ServiceError

if TYPE_CHECKING:
    from adapters.bootstrap import Service

DESCRIPTION = """双随机、一公开 跨部门联合抽查的 HTTP 接口。

- 身份：`Authorization: Bearer ssj_…`（或 `X-API-Key`）部门系统的 API 密钥；或登录
  （`POST /api/v1/session`）后的会话 Cookie，此时修改类请求须带 `X-CSRF-Token`。
  不带身份的请求以公众身份处理。
- 每个操作在 `x-ssj-action` 中注明其权限动作（services/permissions.py）。
- 指令可带 `Idempotency-Key`：同一键重发只执行一次，返回首次的应答（`Idempotent-Replayed: true`）。
- 出错时返回 `{"error": {"code", "field", "message"}}`：稳定的错误代码、出错的字段、中文原因。
- 列表分页：`limit`、`after`，应答 `{"items": [...], "next": 续页标记或 null}`。
"""


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="ssj 双随机、一公开",
        version="1",
        description=DESCRIPTION,
        dependencies=[Depends(check_csrf)],
        # FastAPI's docs pages load their scripts from a CDN and inline: the CSP (script-src
        # 'self') refuses both, so the document itself is what is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    health.add_probes(app)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=console.STATIC_DIR), name="static")
    _handle_errors(app)
    _document_security(app)
    # Added innermost first: the session is read inside the request ids, both inside the public
    # pages' cache (whose kept answers skip them), all inside the security headers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(service.settings, service.memory),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site=SAME_SITE,
        https_only=service.settings.session_https_only,
    )
    app.add_middleware(RequestIds)
    app.add_middleware(PublicCache, seconds=service.settings.public_cache_seconds)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(health.Observed)
    return app


def _document_security(app: FastAPI) -> None:
    """The three ways in, in the OpenAPI document (and the docs page's 授权 button); none is
    required by the document itself: the public's routes take none, and the services decide."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = plain()
            document.setdefault("components", {})["securitySchemes"] = {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "部门系统的 API 密钥：Authorization: Bearer ssj_…",
                },
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "登录后的会话；修改类请求另带 X-CSRF-Token 头",
                },
            }
            document["security"] = [{"apiKey": []}, {"apiKeyHeader": []}, {"session": []}, {}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- the one mapping
def _handle_errors(app: FastAPI) -> None:
    async def refused(request: Request, error: Exception) -> Response:
        service: Service = request.app.state.service
        if isinstance(error, ForbiddenError) and getattr(request.state, "principal", None) is None:
            # The public was refused: signing in (or a key) may be what is missing.
            error = not_signed_in(f"：{str(error).removeprefix('actor: ')}")
        answer = describe(error, now=service.clock.now())
        if answer.code == "store_unavailable":
            metrics.STORE_UNAVAILABLE.inc()
        who = getattr(request.state, "principal", None)
        logs.event(
            "refused",
            status=answer.status,
            code=answer.code,
            field=answer.field,
            method=request.method,
            path=request.url.path,
            principal=who.name if who is not None else None,
        )
        return _answer(request, answer)

    async def invalid(request: Request, error: Exception) -> Response:
        errors = error.errors() if isinstance(error, RequestValidationError) else []
        answer = validation_problem(errors)
        logs.event(
            "refused", status=422, code=answer.code, field=answer.field, path=request.url.path
        )
        return _answer(request, answer)

    async def http_error(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, StarletteHTTPException) else 500
        if status == 400:  # a body that is not JSON (or not UTF-8): bad input, like any other
            answer = Problem(422, "invalid_request", "body", "请求体不是有效的 JSON（UTF-8 编码）")
        elif status == 404:
            answer = Problem(404, "route_not_found", "path", f"没有这个地址：{request.url.path}")
        elif status == 405:
            answer = Problem(405, "method_not_allowed", "method", f"该地址不接受 {request.method}")
        else:
            detail = error.detail if isinstance(error, StarletteHTTPException) else ""
            answer = Problem(status, "http_error", None, str(detail))
        headers = getattr(error, "headers", None) or {}
        problem = Problem(answer.status, answer.code, answer.field, answer.message, headers)
        return _answer(request, problem)

    for kind in (DomainError, ServiceError, HttpProblem, CalendarDataError, *STORE_DOWN):
        app.add_exception_handler(kind, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _answer(request: Request, answer: Problem) -> Response:
    """JSON for the API and its clients; for a person's browser on a console page (a stale form
    refused by the CSRF check, an address that does not exist), the console's page saying why."""
    if not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    ):
        from adapters.http.console.web import Refusal, page

        refusal = Refusal(answer.status, answer.code, answer.field, answer.message)
        shown = page(request, "refused.html", {"title": "无法办理"}, refusal=refusal)
        shown.headers.update(dict(answer.headers))
        return shown
    return JSONResponse(answer.body(), answer.status, headers=dict(answer.headers))
