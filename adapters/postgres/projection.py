"""Following the global log into PostgreSQL read models, over asyncpg.

A runner reads the stored events after its projection's recorded position, a batch at a time,
decodes them with the application's own mapper, and in ONE transaction applies the batch's effect
to the projection's tables and moves the recorded position to the batch's last event. So a crash
leaves rows and position as they were before the batch, a restart resumes exactly there, and a
replayed position is refused rather than applied twice.

Notification ids can have gaps (a failed save uses up a sequence value): the runner always asks
for what comes after its position, never for "the next id". The batch's transaction starts by
locking the projection's position row, so two runners of the same projection (two worker
processes) take turns instead of applying the same events twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from adapters.postgres.read_model_schema import BATCH, EVENTS, POSITIONS, qualified
from services.log import Logged


class ProjectionPositionError(Exception):
    """A projection was asked to record a position that is not past the one it holds."""


class Projection(Protocol):
    """One read model in PostgreSQL: its tables, and the effect of a batch of events on them."""

    name: str
    """Its row in the positions table."""
    tables: tuple[str, ...]
    """The tables it owns: emptied by a rebuild."""
    events: frozenset[type]
    """The event classes it has an effect for: their states come with the runner's first read."""

    def folds(self, topic: str) -> bool:
        """Whether it has an effect for events stored under `topic` (a renamed class's old topic
        too): the runner decodes no other event, the others only move the position."""

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        """Record the batch's effect, inside the runner's transaction."""


async def recorded_position(connection: Any, schema: str, projection: str) -> int:
    """The position recorded for a projection or a process (0 before its first batch)."""
    position = await connection.fetchval(
        f"SELECT position FROM {qualified(schema, POSITIONS)} WHERE projection = $1", projection
    )
    return int(position or 0)


async def hold_position(connection: Any, schema: str, projection: str) -> int:
    """The projection's recorded position, locked until the transaction ends."""
    table = qualified(schema, POSITIONS)
    await connection.execute(
        f"INSERT INTO {table} (projection, position) VALUES ($1, 0) ON CONFLICT DO NOTHING",
        projection,
    )
    position = await connection.fetchval(
        f"SELECT position FROM {table} WHERE projection = $1 FOR UPDATE", projection
    )
    return int(position)


async def advance_position(connection: Any, schema: str, projection: str, position: int) -> bool:
    """Record `position` if it is past the recorded one; a replayed position changes nothing."""
    status = await connection.execute(
        f"UPDATE {qualified(schema, POSITIONS)} SET position = $2, updated_at = now() "
        "WHERE projection = $1 AND position < $2",
        projection,
        position,
    )
    return bool(status == "UPDATE 1")


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        mapper: Mapper[UUID],
        projection: Projection,
        schema: str = "public",
        batch: int = BATCH,
    ) -> None:
        self.pool = pool
        self.mapper = mapper
        self.projection = projection
        if getattr(projection, "mapper", False) is None:
            # A projection that reads more of the log than its batch (the read models rebuild a
            # draw's population from its directory) decodes it as the batch is decoded.
            projection.mapper = mapper  # type: ignore[attr-defined]
        self.schema = schema
        self.batch = batch
        events = qualified(schema, EVENTS)
        self._read = (
            "SELECT notification_id, originator_id, originator_version, topic, "
            "CASE WHEN topic = ANY($2::text[]) THEN state END AS state "
            f"FROM {events} WHERE notification_id > $1 ORDER BY notification_id LIMIT $3"
        )
        self._read_states = (
            f"SELECT notification_id, state FROM {events} WHERE notification_id = ANY($1::bigint[])"
        )
        self._topics = [get_topic(cls) for cls in projection.events]
        """The topics whose states the first read of a batch brings: the events' own, known in
        advance, and each other topic the projection folds (a renamed class's old one) once it
        has been read."""

    @property
    def name(self) -> str:
        return self.projection.name

    async def position(self) -> int:
        async with self.pool.acquire() as connection:
            return await recorded_position(connection, self.schema, self.name)

    async def catch_up(self) -> int:
        """Apply everything recorded after the projection's position; returns the new position."""
        while True:
            position, complete = await self._one_batch()
            if complete:
                return position

    async def rebuild(self) -> int:
        """Empty the projection's tables and its position in one transaction, then catch up."""
        async with self.pool.acquire() as connection, connection.transaction():
            await hold_position(connection, self.schema, self.name)
            for table in self.projection.tables:
                await connection.execute(f"DELETE FROM {qualified(self.schema, table)}")
            await connection.execute(
                f"UPDATE {qualified(self.schema, POSITIONS)} SET position = 0, updated_at = now() "
                "WHERE projection = $1",
                self.name,
            )
        return await self.catch_up()

    async def _one_batch(self) -> tuple[int, bool]:
        async with self.pool.acquire() as connection, connection.transaction():
            position = await hold_position(connection, self.schema, self.name)
            rows = await connection.fetch(self._read, position, self._topics, self.batch)
            if not rows:
                return position, True
            states = {row["notification_id"]: row["state"] for row in rows}
            unread = [
                row["notification_id"]
                for row in rows
                if row["state"] is None and self._wants(row["topic"])
            ]
            if unread:
                for row in await connection.fetch(self._read_states, unread):
                    states[row["notification_id"]] = row["state"]
            batch = [
                Logged(row["notification_id"], self._decode(row, states[row["notification_id"]]))
                for row in rows
                if states[row["notification_id"]] is not None
            ]
            if batch:
                await self.projection.apply(connection, batch)
            last = int(rows[-1]["notification_id"])
            if not await advance_position(connection, self.schema, self.name, last):
                raise ProjectionPositionError(f"{self.name}: {last} 不在已记录位置 {position} 之后")
        return last, len(rows) < self.batch

    def _wants(self, topic: str) -> bool:
        wants = self.projection.folds(topic)
        if wants and topic not in self._topics:
            self._topics.append(topic)
        return wants

    def _decode(self, row: Any, state: bytes) -> Any:
        return self.mapper.to_domain_event(
            StoredEvent(
                originator_id=UUID(bytes=row["originator_id"].bytes),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(state),
            )
        )
