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
"""

from __future__ import annotations

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


def stream_config(plan: StreamPlan) -> api.StreamConfig:
    return api.StreamConfig(
        name=plan.name,
        subjects=list(plan.subjects),
        retention=api.RetentionPolicy.WORK_QUEUE if plan.work_queue else api.RetentionPolicy.LIMITS,
        storage=api.StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW,
        max_age=0,
        deny_delete=not plan.work_queue,
        deny_purge=not plan.work_queue,
    )


async def _ensure_stream(js: JetStreamContext, plan: StreamPlan) -> None:
    config = stream_config(plan)
    try:
        await js.stream_info(plan.name)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)


async def _ensure_consumer(js: JetStreamContext, stream: str, config: api.ConsumerConfig) -> None:
    try:
        await js.consumer_info(stream, config.durable_name or "")
    except NotFoundError:
        await js.add_consumer(stream, config)


async def setup_bus(js: JetStreamContext, departments: Iterable[str]) -> list[str]:
    """Create what is missing, bring stream settings up to date; returns what exists now."""
    made = []
    for plan in STREAMS:
        await _ensure_stream(js, plan)
        made.append(f"stream {plan.name}: {', '.join(plan.subjects)}")
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
