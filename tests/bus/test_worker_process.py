"""`ssj worker` as its users run it: a process beside PostgreSQL and NATS, killed with SIGKILL
while it relays 10,000 events and started again; every event reaches each subscriber once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nats
import psycopg

from adapters.bootstrap import Service
from adapters.nats.streams import DEFAULT_DEPARTMENTS, EVENTS, setup_bus
from adapters.postgres.urls import PgUrl
from tests.bus.harness import NatsServer, free_port
from tests.bus.relaying import log_length, plans_of, read_all
from tests.conftest import Database

SSJ = str(Path(sys.executable).parent / "ssj")


def relayed(database: Database) -> int:
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo()) as connection:
        row = connection.execute("SELECT max(position) FROM ssj_relay").fetchone()
    return int(row[0] or 0) if row else 0


def start_worker(database: Database, nats_server: NatsServer) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SSJ_DATABASE_URL": database.service_url,
        "SSJ_NATS_URL": nats_server.url,
        # its probes on a port of its own: another worker (or test) may hold the default 8081
        "SSJ_WORKER_PORT": str(free_port()),
    }
    return subprocess.Popen(
        [SSJ, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


async def test_a_worker_killed_mid_relay_and_restarted_loses_and_doubles_nothing(
    database: Database, service: Service, own_nats: NatsServer
) -> None:
    client = await nats.connect(own_nats.url)
    await setup_bus(client.jetstream(), DEFAULT_DEPARTMENTS)
    plans_of(service, 10_000)
    stored = log_length(database.service_url)

    worker = start_worker(database, own_nats)
    try:
        wait_for(lambda: relayed(database) >= 1_000, "the first worker relays")
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=10)
        assert relayed(database) < stored  # killed in the middle, not after
        worker = start_worker(database, own_nats)
        wait_for(lambda: relayed(database) == stored, "the second worker finishes")
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
        assert worker.returncode == 0, errors.decode()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)

    auditor = await read_all(client, EVENTS, "auditor", "ssj.events.>", stored)
    projection = await read_all(client, EVENTS, "projection", "ssj.events.>", stored)
    await client.close()
    expected = {f"ssj:{n}" for n in range(1, stored + 1)}
    for seen in (auditor, projection):
        assert set(seen) == expected
        assert set(seen.values()) == {1}
