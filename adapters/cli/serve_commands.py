"""`ssj serve`: the HTTP API and the web console, on the settings' store (the SQLite file of the
embedded default, or PostgreSQL when SSJ_DATABASE_URL is set), with uvicorn.

One process serves everything: the embedded default has no workers, so each command's read
models and dispatch are settled in the same process (adapters/http/commands.py), and the deadline
watch runs in it every SSJ_DEADLINE_INTERVAL (adapters/http/deadline_timer.py). Its logs are
JSON lines on standard error, one per request with its request id (adapters/http/logs.py); its
probes are /healthz and /readyz, its metrics /metrics (adapters/http/health.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.context import DbOption, cli


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="监听地址（默认 127.0.0.1，即仅本机）")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="端口（默认 8000）")
    ] = None,
    db: DbOption = None,
) -> None:
    """启动网页与 HTTP 接口（/api/v1，接口说明见 /openapi.json）。"""
    import uvicorn

    from adapters.cli.context import refusals
    from adapters.http import logs
    from adapters.http.app import create_app

    if db is not None:
        cli.db = db
    try:
        settings = cli.settings
        service = cli.service
        app = create_app(service)
    except refusals() as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None
    logs.configure()
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(
        f"ssj 已启动：http://{bind_host}:{bind_port}/  （接口说明 /openapi.json，Ctrl+C 停止）"
    )
    from adapters.http.deadline_timer import DeadlineTimer

    timer = DeadlineTimer(service, settings.deadline_interval.total_seconds()).start()
    try:
        # uvicorn's access line lacks the request id: the app logs its own (health.Observed).
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            server_header=False,
        )
    finally:
        timer.stop()
        cli.close()
