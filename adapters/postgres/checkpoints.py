"""Checkpoints of the audit chain: the head at a position, recorded by the owner's function and
published by the office outside the database, and what verification learns from them and from
every other trace of a position (the relay's, the read models', the command ids')."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from adapters.postgres.connect import connect
from services.integrity import Damage, Finding, positions_text


@dataclass(frozen=True)
class Checkpoint:
    position: int
    head: str
    """Hex of the chain's link at `position`."""
    recorded_at: datetime | None = None
    source: str = "库内检查点"
    """Where it comes from, as the report names it."""

    @property
    def published(self) -> str:
        """`POSITION:HEAD`: what the office publishes, and `ssj audit verify --checkpoint` takes."""
        return f"{self.position}:{self.head}"


async def remembered(connection: asyncpg.Connection, schema: str) -> list[tuple[str, int]]:
    """Positions the service's own bookkeeping has seen: each once held an event."""
    sources = (("ssj_relay", "中继"), ("ssj_rm_positions", "读模型"), ("ssj_commands", "指令记录"))
    found = []
    for table, name in sources:
        qualified = f'"{schema}".{table}'
        if await connection.fetchval("SELECT to_regclass($1)", qualified) is None:
            continue
        position = await connection.fetchval(f"SELECT max(position) FROM {qualified}")
        if position:
            found.append((name, int(position)))
    return found


async def issued(connection: asyncpg.Connection, schema: str) -> int:
    """The highest position the events' sequence ever gave (0 if none)."""
    sequence = await connection.fetchval(
        "SELECT pg_get_serial_sequence($1, 'notification_id')", f'"{schema}".ssj_events'
    )
    if sequence is None:
        return 0
    issued = await connection.fetchval("SELECT pg_sequence_last_value($1::regclass)", sequence)
    return int(issued or 0)


def check_marks(
    marks: Sequence[Checkpoint],
    heads: Mapping[int, bytes],
    deleted: Collection[int],
    last: int,
    end: int,
    issued: int,
    remembered: list[tuple[str, int]],
) -> list[Finding]:
    """Every checkpoint and every remembered position against the chain as read: `heads`, the
    head recomputed at each checkpoint's position that holds an event; `deleted`, the positions
    found with a link and no event; `last`, the last position holding an event; `end`, the last
    holding an event or a link."""
    found = []
    furthest = max((m.position for m in marks if end < m.position <= issued), default=0)
    for mark in marks:
        where = f"{mark.source} {mark.position}:{mark.head[:16]}…"
        recomputed = heads.get(mark.position)
        if recomputed is not None:
            if recomputed.hex() != mark.head:
                found.append(
                    Finding(
                        Damage.CHECKPOINT,
                        mark.position,
                        f"{where}：按现存事件重算的链头为 {recomputed.hex()[:16]}…，与检查点不符："
                        f"位置 {mark.position} 及之前有事件被改动、删除、移动或插入"
                        "（事件与审计链被一并改写时，只有检查点能发现）",
                    )
                )
        elif mark.position > issued:
            found.append(
                Finding(
                    Damage.CHECKPOINT,
                    mark.position,
                    f"{where}：事件序列只发放到位置 {issued}，这个检查点不可能出自本库（伪造）",
                )
            )
        elif mark.position > end:
            if mark.position < furthest:
                continue  # the furthest checkpoint past the end names these positions too
            missing = positions_text(range(end + 1, mark.position + 1))
            found.append(
                Finding(
                    Damage.DELETED,
                    end + 1,
                    f"位置 {missing}：事件连同审计链链接已被删除（{where} 记录日志已到位置 "
                    f"{mark.position}，现存日志止于位置 {last}）",
                )
            )
        elif mark.position not in deleted:
            found.append(
                Finding(
                    Damage.DELETED,
                    mark.position,
                    f"位置 {mark.position}：事件连同审计链链接已被删除（{where} 记录的正是这个位置）",
                )
            )
    for name, position in sorted(remembered, key=lambda r: -r[1]):
        if position > max(end, furthest):
            first = max(end, furthest) + 1
            missing = positions_text(range(first, position + 1))
            found.append(
                Finding(
                    Damage.DELETED,
                    first,
                    f"位置 {missing}：事件连同审计链链接已被删除（{name}已处理到位置 {position}，"
                    f"现存日志止于位置 {last}）",
                )
            )
            break
    return found


async def _checkpoint(database_url: str, schema: str) -> Checkpoint:
    connection = await connect(database_url)
    try:
        row = await connection.fetchrow(
            f'SELECT position, head, recorded_at FROM "{schema}".ssj_checkpoint()'
        )
    finally:
        await connection.close()
    if row is None:
        raise ValueError("checkpoint: 事件日志为空，没有可公布的链头")
    return Checkpoint(row["position"], bytes(row["head"]).hex(), row["recorded_at"])


def checkpoint(database_url: str, schema: str = "public") -> Checkpoint:
    """Record the chain's current head, for the office to publish outside the database. Only
    the schema's owner writes checkpoints: the service calls the owner's `ssj_checkpoint()`,
    which records the head the chain holds, whatever the caller would like it to be."""
    return asyncio.run(_checkpoint(database_url, schema))
