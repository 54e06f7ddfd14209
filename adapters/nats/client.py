"""A department's side of the bus, for `ssj dept …` and for any department's own system.

Connect as the department's NATS user with its own inbox prefix (`connect_with` does; by hand:
`connect(url, "fire", password, inbox_prefix="_INBOX_fire")`), then:

    client = DepartmentClient(nc, "fire")
    receipt = await client.confirm(task_id)          # done, or refused with the reason
    async for item in client.listen():               # DeptNotice or Receipt, in order
        ...

A command is sent once through JetStream (its command_id is the message's Nats-Msg-Id, so a
resend within two minutes is dropped by the server, and the service applies it once anyway) and
answered by a Receipt on `ssj.dept.<dept>.receipts`. The feed is the durable consumer
`dept-<dept>`: what was not acked is delivered again, to this or the next listener; and after a
server crash the consumer may deliver again what was acked already, and a relay that stayed down
longer than the stream's duplicate window publishes again what the stream holds already. So the
feed drops every message whose Nats-Msg-Id it has handled before (the client's `seen`, kept for
as long as the client lives; a listener that restarts passes `HandledIds(path)`, which keeps them
in a file, or a set it keeps itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, MutableSet
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

from nats import errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError, NotFoundError
from pydantic import ValidationError

from adapters.nats.connect import BusError
from adapters.nats.messages import (
    CloseFollowUp,
    Command,
    Confirm,
    CorrectResult,
    Decline,
    DeptNotice,
    DrawInspectors,
    Escalation,
    OpenFollowUp,
    Receipt,
    RecordResult,
    RecordVisit,
    command_subject,
    receipts_subject,
)
from adapters.nats.streams import CMD, DEPT, OFFICE, OFFICE_CONSUMER, dept_consumer

DEFAULT_TIMEOUT = 10.0
T = TypeVar("T")

FeedItem = DeptNotice | Receipt
FEED_DOCUMENTS: Mapping[str, type[DeptNotice] | type[Receipt]] = {
    "ssj.dept/1": DeptNotice,
    "ssj.receipt/1": Receipt,
}


class ReceiptTimeoutError(BusError, TimeoutError):
    """No receipt in time: the command may still be applied later, exactly once."""


class CommandNotStoredError(BusError):
    """The server did not take the command: nothing was sent."""


class UnreadableDocumentError(BusError):
    """A feed message this client cannot read; it is left unacked for a client that can."""


def parse_feed(payload: bytes, subject: str = "") -> FeedItem:
    """A message of the department's feed, by the schema it names."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    schema = document.get("schema") if isinstance(document, dict) else None
    model = FEED_DOCUMENTS.get(schema) if isinstance(schema, str) else None
    if model is None:
        raise UnreadableDocumentError(
            f"{subject}: 无法识别的消息（schema {schema!r}），未确认，留待能识别它的客户端读取"
        )
    try:
        return model.model_validate_json(payload)
    except ValidationError as error:
        raise UnreadableDocumentError(f"{subject}: 不合 {schema} 格式的消息：{error}") from None


REORDER_WINDOW = 10_000
"""Positions behind the highest handled one that a feed message may still arrive at first.

The relay publishes in log order, but after a failure it publishes its last batches again while
later messages may already be stored (it has at most two batches of 500 events in flight), so a
message can reach the stream up to about a thousand positions after one that comes later in the
log. Below this window every position counts as handled; above it, the ids handled are kept."""
KEPT_OTHER_IDS = 10_000
"""Ids without a position (receipts: `receipt:<command_id>:<n>`) kept, the latest."""
_POSITIONED = re.compile(r"ssj:(\d+)(?::|$)")


def _position(key: str) -> int | None:
    found = _POSITIONED.match(key)
    return int(found.group(1)) if found else None


class HandledIds(MutableSet[str]):
    """The ids a feed has handled, kept in a small JSON file so that a listener that restarts
    still drops a repeat: one file per durable consumer (`ssj dept listen --state FILE`).

    A notice's or escalation's id is `ssj:<position>:<who>`, positions in log order, so what is
    kept is a high-water mark: every position up to `through` counts as handled, and the ids
    above it (at most REORDER_WINDOW positions) are listed. Receipts' ids are kept as they are,
    the latest KEPT_OTHER_IDS. The file is replaced atomically (written beside it, synced,
    renamed) on every `add`, which the feed calls before it acks, so a crash between the two
    leaves a message the next listener drops, never one it shows twice or loses.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        window: int = REORDER_WINDOW,
        kept_others: int = KEPT_OTHER_IDS,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.window = window
        self.kept_others = kept_others
        self.through = 0
        """Every position up to here counts as handled."""
        self.top = 0
        """The highest position handled."""
        self._recent: dict[str, int] = {}
        self._others: dict[str, None] = {}
        if self.path is not None and self.path.exists():
            self._load(self.path)

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if state.get("schema") != "ssj.handled/1":
                raise ValueError(state.get("schema"))
            self.through = int(state["through"])
            self.top = int(state["top"])
            for key in state["recent"]:
                position = _position(str(key))
                if position is None:
                    raise ValueError(key)
                self._recent[str(key)] = position
            self._others = dict.fromkeys(str(key) for key in state["others"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise BusError(
                f"--state：无法读取已处理消息的记录文件 {path}（{error}）；"
                "它应是此前 ssj dept listen --state 写下的文件"
            ) from None

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        position = _position(key)
        if position is not None:
            return position <= self.through or key in self._recent
        return key in self._others

    def __iter__(self) -> Iterator[str]:
        yield from self._recent
        yield from self._others

    def __len__(self) -> int:
        return len(self._recent) + len(self._others)

    def add(self, value: str) -> None:
        if value in self:
            return
        position = _position(value)
        if position is None:
            self._others[value] = None
            while len(self._others) > self.kept_others:
                del self._others[next(iter(self._others))]
        else:
            self._recent[value] = position
            self.top = max(self.top, position)
            if self.top - self.window > self.through:
                self.through = self.top - self.window
                self._recent = {k: p for k, p in self._recent.items() if p > self.through}
        self._save()

    def discard(self, value: str) -> None:
        if value in self._recent or value in self._others:
            self._recent.pop(value, None)
            self._others.pop(value, None)
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        state = {
            "schema": "ssj.handled/1",
            "through": self.through,
            "top": self.top,
            "recent": list(self._recent),
            "others": list(self._others),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        with partial.open("w", encoding="utf-8") as file:
            json.dump(state, file, separators=(",", ":"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)


class DepartmentClient:
    def __init__(self, nc: Client, department: str, seen: MutableSet[str] | None = None) -> None:
        self.nc = nc
        self.department = department
        self.seen: MutableSet[str] = set() if seen is None else seen
        """The feed's message ids handled so far (`message_id`): a repeat is dropped."""
        self._js = nc.jetstream()

    async def send(self, command: Command, timeout: float = DEFAULT_TIMEOUT) -> Receipt:
        """Send one command and wait for its receipt, `timeout` seconds in all."""
        if command.department != self.department:
            raise ValueError(
                f"department: 命令属于 {command.department}，本客户端是 {self.department}"
            )
        subject = command_subject(self.department, command.command)
        deadline = asyncio.get_running_loop().time() + timeout
        # Subscribed before sending: a fast service must not answer into the void.
        receipts = await self.nc.subscribe(receipts_subject(self.department))
        try:
            ack = await self._store(subject, command, timeout)
            while True:
                left = deadline - asyncio.get_running_loop().time()
                try:
                    message = await receipts.next_msg(timeout=max(left, 0.001))
                except TimeoutError:
                    raise ReceiptTimeoutError(
                        f"{timeout:g} 秒内未收到回执：{self.department} 的 {command.command} 命令"
                        f"（command_id {command.command_id}），在 {receipts.subject} 上等待；"
                        + (
                            "该命令此前已发送过，回执可能已在当时送达；"
                            if ack.duplicate
                            else "命令已存入 SSJ_CMD，"
                        )
                        + "请检查服务的 ssj worker 是否在运行"
                    ) from None
                receipt = _receipt(message.data)
                if receipt is not None and receipt.command_id == command.command_id:
                    return receipt
        finally:
            with contextlib.suppress(errors.Error):
                await receipts.unsubscribe()

    async def _store(self, subject: str, command: Command, timeout: float) -> PubAck:
        try:
            return await self._js.publish(
                subject,
                command.to_bytes(),
                timeout=timeout,
                headers={"Nats-Msg-Id": str(command.command_id)},
            )
        except NoStreamResponseError:
            raise CommandNotStoredError(
                f"{subject}: 没有接收命令的流 {CMD}，请先运行 ssj bus setup"
            ) from None
        except TimeoutError:
            raise CommandNotStoredError(
                f"{subject}: 服务器 {timeout:g} 秒内未确认收到命令；"
                f"当前 NATS 用户可能无权以 {self.department} 的身份发送（见 deploy/nats/README.md）"
            ) from None

    # ------------------------------------------------------------------------ the commands
    async def confirm(
        self, task_id: UUID, at: datetime | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Receipt:
        return await self.send(Confirm(**self._head(task_id, at)), timeout)

    async def decline(
        self,
        task_id: UUID,
        reason: str,
        at: datetime | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        return await self.send(Decline(**self._head(task_id, at), reason=reason), timeout)

    async def draw_inspectors(
        self, task_id: UUID, at: datetime | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Receipt:
        return await self.send(DrawInspectors(**self._head(task_id, at)), timeout)

    async def record_visit(
        self,
        task_id: UUID,
        target: str,
        signed: bool = True,
        note: str = "",
        at: datetime | None = None,
        *,
        on_site_reason: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        command = RecordVisit(
            **self._head(task_id, at),
            target=target,
            signed=signed,
            note=note,
            on_site_reason=on_site_reason,
        )
        return await self.send(command, timeout)

    async def record_result(
        self,
        task_id: UUID,
        target: str,
        category: str,
        findings: Mapping[str, str],
        at: datetime | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        command = RecordResult(
            **self._head(task_id, at), target=target, category=category, findings=dict(findings)
        )
        return await self.send(command, timeout)

    async def correct_result(
        self,
        task_id: UUID,
        target: str,
        category: str,
        findings: Mapping[str, str],
        reason: str,
        at: datetime | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        command = CorrectResult(
            **self._head(task_id, at),
            target=target,
            category=category,
            findings=dict(findings),
            reason=reason,
        )
        return await self.send(command, timeout)

    async def open_follow_up(
        self,
        task_id: UUID,
        target: str,
        problem: str,
        due: date,
        at: datetime | None = None,
        *,
        measure: str = "责令改正",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        command = OpenFollowUp(
            **self._head(task_id, at), target=target, problem=problem, due=due, measure=measure
        )
        return await self.send(command, timeout)

    async def close_follow_up(
        self,
        task_id: UUID,
        number: int,
        outcome: str,
        at: datetime | None = None,
        *,
        measure: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Receipt:
        command = CloseFollowUp(
            **self._head(task_id, at), number=number, outcome=outcome, measure=measure
        )
        return await self.send(command, timeout)

    def _head(self, task_id: UUID, at: datetime | None) -> dict[str, Any]:
        return {"command_id": uuid4(), "department": self.department, "task_id": task_id, "at": at}

    # ------------------------------------------------------------------------ the feed
    async def listen(
        self,
        *,
        batch: int = 10,
        timeout: float = 5.0,
        limit: int | None = None,
        until_idle: bool = False,
    ) -> AsyncGenerator[FeedItem, None]:
        """The department's notices and receipts, oldest first, from its durable consumer.

        Each message is acked when the next one is asked for, so one that was being handled when
        the caller stopped is delivered again later (after the consumer's ack wait). One handled
        before (its id is in `seen`) is acked and dropped. `limit` stops after that many, acking
        the last; `until_idle` stops when `timeout` seconds pass with nothing new. Close the
        iterator (`contextlib.aclosing`) when stopping early.
        """
        consumer = dept_consumer(self.department)
        await self._check_consumer(consumer)
        feed = pull_feed(
            self.nc, DEPT, consumer, parse_feed, batch, timeout, limit, until_idle, self.seen
        )
        async with contextlib.aclosing(feed):
            async for item in feed:
                yield item

    async def _check_consumer(self, consumer: str) -> None:
        """Say what to do, where a pull from a missing or forbidden consumer would only wait."""
        try:
            await self._js.consumer_info(DEPT, consumer)
        except NotFoundError:
            raise BusError(
                f"{DEPT}/{consumer} 不存在：请先运行 ssj bus setup --dept {self.department}"
            ) from None
        except TimeoutError:
            raise BusError(
                f"{DEPT}/{consumer}: 服务器未回答；当前 NATS 用户可能无权读取 "
                f"{self.department} 的消息（见 deploy/nats/README.md）"
            ) from None


async def pull_feed(
    nc: Client,
    stream: str,
    consumer: str,
    parse: Callable[[bytes, str], T],
    batch: int,
    timeout: float,
    limit: int | None,
    until_idle: bool,
    seen: MutableSet[str],
) -> AsyncGenerator[T, None]:
    """A durable pull consumer's messages, parsed, each acked when the next one is asked for;
    each id is added to `seen` as it is acked, and a message whose id is there already is acked
    without being parsed or yielded."""
    feed = await nc.jetstream().pull_subscribe_bind(consumer, stream=stream)
    try:
        handled = 0
        while limit is None or handled < limit:
            want = batch if limit is None else min(batch, limit - handled)
            try:
                messages = await feed.fetch(want, timeout=timeout)
            except TimeoutError:  # a fetch raises asyncio's, not only nats-py's
                messages = []
            _honour_cancellation()
            if not messages and until_idle:
                return
            for message in messages:
                key = message_id(message)
                if key not in seen:
                    yield parse(message.data, message.subject)
                    handled += 1
                seen.add(key)  # before the ack: one handled and then not acked is a repeat
                await message.ack()
                _honour_cancellation()
    finally:
        if not nc.is_closed:
            with contextlib.suppress(errors.Error):
                await feed.unsubscribe()


def message_id(message: Msg) -> str:
    """What tells a repeat: the Nats-Msg-Id the service gives every message it publishes (the
    `id` of a notice or escalation, `receipt:<command_id>:<n>` of a receipt), or else the
    message's place in its stream."""
    given = (message.headers or {}).get("Nats-Msg-Id")
    return given or f"seq:{message.metadata.stream}:{message.metadata.sequence.stream}"


async def escalations(
    nc: Client,
    *,
    batch: int = 10,
    timeout: float = 5.0,
    limit: int | None = None,
    until_idle: bool = False,
    seen: MutableSet[str] | None = None,
) -> AsyncGenerator[Escalation, None]:
    """The coordinating office's feed (双随机办): every deadline a department let pass, from the
    durable consumer `office`, acked and rid of repeats as `DepartmentClient.listen` does
    (`seen`: the ids handled before, kept by the caller across calls)."""

    def parse(payload: bytes, subject: str) -> Escalation:
        try:
            return Escalation.model_validate_json(payload)
        except ValidationError as error:
            raise UnreadableDocumentError(f"{subject}: 无法读取的上报消息（{error}）") from None

    feed = pull_feed(
        nc,
        OFFICE,
        OFFICE_CONSUMER,
        parse,
        batch,
        timeout,
        limit,
        until_idle,
        set() if seen is None else seen,
    )
    async with contextlib.aclosing(feed):
        async for item in feed:
            yield item


def _honour_cancellation() -> None:
    """nats-py 2.16 swallows a cancellation that arrives during a publish (every fetch and ack
    publishes), so a listener told to stop, by Ctrl-C say, would listen on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _receipt(payload: bytes) -> Receipt | None:
    """Receipts of other commands of the department share the subject; those are skipped."""
    try:
        return Receipt.model_validate_json(payload)
    except ValidationError:
        return None
