"""The read models in PostgreSQL, kept by one projection of the global log (projections.py,
followed by projection.py's runner) and read with asyncpg.

    pool = await open_pool(settings.database_url)
    read_models = PgReadModels(pool, service.tasks.mapper)
    await read_models.catch_up()          # a worker does this whenever the log has grown
    page = await read_models.inbox("police", 50, None)

Each query answers what the SQLite read models (adapters/sqlite/read_models.py) answer for the same
log, with the same dataclasses, in a time that does not grow with the log. `PgReadModelsSync` is
the same for the synchronous applications and the CLI (services/read_models.py's port): it runs
the queries on an event loop of its own (read_models_sync.py). Tables: read_model_schema.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg

from adapters.postgres.projection import (
    ProjectionRunner,
    advance_position,
    hold_position,
    recorded_position,
)
from adapters.postgres.read_model_schema import (
    BATCH,
    DRAW_POPULATION,
    DRAWS,
    ESCALATIONS,
    EVENTS,
    FAULTS,
    INSPECTIONS,
    LEDGER,
    READ_MODEL_SQL,
    READ_MODEL_TABLES,
    REGISTER,
    STATISTICS,
    TASK_DEPARTMENTS,
    TASK_YEARS,
    TASKS,
    qualified,
)
from adapters.postgres.urls import DatabaseSettingError, PgUrl
from domain.values import CHINA
from services.inspection_ledger import Inspection
from services.ledger import LedgerRow
from services.read_models import (
    NAME,
    Fault,
    Page,
    PopulationMember,
    cursor,
    like_pattern,
    limited,
    name_key,
    page_of,
)
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.stored import HistoryEntry, history_entry
from services.task_views import Escalation, TaskView

__all__ = ["READ_MODEL_SQL", "READ_MODEL_TABLES", "PgReadModels", "open_pool"]

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper


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


def _view(row: Any) -> TaskView:
    return TaskView.from_record(json.loads(row["view"]))


class PgReadModels:
    """The projection's runner and the queries over its tables."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        mapper: Mapper[UUID] | Callable[[], Mapper[UUID]],
        schema: str = "public",
        batch: int = BATCH,
    ) -> None:
        """`mapper` decodes the events to fold, or makes the one that does when first needed."""
        self.pool = pool
        self.mapper = mapper
        self.schema = schema
        self.batch = batch
        self._runner: ProjectionRunner | None = None
        """Made when there is something to fold (projection.py)."""

    @property
    def runner(self) -> ProjectionRunner:
        """Built when there is something to fold: it needs the domain's events, a query does not."""
        if self._runner is None:
            from eventsourcing.persistence import Mapper

            from adapters.postgres.projections import ReadModelsProjection

            projection = ReadModelsProjection(self.schema)

            mapper = self.mapper if isinstance(self.mapper, Mapper) else self.mapper()
            self._runner = ProjectionRunner(self.pool, mapper, projection, self.schema, self.batch)
        return self._runner

    def _t(self, table: str) -> str:
        return qualified(self.schema, table)

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.pool.acquire() as connection:
            return list(await connection.fetch(query, *args))

    # ------------------------------------------------------------------ following the log
    async def catch_up(self) -> int:
        """Bring the read models up to the end of the log; returns their position."""
        async with self.pool.acquire() as connection:
            newest = await connection.fetchval(
                f"SELECT max(notification_id) FROM {self._t(EVENTS)}"
            )
            position = await recorded_position(connection, self.schema, NAME)
        if (newest or 0) <= position:
            return position  # nothing new since: no batch to fold
        return await self.runner.catch_up()

    async def rebuild(self) -> int:
        """Refill every read model from the start of the log; until it has caught up again, the
        queries answer with what it has refilled so far."""
        return await self.runner.rebuild()

    async def position(self) -> int:
        return await self.runner.position()

    # ------------------------------------------------------------------ tasks
    async def task_views(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[TaskView]:
        limit, start = limited(limit), cursor(after)
        if departments is None:
            rows = await self._fetch(
                f"SELECT planned_at, view FROM {self._t(TASKS)} WHERE planned_at > $1 "
                "ORDER BY planned_at LIMIT $2",
                start,
                limit + 1,
            )
        else:
            rows = await self._fetch(
                f"SELECT DISTINCT d.planned_at, t.view FROM {self._t(TASK_DEPARTMENTS)} AS d "
                f"JOIN {self._t(TASKS)} AS t ON t.task_id = d.task_id "
                "WHERE d.department = ANY($1::text[]) AND d.planned_at > $2 "
                "ORDER BY d.planned_at LIMIT $3",
                sorted(departments),
                start,
                limit + 1,
            )
        return page_of([(row["planned_at"], _view(row)) for row in rows], limit)

    async def task_view(self, task_id: UUID) -> TaskView | None:
        rows = await self._fetch(f"SELECT view FROM {self._t(TASKS)} WHERE task_id = $1", task_id)
        return _view(rows[0]) if rows else None

    async def history(self, task_id: UUID) -> list[HistoryEntry]:
        rows = await self._fetch(
            f"SELECT originator_version, topic, state FROM {self._t(EVENTS)} "
            "WHERE originator_id = $1 ORDER BY originator_version",
            task_id,
        )
        return [
            history_entry(row["originator_version"], row["topic"], bytes(row["state"]))
            for row in rows
        ]

    async def task_ids(self, prefix: str, limit: int) -> list[UUID]:
        """Ids that start with `prefix`: the range of uuids between the prefix padded with 0s
        and with fs, which the primary key's index answers."""
        digits = prefix.replace("-", "")
        if len(digits) > 32:
            return []
        low, high = (UUID(digits.ljust(32, pad)) for pad in "0f")
        rows = await self._fetch(
            f"SELECT task_id FROM {self._t(TASKS)} WHERE task_id BETWEEN $1 AND $2 "
            "ORDER BY task_id LIMIT $3",
            low,
            high,
            limit * 4,
        )
        return [row["task_id"] for row in rows if str(row["task_id"]).startswith(prefix)][:limit]

    async def inbox(self, department: str, limit: int, after: str | None) -> Page[TaskView]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            f"SELECT d.planned_at, t.view FROM {self._t(TASK_DEPARTMENTS)} AS d "
            f"JOIN {self._t(TASKS)} AS t ON t.task_id = d.task_id "
            "WHERE d.department = $1 AND NOT d.closed AND d.planned_at > $2 "
            "ORDER BY d.planned_at LIMIT $3",
            department,
            start,
            limit + 1,
        )
        return page_of([(row["planned_at"], _view(row)) for row in rows], limit)

    async def due(self, day: date) -> list[UUID]:
        rows = await self._fetch(
            f"SELECT task_id FROM {self._t(TASKS)} "
            "WHERE next_due IS NOT NULL AND next_due < $1 AND NOT closed ORDER BY planned_at",
            day,
        )
        return [row["task_id"] for row in rows]

    async def awaiting(self, year: int) -> list[UUID]:
        rows = await self._fetch(
            f"SELECT task_id FROM {self._t(TASK_YEARS)} WHERE year = $1 ORDER BY task_id", year
        )
        return [row["task_id"] for row in rows]

    async def escalations(self, limit: int, after: str | None) -> Page[Escalation]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            "SELECT place, task_id, task_name, department, what, deadline, at "
            f"FROM {self._t(ESCALATIONS)} WHERE place > $1 ORDER BY place LIMIT $2",
            start,
            limit + 1,
        )
        return page_of(
            [
                (
                    row["place"],
                    Escalation(
                        row["task_id"],
                        row["task_name"],
                        row["department"],
                        row["what"],
                        row["deadline"],
                        row["at"].astimezone(CHINA),
                    ),
                )
                for row in rows
            ],
            limit,
        )

    # ------------------------------------------------------------------ the public register
    async def register(
        self,
        credit_code: str | None,
        limit: int,
        after: str | None,
        *,
        name: str | None = None,
        task_id: UUID | None = None,
    ) -> Page[RegisterEntry]:
        limit, start = limited(limit), cursor(after)
        # Only the filters given, each with its index: a prepared statement of `$1 IS NULL OR …`
        # gets a generic plan after a few runs, and that plan can use none of them.
        where: list[str] = ["place > $1"]
        args: list[Any] = [start]
        for column, value in (
            ("credit_code = ${}", credit_code),
            ("task_id = ${}", task_id),
            ("name_key LIKE ${} ESCAPE '\\'", like_pattern(name_key(name)) if name else None),
        ):
            if value is not None:
                args.append(value)
                where.append(column.format(len(args)))
        rows = await self._fetch(
            f"SELECT place, entry FROM {self._t(REGISTER)} WHERE {' AND '.join(where)} "
            f"ORDER BY place LIMIT ${len(args) + 1}",
            *args,
            limit + 1,
        )
        return page_of(
            [(row["place"], RegisterEntry.from_record(json.loads(row["entry"]))) for row in rows],
            limit,
        )

    async def draws(self, limit: int, after: str | None) -> Page[PublishedDraw]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            f"SELECT position, draw FROM {self._t(DRAWS)} WHERE position > $1 "
            "ORDER BY position LIMIT $2",
            start,
            limit + 1,
        )
        return page_of(
            [(row["position"], PublishedDraw.from_record(json.loads(row["draw"]))) for row in rows],
            limit,
        )

    async def inspections(self, credit_code: str) -> list[Inspection]:
        rows = await self._fetch(
            f"SELECT entry FROM {self._t(INSPECTIONS)} WHERE credit_code = $1 ORDER BY place",
            credit_code,
        )
        return [Inspection.from_record(json.loads(row["entry"])) for row in rows]

    async def draw(self, task_id: UUID) -> PublishedDraw | None:
        rows = await self._fetch(f"SELECT draw FROM {self._t(DRAWS)} WHERE task_id = $1", task_id)
        return PublishedDraw.from_record(json.loads(rows[0]["draw"])) if rows else None

    async def draw_population(
        self, task_id: UUID, limit: int, after: str | None
    ) -> Page[PopulationMember]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            f"SELECT ordinal, credit_code, grade FROM {self._t(DRAW_POPULATION)} "
            "WHERE task_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT $3",
            task_id,
            start,
            limit + 1,
        )
        return page_of(
            [(row["ordinal"], PopulationMember(row["credit_code"], row["grade"])) for row in rows],
            limit,
        )

    # ------------------------------------------------------------------ ledger and statistics
    async def ledger(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[LedgerRow]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            f"SELECT position, row FROM {self._t(LEDGER)} WHERE position > $1 "
            "AND ($2::text[] IS NULL OR department = ANY($2::text[])) "
            "ORDER BY position LIMIT $3",
            start,
            sorted(departments) if departments is not None else None,
            limit + 1,
        )
        return page_of(
            [(row["position"], LedgerRow.from_record(json.loads(row["row"]))) for row in rows],
            limit,
        )

    async def statistics(
        self, year: int | None, departments: frozenset[str] | None
    ) -> list[MonthlyWorkload]:
        rows = await self._fetch(
            "SELECT department, month, tasks, targets_drawn, done, overdue "
            f"FROM {self._t(STATISTICS)} "
            "WHERE ($1::integer IS NULL OR left(month, 4) = lpad($1::text, 4, '0')) "
            "AND ($2::text[] IS NULL OR department = ANY($2::text[])) "
            'ORDER BY department COLLATE "C", month COLLATE "C"',
            year,
            sorted(departments) if departments is not None else None,
        )
        return [MonthlyWorkload(*row) for row in rows]

    # ------------------------------------------------------------------ the processes' own
    async def process_position(self, process: str) -> int:
        async with self.pool.acquire() as connection:
            return await recorded_position(connection, self.schema, f"process:{process}")

    async def advance_process(self, process: str, position: int) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await hold_position(connection, self.schema, f"process:{process}")
            await advance_position(connection, self.schema, f"process:{process}", position)

    async def record_fault(self, fault: Fault) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute(
                f"INSERT INTO {self._t(FAULTS)} (process, task_id, position, error, at) "
                "VALUES ($1, $2, $3, $4, $5)",
                fault.process,
                fault.task_id,
                fault.position,
                fault.error,
                fault.at,
            )

    async def faults(
        self, limit: int, after: str | None, task_id: UUID | None = None
    ) -> Page[Fault]:
        limit, start = limited(limit), cursor(after)
        rows = await self._fetch(
            f"SELECT place, process, task_id, position, error, at FROM {self._t(FAULTS)} "
            "WHERE place > $1 AND ($2::uuid IS NULL OR task_id = $2) ORDER BY place LIMIT $3",
            start,
            task_id,
            limit + 1,
        )
        return page_of(
            [
                (
                    row["place"],
                    Fault(
                        row["process"],
                        row["task_id"],
                        row["position"],
                        row["error"],
                        row["at"].astimezone(CHINA),
                    ),
                )
                for row in rows
            ],
            limit,
        )
