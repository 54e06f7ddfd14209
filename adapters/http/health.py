"""Probes and metrics, for the process manager (systemd, Kubernetes, the proxy) and Prometheus.

    GET /healthz   200 {"status": "ok"} while the process can answer at all (liveness)
    GET /readyz    200 {"ready": true, "database": "ok", "bus": "ok"|"unused", …} when the
                   database answers (and the bus, where the process uses one); else 503 with
                   Retry-After, the failing part saying why (readiness: send no traffic here)
    GET /metrics   the process's Prometheus metrics (adapters/metrics.py)

`ssj serve` has them on its app (`add_probes`), beside the API and the console but outside
both; `ssj worker` on a small app of its own (`worker_app`) on SSJ_WORKER_HOST:SSJ_WORKER_PORT, whose /readyz also says
whether its relay is leading or standing by. The checks are short (CHECK_TIMEOUT): a probe that
waits longer than the prober is worse than one that says no.

`Observed` wraps the whole HTTP front: it gives each request its id (the X-Request-ID a proxy
sent, when it looks like one, else a new one), counts and times every answer by route template,
and logs one JSON access line per request with that id; the probes are logged only when they fail.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters import metrics
from adapters.http import logs

if TYPE_CHECKING:
    from nats.aio.client import Client

    from adapters.bootstrap import Service
    from adapters.settings import Settings

CHECK_TIMEOUT = 2.0
"""Seconds a check of the database or the bus may take before it counts as failed."""
RETRY_AFTER = "5"
"""What a 503 of /readyz tells a client: about one probe's interval."""
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})

OK = "ok"
UNUSED = "unused"


# ---------------------------------------------------------------------------- the checks
def database_state(settings: Settings, memory: bool = False) -> str:
    """ "ok", or why the store cannot be used now (a line fit for the probe's answer)."""
    if memory:
        return OK
    if settings.database_url:
        from adapters.postgres.urls import PgUrl

        url = PgUrl.parse(settings.database_url, "SSJ_DATABASE_URL")
        timeout = max(1, int(CHECK_TIMEOUT))
        try:
            with psycopg.connect(url.conninfo(), connect_timeout=timeout) as connection:
                connection.execute(f"SET statement_timeout = {int(CHECK_TIMEOUT * 1000)}")
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            return f"PostgreSQL 无法使用（SSJ_DATABASE_URL）：{_first_line(error)}"
        return OK
    return _sqlite_state(settings.db)


def _sqlite_state(path: Path) -> str:
    if not path.exists():
        return f"SQLite 事件库文件不存在（SSJ_DB）：{path}"
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=CHECK_TIMEOUT)
        try:
            connection.execute("SELECT 1").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        return f"SQLite 事件库无法打开（SSJ_DB）：{error}"
    return OK


async def bus_state(nc: Client) -> str:
    """Whether a connected client's server answers, and its JetStream."""
    if not nc.is_connected:
        return "NATS 连接已断开（SSJ_NATS_URL），正在重连"
    try:
        await asyncio.wait_for(nc.jetstream().account_info(), CHECK_TIMEOUT)
    except Exception as error:
        return f"NATS JetStream 无应答（SSJ_NATS_URL）：{str(error) or type(error).__name__}"
    return OK


async def bus_reachable(settings: Settings) -> str:
    """For a process that keeps no bus connection (`ssj serve`): connect once, ask, close."""
    if not settings.nats_url:
        return UNUSED
    from adapters.nats.connect import BusError, connect_with

    try:
        nc = await asyncio.wait_for(connect_with(settings, "ssj-readyz"), CHECK_TIMEOUT * 2)
    except (BusError, TimeoutError) as error:
        return str(error) or "NATS 连接超时（SSJ_NATS_URL）"
    try:
        return await bus_state(nc)
    finally:
        await nc.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def readiness(parts: dict[str, str], **more: Any) -> Response:
    """200 when every part is "ok" or "unused", else 503 naming what is not."""
    ready = all(state in (OK, UNUSED) for state in parts.values())
    body = {"ready": ready, **parts, **more}
    headers = {"Cache-Control": "no-store"}
    if not ready:
        headers["Retry-After"] = RETRY_AFTER
    return JSONResponse(body, 200 if ready else 503, headers=headers)


def metrics_answer() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------- ssj serve
def add_probes(app: FastAPI) -> None:
    """The probes on `ssj serve`'s app: plain routes, outside the API's dependencies (the CSRF
    guard, the principal) and its OpenAPI document, and no console page either."""
    app.add_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    app.add_route("/metrics", metrics_route, methods=["GET"], include_in_schema=False)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": OK}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    service: Service = request.app.state.service
    database, bus = await asyncio.gather(
        asyncio.to_thread(database_state, service.settings, service.memory),
        bus_reachable(service.settings),
    )
    return readiness({"database": database, "bus": bus})


async def metrics_route(_: Request) -> Response:
    return metrics_answer()


# ---------------------------------------------------------------------------- ssj worker
def worker_app(settings: Settings, nc: Client, leading: Callable[[], bool]) -> Starlette:
    """The worker's own probes: its store, its bus connection, and its relay's part."""

    async def worker_readyz(_: Request) -> Response:
        database, bus = await asyncio.gather(
            asyncio.to_thread(database_state, settings), bus_state(nc)
        )
        relay = "leading" if leading() else "standby"
        return readiness({"database": database, "bus": bus}, relay=relay)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", worker_readyz, methods=["GET"]),
            Route("/metrics", metrics_route, methods=["GET"]),
        ],
        middleware=[Middleware(Observed)],
    )


# ---------------------------------------------------------------------------- every request
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_of(scope: Scope) -> str:
    """The proxy's X-Request-ID when it looks like an id (so one id follows the request through
    nginx and here), else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1")
            if _GIVEN_ID.fullmatch(given):
                return given
    return secrets.token_hex(8)


class Observed:
    """Outermost: the request id, the answer's count and time by route, the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            seconds = time.perf_counter() - started
            self._record(scope, status, seconds, request_id)
            logs.REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        method = str(scope.get("method", ""))
        route = route_of(scope)
        metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
        metrics.HTTP_SECONDS.labels(method, route).observe(seconds)
        path = str(scope.get("path", ""))
        if path in PROBES and status < 500:
            return  # probed every few seconds: only a failing probe is worth a line
        logs.event(
            "request",
            request_id=request_id,
            method=method,
            path=path,
            route=route,
            status=status,
            ms=round(seconds * 1000, 1),
        )


def route_of(scope: Scope) -> str:
    """The route's template, never the path as sent: one series per route. A route of an
    included router knows only its own part of the path (`/calendar/{year}`); FastAPI keeps the
    whole (`/api/v1/calendar/{year}`) in the route's context. A mount (the static files) is
    named by its own path."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    for path in (getattr(context, "path", None), getattr(scope.get("route"), "path", None)):
        if isinstance(path, str) and path:
            return path
    mounted = scope.get("root_path", "")
    if isinstance(mounted, str) and mounted and mounted != scope.get("app_root_path", ""):
        return mounted
    return metrics.UNMATCHED
