"""The streams and durable consumers of the bus, created by `ssj bus setup` (idempotent).

| stream       | subjects                | kept                                   |
| ------------ | ----------------------- | -------------------------------------- |
| SSJ_EVENTS   | ssj.events.>            | for good: the log, as published         |
| SSJ_DEPT     | ssj.dept.>              | for good: what each department was told |
| SSJ_OFFICE   | ssj.office.>            | for good: escalations                   |
| SSJ_CMD      | ssj.cmd.>               | a work queue: until the intake acks     |
| SSJ_DEAD     | ssj.dead.>              | for good: what the intake could not use |

Consumers: `intake` (SSJ_CMD, every command), `dept-<dept>` (SSJ_DEPT, filtered to
`ssj.dept.<dept>.>`, one per department), `office` (SSJ_OFFICE). All durable, pull, explicit ack.

Replicas: 1 on a single server, 3 on a three-node JetStream cluster (deploy/nats/cluster.conf), so
that a stream keeps its leader, and every acked message, when one node dies. Running setup again
with another number changes the streams in place (the server adds or drops replicas); the
consumers follow their stream's replicas.

The duplicate window is how long the server remembers a message id to drop a repeat (a relay
that publishes a batch again after a crash). A relay that stays down longer than the window
republishes into the stream; the feeds' listeners drop those repeats by id (client.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

EVENTS = "SSJ_EVENTS"
DEPT = "SSJ_DEPT"
OFFICE = "SSJ_OFFICE"
CMD = "SSJ_CMD"
DEAD = "SSJ_DEAD"

INTAKE = "intake"
OFFICE_CONSUMER = "office"
DUPLICATE_WINDOW = 120.0
"""Seconds in which the server drops a message whose Nats-Msg-Id it has seen (its default)."""
MAX_REPLICAS = 5
"""JetStream's own limit on a stream's replicas."""
REPLICAS_TIMEOUT = 30.0
"""Seconds setup waits for a stream's replicas to be in place."""
INTAKE_MAX_DELIVER = 5
"""A command that failed this many times goes to the dead letters."""
ACK_WAIT = 30.0

DEFAULT_DEPARTMENTS = ("education", "police", "fire", "market")
"""The departments of the seed documents; `ssj bus setup --dept …` names others."""


def dept_consumer(department: str) -> str:
    return f"dept-{department}"


@dataclass(frozen=True)
class StreamPlan:
    name: str
    subjects: tuple[str, ...]
    work_queue: bool = False


STREAMS = (
    StreamPlan(EVENTS, ("ssj.events.>",)),
    StreamPlan(DEPT, ("ssj.dept.>",)),
    StreamPlan(OFFICE, ("ssj.office.>",)),
    StreamPlan(CMD, ("ssj.cmd.>",), work_queue=True),
    StreamPlan(DEAD, ("ssj.dead.>",)),
)


class ReplicasNotReadyError(Exception):
    """A stream's replicas were not in place in time: too few JetStream nodes answer."""


def check_replicas(replicas: int) -> int:
    if not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(
            f"replicas（--replicas）：须为 1 到 {MAX_REPLICAS} 之间的整数，收到 {replicas}"
        )
    return replicas


def check_duplicate_window(seconds: float) -> float:
    # The server takes nanoseconds and refuses zero only for some stream kinds; below a
    # millisecond nothing is remembered at all.
    if not seconds >= 0.001:
        raise ValueError(
            f"duplicate_window（--duplicate-window）：须为不小于 0.001 的秒数，收到 {seconds:g}"
        )
    return seconds


def stream_config(
    plan: StreamPlan, replicas: int = 1, duplicate_window: float = DUPLICATE_WINDOW
) -> api.StreamConfig:
    return api.StreamConfig(
        name=plan.name,
        subjects=list(plan.subjects),
        retention=api.RetentionPolicy.WORK_QUEUE if plan.work_queue else api.RetentionPolicy.LIMITS,
        storage=api.StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=duplicate_window,
        max_age=0,
        deny_delete=not plan.work_queue,
        deny_purge=not plan.work_queue,
    )


async def _ensure_stream(js: JetStreamContext, config: api.StreamConfig) -> None:
    name = config.name or ""
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
    await _wait_for_replicas(js, name, config.num_replicas or 1)


async def _wait_for_replicas(
    js: JetStreamContext, name: str, replicas: int, timeout: float = REPLICAS_TIMEOUT
) -> None:
    """The server adds replicas after it answers the update: setup is done once every stream
    has its leader and each follower has caught up, so that a node may die right after."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        cluster = (await js.stream_info(name)).cluster
        followers = [] if cluster is None else (cluster.replicas or [])
        current = [peer for peer in followers if peer.current and not peer.offline]
        if replicas == 1 or (cluster and cluster.leader and len(current) >= replicas - 1):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise ReplicasNotReadyError(
                f"{name}: {timeout:g} 秒内只有 {len(current) + 1} 个副本就绪（要求 {replicas}，"
                "--replicas）：集群须有这么多在线的 JetStream 节点"
            )
        await asyncio.sleep(0.1)


async def _ensure_consumer(js: JetStreamContext, stream: str, config: api.ConsumerConfig) -> None:
    try:
        await js.consumer_info(stream, config.durable_name or "")
    except NotFoundError:
        await js.add_consumer(stream, config)


async def setup_bus(
    js: JetStreamContext,
    departments: Iterable[str],
    *,
    replicas: int = 1,
    duplicate_window: float = DUPLICATE_WINDOW,
) -> list[str]:
    """Create what is missing, bring stream settings (replicas, duplicate window) up to date;
    returns what exists now."""
    check_replicas(replicas)
    check_duplicate_window(duplicate_window)
    made = []
    for plan in STREAMS:
        await _ensure_stream(js, stream_config(plan, replicas, duplicate_window))
        made.append(
            f"stream {plan.name}: {', '.join(plan.subjects)}"
            f" (replicas {replicas}, duplicate window {duplicate_window:g} s)"
        )
    await _ensure_consumer(
        js,
        CMD,
        api.ConsumerConfig(
            durable_name=INTAKE,
            filter_subject="ssj.cmd.>",
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT,
            max_deliver=INTAKE_MAX_DELIVER,
        ),
    )
    made.append(f"consumer {CMD}/{INTAKE}")
    await _ensure_consumer(
        js,
        OFFICE,
        api.ConsumerConfig(
            durable_name=OFFICE_CONSUMER,
            filter_subject="ssj.office.>",
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT,
        ),
    )
    made.append(f"consumer {OFFICE}/{OFFICE_CONSUMER}")
    for department in departments:
        await _ensure_consumer(
            js,
            DEPT,
            api.ConsumerConfig(
                durable_name=dept_consumer(department),
                filter_subject=f"ssj.dept.{department}.>",
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=ACK_WAIT,
            ),
        )
        made.append(f"consumer {DEPT}/{dept_consumer(department)}")
    return made
