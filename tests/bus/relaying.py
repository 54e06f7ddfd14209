"""What the relay tests share: a service on the test's database, many events quickly, and a
reader that takes every message of a stream through a durable consumer, as a subscriber would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from nats.aio.client import Client
from nats.js import api

from adapters.bootstrap import Service
from adapters.postgres.urls import PgUrl
from domain.task_definition import TaskDefinition
from domain.values import Scope
from tests.services.conftest import EDUCATION, ITEMS, JointInspection, at


def log_length(database_url: str) -> int:
    with psycopg.connect(PgUrl.parse(database_url, "url").conninfo()) as connection:
        row = connection.execute("SELECT count(*) FROM ssj_events").fetchone()
    return int(row[0]) if row else 0


def planned_task(directory_id: UUID, name: str = "抽查任务") -> TaskDefinition:
    """A task of education's with police, directed at the kindergartens: many of them in one
    plan make many events in one save."""
    return TaskDefinition(
        name=name,
        lead="education",
        cooperating=("police",),
        items={d: ITEMS[d] for d in ("education", "police")},
        directory_id=directory_id,
        scope=Scope(category="幼儿园"),
        ratios={},
        directed=True,
        window_start=date(2023, 11, 1),
        window_end=date(2023, 11, 30),
    )


def plan_of(service: Service, directory_id: UUID, n: int, tasks: int = 99) -> int:
    """One plan of `tasks` tasks: `tasks` + 1 events in one save."""
    definition = planned_task(directory_id, f"抽查任务 {n}")
    service.tasks.register_plan(
        EDUCATION, 2023, f"计划 {n}", [definition] * tasks, at=at("2023-10-30")
    )
    return tasks + 1


def plans_of(service: Service, events: int, tasks_per_plan: int = 99) -> int:
    """At least `events` events, quickly: the directories, then plans of 99 tasks each (a plan and
    its tasks are 100 events in one save). Returns the events of the plans."""
    joint = JointInspection(service).open_directories()
    return sum(
        plan_of(service, joint.directory_id, n, tasks_per_plan)
        for n in range(-(-events // (tasks_per_plan + 1)))
    )


async def read_all(
    bus: Client,
    stream: str,
    durable: str,
    subject: str,
    expected: int,
    timeout: float = 60.0,
    documents: list[dict[str, Any]] | None = None,
) -> Counter[str]:
    """Every message id the consumer delivers until `expected` arrived (or the time is up)."""
    js = bus.jetstream()
    await js.add_consumer(
        stream,
        api.ConsumerConfig(durable_name=durable, filter_subject=subject, ack_wait=30),
    )
    subscription = await js.pull_subscribe_bind(durable, stream)
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    while sum(seen.values()) < expected and time.monotonic() < deadline:
        try:
            messages = await subscription.fetch(500, timeout=1)
        except TimeoutError:
            continue
        for message in messages:
            document = json.loads(message.data)
            seen[document["id"]] += 1
            if documents is not None:
                documents.append(document)
            await message.ack()
    with_more = 0
    with contextlib.suppress(TimeoutError):
        with_more = len(await subscription.fetch(10, timeout=0.3))
    if with_more:
        seen["(more than expected)"] += with_more
    return seen


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)
