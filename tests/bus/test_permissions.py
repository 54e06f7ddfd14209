"""deploy/nats/ssj.conf on a real server: each department sends and reads its own, and the server
refuses it everything of another department, and every other client's inbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from nats.aio.client import Client

from adapters.nats.client import DepartmentClient
from adapters.nats.connect import BusLoginError, connect
from adapters.nats.messages import DeptNotice, notice_subject
from adapters.nats.streams import CMD, DEPT, OFFICE, OFFICE_CONSUMER, dept_consumer, setup_bus
from tests.bus.conftest import DEPARTMENTS
from tests.bus.harness import NatsServer
from tests.bus.stand_in import answering, done

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "ssj.conf"
USERS = ("ssj", "office", *DEPARTMENTS)
PASSWORDS = {f"SSJ_NATS_{user.upper()}_PASSWORD": f"{user}-口令-{user}" for user in USERS}
TASK = UUID("0b7f6a8e-1c1d-4a57-9d3e-2f4b5c6d7e8f")


class Refusals:
    """What the server reports to a client's error callback: permission violations come here,
    not as exceptions of the call that caused them."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._more = asyncio.Event()

    async def __call__(self, error: Exception) -> None:
        self.seen.append(str(error).lower())
        self._more.set()

    async def wait_for(self, operation: str, subject: str) -> None:
        expected = f'permissions violation for {operation} to "{subject.lower()}"'
        async with asyncio.timeout(2):
            while not any(expected in seen for seen in self.seen):
                self._more.clear()
                await self._more.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    secured = NatsServer(tmp_path / "jetstream", config=CONFIG, env=PASSWORDS).start()
    try:
        yield secured
    finally:
        secured.stop()


class Login:
    def __init__(self, server: NatsServer) -> None:
        self.server = server
        self.clients: list[Client] = []

    async def __call__(self, user: str, refusals: Refusals | None = None) -> Client:
        inbox = None if user == "ssj" else f"_INBOX_{user}"
        nc = await connect(
            self.server.url,
            user,
            PASSWORDS[f"SSJ_NATS_{user.upper()}_PASSWORD"],
            inbox_prefix=inbox,
            error_cb=refusals or Refusals(),
        )
        self.clients.append(nc)
        return nc


@pytest.fixture
async def login(server: NatsServer) -> AsyncIterator[Login]:
    logins = Login(server)
    try:
        yield logins
    finally:
        for nc in logins.clients:
            await nc.close()


@pytest.fixture
async def service(login: Login) -> Client:
    nc = await login("ssj")
    await setup_bus(nc.jetstream(), DEPARTMENTS)
    return nc


def notice(department: str) -> DeptNotice:
    return DeptNotice(
        id=f"ssj:1:{department}",
        position=1,
        task_id=TASK,
        department=department,
        kind="dispatched",
        at=datetime(2023, 11, 1, 9, 30, tzinfo=UTC),
    )


async def tell(service: Client, department: str) -> None:
    await service.jetstream().publish(
        notice_subject(department, TASK), notice(department).to_bytes()
    )


def test_the_server_will_not_start_without_every_password(tmp_path: Path) -> None:
    missing = {**PASSWORDS}
    del missing["SSJ_NATS_FIRE_PASSWORD"]

    with pytest.raises(RuntimeError, match="exited"):
        NatsServer(tmp_path / "jetstream", config=CONFIG, env=missing).start()


async def test_a_wrong_password_is_refused(server: NatsServer) -> None:
    with pytest.raises(BusLoginError, match="fire"):
        await connect(server.url, "fire", "police-口令-police")


async def test_a_department_sends_and_reads_its_own_with_nothing_refused(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = DepartmentClient(await login("fire", refusals), "fire")
    await tell(service, "fire")

    async with answering(service, done()) as intake:
        receipt = await fire.confirm(TASK, timeout=3)
    feed = [item async for item in fire.listen(timeout=0.3, until_idle=True)]

    assert receipt.status == "done"
    assert [m.subject for m in intake.received] == ["ssj.cmd.fire.confirm"]
    assert [type(i).__name__ for i in feed] == ["DeptNotice", "Receipt"]
    info = await service.jetstream().consumer_info(DEPT, dept_consumer("fire"))
    assert info.num_ack_pending == 0 and info.num_pending == 0  # the acks went through
    assert refusals.seen == []


async def test_a_department_cannot_send_a_command_for_another(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = await login("fire", refusals)

    with pytest.raises(TimeoutError):
        await fire.jetstream().publish("ssj.cmd.police.confirm", b"{}", timeout=0.5)

    await refusals.wait_for("publish", "ssj.cmd.police.confirm")
    assert (await service.jetstream().stream_info(CMD)).state.messages == 0


async def test_a_department_cannot_subscribe_to_another_departments_subjects(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = await login("fire", refusals)
    eavesdrop = await fire.subscribe("ssj.dept.police.>")
    await refusals.wait_for("subscription", "ssj.dept.police.>")

    await tell(service, "police")

    with pytest.raises(TimeoutError):
        await eavesdrop.next_msg(timeout=0.3)


async def test_a_department_cannot_read_another_departments_consumer(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = await login("fire", refusals)
    await tell(service, "police")

    police_feed = await fire.jetstream().pull_subscribe_bind(dept_consumer("police"), stream=DEPT)
    with pytest.raises(TimeoutError):
        await police_feed.fetch(1, timeout=0.5)

    await refusals.wait_for("publish", f"$JS.API.CONSUMER.MSG.NEXT.{DEPT}.dept-police")
    info = await service.jetstream().consumer_info(DEPT, dept_consumer("police"))
    assert info.num_pending == 1 and info.num_ack_pending == 0  # still there for police


async def test_a_department_may_use_no_other_part_of_the_jetstream_api(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = await login("fire", refusals)
    js = fire.jetstream(timeout=0.5)
    await tell(service, "police")

    answers = await asyncio.gather(
        js.add_consumer(DEPT, durable_name="mine", filter_subject="ssj.dept.police.>"),
        js.consumer_info(DEPT, dept_consumer("police")),
        js.stream_info(DEPT),
        js.get_msg(DEPT, 1),
        return_exceptions=True,
    )
    await fire.publish(f"$JS.ACK.{DEPT}.dept-police.1.1.1.1.0", b"")

    assert all(isinstance(answer, TimeoutError) for answer in answers), answers
    for subject in (
        f"$JS.API.CONSUMER.DURABLE.CREATE.{DEPT}.mine",
        f"$JS.API.CONSUMER.INFO.{DEPT}.dept-police",
        f"$JS.API.STREAM.INFO.{DEPT}",
        f"$JS.API.STREAM.MSG.GET.{DEPT}",
        f"$JS.ACK.{DEPT}.dept-police.1.1.1.1.0",
    ):
        await refusals.wait_for("publish", subject)


async def test_a_department_cannot_listen_to_other_clients_inboxes(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    fire = await login("fire", refusals)

    await fire.subscribe("_INBOX.>")
    await fire.subscribe("_INBOX_police.>")

    await refusals.wait_for("subscription", "_INBOX.>")
    await refusals.wait_for("subscription", "_INBOX_police.>")


async def test_the_office_reads_its_escalations_and_nothing_of_the_departments(
    service: Client, login: Login
) -> None:
    refusals = Refusals()
    office = await login("office", refusals)
    await service.jetstream().publish("ssj.office.escalations", b"{}")

    escalations = await office.jetstream().pull_subscribe_bind(OFFICE_CONSUMER, stream=OFFICE)
    [escalation] = await escalations.fetch(1, timeout=1)
    await escalation.ack()
    await office.subscribe("ssj.dept.>")
    await office.publish("ssj.cmd.fire.confirm", b"{}")

    assert escalation.subject == "ssj.office.escalations"
    await refusals.wait_for("subscription", "ssj.dept.>")
    await refusals.wait_for("publish", "ssj.cmd.fire.confirm")
