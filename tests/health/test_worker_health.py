"""`ssj worker`'s probes and metrics, on a real worker process beside PostgreSQL and NATS: ready
with its relay leading, a second worker ready as a standby, the relay's lag and published count
following the log, not ready once the bus is gone; its log lines are JSON."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats
from prometheus_client.parser import text_string_to_metric_families

from adapters.bootstrap import Service
from adapters.nats.streams import DEFAULT_DEPARTMENTS, setup_bus
from tests.bus.harness import NatsServer, free_port
from tests.bus.relaying import log_length, plans_of
from tests.bus.test_worker_process import SSJ
from tests.conftest import Database


def start(database: Database, server: NatsServer, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SSJ_DATABASE_URL": database.service_url,
        "SSJ_NATS_URL": server.url,
        "SSJ_WORKER_PORT": str(port),
    }
    # Its log to a file: a pipe read only at the end could fill, and the worker would block.
    with log.open("wb") as written:
        return subprocess.Popen([SSJ, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=written)


def until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def gauge(port: int, name: str) -> float | None:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return None


def ready(port: int) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)


async def test_a_worker_is_ready_leading_or_standing_by_and_its_metrics_follow_the_relay(
    database: Database, service: Service, own_nats: NatsServer, tmp_path: Path
) -> None:
    client = await nats.connect(own_nats.url)
    await setup_bus(client.jetstream(), DEFAULT_DEPARTMENTS)
    await client.close()
    first_port, second_port = free_port(), free_port()
    first = start(database, own_nats, first_port, tmp_path / "first.log")
    second = None
    try:
        leading = until(
            lambda: ready(first_port).status_code == 200 and ready(first_port).json(),
            "the first worker is ready",
        )
        assert leading == {"ready": True, "database": "ok", "bus": "ok", "relay": "leading"}
        assert httpx.get(f"http://127.0.0.1:{first_port}/healthz").json() == {"status": "ok"}
        second = start(database, own_nats, second_port, tmp_path / "second.log")
        standby = until(
            lambda: ready(second_port).status_code == 200 and ready(second_port).json(),
            "the second worker is ready",
        )
        assert standby["relay"] == "standby"
        assert gauge(first_port, "ssj_relay_leader") == 1.0
        assert gauge(second_port, "ssj_relay_leader") == 0.0

        plans_of(service, 1_000)
        stored = log_length(database.service_url)
        until(
            lambda: gauge(first_port, "ssj_relay_published_total") == stored,
            "the leader relays the log",
        )
        until(lambda: gauge(first_port, "ssj_relay_lag_events") == 0, "its lag falls to 0")
        assert gauge(first_port, "ssj_relay_lag_seconds") == 0.0
        assert gauge(first_port, "ssj_intake_queue") == 0.0
        assert (gauge(first_port, "ssj_deadline_checks_total") or 0) >= 1
        # The standby samples the same log and position, a second apart at most.
        until(lambda: gauge(second_port, "ssj_relay_lag_events") == 0, "the standby's lag")

        own_nats.kill9()
        gone = until(lambda: ready(first_port).status_code == 503 and ready(first_port), "bus gone")
        assert gone.json()["database"] == "ok"
        assert "SSJ_NATS_URL" in gone.json()["bus"]
        assert gone.headers["Retry-After"].isdigit()
    finally:
        for worker in (first, second):
            if worker is None:
                continue
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
    assert first.returncode == 0  # stopped with the bus gone, cleanly
    written = (tmp_path / "first.log").read_text()
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert any(line["event"].startswith("relay") for line in lines)
    assert all({"time", "level", "logger", "event"} <= line.keys() for line in lines)


async def test_a_worker_whose_probe_port_is_taken_stops_naming_the_setting(
    database: Database, own_nats: NatsServer, tmp_path: Path
) -> None:
    client = await nats.connect(own_nats.url)
    await setup_bus(client.jetstream(), DEFAULT_DEPARTMENTS)
    await client.close()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        worker = start(database, own_nats, port, tmp_path / "worker.log")
        try:
            worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    assert worker.returncode == 2
    assert "SSJ_WORKER_PORT" in (tmp_path / "worker.log").read_text()
