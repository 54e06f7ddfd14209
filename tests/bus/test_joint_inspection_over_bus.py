"""The whole joint inspection with the cooperating departments on the bus.

The lead (education) works in the service as before; police, fire and education's own inspectors
learn of their part from their department feeds and answer through `DepartmentClient`: confirm,
draw inspectors, record the visit, record results, open and close a follow-up. The relay, the
intake and the processes run as `ssj worker` runs them, on a real PostgreSQL and a real NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime
from uuid import UUID

import pytest
from nats.aio.client import Client

from adapters.bootstrap import Service
from adapters.nats.client import DepartmentClient
from adapters.nats.intake import Intake
from adapters.nats.messages import DeptNotice, Receipt
from adapters.nats.processes import ProcessWorker
from adapters.nats.relay import Relay
from domain.task import Task
from tests.conftest import Database
from tests.services.conftest import EDUCATION, ITEMS, OFFICE, JointInspection, at


@pytest.fixture
async def worker(
    database: Database, service: Service, bus: Client
) -> AsyncIterator[list[datetime]]:
    """Relay, intake and processes, running; the processes' clock is the returned one-item list."""
    clock = [at("2023-11-01", "09:40")]
    js = bus.jetstream()
    stop = asyncio.Event()
    relay = Relay(database.service_url, js, service.tasks.mapper, poll=0.2)
    intake = Intake(database.service_url, js, service, clock=lambda: clock[0])
    processes = ProcessWorker(service, clock=lambda: clock[0], interval=0.2)
    async with relay, intake:
        parts = [
            asyncio.create_task(relay.run(stop)),
            asyncio.create_task(intake.run(stop)),
            asyncio.create_task(processes.run(stop)),
        ]
        try:
            yield clock
        finally:
            stop.set()
            await asyncio.gather(*parts)


async def next_notice(client: DepartmentClient, task_id: UUID, kind: str) -> DeptNotice:
    """The department's next notice of this kind about this task (its feed may hold others)."""
    async with contextlib.aclosing(client.listen(timeout=0.5)) as feed:
        async for item in feed:
            if isinstance(item, DeptNotice) and item.task_id == task_id and item.kind == kind:
                return item
    raise AssertionError("feed ended")


def done(receipt: Receipt) -> Receipt:
    assert receipt.status == "done", receipt.refusal
    return receipt


async def test_three_departments_carry_a_joint_inspection_through_the_bus(
    service: Service, bus: Client, worker: list[datetime]
) -> None:
    joint = JointInspection(service).open_directories().plan().commit().draw()
    task_id = joint.task_id
    police, fire, education = (DepartmentClient(bus, d) for d in ("police", "fire", "education"))

    # Dispatch reaches police and fire with the deadline; both confirm in time.
    for client in (police, fire):
        dispatched = await asyncio.wait_for(next_notice(client, task_id, "dispatched"), 20)
        assert dispatched.deadline == date(2023, 11, 3)
        assert set(dispatched.targets) == set(service.tasks.task(OFFICE, task_id).drawn_targets)
        done(await client.confirm(task_id, at("2023-11-02", "10:15")))

    # Each department draws its own inspectors.
    for client in (education, police, fire):
        groups = done(await client.draw_inspectors(task_id, at("2023-11-02", "14:00"))).answer
        assert groups and all(groups)

    # The lead matches the groups; every department gets the sheets of its own inspectors.
    matches = service.tasks.match_groups(EDUCATION, task_id, at=at("2023-11-03", "09:00"))
    targets = list(matches)
    for client in (education, police, fire):
        sheets = await asyncio.wait_for(next_notice(client, task_id, "sheets"), 20)
        assert [s.target for s in sheets.sheets] == targets
        own_items = {item.code for item in ITEMS[client.department]}
        assert all({i.code for i in s.items} == own_items for s in sheets.sheets)

    # Notices by the lead; visits and results by the departments over the bus.
    for target in targets:
        service.tasks.serve_notice(
            EDUCATION, task_id, target, "letter", "法定代表人", at=at("2023-11-08")
        )
    for target in targets:
        done(await education.record_visit(task_id, target, True, "", at("2023-11-09", "10:00")))
    for target in targets:
        for client in (education, police, fire):
            findings = {item.code: "符合要求" for item in ITEMS[client.department]}
            category = "未发现问题"
            if client is fire and target == targets[0]:
                category, findings["XF-1"] = "发现问题已责令改正", "疏散通道堆放杂物"
            done(
                await client.record_result(
                    task_id, target, category, findings, at("2023-11-09", "17:00")
                )
            )

    service.tasks.publish(EDUCATION, task_id, at=at("2023-11-20", "10:00"))
    number = done(
        await fire.open_follow_up(
            task_id, targets[0], "疏散通道堆放杂物", date(2023, 12, 20), at("2023-11-20", "15:00")
        )
    ).answer
    done(await fire.close_follow_up(task_id, number, "已清理，复查合格", at("2023-12-05")))

    events = [type(e).__name__ for e in service.tasks.events_of(task_id)]
    assert events.count("DepartmentConfirmed") == 2
    assert events.count("InspectorsDrawn") == 3
    assert events.count("InspectionVisited") == len(targets)
    assert events.count("ResultRecorded") == 3 * len(targets)
    assert "ResultsPublished" in events
    assert events[-2:] == ["FollowUpOpened", "FollowUpClosed"]
    assert isinstance(service.tasks.task(OFFICE, task_id), Task)


async def test_a_department_that_lets_the_deadline_pass_is_warned_and_the_office_escalated(
    service: Service, bus: Client, worker: list[datetime]
) -> None:
    joint = JointInspection(service).open_directories().plan().commit().draw()
    fire = DepartmentClient(bus, "fire")
    await asyncio.wait_for(next_notice(fire, joint.task_id, "dispatched"), 20)

    worker[0] = at("2023-11-06", "08:30")  # the deadline was Friday the 3rd

    warning = await asyncio.wait_for(next_notice(fire, joint.task_id, "confirmation_overdue"), 20)
    assert warning.deadline == date(2023, 11, 3)
    late = done(await fire.confirm(joint.task_id, at("2023-11-06", "10:00")))
    assert late.command == "confirm"
    confirmed = service.tasks.task(OFFICE, joint.task_id).answers["fire"]
    assert isinstance(confirmed, Task.DepartmentConfirmed) and confirmed.late
