"""DepartmentClient: what a department's own system uses to send commands and read its feed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from nats.aio.client import Client

from adapters.nats.client import (
    CommandNotStoredError,
    DepartmentClient,
    FeedItem,
    ReceiptTimeoutError,
    UnreadableDocumentError,
)
from adapters.nats.connect import BusError, BusUnreachableError, connect
from adapters.nats.messages import Confirm, DeptNotice, Receipt, notice_subject
from adapters.nats.streams import CMD, DEPT, dept_consumer, setup_bus
from tests.bus.conftest import DEPARTMENTS
from tests.bus.harness import free_port
from tests.bus.stand_in import answering, done, refused

TASK = UUID("0b7f6a8e-1c1d-4a57-9d3e-2f4b5c6d7e8f")
AT = datetime(2023, 11, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def fire(bus: Client, nats_url: str) -> AsyncIterator[DepartmentClient]:
    nc = await connect(nats_url, name="fire")
    try:
        yield DepartmentClient(nc, "fire")
    finally:
        await nc.close()


def notice(department: str, position: int, kind: str = "dispatched") -> DeptNotice:
    return DeptNotice(
        id=f"ssj:{position}:{department}",
        position=position,
        task_id=TASK,
        department=department,
        kind=kind,  # type: ignore[arg-type]
        targets=["52130283MJ00001469"],
        at=AT,
    )


async def tell(bus: Client, item: DeptNotice) -> None:
    await bus.jetstream().publish(
        notice_subject(item.department, item.task_id),
        item.to_bytes(),
        headers={"Nats-Msg-Id": item.id},
    )


async def test_send_returns_the_receipt_of_its_own_command(
    bus: Client, fire: DepartmentClient
) -> None:
    async with answering(bus, done(answer=[["XF001", "XF002"]]), decoy=True) as service:
        receipt = await fire.draw_inspectors(TASK, AT)

    assert receipt.status == "done" and receipt.answer == [["XF001", "XF002"]]
    [message] = service.received
    assert message.subject == "ssj.cmd.fire.draw_inspectors"
    assert message.headers == {"Nats-Msg-Id": str(receipt.command_id)}


async def test_a_refusal_comes_back_with_its_reason(bus: Client, fire: DepartmentClient) -> None:
    async with answering(bus, refused("确认期限已过")):
        receipt = await fire.confirm(TASK)

    assert receipt.status == "refused"
    assert receipt.refusal is not None and receipt.refusal.message == "确认期限已过"


async def test_each_builder_sends_its_command_with_a_fresh_id(
    bus: Client, fire: DepartmentClient
) -> None:
    async with answering(bus, done()) as service:
        first = await fire.record_result(TASK, "52130283MJ00001469", "未发现问题", {"XF-1": "合格"})
        second = await fire.close_follow_up(TASK, 1, "已整改")

    assert first.command_id != second.command_id
    assert [m.subject for m in service.received] == [
        "ssj.cmd.fire.record_result",
        "ssj.cmd.fire.close_follow_up",
    ]


async def test_waiting_in_vain_says_what_it_waited_for(bus: Client, fire: DepartmentClient) -> None:
    command = Confirm(command_id=uuid4(), department="fire", task_id=TASK)

    with pytest.raises(ReceiptTimeoutError) as raised:
        await fire.send(command, timeout=0.3)

    message = str(raised.value)
    assert str(command.command_id) in message
    assert "ssj.dept.fire.receipts" in message and "confirm" in message and "ssj worker" in message


async def test_a_command_of_another_department_is_not_sent(fire: DepartmentClient) -> None:
    with pytest.raises(ValueError, match="police"):
        await fire.send(Confirm(command_id=uuid4(), department="police", task_id=TASK))


async def test_without_the_command_stream_nothing_is_sent(
    bus: Client, fire: DepartmentClient
) -> None:
    await bus.jetstream().delete_stream(CMD)

    with pytest.raises(CommandNotStoredError, match="ssj bus setup"):
        await fire.confirm(TASK, timeout=1)


async def test_listen_yields_the_departments_own_notices_and_receipts_in_order(
    bus: Client, fire: DepartmentClient
) -> None:
    await tell(bus, notice("fire", 1))
    await tell(bus, notice("police", 2))
    async with answering(bus, done()):
        sent = await fire.confirm(TASK)
    await tell(bus, notice("fire", 3, "sheets"))

    got = [item async for item in fire.listen(timeout=0.3, limit=3)]

    assert [type(i) for i in got] == [DeptNotice, Receipt, DeptNotice]
    assert [got[0].id, got[2].id] == ["ssj:1:fire", "ssj:3:fire"]  # type: ignore[union-attr]
    assert got[1].command_id == sent.command_id  # type: ignore[union-attr]
    assert [i async for i in fire.listen(timeout=0.3, until_idle=True)] == []  # all acked


async def test_a_message_stopped_on_is_delivered_again(bus: Client, fire: DepartmentClient) -> None:
    await tell(bus, notice("fire", 1))
    await tell(bus, notice("fire", 2))

    feed = fire.listen(batch=1, timeout=0.3)
    async with contextlib.aclosing(feed):
        async for _ in feed:
            break  # handling the first one failed: it is not acked

    info = await bus.jetstream().consumer_info(DEPT, dept_consumer("fire"))
    assert info.num_ack_pending == 1


async def forget_what_was_acked(bus: Client) -> None:
    """What a server crash can do to a durable consumer: its ack state is lost, and it delivers
    again what was acked (TECH-NOTES.md). A consumer made anew does just that, deterministically."""
    js = bus.jetstream()
    await js.delete_consumer(DEPT, dept_consumer("fire"))
    await setup_bus(js, DEPARTMENTS)


def named(items: list[FeedItem]) -> list[str]:
    return [
        item.id if isinstance(item, DeptNotice) else f"receipt of {item.command_id}"
        for item in items
    ]


async def test_listen_drops_what_it_handled_when_the_consumer_delivers_it_again(
    bus: Client, fire: DepartmentClient
) -> None:
    for position in (1, 2, 3):
        await tell(bus, notice("fire", position))
    async with answering(bus, done()):
        sent = await fire.confirm(TASK)  # its receipt, on the feed too
    feed = fire.listen(batch=1, timeout=0.3)
    handled = []
    async with contextlib.aclosing(feed):
        async for item in feed:
            handled.append(item)
            if len(handled) == 3:
                break  # the third one was being handled: not acked, so not done with

    await forget_what_was_acked(bus)
    await tell(bus, notice("fire", 4))
    again = [item async for item in fire.listen(timeout=0.3, until_idle=True)]

    assert named(handled) == ["ssj:1:fire", "ssj:2:fire", "ssj:3:fire"]
    assert named(again) == ["ssj:3:fire", f"receipt of {sent.command_id}", "ssj:4:fire"]
    info = await bus.jetstream().consumer_info(DEPT, dept_consumer("fire"))
    assert (info.num_ack_pending, info.num_pending) == (0, 0)  # the repeats were acked too


async def test_a_system_that_restarts_drops_repeats_by_the_ids_it_kept(
    bus: Client, nats_url: str, fire: DepartmentClient
) -> None:
    kept: set[str] = set()  # what the department's system keeps in its own store
    await tell(bus, notice("fire", 1))
    before = DepartmentClient(fire.nc, "fire", seen=kept)
    assert named([i async for i in before.listen(timeout=0.3, until_idle=True)]) == ["ssj:1:fire"]

    await forget_what_was_acked(bus)
    await tell(bus, notice("fire", 2))
    restarted = await connect(nats_url, name="fire again")
    try:
        after = DepartmentClient(restarted, "fire", seen=kept)
        got = [item async for item in after.listen(timeout=0.3, until_idle=True)]
    finally:
        await restarted.close()

    assert named(got) == ["ssj:2:fire"]
    assert kept == {"ssj:1:fire", "ssj:2:fire"}  # the notices' Nats-Msg-Id, which is their `id`


async def test_an_unreadable_message_stops_the_feed_and_stays_unacked(
    bus: Client, fire: DepartmentClient
) -> None:
    await bus.jetstream().publish("ssj.dept.fire.tasks.x", b'{"schema": "ssj.dept/9"}')

    with pytest.raises(UnreadableDocumentError, match=r"ssj\.dept/9"):
        [i async for i in fire.listen(timeout=0.3, until_idle=True)]

    info = await bus.jetstream().consumer_info(DEPT, dept_consumer("fire"))
    assert info.num_ack_pending == 1


async def test_listening_without_a_consumer_says_to_set_up_the_bus(
    bus: Client, nats_url: str
) -> None:
    nc = await connect(nats_url)
    try:
        with pytest.raises(BusError, match="ssj bus setup --dept health"):
            [i async for i in DepartmentClient(nc, "health").listen(until_idle=True)]
    finally:
        await nc.close()


async def test_an_unreachable_server_is_reported_at_once_naming_the_setting() -> None:
    with pytest.raises(BusUnreachableError, match="SSJ_NATS_URL"):
        await connect(f"nats://127.0.0.1:{free_port()}")
