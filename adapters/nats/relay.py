"""The relay: every stored event, in log order, onto JetStream; nothing lost, nothing doubled.

The event store is the outbox (TECH-NOTES.md). The relay reads the log after its position,
publishes each event on `ssj.events.<Aggregate>.<Event>` and what it means for a department or
the office (services/feeds.py) on their subjects, waits for the server's ack of every message of
the batch, and only then moves its position (`ssj_relay`). A crash anywhere before that moves
nothing: the next relay publishes the batch again, and the server drops each message whose
`Nats-Msg-Id` it has stored already (within the stream's duplicate window, streams.py). A
message's id is its event's position, so it is the same in every attempt.

Only one relay publishes at a time: it holds a PostgreSQL advisory lock for as long as its
connection lives; another waits, as a standby, and takes over when the lock is released. Reading
in position order never skips an event that commits later: every save takes the events table's
EXCLUSIVE lock (recorder.py), so positions become visible in order.

It wakes on the store's NOTIFY after each save, and polls as well, in case a notification is
lost while the connection is being re-established.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic
from nats.js import JetStreamContext

from adapters import metrics
from adapters.nats.messages import (
    ESCALATIONS,
    DeptNotice,
    Document,
    Escalation,
    RecordSheetDocument,
    event_subject,
    notice_subject,
)
from adapters.postgres.connect import connect
from adapters.postgres.read_model_schema import EVENTS
from adapters.postgres.read_models import open_pool
from services.feeds import NOTICE_EVENTS, Notice, notices_of
from services.stored import plain_state

log = logging.getLogger(__name__)

BATCH = 500
POLL = 1.0
"""Seconds between looks at the log when no notification came."""
ACK_TIMEOUT = 10.0
"""Seconds to wait for the server's acks of one batch before trying the batch again."""
RETRY = 0.5
DEFAULT_MAX_PAYLOAD = 1024 * 1024
"""The server's default max_payload, for a client that has not read the server's own yet."""
HEADER_ROOM = 1024


@dataclass(frozen=True)
class Message:
    subject: str
    id: str
    payload: bytes


def _split_topic(topic: str) -> tuple[str, str]:
    """`domain.task:Task.TaskDispatched` → (`Task`, `TaskDispatched`)."""
    qualname = topic.rsplit(":", 1)[-1]
    aggregate, _, event = qualname.rpartition(".")
    return aggregate or event, event


class Relay:
    def __init__(
        self,
        database_url: str,
        js: JetStreamContext,
        mapper: Mapper[UUID],
        *,
        name: str = "relay",
        schema: str = "public",
        batch: int = BATCH,
        poll: float = POLL,
        ack_timeout: float = ACK_TIMEOUT,
    ) -> None:
        self.database_url = database_url
        self.js = js
        self.mapper = mapper
        self.name = name
        self.schema = schema
        self.batch = batch
        self.poll = poll
        self.ack_timeout = ack_timeout
        self.published = 0
        """Events relayed by this relay (acked by the server), for the bench and the logs."""
        self._pool: asyncpg.Pool | None = None
        self._leader: asyncpg.Connection | None = None
        self._leads = False
        self._woken = asyncio.Event()
        self._notifying: dict[str, bool] = {}

    # ------------------------------------------------------------------ life
    async def open(self) -> None:
        self._pool = await open_pool(self.database_url, min_size=1, max_size=2)
        async with self._pool.acquire() as connection:
            await connection.execute(
                f"INSERT INTO {self._table('ssj_relay')} (name, position) VALUES ($1, 0) "
                "ON CONFLICT (name) DO NOTHING",
                self.name,
            )

    async def close(self) -> None:
        if self._leader is not None:
            with contextlib.suppress(Exception):
                await self._leader.close()
            self._leader = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __aenter__(self) -> Relay:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Relay.open() first")
        return self._pool

    # ------------------------------------------------------------------ leadership
    async def lead(self, stop: asyncio.Event) -> bool:
        """Wait until this relay holds the lock (or `stop` is set); listen for new events."""
        while not stop.is_set():
            if self._leader is None or self._leader.is_closed():
                # The lock lives with a connection of its own, outside the pool's recycling.
                self._leader = await connect(self.database_url)
            if await self._leader.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", f"ssj relay {self.name}"
            ):
                await self._leader.add_listener(EVENTS, self._wake)
                self._leads = True
                metrics.RELAY_LEADER.set(1)
                log.info("relay %s leads", self.name)
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll)
        return False

    def _wake(self, *_: Any) -> None:
        self._woken.set()

    def leading(self) -> bool:
        return self._leads and self._leader is not None and not self._leader.is_closed()

    # ------------------------------------------------------------------ work
    async def head(self) -> int:
        """The log's last position (its length, positions having no gaps): what the lag is
        measured against."""
        value = await self.pool.fetchval(f"SELECT max(notification_id) FROM {self._table(EVENTS)}")
        return int(value or 0)

    async def position(self) -> int:
        value = await self.pool.fetchval(
            f"SELECT position FROM {self._table('ssj_relay')} WHERE name = $1", self.name
        )
        return int(value or 0)

    async def relay_once(self) -> int:
        """Publish the next batch after the position and move the position; how many events."""
        rows = await self._read(await self.position())
        if not rows:
            return 0
        await self.publish([m for row in rows for m in self.messages_of(row)])
        await self.advance(rows[-1]["notification_id"])
        self.published += len(rows)
        metrics.RELAY_PUBLISHED.inc(len(rows))
        return len(rows)

    async def relay_available(self) -> int:
        """Everything after the position, with one batch in flight: the next batch is read and
        built while the server stores the last one. The position still moves batch by batch,
        each time every message before it is acked."""
        after = await self.position()
        in_flight: tuple[list[asyncio.Future[Any]], int, int] | None = None
        sent: list[asyncio.Future[Any]] = []
        total = 0
        try:
            while True:
                rows = await self._read(after)
                if rows:
                    sent = []
                    await self.send([m for row in rows for m in self.messages_of(row)], sent)
                    after = rows[-1]["notification_id"]
                if in_flight is not None:
                    futures, end, count = in_flight
                    in_flight = None
                    await self.acked(futures)
                    await self.advance(end)
                    self.published += count
                    metrics.RELAY_PUBLISHED.inc(count)
                    total += count
                if not rows:
                    return total
                in_flight = (sent, after, len(rows))
        finally:
            # Both batches: the one whose acks were awaited and the one sent after it, whose
            # futures would otherwise fail later with nobody to hear it.
            if in_flight is not None:
                _forget(in_flight[0])
            _forget(sent)

    async def _read(self, after: int) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self.pool.fetch(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {self._table(EVENTS)} WHERE notification_id > $1 "
            "ORDER BY notification_id LIMIT $2",
            after,
            self.batch,
        )
        return rows

    def messages_of(self, row: asyncpg.Record) -> list[Message]:
        position: int = row["notification_id"]
        stored = StoredEvent(
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        aggregate_id = UUID(str(row["originator_id"]))
        aggregate, kind = _split_topic(stored.topic)
        data = self._plain_state(stored)
        timestamp = data.pop("timestamp")
        # Built as plain JSON: EventDocument describes it, and tests validate what is built
        # against it; validating every event again here would cost the relay a third of its rate.
        document = {
            "schema": "ssj.event/1",
            "id": f"ssj:{position}",
            "position": position,
            "aggregate": aggregate,
            "aggregate_id": str(aggregate_id),
            "version": stored.originator_version,
            "type": kind,
            "timestamp": timestamp,
            "data": data,
        }
        payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        if len(payload) > self._room():
            # A message the server refuses would stop the relay at this event for good; the
            # event stays whole in the log, where its readers are sent.
            payload = json.dumps(
                {**document, "data": {}, "omitted": len(payload)},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
        messages = [Message(event_subject(aggregate, kind), f"ssj:{position}", payload)]
        if self._may_notify(stored.topic):
            event = self.mapper.to_domain_event(stored)
            for notice in notices_of(event):
                messages.append(_notice_message(position, aggregate_id, notice, self._room()))
        return messages

    def _room(self) -> int:
        """The largest payload the server takes, less room for the headers."""
        limit = getattr(getattr(self.js, "_nc", None), "max_payload", 0) or DEFAULT_MAX_PAYLOAD
        return int(limit) - HEADER_ROOM

    def _may_notify(self, topic: str) -> bool:
        if topic not in self._notifying:
            self._notifying[topic] = issubclass(resolve_topic(topic), NOTICE_EVENTS)
        return self._notifying[topic]

    def _plain_state(self, stored: StoredEvent) -> dict[str, Any]:
        """The stored state as plain JSON values: eventsourcing's typed values (`{"_type_":
        "datetime_iso", "_data_": …}`) become their ISO or canonical strings."""
        state = stored.state
        if self.mapper.cipher:
            state = self.mapper.cipher.decrypt(state)
        if self.mapper.compressor:
            state = self.mapper.compressor.decompress(state)
        return plain_state(state)

    async def publish(self, messages: Sequence[Message]) -> None:
        """Every message, then every ack; any failure leaves the position where it was."""
        sent: list[asyncio.Future[Any]] = []
        try:
            await self.send(messages, sent)
        except BaseException:
            _forget(sent)
            raise
        await self.acked(sent)

    async def send(
        self, messages: Sequence[Message], into: list[asyncio.Future[Any]] | None = None
    ) -> list[asyncio.Future[Any]]:
        """Each message's ack future, appended to `into` as it is made: a send that fails
        half-way leaves its caller the futures of what did go out."""
        futures = [] if into is None else into
        for m in messages:
            futures.append(
                await self.js.publish_async(m.subject, m.payload, headers={"Nats-Msg-Id": m.id})
            )
        return futures

    async def acked(self, futures: list[asyncio.Future[Any]]) -> None:
        try:
            await asyncio.wait_for(asyncio.gather(*futures), self.ack_timeout)
        finally:
            _forget(futures)

    async def advance(self, position: int) -> None:
        # greatest(): a relay that lost its lock unnoticed can never move the position back.
        await self.pool.execute(
            f"UPDATE {self._table('ssj_relay')} SET position = greatest(position, $2) "
            "WHERE name = $1",
            self.name,
            position,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Lead, then relay until `stop`; a failure (server down, store down) is retried."""
        while not stop.is_set():
            try:
                if not self.leading():
                    if self._leads:
                        self._leads = False
                        metrics.RELAY_LEADER.set(0)
                        log.warning("relay %s lost its lock; waiting to lead again", self.name)
                    if not await self.lead(stop):
                        return
                self._woken.clear()
                await self.relay_available()
            except Exception as error:  # the server or the store is away: try again
                log.warning("relay %s: %s; retrying", self.name, error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RETRY)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(self._woken.wait(), stop.wait()), self.poll)


def _forget(futures: list[asyncio.Future[Any]]) -> None:
    for future in futures:
        if future.done():
            # An ack that failed (a node killed mid-batch) was already reported by gather();
            # retrieving it keeps asyncio from logging each one again as never retrieved.
            if not future.cancelled():
                future.exception()
        else:
            future.cancel()  # an ack that never comes must not hold the client's slots


async def _first(*waits: Any) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _notice_message(position: int, task_id: UUID, notice: Notice, room: int) -> Message:
    common = {
        "position": position,
        "task_id": task_id,
        "department": notice.department,
        "kind": notice.kind,
        "deadline": notice.deadline,
        "year": notice.year,
        "at": notice.at,
    }
    document: Document
    if notice.to_office:
        document = Escalation.model_validate(
            {**common, "id": f"ssj:{position}:office", "target": notice.target}
        )
        return Message(ESCALATIONS, document.id, document.to_bytes())
    document = DeptNotice.model_validate(
        {
            **common,
            "id": f"ssj:{position}:{notice.department}",
            "targets": list(notice.targets),
            "sheets": [RecordSheetDocument.of(s, notice.department) for s in notice.sheets],
        }
    )
    payload = document.to_bytes()
    if len(payload) > room:
        payload = document.model_copy(
            update={"targets": [], "sheets": [], "omitted": len(payload)}
        ).to_bytes()
    return Message(notice_subject(notice.department, task_id), document.id, payload)
