"""The audit chain: proof that no stored event was changed, removed, moved or added afterwards.

Each stored event has a link, made by the database in the same transaction as the insert:

    link(n) = SHA-256( link(n-1) ‖ position (int8) ‖ aggregate id (16 bytes) ‖ version (int8)
                       ‖ length of type (int4) ‖ type (UTF-8) ‖ stored bytes )

with link(0) = 32 zero bytes and integers big-endian. Anyone can recompute it from the events
alone; a checkpoint (position, head) published by the office pins the chain outside the
database, so that even someone able to rewrite the events, the links and the checkpoints'
table together is caught (`verify_chain(published=…)`).

Verification reads the events and the links side by side, in one snapshot, and checks each link
against the stored link before it: so each damage shows where it is, not only the first. A
changed event fails its own link; a deleted one leaves its link without an event; a row the
service never wrote has no link; a moved one matches the link of the position it was written
at. Deleted events whose links went too are found by what still remembers them: a checkpoint,
the relay's and the read models' positions, the command ids' positions.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from adapters.postgres.checkpoints import Checkpoint, check_marks, checkpoint, issued, remembered
from adapters.postgres.connect import connect
from services.integrity import Damage, Finding, positions_text, runs

GENESIS = bytes(32)
BATCH = 20_000
END = 2**63
"""Past every position: where a table that has been read to its end stands."""
MOST_COMPARED = 40_000
"""Pairs of damaged positions compared to find moved events; beyond, each is reported alone."""
MOST_KEPT = 1_000
"""Damaged events kept to compare: a chain gone altogether must not fill the auditor's memory."""

Event = tuple[Any, int, str, bytes]
"""(aggregate id, version, type, stored bytes) of one stored event."""


def link(
    previous: bytes, position: int, aggregate: bytes, version: int, topic: str, state: bytes
) -> bytes:
    kind = topic.encode()
    return hashlib.sha256(
        b"".join(
            (
                previous,
                position.to_bytes(8, "big", signed=True),
                aggregate,
                version.to_bytes(8, "big", signed=True),
                len(kind).to_bytes(4, "big", signed=True),
                kind,
                state,
            )
        )
    ).digest()


def _link_of(previous: bytes, position: int, event: Event) -> bytes:
    aggregate, version, topic, state = event
    return link(previous, position, aggregate.bytes, version, topic, state)


@dataclass
class ChainReport:
    events: int = 0
    links: int = 0
    position: int = 0
    """The last position holding an event."""
    head: str = GENESIS.hex()
    """The chain's head at `position`, recomputed from the events alone."""
    checkpoints: int = 0
    """Checkpoints compared, from the database's table and from outside it."""
    outside: int = 0
    """Of which published outside the database (`--checkpoint`)."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        marks = f"核对检查点 {self.checkpoints} 个" + (
            f"（其中库外公布 {self.outside} 个）" if self.outside else ""
        )
        if self.ok:
            return (
                f"审计链：{self.events} 条事件逐条重算一致，链头 {self.head[:16]}…"
                f"（位置 {self.position}），{marks} ✓"
            )
        return "\n".join(
            [
                f"审计链：{self.events} 条事件、{self.links} 个链接，{marks}，"
                f"发现 {len(self.findings)} 处不一致 ✗",
                *(f"  {f}" for f in self.findings),
            ]
        )


# ---------------------------------------------------------------------------- reading
class _Pages:
    """Rows of one table in position order, a page at a time, peeked one by one."""

    def __init__(self, connection: asyncpg.Connection, query: str) -> None:
        self.connection = connection
        self.query = query
        self.rows: list[Any] = []
        self.at = 0
        self.after = 0
        self.done = False

    async def peek(self) -> Any:
        if self.at == len(self.rows):
            if self.done:
                return None
            self.rows = await self.connection.fetch(self.query, self.after, BATCH)
            self.at = 0
            self.done = len(self.rows) < BATCH
            if not self.rows:
                return None
            self.after = self.rows[-1][0]
        return self.rows[self.at]


@dataclass
class _Walk:
    """The side-by-side reading of events and links, and what it found."""

    wanted: set[int]
    report: ChainReport = field(default_factory=ChainReport)
    previous_link: bytes = GENESIS
    previous_link_at: int = 0
    recomputed: bytes = GENESIS
    heads: dict[int, bytes] = field(default_factory=dict)
    """Position of a checkpoint -> the head recomputed from the events there."""
    last_seen: int = 0
    changed: list[int] = field(default_factory=list)
    """Positions whose event fails its link, the link before being the one stored before it."""
    cut: dict[int, str] = field(default_factory=dict)
    """Positions whose event fails its link after positions that hold nothing: the finding."""
    unlinked: list[int] = field(default_factory=list)
    """Positions with an event and no link."""
    deleted: list[int] = field(default_factory=list)
    """Positions with a link and no event."""
    links_of: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)
    """Damaged position -> (link before, its link), where a moved event may have come from."""
    events_at: dict[int, Event] = field(default_factory=dict)
    """Damaged position -> its event, which may have been moved there."""

    def both(self, position: int, event: Event, stored: bytes) -> None:
        local = _link_of(self.previous_link, position, event)
        same_chain = self.recomputed == self.previous_link
        self.recomputed = local if same_chain else _link_of(self.recomputed, position, event)
        if local != stored:
            if self.last_seen + 1 < position:
                self.cut[position] = (
                    f"位置 {position}：与前一个链接（位置 {self.previous_link_at}）接不上："
                    f"其间位置 {positions_text(range(self.last_seen + 1, position))} 的事件"
                    f"连同链接被删除，或位置 {position} 的事件已被改动"
                )
            else:
                self.changed.append(position)
            self._keep(position, event, (self.previous_link, stored))
        self._linked(position, stored)
        self._event(position)

    def event_only(self, position: int, event: Event) -> None:
        self.recomputed = _link_of(self.recomputed, position, event)
        self.unlinked.append(position)
        self._keep(position, event, None)
        self._event(position)

    def link_only(self, position: int, stored: bytes) -> None:
        self.deleted.append(position)
        self._keep(position, None, (self.previous_link, stored))
        self._linked(position, stored)

    def _keep(self, position: int, event: Event | None, links: tuple[bytes, bytes] | None) -> None:
        """What finding moved events needs, for the first damaged positions only."""
        if len(self.links_of) + len(self.events_at) >= MOST_KEPT:
            return
        if event is not None:
            self.events_at[position] = event
        if links is not None:
            self.links_of[position] = links

    def _linked(self, position: int, stored: bytes) -> None:
        self.previous_link, self.previous_link_at = stored, position
        self.report.links += 1
        self.last_seen = position

    def _event(self, position: int) -> None:
        self.report.events += 1
        self.report.position = position
        self.last_seen = position
        if position in self.wanted:
            self.heads[position] = self.recomputed

    def findings(self) -> list[Finding]:
        moved = self._moved()
        origins = set(moved.values())
        found = [
            Finding(
                Damage.REORDERED,
                position,
                f"位置 {position}：这条事件写入时在位置 {origin}（与位置 {origin} 的审计链链接相符），"
                "被移到了这里",
            )
            for position, origin in moved.items()
        ]
        found += [
            Finding(Damage.CHANGED, position, text)
            for position, text in self.cut.items()
            if position not in moved and position not in origins
        ]
        for positions, damage, what in (
            (
                self.changed,
                Damage.CHANGED,
                "事件已被改动（内容、类型、聚合或版本与审计链链接不符）",
            ),
            (
                self.unlinked,
                Damage.REORDERED,
                "事件没有审计链链接：不是由服务写入的（后来插入，或被移到此处）",
            ),
            (self.deleted, Damage.DELETED, "事件已被删除（审计链中仍有链接）"),
        ):
            left = [p for p in positions if p not in moved and p not in origins]
            for first, last in runs(left):
                where = positions_text(range(first, last + 1))
                found.append(Finding(damage, first, f"位置 {where}：{what}"))
        return found

    def _moved(self) -> dict[int, int]:
        """Position now holding an event -> the position it was written at, for each event
        that matches the link of another position than its own."""
        damaged = len(self.changed) + len(self.cut) + len(self.unlinked) + len(self.deleted)
        kept = len(self.links_of) + len(self.events_at)
        if kept >= MOST_KEPT or damaged * damaged > MOST_COMPARED:
            return {}
        moved: dict[int, int] = {}
        for origin, (before, stored) in self.links_of.items():
            for position, event in self.events_at.items():
                if position != origin and _link_of(before, origin, event) == stored:
                    moved[position] = origin
                    break
        return moved


# ---------------------------------------------------------------------------- verifying
async def _verify(
    connection: asyncpg.Connection, schema: str, published: Sequence[Checkpoint] = ()
) -> ChainReport:
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        stored = await connection.fetch(
            f'SELECT position, head, recorded_at FROM "{schema}".ssj_checkpoints ORDER BY position'
        )
        marks = [Checkpoint(r[0], bytes(r[1]).hex(), r[2]) for r in stored] + list(published)
        last_issued = await issued(connection, schema)
        seen = await remembered(connection, schema)
        walk = _Walk({m.position for m in marks})
        events = _Pages(
            connection,
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f'FROM "{schema}".ssj_events WHERE notification_id > $1 '
            "ORDER BY notification_id LIMIT $2",
        )
        links = _Pages(
            connection,
            f'SELECT position, link FROM "{schema}".ssj_chain WHERE position > $1 '
            "ORDER BY position LIMIT $2",
        )
        event, chained = await events.peek(), await links.peek()
        while event is not None or chained is not None:
            at_event = event[0] if event is not None else END
            at_link = chained[0] if chained is not None else END
            if at_event == at_link:
                walk.both(at_event, (event[1], event[2], event[3], event[4]), chained[1])
            elif at_event < at_link:
                walk.event_only(at_event, (event[1], event[2], event[3], event[4]))
            else:
                walk.link_only(at_link, chained[1])
            if at_event <= at_link:
                events.at += 1
                event = await events.peek()
            if at_link <= at_event:
                links.at += 1
                chained = await links.peek()
    report = walk.report
    report.head = walk.recomputed.hex()
    report.checkpoints = len(marks)
    report.outside = len(published)
    # Positions only ever grow in the walk, so the last seen is never before the last event.
    report.findings = walk.findings() + check_marks(
        marks, walk.heads, set(walk.deleted), report.position, walk.last_seen, last_issued, seen
    )
    report.findings.sort(key=lambda f: f.position)
    return report


async def verify_chain_async(
    database_url: str, schema: str = "public", published: Sequence[Checkpoint] = ()
) -> ChainReport:
    connection = await connect(database_url)
    try:
        return await _verify(connection, schema, published)
    finally:
        await connection.close()


def verify_chain(
    database_url: str, schema: str = "public", published: Sequence[Checkpoint] = ()
) -> ChainReport:
    """Recompute every link from the stored events and compare each with the stored one, and
    the chain with every checkpoint, those of the database's table and those `published`
    outside it; report every damage, each named by its position."""
    return asyncio.run(verify_chain_async(database_url, schema, published))


__all__ = ["ChainReport", "Checkpoint", "checkpoint", "link", "verify_chain", "verify_chain_async"]
