"""One task's trouble never stops the others: a process that cannot do its work on one task
records the fault, naming the task and the position, and goes on; the office reads the faults."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from adapters.bootstrap import Service
from tests.services.conftest import (
    BEACON,
    EDUCATION,
    OFFICE,
    SECRET,
    JointInspection,
    Store,
    at,
    department,
)

sqlite_only = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@sqlite_only
def test_a_task_that_cannot_be_read_is_a_fault_and_the_other_task_is_dispatched(
    store: Store, service: Service, joint: JointInspection
) -> None:
    joint.open_directories().plan().commit()
    tasks = service.tasks
    tasks.draw_targets(EDUCATION, joint.task_id, SECRET, BEACON, at=at("2023-11-01", "09:30"))
    # Before the dispatch process gets to it, someone with the file spoils the task's plan.
    with closing(sqlite3.connect(str(store.path))) as db, db:
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 1",
            (b"{not json", joint.task_id.hex),
        )
        (drawn_at,) = db.execute(
            "SELECT rowid FROM stored_events WHERE originator_id = ? AND topic LIKE '%TargetsDrawn'",
            (joint.task_id.hex,),
        ).fetchone()
    tasks.draw_targets(EDUCATION, joint.other_task_id, SECRET, BEACON, at=at("2023-11-01", "09:40"))

    service.settle()

    other = joint.task(joint.other_task_id)
    assert list(other.dispatches) == ["market"]  # dispatched as if nothing had happened
    [fault] = service.queries.faults(OFFICE).items
    assert (fault.process, fault.task_id, fault.position) == ("dispatch", joint.task_id, drawn_at)
    assert "MapperDeserialisationError" in fault.error or "JSON" in fault.error
    assert service.dispatch.follow() == 0  # the process moved on: the fault is not retried forever
    # The task's page shows it to the office, and not to a department, whose page says what waits.
    assert service.queries.task_faults(OFFICE, joint.task_id) == (fault,)
    assert service.queries.task_faults(OFFICE, joint.other_task_id) == ()
    assert service.queries.task_faults(EDUCATION, joint.task_id) == ()
    # The other task goes on, and so does every reader.
    tasks.confirm(department("market"), joint.other_task_id, at=at("2023-11-02"))
    service.settle()
    assert [v.task_id for v in service.queries.tasks(OFFICE).items] == [
        joint.task_id,
        joint.other_task_id,
    ]
