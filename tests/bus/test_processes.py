"""The process worker on a real PostgreSQL: it dispatches a drawn task by itself, and appends the
overdue events once the clock has passed a deadline, once."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from adapters.bootstrap import Service
from adapters.nats.processes import ProcessWorker
from domain.task import Task
from tests.services.conftest import EDUCATION, JointInspection, at


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def overdue(service: Service, joint: JointInspection) -> list[str]:
    return [
        e.department
        for e in service.tasks.events_of(joint.task_id)
        if isinstance(e, Task.ConfirmationOverdue)
    ]


async def test_confirmation_overdue_is_appended_once_the_clock_passes_the_deadline(
    service: Service,
) -> None:
    joint = JointInspection(service).drawn()  # drawn on Wednesday the 1st: confirm by the 3rd
    clock = Clock(at("2023-11-03", "17:00"))
    worker = ProcessWorker(service, clock)

    assert await worker.tick() == []
    assert overdue(service, joint) == []

    clock.now = at("2023-11-06", "08:30")
    found = await worker.tick()
    assert {o.task_id for o in found} == {joint.task_id, joint.other_task_id}
    assert sorted(overdue(service, joint)) == ["fire", "police"]

    clock.now = at("2023-11-06", "09:00")
    assert await worker.tick() == []  # told once
    assert sorted(overdue(service, joint)) == ["fire", "police"]


async def test_the_worker_dispatches_a_drawn_task_to_the_cooperating_departments_by_itself(
    service: Service,
) -> None:
    joint = JointInspection(service).open_directories().plan().commit()
    service.tasks.draw_targets(
        EDUCATION, joint.task_id, joint.SECRET, joint.BEACON, at=at("2023-11-01", "09:30")
    )
    worker = ProcessWorker(service, Clock(at("2023-11-01", "10:00")), interval=0.02)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    def dispatched() -> list[str]:
        events = service.tasks.events_of(joint.task_id)
        return sorted(e.department for e in events if isinstance(e, Task.TaskDispatched))

    deadline = time.monotonic() + 10
    while dispatched() != ["fire", "police"] and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, 5)

    assert dispatched() == ["fire", "police"]
