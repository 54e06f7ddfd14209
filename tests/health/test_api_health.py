"""The API's probes and metrics, on the embedded SQLite store and on PostgreSQL, and its JSON log
lines: /healthz while the process lives, /readyz only when the store (and the bus, when one is
set) answers, /metrics counting by route template, every line of a request with its id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.http import logs
from adapters.http.app import create_app
from tests.bus.harness import NatsServer, free_port
from tests.conftest import Database

SECRET = "health-tests-session-secret-0123456789abcdef"


def served(**settings: Any) -> Service:
    return bootstrap(load_settings(session_secret=SECRET, **settings))


async def client_of(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        yield client


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    service = served(db=tmp_path / "ssj.db")
    yield service
    service.close()


@pytest.fixture
async def sqlite_api(sqlite_service: Service) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_of(sqlite_service):
        yield client


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """A metric's samples in the Prometheus text, by their labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_the_api_is_live_and_ready_on_its_sqlite_store(
    sqlite_api: httpx.AsyncClient,
) -> None:
    await sqlite_api.get("/api/v1/calendar/2024")  # the store's file is made on first use
    live = await sqlite_api.get("/healthz")
    ready = await sqlite_api.get("/readyz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "database": "ok", "bus": "unused"}
    assert ready.headers["Cache-Control"] == "no-store"


async def test_the_api_is_not_ready_when_its_sqlite_file_cannot_be_opened(
    sqlite_service: Service, sqlite_api: httpx.AsyncClient
) -> None:
    await sqlite_api.get("/api/v1/calendar/2024")
    sqlite_service.settings.db.unlink()

    ready = await sqlite_api.get("/readyz")
    live = await sqlite_api.get("/healthz")

    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert ready.json()["ready"] is False
    assert "SSJ_DB" in ready.json()["database"]
    assert live.status_code == 200  # alive all the same: restarting it would not bring the file


async def test_requests_are_counted_by_route_template_not_by_path(
    sqlite_api: httpx.AsyncClient,
) -> None:
    for year in (2023, 2024, 2025):
        assert (await sqlite_api.get(f"/api/v1/calendar/{year}")).status_code == 200
    await sqlite_api.get("/no/such/address/1")
    await sqlite_api.get("/no/such/address/2")

    text = (await sqlite_api.get("/metrics")).text

    counted = samples(text, "ssj_http_requests_total")
    by_route = (("method", "GET"), ("route", "/api/v1/calendar/{year}"), ("status", "200"))
    assert counted[by_route] >= 3
    assert not any("2024" in dict(labels)["route"] for labels in counted)
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert counted[unmatched] >= 2
    seconds = samples(text, "ssj_http_request_seconds_count")
    assert seconds[(("method", "GET"), ("route", "/api/v1/calendar/{year}"))] >= 3
    for name in (
        "ssj_command_seconds",
        "ssj_relay_lag_events",
        "ssj_relay_lag_seconds",
        "ssj_relay_leader",
        "ssj_relay_published_total",
        "ssj_intake_queue",
        "ssj_deadline_checks_total",
        "ssj_overdue_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


async def test_a_command_over_http_is_timed_under_its_route_name(
    sqlite_api: httpx.AsyncClient, sqlite_service: Service
) -> None:
    from tests.http.conftest import World

    world = World.of(sqlite_service)
    before = samples((await sqlite_api.get("/metrics")).text, "ssj_command_seconds_count")
    key = (("command", "open_inspector_directory"), ("front", "http"))
    async with world.key("fire") as fire:
        opened = await fire.post("/api/v1/inspector-directory", json={})
    assert opened.status_code == 201, opened.text

    after = samples((await sqlite_api.get("/metrics")).text, "ssj_command_seconds_count")
    assert after[key] == before.get(key, 0) + 1


async def test_every_log_line_of_a_request_carries_its_id(
    sqlite_api: httpx.AsyncClient,
) -> None:
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logs.JsonFormatter())
    logs.log.addHandler(handler)
    level = logs.log.level
    logs.log.setLevel(logging.INFO)  # as logs.configure() sets it in `ssj serve`
    try:
        given = await sqlite_api.post(
            "/api/v1/target-directories",
            json={"name": "名录库"},
            headers={"X-Request-ID": "proxy-0123456789"},
        )
        made = await sqlite_api.get("/api/v1/calendar/2024")
    finally:
        logs.log.removeHandler(handler)
        logs.log.setLevel(level)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]

    assert given.status_code == 401  # the public may not: refused, and logged as refused
    assert given.headers["X-Request-ID"] == "proxy-0123456789"
    of_given = [line for line in lines if line.get("request_id") == "proxy-0123456789"]
    assert {line["event"] for line in of_given} == {"refused", "request"}
    access = next(line for line in of_given if line["event"] == "request")
    assert access["route"] == "/api/v1/target-directories"
    assert access["status"] == 401
    own = made.headers["X-Request-ID"]
    assert own != "proxy-0123456789"
    assert any(line["request_id"] == own and line["event"] == "request" for line in lines)
    assert all("request_id" in line for line in lines)


# ---------------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def pg_service(database: Database) -> Iterator[Service]:
    service = served(database_url=database.service_url)
    yield service
    service.close()


async def test_the_api_is_ready_on_postgresql(pg_service: Service) -> None:
    async for client in client_of(pg_service):
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "database": "ok", "bus": "unused"}
    assert metrics.headers["content-type"].startswith("text/plain")


async def test_the_api_is_not_ready_when_postgresql_does_not_answer() -> None:
    nobody = free_port()
    service = served(database_url=f"postgresql://ssj_service@127.0.0.1:{nobody}/ssj")
    try:
        async for client in client_of(service):
            ready = await client.get("/readyz")
            live = await client.get("/healthz")
    finally:
        service.close()
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert ready.json()["ready"] is False
    assert "SSJ_DATABASE_URL" in ready.json()["database"]
    assert ready.json()["bus"] == "unused"
    assert live.status_code == 200


async def test_the_api_is_ready_only_while_its_bus_answers(
    pg_service: Service, database: Database, tmp_path: Path
) -> None:
    nats_server = NatsServer(tmp_path / "js").start()
    service = served(database_url=database.service_url, nats_url=nats_server.url)
    try:
        async for client in client_of(service):
            up = await client.get("/readyz")
            nats_server.kill9()
            down = await client.get("/readyz")
    finally:
        service.close()
        nats_server.kill9()
    assert up.status_code == 200, up.text
    assert up.json()["bus"] == "ok"
    assert down.status_code == 503
    assert down.json()["database"] == "ok"
    assert "SSJ_NATS_URL" in down.json()["bus"]
