"""The intake on a real PostgreSQL and a real NATS server: a command sent on the bus is applied
once however often it comes, and every message is answered: done, refused with the field at fault,
or, when nobody can use it, kept in the dead letters with the reason."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from adapters.bootstrap import Service
from adapters.nats.intake import Intake
from adapters.nats.messages import (
    CloseFollowUp,
    Command,
    Confirm,
    DeadLetter,
    Decline,
    DrawInspectors,
    Receipt,
    RecordResult,
    RecordVisit,
    command_subject,
    json_schemas,
)
from adapters.nats.streams import CMD, DEAD, DEPT, INTAKE_MAX_DELIVER
from adapters.postgres.urls import PgUrl
from domain.task import Task
from tests.conftest import Database
from tests.services.conftest import ITEMS, JointInspection, at, department

CONFIRMED_AT = at("2023-11-02", "10:15")
RESULTS_AT = at("2023-11-09", "17:00")
DRAWN_AT = at("2023-11-06", "14:00")


INTAKE_CLOCK = at("2023-11-02", "10:30")


@pytest.fixture
async def intake(database: Database, service: Service, bus: Client) -> AsyncIterator[Intake]:
    async with Intake(
        database.service_url, bus.jetstream(), service, clock=lambda: INTAKE_CLOCK, retry_delay=0.05
    ) as intake:
        yield intake


class Receipts:
    """Every department's receipts, as they are published."""

    def __init__(self, bus: Client, subscription: Subscription) -> None:
        self.bus = bus
        self.subscription = subscription

    async def take(self, count: int, timeout: float = 5.0) -> list[Receipt]:
        """The next `count` receipts, and no more than that."""
        deadline = time.monotonic() + timeout
        got = []
        while len(got) < count:
            left = max(deadline - time.monotonic(), 0.01)
            message = await self.subscription.next_msg(timeout=left)
            got.append(Receipt.model_validate_json(message.data))
        assert await self.waiting() == 0
        return got

    async def waiting(self) -> int:
        await self.bus.flush()  # what the server sent before now has arrived
        return self.subscription.pending_msgs


@pytest.fixture
async def receipts(bus: Client) -> AsyncIterator[Receipts]:
    subscription = await bus.subscribe("ssj.dept.*.receipts")
    yield Receipts(bus, subscription)
    await subscription.unsubscribe()


async def send(
    js: JetStreamContext, command: Command, subject: str | None = None, copy: int = 0
) -> None:
    """As a department's system sends it; `copy` tells repeats apart for the server, which would
    otherwise drop them before the intake sees them."""
    await js.publish(
        subject or command_subject(command.department, command.command),
        command.to_bytes(),
        headers={"Nats-Msg-Id": f"{command.command_id}:{copy}"},
    )


def confirm(department: str, task_id: UUID) -> Confirm:
    return Confirm(command_id=uuid4(), department=department, task_id=task_id, at=CONFIRMED_AT)


def confirmations(service: Service, task_id: UUID) -> list[Task.DepartmentConfirmed]:
    return [e for e in service.tasks.events_of(task_id) if isinstance(e, Task.DepartmentConfirmed)]


def confirmed(service: Service, task_id: UUID) -> list[str]:
    return [e.department for e in confirmations(service, task_id)]


def rows(database: Database, query: str) -> list[Any]:
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo()) as connection:
        return connection.execute(query).fetchall()  # type: ignore[arg-type]


async def messages_in(js: JetStreamContext, stream: str) -> int:
    return (await js.stream_info(stream)).state.messages


# ---------------------------------------------------------------------------- applied once
async def test_a_confirmation_sent_on_the_bus_is_applied_and_answered_done(
    intake: Intake, service: Service, bus: Client, receipts: Receipts, database: Database
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    command = Confirm(command_id=uuid4(), department="police", task_id=joint.task_id)

    await send(js, command)
    assert await intake.intake_once(timeout=2) == 1

    [receipt] = await receipts.take(1)
    assert (receipt.command_id, receipt.department, receipt.command) == (
        command.command_id,
        "police",
        "confirm",
    )
    assert (receipt.status, receipt.duplicate, receipt.refusal) == ("done", False, None)
    [event] = confirmations(service, joint.task_id)
    assert (event.department, event.at) == ("police", INTAKE_CLOCK)  # no `at`: the clock's
    assert rows(database, "SELECT command_id FROM ssj_commands") == [(command.command_id,)]
    assert rows(database, "SELECT command_id FROM ssj_receipts") == [(command.command_id,)]
    assert await messages_in(js, CMD) == 0  # acked, so gone from the work queue


async def test_the_same_command_sent_three_times_is_applied_once_and_answered_three_times(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    command = DrawInspectors(
        command_id=uuid4(), department="education", task_id=joint.task_id, at=DRAWN_AT
    )

    await send(js, command, copy=1)
    await send(js, command, copy=2)  # in the same batch as the first
    assert await intake.intake_once(timeout=2) == 2
    await send(js, command, copy=3)  # later: answered from what was stored
    assert await intake.intake_once(timeout=2) == 1

    got = await receipts.take(3)
    drawn = [
        e for e in service.tasks.events_of(joint.task_id) if isinstance(e, Task.InspectorsDrawn)
    ]
    assert len(drawn) == 1
    assert [(r.command_id, r.status, r.duplicate, r.answer) for r in got] == [
        (command.command_id, "done", False, drawn[0].groups),
        (command.command_id, "done", True, drawn[0].groups),
        (command.command_id, "done", True, drawn[0].groups),
    ]
    assert await messages_in(js, DEPT) == 3  # each message's answer is kept for the department


async def test_a_command_applied_before_its_receipt_was_stored_is_answered_done_not_again(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    command = confirm("police", joint.task_id)
    service.tasks.confirm(  # as an intake that stopped right after applying it
        department("police"), joint.task_id, at=CONFIRMED_AT, command_id=command.command_id
    )

    await send(bus.jetstream(), command)
    await intake.intake_once(timeout=2)

    [receipt] = await receipts.take(1)
    assert (receipt.status, receipt.duplicate) == ("done", True)
    assert confirmed(service, joint.task_id) == ["police"]


# ---------------------------------------------------------------------------- refused
async def test_unusable_messages_go_to_the_dead_letters_and_the_rest_of_the_batch_is_applied(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    no_task = confirm("fire", joint.task_id).model_dump(mode="json", by_alias=True)
    del no_task["task_id"]
    good = confirm("police", joint.task_id)

    await js.publish(command_subject("police", "confirm"), b"not json")
    await js.publish(command_subject("fire", "confirm"), json.dumps(no_task).encode())
    await send(js, good)
    assert await intake.intake_once(timeout=2) == 3

    assert await messages_in(js, DEAD) == 2
    not_json, missing = [
        DeadLetter.model_validate_json((await js.get_msg(DEAD, seq)).data or b"") for seq in (1, 2)
    ]
    assert not_json.subject == "ssj.cmd.police.confirm"
    assert not_json.payload == "not json"
    assert not_json.deliveries == 1
    assert "payload" in not_json.reason and "JSON" in not_json.reason
    assert missing.reason.startswith("task_id:")
    refused, done = await receipts.take(2)  # the one that is not JSON names no command
    assert (refused.department, refused.status) == ("fire", "refused")
    assert refused.refusal is not None
    assert (refused.refusal.error, refused.refusal.field) == ("InvalidValueError", "task_id")
    assert (done.command_id, done.status) == (good.command_id, "done")
    assert confirmed(service, joint.task_id) == ["police"]
    assert await messages_in(js, CMD) == 0


@pytest.mark.parametrize("field", ["schema", "command"])
async def test_a_command_without_its_schema_or_its_name_is_refused_naming_the_field(
    intake: Intake, service: Service, bus: Client, receipts: Receipts, field: str
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    document = confirm("police", joint.task_id).model_dump(mode="json", by_alias=True)
    del document[field]

    await js.publish(command_subject("police", "confirm"), json.dumps(document).encode())
    await intake.intake_once(timeout=2)

    [refused] = await receipts.take(1)
    assert refused.refusal is not None
    assert (refused.status, refused.command) == ("refused", "confirm")
    assert (refused.refusal.error, refused.refusal.field) == ("InvalidValueError", field)
    assert refused.refusal.message.startswith(f"{field}: 缺少此")
    letter = DeadLetter.model_validate_json((await js.get_msg(DEAD, 1)).data or b"")
    assert letter.reason == refused.refusal.message
    assert confirmed(service, joint.task_id) == []


def test_the_json_schemas_require_what_the_intake_requires_and_the_service_always_sends() -> None:
    schemas = json_schemas()
    for name, command in schemas["Command"]["$defs"].items():
        optional = set(command["properties"]) - set(command["required"])
        assert {"schema", "command"} <= set(command["required"]), name
        # what the intake does take without (the task asks an on-site reason where it must; a
        # follow-up's measure is 责令改正 unless named, none further on closing)
        assert optional <= {"at", "note", "on_site_reason", "measure"}, name
    for name in ("EventDocument", "DeptNotice", "Escalation", "Receipt", "DeadLetter"):
        document = schemas[name]
        assert set(document["required"]) == set(document["properties"]), name


async def test_a_command_sent_under_another_departments_name_is_refused_naming_department(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    command = confirm("fire", joint.task_id)

    await send(js, command, subject=command_subject("police", "confirm"))
    await intake.intake_once(timeout=2)
    [refused] = await receipts.take(1)
    assert (refused.department, refused.status) == ("police", "refused")
    assert refused.refusal is not None
    assert (refused.refusal.error, refused.refusal.field) == ("InvalidValueError", "department")
    assert confirmed(service, joint.task_id) == []

    await send(js, command, copy=1)  # the same command id, sent as it should be, is applied
    await intake.intake_once(timeout=2)
    [done] = await receipts.take(1)
    assert (done.department, done.status, done.duplicate) == ("fire", "done", False)
    assert confirmed(service, joint.task_id) == ["fire"]


def not_a_party(task_id: UUID) -> list[Command]:
    """What market, a department of the kindergarten task only, might send on the joint task."""
    common = {"department": "market", "task_id": task_id, "at": CONFIRMED_AT}
    return [
        Confirm(command_id=uuid4(), **common),
        Decline(command_id=uuid4(), reason="不在本部门职责范围", **common),
        DrawInspectors(command_id=uuid4(), **common),
        RecordVisit(command_id=uuid4(), target="anything", signed=True, **common),
        RecordResult(
            command_id=uuid4(), target="anything", category="未发现问题", findings={}, **common
        ),
        CloseFollowUp(command_id=uuid4(), number=1, outcome="已整改", **common),
    ]


async def test_a_department_not_of_the_task_is_refused_by_the_policy_naming_the_actor(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).drawn()
    before = len(service.tasks.events_of(joint.task_id))
    commands = not_a_party(joint.task_id)

    for command in commands:
        await send(bus.jetstream(), command)
    assert await intake.intake_once(timeout=2) == len(commands)

    got = await receipts.take(len(commands))
    assert [r.command for r in got] == [c.command for c in commands]
    for receipt in got:
        assert receipt.refusal is not None
        assert (receipt.department, receipt.status) == ("market", "refused")
        assert (receipt.refusal.error, receipt.refusal.field) == ("ForbiddenError", "actor")
        assert receipt.refusal.message.startswith("actor: market（配合部门） 无权")
    assert len(service.tasks.events_of(joint.task_id)) == before


async def test_the_actor_is_the_subjects_department_in_its_role_on_the_task(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    """Education leads the task: it may draw its own inspectors, but confirming is for the
    cooperating departments; police, a cooperating department, may confirm."""
    joint = JointInspection(service).drawn()
    js = bus.jetstream()
    lead_confirms = confirm("education", joint.task_id)
    lead_draws = DrawInspectors(
        command_id=uuid4(), department="education", task_id=joint.task_id, at=CONFIRMED_AT
    )
    police_confirms = confirm("police", joint.task_id)

    for command in (lead_confirms, lead_draws, police_confirms):
        await send(js, command)
    await intake.intake_once(timeout=2)

    by_id = {r.command_id: r for r in await receipts.take(3)}
    refused = by_id[lead_confirms.command_id]
    assert refused.refusal is not None
    assert (refused.refusal.error, refused.refusal.field) == ("ForbiddenError", "actor")
    assert "education（发起部门）" in refused.refusal.message
    assert by_id[lead_draws.command_id].status == "done"
    assert by_id[police_confirms.command_id].status == "done"
    assert confirmed(service, joint.task_id) == ["police"]


async def test_a_refused_command_leaves_no_event_and_its_refusal_is_given_again(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).matched()  # matched, nobody visited yet
    before = len(service.tasks.events_of(joint.task_id))
    result = RecordResult(
        command_id=uuid4(),
        department="fire",
        task_id=joint.task_id,
        target=joint.targets[0],
        category="未发现问题",
        findings={"XF-1": "符合要求"},
        at=RESULTS_AT,
    )

    await send(bus.jetstream(), result)
    await intake.intake_once(timeout=2)
    await send(bus.jetstream(), result, copy=1)
    await intake.intake_once(timeout=2)

    first, again = await receipts.take(2)
    assert first.refusal is not None
    assert (first.status, first.refusal.error) == ("refused", "NotVisitedError")
    assert joint.targets[0] in first.refusal.message
    assert again == first.model_copy(update={"duplicate": True})
    assert len(service.tasks.events_of(joint.task_id)) == before


# ---------------------------------------------------------------------------- together
async def test_commands_taken_together_are_written_in_fewer_transactions_than_commands(
    intake: Intake, service: Service, bus: Client, receipts: Receipts
) -> None:
    joint = JointInspection(service).matched().visit()
    js = bus.jetstream()
    results = [
        RecordResult(
            command_id=uuid4(),
            department=department,
            task_id=joint.task_id,
            target=target,
            category="未发现问题",
            findings={item.code: "符合要求" for item in ITEMS[department]},
            at=RESULTS_AT,
        )
        for department in JointInspection.DEPARTMENTS
        for target in joint.targets
    ]
    for result in results:
        await send(js, result)
    committer = service.tasks.committer
    assert committer is not None
    commands, transactions = committer.throughput.commands, committer.throughput.transactions

    assert await intake.intake_once(timeout=2) == len(results)

    got = await receipts.take(len(results))
    assert {r.status for r in got} == {"done"}
    assert committer.throughput.commands - commands == len(results)
    assert committer.throughput.transactions - transactions < len(results)
    recorded = [
        e for e in service.tasks.events_of(joint.task_id) if isinstance(e, Task.ResultRecorded)
    ]
    assert len(recorded) == len(results)


# ---------------------------------------------------------------------------- failing
def unreachable(*_: object, **__: object) -> None:
    """The store's reads, while the database is away: every command needs its task first."""
    raise OSError("数据库连接中断")


async def test_a_command_that_fails_for_want_of_the_store_is_delivered_again_then_dead_lettered(
    intake: Intake,
    service: Service,
    bus: Client,
    receipts: Receipts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service.tasks.recorder, "select_events", unreachable)
    js = bus.jetstream()
    command = confirm("police", uuid4())

    await send(js, command)
    for delivery in range(1, INTAKE_MAX_DELIVER):
        assert await intake.intake_once(timeout=2) == 1, f"delivery {delivery}"
        assert await receipts.waiting() == 0
        assert await messages_in(js, CMD) == 1  # not acked: it comes back
    assert await intake.intake_once(timeout=2) == 1

    [refused] = await receipts.take(1)
    assert refused.refusal is not None
    assert (refused.status, refused.refusal.error) == ("refused", "OSError")
    letter = DeadLetter.model_validate_json((await js.get_msg(DEAD, 1)).data or b"")
    assert letter.deliveries == INTAKE_MAX_DELIVER
    assert "OSError" in letter.reason and "数据库连接中断" in letter.reason
    assert await messages_in(js, CMD) == 0


async def test_a_command_that_failed_is_answered_once_the_store_is_back(
    intake: Intake,
    service: Service,
    bus: Client,
    receipts: Receipts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service.tasks.recorder, "select_events", unreachable)
    command = confirm("police", uuid4())  # no such task: the store, once back, says so

    await send(bus.jetstream(), command)
    assert await intake.intake_once(timeout=2) == 1
    monkeypatch.undo()
    assert await intake.intake_once(timeout=2) == 1

    [receipt] = await receipts.take(1)
    assert receipt.refusal is not None
    assert (receipt.status, receipt.refusal.error) == ("refused", "NotFoundError")
