"""The read models in PostgreSQL: the department inbox, the office's escalations, the public
register, the follow-up ledger and the plan statistics, kept by projections of the global log
(projection.py, projections.py) and read with asyncpg.

    pool = await open_pool(settings.database_url)
    read_models = PgReadModels(pool, service.tasks.mapper)
    await read_models.catch_up()          # a worker does this whenever the log has grown
    items = await read_models.inbox("police")

Each query answers what the in-memory read model of services/read_models.py answers for the
same log, with the same dataclasses. Tables: read_model_schema.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper

from adapters.postgres.projection import BATCH, Projection, ProjectionRunner
from adapters.postgres.projections import (
    LEDGER_FIELDS,
    InboxProjection,
    LedgerProjection,
    RegisterProjection,
    StatisticsProjection,
    register_entry,
)
from adapters.postgres.read_model_schema import (
    ESCALATIONS,
    INBOX_TASKS,
    LEDGER,
    PLAN_STATISTICS,
    READ_MODEL_SQL,
    READ_MODEL_TABLES,
    REGISTER,
    REGISTER_DRAWS,
    qualified,
)
from adapters.postgres.urls import DatabaseSettingError, PgUrl
from domain.values import CHINA
from services.read_models import (
    Escalation,
    InboxItem,
    LedgerRow,
    MonthlyWorkload,
    PublishedDraw,
    RegisterEntry,
    TaskIndex,
    TaskView,
)

__all__ = ["READ_MODEL_SQL", "READ_MODEL_TABLES", "PgReadModels", "open_pool"]


async def open_pool(
    database_url: str, setting: str = "SSJ_DATABASE_URL", min_size: int = 1, max_size: int = 4
) -> asyncpg.Pool:
    """A pool for the read side; the caller closes it (`await pool.close()`)."""
    url = PgUrl.parse(database_url, setting)
    try:
        pool: asyncpg.Pool = await asyncpg.create_pool(
            **url.asyncpg_kwargs(), min_size=min_size, max_size=max_size
        )
    except (OSError, asyncpg.PostgresError) as error:
        raise DatabaseSettingError(
            f"{setting}: 无法连接 {url.host}:{url.port}/{url.dbname}（{error}）"
        ) from None
    return pool


class PgReadModels:
    """The projections' runners and the queries over their tables."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        mapper: Mapper[UUID],
        schema: str = "public",
        batch: int = BATCH,
        projections: Sequence[Projection] | None = None,
    ) -> None:
        self.pool = pool
        self.schema = schema
        if projections is None:
            projections = (
                InboxProjection(schema),
                RegisterProjection(schema),
                LedgerProjection(schema),
                StatisticsProjection(schema),
            )
        self.runners = [ProjectionRunner(pool, mapper, p, schema, batch) for p in projections]

    # ------------------------------------------------------------------ following the log
    async def catch_up(self) -> int:
        """Bring every projection up to the end of the log; returns the lowest position."""
        return min([await runner.catch_up() for runner in self.runners], default=0)

    async def rebuild(self) -> int:
        """Refill every projection from the start of the log, one projection at a time; until
        it has caught up again, a projection's queries answer with what it has refilled so far."""
        return min([await runner.rebuild() for runner in self.runners], default=0)

    async def positions(self) -> dict[str, int]:
        return {runner.name: await runner.position() for runner in self.runners}

    # ------------------------------------------------------------------ queries
    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.pool.acquire() as connection:
            return list(await connection.fetch(query, *args))

    def _table(self, name: str) -> str:
        return qualified(self.schema, name)

    async def inbox(self, department: str) -> list[InboxItem]:
        """The tasks the department leads or has been dispatched, with what it still owes."""
        rows = await self._fetch(
            f"SELECT view FROM {self._table(INBOX_TASKS)} "
            "WHERE departments @> ARRAY[$1]::text[] ORDER BY planned_at",
            department,
        )
        index = TaskIndex()  # who sees what, and what is owed, is the index's rule
        for row in rows:
            view = TaskView.from_record(json.loads(row["view"]))
            index.tasks[view.task_id] = view
        return index.inbox(department)

    async def open_tasks(self) -> list[UUID]:
        """Tasks not yet closed, in plan order: what a deadline watch goes through."""
        rows = await self._fetch(
            f"SELECT task_id FROM {self._table(INBOX_TASKS)} WHERE NOT closed ORDER BY planned_at"
        )
        return [row["task_id"] for row in rows]

    async def escalations(self) -> list[Escalation]:
        rows = await self._fetch(
            "SELECT task_id, task_name, department, what, deadline, at "
            f"FROM {self._table(ESCALATIONS)} ORDER BY position, n"
        )
        return [
            Escalation(
                row["task_id"],
                row["task_name"],
                row["department"],
                row["what"],
                row["deadline"],
                row["at"].astimezone(CHINA),
            )
            for row in rows
        ]

    async def register(self, credit_code: str | None = None) -> list[RegisterEntry]:
        """Published results: one target's, or every target's (targets in order of first
        publication, each target's results in order of publication)."""
        columns = "credit_code, name, task_id, task_name, results, published_on, corrections"
        table = self._table(REGISTER)
        if credit_code is None:
            rows = await self._fetch(
                f"SELECT {columns} FROM (SELECT *, "
                "min(position) OVER target AS first_position, "
                "first_value(ordinal) OVER (target ORDER BY position) AS first_ordinal "
                f"FROM {table} WINDOW target AS (PARTITION BY credit_code)) AS r "
                "ORDER BY first_position, first_ordinal, position"
            )
        else:
            rows = await self._fetch(
                f"SELECT {columns} FROM {table} WHERE credit_code = $1 ORDER BY position",
                credit_code,
            )
        return [register_entry(row) for row in rows]

    async def draws(self) -> list[PublishedDraw]:
        """What anyone needs to re-run each task's draw of targets, in the order of the draws."""
        rows = await self._fetch(
            f"SELECT draw FROM {self._table(REGISTER_DRAWS)} ORDER BY position"
        )
        draws = []
        for row in rows:
            record = json.loads(row["draw"])
            draws.append(PublishedDraw(**{**record, "task_id": UUID(record["task_id"])}))
        return draws

    async def ledger(self) -> list[LedgerRow]:
        """Every follow-up, in the order they were opened."""
        rows = await self._fetch(
            f"SELECT {', '.join(LEDGER_FIELDS)} FROM {self._table(LEDGER)} ORDER BY position"
        )
        return [LedgerRow(*row) for row in rows]

    async def plan_statistics(self, year: int | None = None) -> list[MonthlyWorkload]:
        """Each department's workload month by month (Beijing time); only `year`'s when given."""
        rows = await self._fetch(
            "SELECT department, month, tasks, targets_drawn, done, overdue "
            f"FROM {self._table(PLAN_STATISTICS)} "
            "WHERE $1::integer IS NULL OR left(month, 4) = lpad($1::text, 4, '0') "
            'ORDER BY department COLLATE "C", month COLLATE "C"',
            year,
        )
        return [MonthlyWorkload(*row) for row in rows]
