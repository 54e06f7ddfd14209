"""Two `ssj worker` and two `ssj serve` on one PostgreSQL, started with the commands
deploy/compose.yaml gives worker-1/worker-2 and api-1/api-2 (on loopback ports). While clients
send commands, the worker whose relay leads is killed -9, and the API beside it with it (one
machine gone): the other worker's relay takes over within 5 s, the other API goes on accepting
commands, and every event is on SSJ_EVENTS exactly once, none missing, none doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
import psycopg
import pytest
import yaml

from adapters.bootstrap import Service
from adapters.nats.streams import DEFAULT_DEPARTMENTS, EVENTS, setup_bus
from adapters.postgres.urls import PgUrl
from services.actors import Role
from tests.bus.harness import NatsServer, free_port
from tests.bus.relaying import log_length
from tests.bus.test_worker_process import SSJ
from tests.cluster.conftest import drain
from tests.conftest import Database
from tests.faults.test_store_outage import opened_names

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"
SECRET = "relay-failover-test-session-secret-0123456789"
NOW = "2026-01-05T10:00:00+08:00"
TAKEOVER = 5.0
"""Seconds the standby may take to relay again after the leader died (the issue's figure)."""


def compose_command(service: str, port: int) -> list[str]:
    """The service's command in deploy/compose.yaml, on loopback and the given port."""
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    command: list[str] = list(services[service]["command"])
    assert command[0] == "ssj", command
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        if option in command:
            command[command.index(option) + 1] = value
    return [SSJ, *command[1:]]


class Machine:
    """One worker and one API, as one host of the compose file runs them."""

    def __init__(self, n: int, env: dict[str, str], logs: Path) -> None:
        self.name = f"machine-{n}"
        self.api_port, self.worker_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        for service, port, extra in (
            (f"worker-{n}", None, {"SSJ_WORKER_HOST": "127.0.0.1"}),
            (f"api-{n}", self.api_port, {}),
        ):
            command = compose_command(service, port or 0)
            environment = {**os.environ, **env, **extra, "SSJ_WORKER_PORT": str(self.worker_port)}
            with (logs / f"{service}.log").open("wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        command, env=environment, stdout=subprocess.DEVNULL, stderr=log
                    )
                )

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def relay(self) -> str | None:
        """What the worker's /readyz says of its relay ("leading", "standby"), if it answers."""
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.worker_port}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        relay: str | None = answer.json().get("relay")
        return relay

    def kill9(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture
def machines(database: Database, own_nats: NatsServer, tmp_path: Path) -> Iterator[list[Machine]]:
    env = {
        "SSJ_DATABASE_URL": database.service_url,
        "SSJ_NATS_URL": own_nats.url,
        "SSJ_SESSION_SECRET": SECRET,
    }
    started = [Machine(n, env, tmp_path) for n in (1, 2)]
    try:
        yield started
    finally:
        for machine in started:
            machine.stop()


def relay_position(database: Database) -> int:
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo()) as connection:
        row = connection.execute("SELECT max(position) FROM ssj_relay").fetchone()
    return int(row[0] or 0) if row else 0


async def until(check: Any, what: str, timeout: float = 30.0, every: float = 0.05) -> float:
    """Wait for `check()` (run in a thread) to be true; the seconds it took."""
    start = time.monotonic()
    while not await asyncio.to_thread(check):
        if time.monotonic() - start > timeout:
            raise TimeoutError(what)
        await asyncio.sleep(every)
    return time.monotonic() - start


class Clients:
    """Commands (each opening a target directory of its own name, with its own Idempotency-Key)
    sent without pause, each to the first API that answers, as the proxy would."""

    def __init__(self, apis: list[str], token: str) -> None:
        self.apis = apis
        self.headers = {"Authorization": f"Bearer {token}"}
        self.accepted: dict[str, tuple[str, float]] = {}
        """Each command's name -> the API that accepted it, and when."""
        self.sending = True
        self._n = 0

    async def run(self, first: int) -> None:
        async with httpx.AsyncClient(headers=self.headers, timeout=10) as http:
            while self.sending:
                self._n += 1
                name = f"切换测试名录库-{first}-{self._n}"
                await self.send(http, name, first)

    async def send(self, http: httpx.AsyncClient, name: str, first: int) -> None:
        key = str(uuid4())
        order = self.apis[first:] + self.apis[:first]
        for _ in range(50):
            for api in order:
                try:
                    answer = await http.post(
                        f"{api}/api/v1/target-directories",
                        json={"name": name, "at": NOW},
                        headers={"Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    continue  # that API is gone: the next one
                assert answer.status_code in (200, 201), answer.text
                self.accepted[name] = (api, time.monotonic())
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{name}: no API accepted it")


async def test_the_standby_relay_takes_over_within_5_s_and_the_other_api_keeps_serving(
    database: Database, service: Service, own_nats: NatsServer, machines: list[Machine]
) -> None:
    bus = await nats.connect(own_nats.url)
    await setup_bus(bus.jetstream(), DEFAULT_DEPARTMENTS)
    _, token = service.accounts.create_key(
        "education", Role.LEAD, "failover", at=datetime.fromisoformat(NOW)
    )
    for machine in machines:
        await until(lambda m=machine: m.relay() is not None, f"{machine.name}'s worker is ready")
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if (await http.get(f"{machine.api}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{machine.name}'s API is not ready"
                await asyncio.sleep(0.1)
    await until(
        lambda: sorted(m.relay() or "" for m in machines) == ["leading", "standby"],
        "one relay leads, the other stands by",
    )
    leader = next(m for m in machines if m.relay() == "leading")
    other = next(m for m in machines if m is not leader)

    clients = Clients([m.api for m in machines], token)
    sending = [asyncio.create_task(clients.run(n % 2)) for n in range(4)]
    try:
        await until(lambda: relay_position(database) >= 200, "the leader relays", 60)
        leader.kill9()
        killed = time.monotonic()
        at_kill = relay_position(database)
        takeover = await until(
            lambda: relay_position(database) > at_kill, "the standby relays again", 30, 0.02
        )
        assert await asyncio.to_thread(other.relay) == "leading"
        await asyncio.sleep(1.0)  # commands go on after the takeover
    finally:
        clients.sending = False
        await asyncio.gather(*sending)
    head = log_length(database.service_url)
    await until(lambda: relay_position(database) == head, "the new leader relays everything")

    during = [
        name
        for name, (api, when) in clients.accepted.items()
        if api == other.api and killed <= when <= killed + TAKEOVER
    ]
    events = await drain(bus, EVENTS, "auditor", "ssj.events.>")
    stream = await bus.jetstream().stream_info(EVENTS)
    await bus.close()

    assert takeover < TAKEOVER, takeover
    assert during, "the other API accepted commands while the relay changed hands"
    assert set(events) == {f"ssj:{n}" for n in range(1, head + 1)}  # none lost, no gap
    assert set(events.values()) == {1} and stream.state.messages == head  # none doubled
    # A command whose API died before answering was sent again, with its key, to the other:
    # each accepted one is in the log once.
    opened = opened_names(database.service_url)
    assert {n for n in opened if n.startswith("切换测试")} == set(clients.accepted)
    assert set(opened.values()) == {1}
    print(
        f"\ntakeover {takeover:.2f} s after kill -9 (relay at {at_kill}); {len(clients.accepted)} "
        f"commands accepted, {len(during)} by the other API within {TAKEOVER:g} s of the kill; "
        f"{head} events on {EVENTS}, each once"
    )
