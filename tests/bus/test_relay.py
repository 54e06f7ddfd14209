"""The relay on a real PostgreSQL and a real NATS server: every event once, in order, with what
each department and the office must be told; a crash between publishing and moving the position
republishes, and the server keeps each message once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from nats.aio.client import Client

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.clock import ManualClock
from adapters.nats.messages import DeptNotice, Escalation, EventDocument
from adapters.nats.relay import Relay
from adapters.nats.streams import DEPT, EVENTS, OFFICE
from tests.bus.relaying import log_length, plans_of, read_all, until
from tests.conftest import Database
from tests.services.conftest import (
    EDUCATION,
    SECRET,
    JointInspection,
    at,
)


@pytest.fixture
async def relay(database: Database, service: Service, bus: Client) -> AsyncIterator[Relay]:
    async with Relay(database.service_url, bus.jetstream(), service.tasks.mapper) as relay:
        yield relay


async def drain(relay: Relay) -> int:
    total = 0
    while n := await relay.relay_once():
        total += n
    return total


async def test_every_event_is_published_once_in_log_order_with_its_position_as_id(
    relay: Relay, service: Service, database: Database, bus: Client
) -> None:
    JointInspection(service).matched()
    stored = log_length(database.service_url)

    assert await drain(relay) == stored
    assert await drain(relay) == 0
    seen = await read_all(bus, EVENTS, "auditor", "ssj.events.>", stored)
    assert set(seen) == {f"ssj:{n}" for n in range(1, stored + 1)}
    assert set(seen.values()) == {1}
    assert await relay.position() == stored


async def test_an_event_document_is_plain_json_with_its_subject_from_aggregate_and_event(
    relay: Relay, service: Service, bus: Client
) -> None:
    joint = JointInspection(service).drawn()
    await drain(relay)
    js = bus.jetstream()
    message = await js.get_last_msg(EVENTS, "ssj.events.Task.TaskDispatched")
    document = json.loads(message.data or b"")

    assert document["schema"] == "ssj.event/1"
    assert document["aggregate"] == "Task"
    assert document["type"] == "TaskDispatched"
    assert document["aggregate_id"] in (str(joint.task_id), str(joint.other_task_id))
    assert document["data"]["department"] in ("police", "fire", "market")
    assert document["data"]["deadline"] == "2023-11-03"
    assert EventDocument.model_validate_json(message.data or b"").type == "TaskDispatched"


async def test_every_document_the_relay_builds_is_what_its_model_describes(
    relay: Relay, service: Service, database: Database, bus: Client
) -> None:
    JointInspection(service).matched().visit().record_results().late_result_and_correction()
    stored = log_length(database.service_url)
    await drain(relay)
    documents: list[dict[str, Any]] = []
    await read_all(bus, EVENTS, "auditor", "ssj.events.>", stored, documents=documents)

    assert len(documents) == stored
    for document in documents:
        parsed = EventDocument.model_validate(document)
        assert parsed.timestamp.tzinfo is not None
        assert "timestamp" not in parsed.data


async def test_departments_get_their_dispatch_their_sheets_and_the_office_the_escalation(
    relay: Relay, service: Service, bus: Client
) -> None:
    joint = JointInspection(service).matched()  # fire confirmed late, after the escalation
    await drain(relay)
    js = bus.jetstream()

    police = await js.get_last_msg(DEPT, f"ssj.dept.police.tasks.{joint.task_id}")
    sheets = json.loads(police.data or b"")
    escalations: list[dict[str, Any]] = []
    await read_all(bus, OFFICE, "office-reader", "ssj.office.>", 2, documents=escalations)
    fire_seen = await read_all(bus, DEPT, "fire-reader", "ssj.dept.fire.>", 3)

    assert sheets["kind"] == "sheets"
    assert all(set(s["inspectors"]) and s["items"] for s in sheets["sheets"])
    [escalation] = [e for e in escalations if e["task_id"] == str(joint.task_id)]
    assert escalation["kind"] == "confirmation_overdue"
    assert escalation["department"] == "fire"
    assert escalation["deadline"] == "2023-11-03"
    kinds = sorted(k.rsplit(":", 1)[-1] for k in fire_seen)
    assert kinds == ["fire", "fire", "fire"]  # dispatched, overdue, sheets: fire's own only


async def test_a_relay_that_dies_after_publishing_and_before_moving_its_position_loses_and_doubles_nothing(
    database: Database, service: Service, bus: Client
) -> None:
    plans_of(service, 2_000)
    stored = log_length(database.service_url)

    class DiesBeforeAdvancing(Relay):
        async def advance(self, position: int) -> None:
            raise SystemExit("killed between publish and cursor advance")

    async with DiesBeforeAdvancing(
        database.service_url, bus.jetstream(), service.tasks.mapper, batch=700
    ) as dying:
        with pytest.raises(SystemExit):
            await dying.relay_once()
        assert await dying.position() == 0
    async with Relay(database.service_url, bus.jetstream(), service.tasks.mapper) as relay:
        assert await drain(relay) == stored

    seen = await read_all(bus, EVENTS, "auditor", "ssj.events.>", stored)
    assert len(seen) == stored
    assert set(seen.values()) == {1}


async def test_only_one_relay_leads_and_a_standby_takes_over_when_it_stops(
    database: Database, service: Service, bus: Client, nats_url: str
) -> None:
    stop = asyncio.Event()
    first = Relay(database.service_url, bus.jetstream(), service.tasks.mapper, poll=0.05)
    second = Relay(database.service_url, bus.jetstream(), service.tasks.mapper, poll=0.05)
    await first.open()
    await second.open()
    try:
        assert await first.lead(stop)
        standby = asyncio.create_task(second.lead(stop))
        await asyncio.sleep(0.3)
        assert not standby.done()
        await first.close()
        assert await asyncio.wait_for(standby, 5)
    finally:
        stop.set()
        await first.close()
        await second.close()


async def test_running_relay_publishes_new_events_as_they_are_stored(
    database: Database, service: Service, bus: Client
) -> None:
    stop = asyncio.Event()
    relay = Relay(database.service_url, bus.jetstream(), service.tasks.mapper, poll=5.0)
    await relay.open()
    running = asyncio.create_task(relay.run(stop))
    try:

        async def leading() -> bool:
            return relay.leading()

        await until(leading)
        stored = await asyncio.to_thread(plans_of, service, 300)

        async def caught_up() -> bool:
            return await relay.position() == log_length(database.service_url) >= stored

        await until(caught_up, 10)  # well within the 5 s poll: woken by the store's NOTIFY
    finally:
        stop.set()
        await running
        await relay.close()


async def test_a_relay_with_a_batch_in_flight_that_dies_moves_its_position_only_past_acked_batches(
    database: Database, service: Service, bus: Client
) -> None:
    plans_of(service, 2_000)
    stored = log_length(database.service_url)

    class DiesAtTheSecondAdvance(Relay):
        advanced = 0

        async def advance(self, position: int) -> None:
            if self.advanced == 1:
                raise SystemExit("killed with the third batch sent and the second acked")
            self.advanced += 1
            await super().advance(position)

    async with DiesAtTheSecondAdvance(
        database.service_url, bus.jetstream(), service.tasks.mapper, batch=500
    ) as dying:
        with pytest.raises(SystemExit):
            await dying.relay_available()
        assert await dying.position() == 500
    async with Relay(database.service_url, bus.jetstream(), service.tasks.mapper) as relay:
        assert await relay.relay_available() == stored - 500

    seen = await read_all(bus, EVENTS, "auditor", "ssj.events.>", stored)
    assert len(seen) == stored
    assert set(seen.values()) == {1}


@pytest.fixture
def at_year_end(database: Database) -> Iterator[Service]:
    """The service on 31 December 2026, when nobody knows 2027's working days yet."""
    service = bootstrap(
        load_settings(database_url=database.service_url),
        clock=ManualClock(at("2026-12-31", "10:05")),
    )
    yield service
    service.close()


async def test_a_dispatch_and_a_results_deadline_waiting_for_next_years_calendar_are_told_with_the_year(
    at_year_end: Service, database: Database, bus: Client
) -> None:
    service = at_year_end
    joint = JointInspection(service).matched()
    target = joint.task().record_sheets[0].target
    visited = at("2026-12-30", "15:00")
    service.tasks.serve_notice(EDUCATION, joint.task_id, target, "letter", "法定代表人", at=visited)
    service.tasks.record_visit(EDUCATION, joint.task_id, target, True, "", at=visited)
    year_end = joint.plan_year_end()
    service.tasks.draw_targets(EDUCATION, year_end, SECRET, "", at=at("2026-12-31", "10:00"))
    service.settle()  # the dispatch process holds both dispatches: their deadlines are in 2027
    async with Relay(database.service_url, bus.jetstream(), service.tasks.mapper) as relay:
        await drain(relay)
    js = bus.jetstream()

    for department in ("police", "fire"):
        message = await js.get_last_msg(DEPT, f"ssj.dept.{department}.tasks.{year_end}")
        held = DeptNotice.model_validate_json(message.data or b"")
        assert (held.kind, held.year, held.deadline) == ("dispatch_held", 2027, None)
        assert held.targets == []
    documents: list[dict[str, Any]] = []
    await read_all(bus, OFFICE, "office-reader", "ssj.office.>", 5, documents=documents)
    told = [Escalation.model_validate(d) for d in documents]
    assert len(told) == 5  # and the two confirmations let pass in 2023: fire's and market's
    assert sorted(
        (e.kind, e.department, e.year, e.deadline, e.target)
        for e in told
        if e.kind in ("dispatch_held", "results_deadline_held")
    ) == [
        ("dispatch_held", "fire", 2027, None, None),
        ("dispatch_held", "police", 2027, None, None),
        ("results_deadline_held", "education", 2027, None, target),
    ]
    assert {e.task_id for e in told if e.kind == "dispatch_held"} == {year_end}
    for document in documents:
        assert set(document) >= {"deadline", "year"}  # present, null when there is none
