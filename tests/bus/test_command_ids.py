"""One command id, one command: the intake answers a repeat with its first receipt, and refuses
another command that reuses the id, telling them apart by the digest stored with the receipt.
On a real PostgreSQL and a real NATS server, through the intake of test_intake.py."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from nats.aio.client import Client

from adapters.bootstrap import Service
from adapters.nats.intake import Intake
from adapters.nats.messages import (
    Command,
    Confirm,
    Decline,
    DrawInspectors,
    Receipt,
    RecordResult,
    command_digest,
    command_subject,
)
from adapters.postgres.schema import migrate
from adapters.postgres.urls import PgUrl
from domain.task import Task
from tests.bus import test_intake as on_the_bus
from tests.bus.test_intake import (
    DRAWN_AT,
    INTAKE_CLOCK,
    RESULTS_AT,
    Receipts,
    confirm,
    confirmed,
    rows,
    send,
)
from tests.conftest import SERVICE_ROLE, Database
from tests.services.conftest import JointInspection, department

intake = on_the_bus.intake
receipts = on_the_bus.receipts

REUSED = "command_id: 应为本部门未用过的指令编号：该编号已用于另一条内容不同的指令"


def refused_for_reuse(receipt: Receipt) -> bool:
    refusal = receipt.refusal
    return (
        receipt.status == "refused"
        and not receipt.duplicate
        and refusal is not None
        and (refusal.error, refusal.field, refusal.message)
        == ("InvalidValueError", "command_id", REUSED)
    )


def result(joint: JointInspection, target: int = 0) -> RecordResult:
    return RecordResult(
        command_id=uuid4(),
        department="fire",
        task_id=joint.task_id,
        target=joint.targets[target],
        category="未发现问题",
        findings={"XF-1": "符合要求"},
        at=RESULTS_AT,
    )


def results_of(service: Service, task_id: UUID) -> list[tuple[str, str]]:
    return [
        (e.department, e.target)
        for e in service.tasks.events_of(task_id)
        if isinstance(e, Task.ResultRecorded)
    ]


def stored_receipts(database: Database) -> list[tuple[str, str, str | None]]:
    return [
        (str(command_id), receipt["status"], digest)
        for command_id, receipt, digest in rows(
            database, "SELECT command_id, receipt, digest FROM ssj_receipts ORDER BY recorded_at"
        )
    ]


def applied_before_its_receipt(service: Service, command: Confirm) -> None:
    """As an intake that stopped right after the command's events and id were stored."""
    service.tasks.confirm(
        department(command.department),
        command.task_id,
        at=command.at or INTAKE_CLOCK,
        command_id=command.command_id,
    )


def store_receipt(database: Database, receipt: Receipt, digest: str | None) -> None:
    """A receipt row as an intake stores it (or, with no digest, as one did before digests)."""
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo()) as connection:
        connection.execute(
            "INSERT INTO ssj_receipts (command_id, receipt, digest) VALUES (%s, %s::jsonb, %s)",
            (receipt.command_id, receipt.model_dump_json(by_alias=True), digest),
        )


def done(command: Command) -> Receipt:
    return Receipt(
        command_id=command.command_id,
        department=command.department,
        command=command.command,
        status="done",
    )


# ---------------------------------------------------------------------------- across batches
@pytest.mark.parametrize(
    "change",
    [
        {"target": 1},
        {"category": "发现问题已责令改正"},
        {"findings": {"XF-1": "灭火器过期"}},
        {"at": None},
    ],
    ids=["target", "category", "findings", "at-left-out"],
)
async def test_a_command_id_used_again_for_another_command_is_refused_and_nothing_is_applied(
    intake: Intake,
    service: Service,
    bus: Client,
    receipts: Receipts,
    database: Database,
    change: dict[str, Any],
) -> None:
    joint = JointInspection(service).matched().visit()
    js = bus.jetstream()
    first = result(joint)
    if "target" in change:
        change = {"target": joint.targets[change["target"]]}
    other = first.model_copy(update=change)

    await send(js, first)
    await intake.intake_once(timeout=2)
    await send(js, other, copy=1)
    await intake.intake_once(timeout=2)

    answered, again = await receipts.take(2)
    assert (answered.status, answered.duplicate) == ("done", False)
    assert refused_for_reuse(again), again
    assert (again.command_id, again.department, again.command) == (
        first.command_id,
        "fire",
        "record_result",
    )
    assert results_of(service, joint.task_id).count(("fire", joint.targets[0])) == 1
    assert ("fire", joint.targets[1]) not in results_of(service, joint.task_id)
    assert stored_receipts(database) == [
        (str(first.command_id), "done", command_digest(first))
    ]  # the id's answer stays the first one


async def test_another_kind_of_command_under_a_used_id_is_refused(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    first = confirm("police", joint.task_id)
    decline = Decline(
        command_id=first.command_id,
        department="police",
        task_id=joint.task_id,
        reason="本周无可派人员",
        at=first.at,
    )

    await send(js, first)
    await intake.intake_once(timeout=2)
    await send(js, decline, copy=1)
    await intake.intake_once(timeout=2)

    _, again = await receipts.take(2)
    assert refused_for_reuse(again) and again.command == "decline"
    declined = [
        e for e in service.tasks.events_of(joint.task_id) if isinstance(e, Task.DepartmentDeclined)
    ]
    assert (confirmed(service, joint.task_id), declined) == (["police"], [])


async def test_at_left_out_and_at_given_are_two_commands_even_at_the_same_moment(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    without = Confirm(command_id=uuid4(), department="police", task_id=joint.task_id)
    given = without.model_copy(update={"at": INTAKE_CLOCK})  # what the intake used for `without`

    await send(js, without)
    await intake.intake_once(timeout=2)
    await send(js, given, copy=1)
    await intake.intake_once(timeout=2)

    first, again = await receipts.take(2)
    assert first.status == "done"
    assert refused_for_reuse(again)
    assert confirmed(service, joint.task_id) == ["police"]


async def test_the_same_command_written_otherwise_is_a_repeat_answered_with_its_receipt(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).matched().visit()
    js = bus.jetstream()
    first = result(joint)
    document = json.loads(first.to_bytes())
    otherwise = {
        "findings": {"XF-1": "符合要求"},
        "at": RESULTS_AT.astimezone(UTC).isoformat(),  # the same moment, in UTC
        "target": first.target,
        "category": "未发现问题",
        "task_id": str(joint.task_id).upper(),
        "department": "fire",
        "command_id": str(first.command_id).upper(),
        "command": "record_result",
        "schema": document["schema"],
    }
    assert set(otherwise) == set(document)

    await send(js, first)
    await intake.intake_once(timeout=2)
    await js.publish(
        command_subject("fire", "record_result"),
        json.dumps(otherwise, ensure_ascii=False, indent=1).encode(),
        headers={"Nats-Msg-Id": f"{first.command_id}:again"},
    )
    await intake.intake_once(timeout=2)

    answered, again = await receipts.take(2)
    assert again == answered.model_copy(update={"duplicate": True})
    assert results_of(service, joint.task_id) == [("fire", joint.targets[0])]


# ---------------------------------------------------------------------------- in one batch
async def test_a_differing_document_with_the_id_of_another_in_the_same_batch_is_refused(
    intake: Intake, service: Service, bus: Client, receipts: Receipts, database: Database
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    police = confirm("police", joint.task_id)
    fire = police.model_copy(update={"department": "fire"})  # another department, the same id
    police_again = police.model_copy(update={"at": None})

    await send(js, police)
    await send(js, fire, copy=1)
    await send(js, police, copy=2)
    await send(js, police_again, copy=3)
    assert await intake.intake_once(timeout=2) == 4

    answered, to_fire, repeated, differing = await receipts.take(4)
    assert (answered.status, answered.duplicate) == ("done", False)
    assert refused_for_reuse(to_fire) and to_fire.department == "fire"
    assert repeated == answered.model_copy(update={"duplicate": True})
    assert refused_for_reuse(differing) and differing.department == "police"
    assert confirmed(service, joint.task_id) == ["police"]
    assert stored_receipts(database) == [(str(police.command_id), "done", command_digest(police))]


# ---------------------------------------------------------------------------- what cannot be told
async def test_a_command_applied_before_its_receipt_was_stored_cannot_be_compared(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    """The documented limit: no receipt, so no digest; any command under the id is done."""
    joint = JointInspection(service).drawn()
    first = confirm("police", joint.task_id)
    applied_before_its_receipt(service, first)
    other = Decline(
        command_id=first.command_id, department="police", task_id=joint.task_id, reason="无人"
    )

    await send(bus.jetstream(), other)
    await intake.intake_once(timeout=2)

    [receipt] = await receipts.take(1)
    assert (receipt.command, receipt.status, receipt.duplicate) == ("decline", "done", True)
    assert confirmed(service, joint.task_id) == ["police"]


async def test_a_database_migrated_before_digests_gets_the_column_and_old_receipts_answer_as_before(
    intake: Intake, service: Service, bus: Client, receipts: Receipts, database: Database
) -> None:
    with psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo()) as connection:
        connection.execute("ALTER TABLE ssj_receipts DROP COLUMN digest")
    joint = JointInspection(service).drawn()
    old = confirm("police", joint.task_id)
    applied_before_its_receipt(service, old)
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo()) as connection:
        connection.execute(
            "INSERT INTO ssj_receipts (command_id, receipt) VALUES (%s, %s::jsonb)",
            (old.command_id, done(old).model_dump_json(by_alias=True)),
        )

    migrate(database.admin_url, SERVICE_ROLE)  # `ssj db migrate` again, on that database

    js = bus.jetstream()
    reused = old.model_copy(update={"at": None})
    new = confirm("fire", joint.task_id)
    await send(js, reused)
    await send(js, new)
    await intake.intake_once(timeout=2)

    from_old, answered = await receipts.take(2)
    assert from_old == done(old).model_copy(update={"duplicate": True})  # unknown: as before
    assert (answered.status, answered.duplicate) == ("done", False)
    assert stored_receipts(database) == [
        (str(old.command_id), "done", None),
        (str(new.command_id), "done", command_digest(new)),
    ]


# ---------------------------------------------------------------------------- two intakes
async def test_a_command_that_raced_another_intake_is_compared_with_what_that_one_stored(
    intake: Intake,
    service: Service,
    bus: Client,
    receipts: Receipts,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another intake applied the id, and stored its receipt, after this one had looked: the
    store refuses the id (CommandAlreadyAppliedError) or the rules refuse the command (it was
    done already), and what the other intake stored decides the answer."""
    joint = JointInspection(service).drawn()
    first = confirm("police", joint.task_id)
    applied_before_its_receipt(service, first)
    store_receipt(database, done(first), command_digest(first))
    looked = intake.known
    early = [False]

    async def before_the_other_intake(command_ids: Any) -> Any:
        if early[0]:  # the batch's first look, made before the other intake committed
            early[0] = False
            return {}
        return await looked(command_ids)

    monkeypatch.setattr(intake, "known", before_the_other_intake)
    other = DrawInspectors(
        command_id=first.command_id, department="police", task_id=joint.task_id, at=DRAWN_AT
    )
    js = bus.jetstream()

    early[0] = True
    await send(js, other)  # the rules let it through; the store refuses its id
    await intake.intake_once(timeout=2)
    early[0] = True
    await send(js, first, copy=1)  # the rules refuse it: police has confirmed already
    await intake.intake_once(timeout=2)

    differing, repeated = await receipts.take(2)
    assert early == [False]
    assert refused_for_reuse(differing) and differing.command == "draw_inspectors"
    assert repeated == done(first).model_copy(update={"duplicate": True})
    assert not [
        e for e in service.tasks.events_of(joint.task_id) if isinstance(e, Task.InspectorsDrawn)
    ]
    assert confirmed(service, joint.task_id) == ["police"]
