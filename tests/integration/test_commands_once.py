"""A command from the bus carries an id, and PostgreSQL records it with the command's events in
the same transaction: the same command applied again, alone or inside a group, stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import psycopg
import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.postgres.urls import PgUrl
from domain.task import Task
from services.errors import CommandAlreadyAppliedError
from tests.conftest import Database
from tests.services.conftest import ITEMS, JointInspection, at, department

RESULT_AT = at("2023-11-09", "17:00")


@pytest.fixture
def service(database: Database) -> Iterator[Service]:
    service = bootstrap(load_settings(database_url=database.service_url))
    yield service
    service.close()


def record(
    service: Service, task_id: UUID, code: str, target: str, command_id: UUID | None = None
) -> None:
    findings = {item.code: "符合要求" for item in ITEMS[code]}
    service.tasks.record_result(
        department(code),
        task_id,
        target,
        "未发现问题",
        findings,
        at=RESULT_AT,
        command_id=command_id,
    )


def stored_commands(database: Database) -> list[tuple[UUID, int]]:
    with psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo()) as connection:
        rows = connection.execute("SELECT command_id, position FROM ssj_commands").fetchall()
    return [(row[0], row[1]) for row in rows]


def results_of(service: Service, task_id: UUID) -> list[tuple[str, str]]:
    return [
        (e.department, e.target)
        for e in service.tasks.events_of(task_id)
        if isinstance(e, Task.ResultRecorded)
    ]


@pytest.mark.parametrize("grouped", [False, True], ids=["alone", "group-commit"])
def test_a_command_id_is_stored_with_its_events_and_refuses_a_second_application(
    service: Service, database: Database, grouped: bool
) -> None:
    joint = JointInspection(service).matched().visit()
    if grouped:
        service.tasks.commit_in_groups()
    command_id = uuid4()
    first, second = joint.targets[:2]

    record(service, joint.task_id, "fire", first, command_id)
    with pytest.raises(CommandAlreadyAppliedError):
        record(service, joint.task_id, "fire", second, command_id)  # another effect, the same id
    record(service, joint.task_id, "fire", second)  # without the id it is a new command

    assert results_of(service, joint.task_id) == [("fire", first), ("fire", second)]
    [(stored, position)] = stored_commands(database)
    assert stored == command_id
    assert position > 0
