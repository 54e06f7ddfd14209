"""A command sent again with the same Idempotency-Key is applied once and answered the same way;
the key is the bus's command id, so the same command over both is applied once too."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.errors import CommandAlreadyAppliedError
from tests.http.conftest import World, problem
from tests.services.conftest import AUDITOR, JointInspection


def log_length(world: World) -> int:
    return sum(1 for _ in world.service.auditor.export(AUDITOR))


@pytest.fixture
def joint(world: World) -> JointInspection:
    return JointInspection(world.service).drawn()


async def test_the_same_key_twice_applies_once_and_answers_the_same(
    world: World, joint: JointInspection
) -> None:
    body = {"at": "2023-11-02T10:15:00+08:00"}
    async with world.key("police") as police:
        first = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm", json=body, headers={"Idempotency-Key": "c-1"}
        )
        after_first = log_length(world)
        again = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm", json=body, headers={"Idempotency-Key": "c-1"}
        )

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"done": True}
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert log_length(world) == after_first  # nothing applied the second time


async def test_the_answer_given_again_is_the_first_one(
    world: World, joint: JointInspection
) -> None:
    joint.confirm()
    key = {"Idempotency-Key": "draw-police-1"}
    async with world.key("police") as police:
        first = await police.post(
            f"/api/v1/tasks/{joint.task_id}/inspector-draws", json={}, headers=key
        )
        again = await police.post(
            f"/api/v1/tasks/{joint.task_id}/inspector-draws", json={}, headers=key
        )

    assert first.status_code == 200, first.text
    assert again.json() == first.json()
    assert first.json()["groups"]


async def test_the_same_key_with_another_request_is_refused(
    world: World, joint: JointInspection
) -> None:
    key = {"Idempotency-Key": "decline-1"}
    async with world.key("police") as police:
        await police.post(
            f"/api/v1/tasks/{joint.task_id}/decline", json={"reason": "无法派员"}, headers=key
        )
        other = await police.post(
            f"/api/v1/tasks/{joint.task_id}/decline", json={"reason": "另有任务"}, headers=key
        )

    assert other.status_code == 422
    assert problem(other)["code"] == "idempotency_key_reused"
    assert problem(other)["field"] == "Idempotency-Key"


async def test_a_refusal_is_answered_again_the_same_way(
    world: World, joint: JointInspection
) -> None:
    key = {"Idempotency-Key": "match-too-early"}
    async with world.key("education") as education:
        first = await education.post(f"/api/v1/tasks/{joint.task_id}/match", json={}, headers=key)
        again = await education.post(f"/api/v1/tasks/{joint.task_id}/match", json={}, headers=key)

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_keys_of_two_principals_never_meet(world: World, joint: JointInspection) -> None:
    key = {"Idempotency-Key": "same-words"}
    async with world.key("police") as police, world.key("fire") as fire:
        by_police = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm", json={}, headers=key
        )
        by_fire = await fire.post(f"/api/v1/tasks/{joint.task_id}/confirm", json={}, headers=key)

    assert by_police.status_code == by_fire.status_code == 200
    assert "Idempotent-Replayed" not in by_fire.headers
    task = joint.task()
    assert set(task.answers) == {"police", "fire"}


async def test_a_command_id_the_store_applied_before_is_answered_as_a_replay(
    world: World, joint: JointInspection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A department that sent the command on the bus (PostgreSQL records each command id with
    its events and refuses it a second time) and sends it again over HTTP with the same UUID."""
    command_id = uuid4()
    applied_with: list[object] = []

    def applied_before(*_: object, command_id: object = None, **__: object) -> None:
        applied_with.append(command_id)
        raise CommandAlreadyAppliedError([command_id])

    monkeypatch.setattr(world.service.tasks, "confirm", applied_before)
    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm",
            json={},
            headers={"Idempotency-Key": str(command_id)},
        )
        again = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm",
            json={},
            headers={"Idempotency-Key": str(command_id)},
        )

    assert applied_with == [command_id]  # the key is the bus's command id itself
    assert answer.status_code == 200
    assert answer.json() == {"command_id": str(command_id), "already_applied": True}
    assert answer.headers["Idempotent-Replayed"] == "true"
    assert again.json() == answer.json()


async def test_a_key_that_is_not_visible_ascii_is_refused(
    world: World, joint: JointInspection
) -> None:
    async with world.key("police") as police:
        answer = await police.post(
            f"/api/v1/tasks/{joint.task_id}/confirm",
            json={},
            headers={"Idempotency-Key": "x" * 300},
        )

    assert answer.status_code == 422
    assert problem(answer)["field"] == "Idempotency-Key"
