"""The audit chain: proof that no stored event was changed or removed after it was written.

Each stored event has a link, made by the database in the same transaction as the insert:

    link(n) = SHA-256( link(n-1) ‖ position (int8) ‖ aggregate id (16 bytes) ‖ version (int8)
                       ‖ length of type (int4) ‖ type (UTF-8) ‖ stored bytes )

with link(0) = 32 zero bytes and integers big-endian. Anyone can recompute it from the events
alone; a checkpoint (position, head, time) published by the office pins the chain outside the
database, so that even someone able to rewrite both the events and the links is caught.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from adapters.postgres.urls import PgUrl

GENESIS = bytes(32)
BATCH = 20_000


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


@dataclass(frozen=True)
class Checkpoint:
    position: int
    head: str
    """Hex of the chain's link at `position`."""
    recorded_at: datetime


@dataclass
class ChainReport:
    events: int = 0
    head: str = GENESIS.hex()
    position: int = 0
    first_mismatch: int | None = None
    """The first position whose event no longer matches its link (changed, removed or unlinked)."""
    why: str = ""
    checkpoints: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None and not self.differences

    def describe(self) -> str:
        if self.ok:
            return f"审计链：{self.events} 条事件逐条重算一致，链头 {self.head[:16]}…（位置 {self.position}），核对检查点 {self.checkpoints} 个 ✓"
        lines = (
            [f"审计链：位置 {self.first_mismatch} 起不再一致（{self.why}）✗"]
            if self.first_mismatch
            else []
        )
        return "\n".join([*lines, *self.differences])


async def _verify(connection: asyncpg.Connection, schema: str) -> ChainReport:
    report = ChainReport()
    previous, after = GENESIS, 0
    heads: dict[int, bytes] = {}
    checkpoints = await connection.fetch(
        f'SELECT position, head FROM "{schema}".ssj_checkpoints ORDER BY position'
    )
    wanted = {r["position"]: bytes(r["head"]) for r in checkpoints}
    while True:
        rows = await connection.fetch(
            f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, c.link "
            f'FROM "{schema}".ssj_events e LEFT JOIN "{schema}".ssj_chain c ON c.position = e.notification_id '
            "WHERE e.notification_id > $1 ORDER BY e.notification_id LIMIT $2",
            after,
            BATCH,
        )
        for position, aggregate, version, topic, state, stored in rows:
            expected = link(previous, position, aggregate.bytes, version, topic, state)
            if stored is None or bytes(stored) != expected:
                report.first_mismatch = position
                report.why = "事件没有链接" if stored is None else "事件内容或顺序已被改动"
                break
            previous = expected
            report.events += 1
            report.position = position
            if position in wanted:
                heads[position] = expected
        if report.first_mismatch is not None or len(rows) < BATCH:
            break
        after = rows[-1][0]
    removed = await connection.fetchval(
        f'SELECT min(c.position) FROM "{schema}".ssj_chain c '
        f'LEFT JOIN "{schema}".ssj_events e ON e.notification_id = c.position WHERE e.notification_id IS NULL'
    )
    if removed is not None and (report.first_mismatch is None or removed < report.first_mismatch):
        report.first_mismatch, report.why = removed, "事件已被删除"
    report.head = previous.hex()
    for position, head in wanted.items():
        report.checkpoints += 1
        if report.first_mismatch is not None and position >= report.first_mismatch:
            continue
        if heads.get(position) != head:
            report.differences.append(
                f"检查点 {position}：公布的链头 {head.hex()[:16]}… 与重算结果不符"
            )
    return report


async def verify_chain_async(database_url: str, schema: str = "public") -> ChainReport:
    connection = await asyncpg.connect(
        **PgUrl.parse(database_url, "SSJ_DATABASE_URL").asyncpg_kwargs()
    )
    try:
        return await _verify(connection, schema)
    finally:
        await connection.close()


def verify_chain(database_url: str, schema: str = "public") -> ChainReport:
    """Recompute every link from the stored events and compare; report the first position that
    no longer matches, and any published checkpoint the recomputed chain disagrees with."""
    return asyncio.run(verify_chain_async(database_url, schema))


async def _checkpoint(database_url: str, schema: str) -> Checkpoint:
    connection = await asyncpg.connect(
        **PgUrl.parse(database_url, "SSJ_DATABASE_URL").asyncpg_kwargs()
    )
    try:
        row = await connection.fetchrow(
            f'INSERT INTO "{schema}".ssj_checkpoints (position, head) '
            f'SELECT position, link FROM "{schema}".ssj_chain ORDER BY position DESC LIMIT 1 '
            "ON CONFLICT (position) DO NOTHING RETURNING position, head, recorded_at"
        )
        if row is None:  # nothing new since the last checkpoint, or an empty log
            row = await connection.fetchrow(
                f'SELECT position, head, recorded_at FROM "{schema}".ssj_checkpoints ORDER BY position DESC LIMIT 1'
            )
        if row is None:
            raise ValueError("checkpoint: 事件日志为空，没有可公布的链头")
        return Checkpoint(row["position"], bytes(row["head"]).hex(), row["recorded_at"])
    finally:
        await connection.close()


def checkpoint(database_url: str, schema: str = "public") -> Checkpoint:
    """Record the chain's current head, for the office to publish outside the database."""
    return asyncio.run(_checkpoint(database_url, schema))
