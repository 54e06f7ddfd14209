"""The HTTP front on PostgreSQL as `ssj db migrate` made it, as the service's role: the lead's
draw secret is kept in its table and used by the draw, and a command the bus applied is not
applied again when the department sends it over HTTP with the same id."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.clock import ManualClock
from adapters.nats.commands import apply_command
from adapters.nats.messages import Confirm
from domain import draw
from services.accounts import Accounts
from tests.accounts.conftest import cheap_hasher
from tests.conftest import Database
from tests.http.conftest import NOW, World
from tests.services.conftest import AUDITOR, BEACON, BEACON_SOURCE, JointInspection


@pytest.fixture
def service(database: Database) -> Iterator[Service]:
    settings = load_settings(database_url=database.service_url)
    service = bootstrap(settings, clock=ManualClock(NOW))
    service.__dict__["accounts"] = Accounts(service.account_store, cheap_hasher())
    yield service
    service.close()


async def test_the_draw_uses_the_secret_the_server_kept_in_postgresql(
    service: Service, database: Database
) -> None:
    world = World.of(service)
    joint = JointInspection(service).open_directories().plan()
    async with world.key("education") as education:
        committed = await education.post(
            f"/api/v1/tasks/{joint.task_id}/commit",
            json={"beacon_source": BEACON_SOURCE, "at": "2023-10-31T16:00:00+08:00"},
        )
        drawn = await education.post(
            f"/api/v1/tasks/{joint.task_id}/draw",
            json={"beacon": BEACON, "at": "2023-11-01T09:30:00+08:00"},
        )

    assert committed.status_code == 200, committed.text
    assert drawn.status_code == 200, drawn.text
    with psycopg.connect(database.admin_url) as connection:
        [(secret,)] = connection.execute(
            "SELECT secret FROM ssj_http_draw_secrets WHERE task_id = %s", (joint.task_id,)
        ).fetchall()
    assert draw.commitment_of(secret) == committed.json()["commitment"]
    assert joint.task().target_draw.secret == secret  # type: ignore[union-attr]


async def test_a_command_the_bus_applied_is_answered_as_a_replay_over_http(
    service: Service,
) -> None:
    world = World.of(service)
    joint = JointInspection(service).drawn()
    command_id = uuid4()
    confirm = Confirm(command_id=command_id, department="police", task_id=joint.task_id)
    apply_command(service.tasks, confirm, service.clock.now())
    before = sum(1 for _ in service.auditor.export(AUDITOR))

    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm",
            json={},
            headers={"Idempotency-Key": str(command_id)},
        )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"command_id": str(command_id), "already_applied": True}
    assert answer.headers["Idempotent-Replayed"] == "true"
    assert sum(1 for _ in service.auditor.export(AUDITOR)) == before
