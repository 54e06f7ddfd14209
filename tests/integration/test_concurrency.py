"""Concurrent writers on a real PostgreSQL, with threads.

Two services (two processes, as far as the store can tell) race on one task; a writer that keeps
losing gives up after a bounded number of attempts; and commands that arrive together are
written in one transaction, counted by the ids of the transactions that inserted them (`xmin`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.postgres.urls import PgUrl
from domain.errors import NotOwnItemError, ResultAlreadyRecordedError
from domain.task import Task
from services.errors import ConcurrentWriteError
from services.store import MAX_ATTEMPTS
from tests.conftest import Database
from tests.services.conftest import EDUCATION, ITEMS, JointInspection, at, department

RESULT_AT = at("2023-11-09", "17:00")


@pytest.fixture
def services(database: Database) -> Iterator[Callable[[], Service]]:
    """Opens services on the test's database, each with its own connections, as processes do."""
    opened: list[Service] = []

    def open_service() -> Service:
        service = bootstrap(load_settings(database_url=database.service_url))
        opened.append(service)
        return service

    yield open_service
    for service in opened:
        service.close()


def superuser(database: Database) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo(), autocommit=True)


def result(department: str, target: str) -> Callable[[Task], None]:
    findings = {item.code: "符合要求" for item in ITEMS[department]}
    return lambda task: task.record_result(department, target, "未发现问题", findings, RESULT_AT)


def count_saves(
    service: Service, monkeypatch: pytest.MonkeyPatch, before: Callable[[], None] = lambda: None
) -> dict[str, int]:
    """Count the tasks application's saves and the store's refusals; `before` runs first."""
    counts = {"saves": 0, "refused": 0}
    save = service.tasks.save

    def counting(*objs: Any, **kwargs: Any) -> Any:
        before()
        counts["saves"] += 1
        try:
            return save(*objs, **kwargs)
        except IntegrityError:
            counts["refused"] += 1
            raise

    monkeypatch.setattr(service.tasks, "save", counting)
    return counts


# ---------------------------------------------------------------------------- item 5
def test_two_departments_confirming_the_same_task_at_the_same_moment_both_land(
    services: Callable[[], Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    police_office, fire_office = services(), services()
    task_id = JointInspection(police_office).drawn().task_id
    # Both have loaded the task before either saves: one of them must lose the first round.
    both_loaded = threading.Barrier(2, timeout=10)
    first_save = {"police": True, "fire": True}

    def waits_once(office: str) -> Callable[[], None]:
        def wait() -> None:
            if first_save[office]:
                first_save[office] = False
                both_loaded.wait()

        return wait

    police_saves = count_saves(police_office, monkeypatch, waits_once("police"))
    fire_saves = count_saves(fire_office, monkeypatch, waits_once("fire"))
    failures: list[BaseException] = []

    def confirm(service: Service, code: str) -> None:
        try:
            service.tasks.confirm(department(code), task_id, at=at("2023-11-02", "10:15"))
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=confirm, args=(police_office, "police")),
        threading.Thread(target=confirm, args=(fire_office, "fire")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert police_saves["refused"] + fire_saves["refused"] == 1
    reader = services()
    confirmed = {
        e.department
        for e in reader.tasks.events_of(task_id)
        if isinstance(e, Task.DepartmentConfirmed)
    }
    assert confirmed == {"police", "fire"}


def test_a_writer_that_keeps_losing_gives_up_after_bounded_attempts(
    services: Callable[[], Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before each of the loser's saves, a rival office records a notice on the same task, so
    the loser's version is always stale: it retries on the current state, then reports."""
    loser, rival = services(), services()
    joint = JointInspection(loser).matched()
    task_id, target = joint.task_id, joint.targets[0]

    def rival_writes_first() -> None:
        rival.tasks.serve_notice(
            EDUCATION, task_id, target, "letter", "法定代表人", at=at("2023-11-08")
        )

    counts = count_saves(loser, monkeypatch, rival_writes_first)
    before = len(loser.tasks.events_of(task_id))

    with pytest.raises(ConcurrentWriteError):
        loser.tasks.serve_notice(
            department("police"), task_id, target, "phone", "工作人员", at=at("2023-11-08")
        )

    assert counts == {"saves": MAX_ATTEMPTS, "refused": MAX_ATTEMPTS}
    rivals = loser.tasks.events_of(task_id)[before:]
    assert len(rivals) == MAX_ATTEMPTS
    assert {(type(e), e.department) for e in rivals} == {(Task.NoticeServed, "education")}


# ---------------------------------------------------------------------------- item 6
def transactions_of(database: Database, task_id: UUID, after_version: int) -> list[int]:
    """The id of the transaction that inserted each event of the task after the given version."""
    with superuser(database) as connection:
        rows = connection.execute(
            "SELECT xmin::text::bigint FROM ssj_events "
            "WHERE originator_id = %s AND originator_version > %s ORDER BY originator_version",
            (task_id, after_version),
        ).fetchall()
    return [int(row[0]) for row in rows]


def test_commands_that_arrive_together_are_written_in_one_transaction(
    database: Database, services: Callable[[], Service]
) -> None:
    service = services()
    joint = JointInspection(service).matched().visit()
    committer = service.tasks.commit_in_groups()
    version = joint.task().version
    entered, release = threading.Event(), threading.Event()

    def gate(_: Task) -> None:
        entered.set()
        release.wait(10)

    committer.submit(joint.task_id, gate)
    assert entered.wait(10)
    pairs = [(d, t) for t in joint.targets for d in JointInspection.DEPARTMENTS]
    futures = [committer.submit(joint.task_id, result(d, t)) for d, t in pairs]
    release.set()

    assert [f.result(30) for f in futures] == [None] * len(pairs)
    written = transactions_of(database, joint.task_id, version)
    assert len(written) == len(pairs)
    assert len(set(written)) == 1


def test_a_refused_command_in_a_group_gets_its_own_error_and_the_others_land(
    database: Database, services: Callable[[], Service]
) -> None:
    service = services()
    joint = JointInspection(service).matched().visit()
    committer = service.tasks.commit_in_groups()
    version = joint.task().version
    first, second = joint.targets[:2]
    entered, release = threading.Event(), threading.Event()

    def gate(_: Task) -> None:
        entered.set()
        release.wait(10)

    committer.submit(joint.task_id, gate)
    assert entered.wait(10)
    futures: list[Future[None]] = [
        committer.submit(joint.task_id, result("education", first)),
        committer.submit(joint.task_id, result("education", first)),
        committer.submit(
            joint.task_id,
            lambda t: t.record_result("fire", second, "未发现问题", {"GA-1": "符合"}, RESULT_AT),
        ),
        committer.submit(joint.task_id, result("fire", second)),
    ]
    release.set()

    assert futures[0].result(30) is None
    with pytest.raises(ResultAlreadyRecordedError):
        futures[1].result(30)
    with pytest.raises(NotOwnItemError):
        futures[2].result(30)
    assert futures[3].result(30) is None
    written = transactions_of(database, joint.task_id, version)
    assert len(written) == 2 and len(set(written)) == 1
    recorded = [
        (e.department, e.target)
        for e in service.tasks.events_of(joint.task_id)
        if isinstance(e, Task.ResultRecorded)
    ]
    assert recorded == [("education", first), ("fire", second)]
