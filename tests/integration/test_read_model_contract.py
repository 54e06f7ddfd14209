"""The read models' port (services/read_models.py), as a contract every store keeps: SQLite in
memory (beside the in-memory event store), an SQLite file (beside its events) and PostgreSQL
(`PgReadModelsSync`, beside the events on a real server). Each test runs on all three, through
`service.read_models` as the composition root builds it, and expects the same answers."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic

from adapters.bootstrap import Service
from adapters.clock import ManualClock
from domain.errors import InvalidValueError
from domain.task import Task
from services.read_models import Fault, Page, ReadModels
from services.task_views import inbox_item
from tests.services import conftest as services
from tests.services.conftest import JointInspection, Store, at

store = services.store
"""The three stores, from the services' contract tests."""

CLOCK = at("2026-12-31", "10:05")
ALL = 1000
OLD_TOPIC = "domain.task:Task.DepartmentAgreed"
"""What Task.DepartmentConfirmed was once called, as an older log holds it."""


@pytest.fixture
def service(store: Store) -> Service:
    return store.open(ManualClock(CLOCK))


@pytest.fixture
def read_models(service: Service) -> ReadModels:
    return service.read_models


@pytest.fixture
def joint(service: Service) -> JointInspection:
    return JointInspection(service)


def last_position(service: Service) -> int:
    return int(service.tasks.recorder.max_notification_id() or 0)


def everything(read_models: ReadModels) -> dict[str, Any]:
    """What every list and lookup answers, first page of all."""
    views = read_models.task_views(None, ALL, None)
    return {
        "tasks": views,
        "each": [read_models.task_view(view.task_id) for view in views.items],
        "inboxes": {d: read_models.inbox(d, ALL, None) for d in JointInspection.DEPARTMENTS},
        "escalations": read_models.escalations(ALL, None),
        "register": read_models.register(None, ALL, None),
        "draws": read_models.draws(ALL, None),
        "ledger": read_models.ledger(None, ALL, None),
        "statistics": read_models.statistics(None, None),
        "due": read_models.due(date(2023, 12, 31)),
    }


# ---------------------------------------------------------------------------- following the log
def test_catching_up_folds_the_whole_log_and_again_changes_nothing(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.published()

    assert read_models.catch_up() == last_position(service)
    before = everything(read_models)
    assert len(before["register"].items) == len(joint.targets)

    assert read_models.catch_up() == last_position(service)
    assert everything(read_models) == before


def test_a_rebuild_from_zero_gives_the_same_answers(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.closed()
    read_models.catch_up()
    before = everything(read_models)

    assert read_models.rebuild() == last_position(service)

    assert everything(read_models) == before


def test_an_event_stored_under_the_old_topic_of_a_renamed_class_still_counts(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.drawn()
    register_topic(OLD_TOPIC, Task.DepartmentConfirmed)
    task = joint.task()
    task.confirm("police", at("2023-11-02", "10:15"))
    [confirmed] = task.collect_events()
    stored = service.tasks.mapper.to_stored_event(confirmed)
    # As an older version of the service wrote it, under the class's name of then.
    service.tasks.recorder.insert_events([dataclasses.replace(stored, topic=OLD_TOPIC)])
    assert isinstance(joint.task().answers["police"], Task.DepartmentConfirmed)  # as it reads it

    read_models.catch_up()

    [police] = read_models.inbox("police", ALL, None).items
    assert police.answers == {"police": True}
    assert inbox_item(police, "police").owes == ("抽取执法检查人员",)


def test_a_row_of_a_type_no_class_answers_to_is_passed_by_every_store(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    """A type this code does not know (a tampered row, or one written by a newer version): the
    auditor names it; the read models move past it, on every store alike, instead of halting."""
    joint.drawn()
    read_models.catch_up()
    before = everything(read_models)
    unknown = StoredEvent(uuid4(), 1, "domain.task:Task.Vanished", b"{}")
    service.tasks.recorder.insert_events([unknown])

    assert read_models.catch_up() == last_position(service)
    assert everything(read_models) == before


# ---------------------------------------------------------------------------- pages and lookups
def pages(query: Any, limit: int) -> list[Page[Any]]:
    found = [query(limit, None)]
    while found[-1].next is not None:
        found.append(query(limit, found[-1].next))
        assert len(found) < 100, "paging does not end"
    return found


@pytest.mark.parametrize("limit", [1, 3])
def test_every_list_comes_a_page_at_a_time_with_each_row_once(
    limit: int, joint: JointInspection, read_models: ReadModels
) -> None:
    joint.closed()
    read_models.catch_up()
    lists = {
        "tasks": lambda n, after: read_models.task_views(None, n, after),
        "police": lambda n, after: read_models.task_views(frozenset({"police"}), n, after),
        "inbox": lambda n, after: read_models.inbox("education", n, after),
        "escalations": read_models.escalations,
        "register": lambda n, after: read_models.register(None, n, after),
        "draws": read_models.draws,
        "ledger": lambda n, after: read_models.ledger(None, n, after),
    }

    for name, query in lists.items():
        paged = pages(query, limit)
        [whole] = pages(query, ALL)
        assert [row for page in paged for row in page.items] == list(whole.items), name
        assert all(len(page.items) == limit for page in paged[:-1]), name
    assert len(read_models.register(None, ALL, None).items) == len(joint.targets)


def test_a_page_holds_one_row_at_least_and_a_cursor_must_be_one_given_back(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()
    read_models.catch_up()

    assert len(read_models.task_views(None, 0, None).items) == 1
    with pytest.raises(InvalidValueError) as refused:
        read_models.task_views(None, 10, "第二页")
    assert refused.value.field == "after"


def test_a_task_is_found_by_any_prefix_of_its_id(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()
    read_models.catch_up()
    both = sorted([joint.task_id, joint.other_task_id], key=str)

    for task_id in both:
        for n in (8, 9, 13, 36):
            assert read_models.task_ids(str(task_id)[:n], 5) == [task_id]
    assert read_models.task_ids("", 5) == both
    assert read_models.task_ids(str(joint.task_id) + "0", 5) == []
    assert read_models.task_ids(str(UUID(int=1)), 5) == []
    assert read_models.task_view(UUID(int=1)) is None


def test_due_finds_the_open_tasks_whose_deadline_passed_by_the_day(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()  # both tasks dispatched on 1 November: confirm by the 3rd
    read_models.catch_up()

    assert read_models.due(date(2023, 11, 3)) == []
    assert read_models.due(date(2023, 11, 4)) == [joint.task_id, joint.other_task_id]
    assert read_models.awaiting(2027) == []


# ---------------------------------------------------------------------------- the processes' own
def test_a_process_position_only_moves_forward_and_faults_are_kept_in_order(
    read_models: ReadModels,
) -> None:
    assert read_models.process_position("dispatch") == 0
    read_models.advance_process("dispatch", 7)
    read_models.advance_process("dispatch", 5)  # a replayed position changes nothing
    assert read_models.process_position("dispatch") == 7
    assert read_models.process_position("deadlines") == 0
    faults = [
        Fault("dispatch", UUID(int=n), 10 + n, f"OSError: {n}", at("2023-11-01", f"1{n}:00"))
        for n in range(3)
    ]
    for fault in faults:
        read_models.record_fault(fault)

    assert [f for page in pages(read_models.faults, 2) for f in page.items] == faults


def test_the_faults_of_one_task_come_alone_a_page_at_a_time(read_models: ReadModels) -> None:
    task, other = UUID(int=1), UUID(int=2)
    faults = [
        Fault("dispatch", (task, other, None)[n % 3], n, f"OSError: {n}", at("2023-11-01"))
        for n in range(7)
    ]
    for fault in faults:
        read_models.record_fault(fault)

    def of_task(limit: int, after: str | None) -> Page[Fault]:
        return read_models.faults(limit, after, task)

    assert [f for page in pages(of_task, 2) for f in page.items] == faults[::3]
    assert read_models.faults(ALL, None, other).items == tuple(faults[1::3])
    assert read_models.faults(ALL, None, UUID(int=3)).items == ()
    assert read_models.faults(ALL, None).items == tuple(faults)


def test_a_tasks_history_as_stored_is_what_the_auditor_replays(
    service: Service, read_models: ReadModels, joint: JointInspection
) -> None:
    """A task's page reads its timeline as stored, without the domain's classes: every event,
    in version order, with the fields the auditor's replay gives."""
    joint.closed()

    stored = read_models.history(joint.task_id)
    replayed = service.auditor.history(services.AUDITOR, joint.task_id)

    assert [(e.version, e.type) for e in stored] == [(e.version, e.type) for e in replayed]
    for as_stored, as_replayed in zip(stored, replayed, strict=True):
        assert {k: v for k, v in as_replayed.fields.items() if k in as_stored.fields} == (
            as_stored.fields
        )
        assert as_stored.recorded_at == as_replayed.recorded_at
    assert read_models.history(UUID(int=7)) == []
