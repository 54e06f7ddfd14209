"""The read models in PostgreSQL, as one projection of the global log: for a batch of events,
load what the batch's tasks already have, fold the batch (services/folding.py, the same folds as
every store) and write back only what changed, inside the runner's transaction (projection.py),
which also moves the position. The business rules stay in the read models' own modules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from adapters.postgres.read_model_schema import (
    DRAW_POPULATION,
    DRAWS,
    ESCALATIONS,
    EVENTS,
    INSPECTIONS,
    LEDGER,
    REBUILT,
    REGISTER,
    STATISTICS,
    TASK_DEPARTMENTS,
    TASK_YEARS,
    TASKS,
    qualified,
)
from services.folding import (
    LedgerChanges,
    Placed,
    RegisterChanges,
    StatisticsChanges,
    ViewChanges,
    fold_batch,
    folded_events,
    folds,
    wanted,
)
from services.inspection_ledger import (
    Inspection,
    TaskHeader,
    fold_inspections,
    header_of,
    ledger_tasks,
)
from services.ledger import LedgerRow
from services.log import Logged
from services.populations import UNREADABLE, draws_in, rebuilt_population
from services.read_models import NAME, as_json, name_key
from services.register import RegisterEntry

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper


class ReadModelsProjection:
    """Task views and escalations, the public register, the ledger and the plan statistics."""

    name = NAME
    tables = REBUILT
    events = folded_events()

    def __init__(self, schema: str, mapper: Mapper[UUID] | None = None) -> None:
        self.schema = schema
        self.mapper = mapper
        """Decodes the events a draw's population is rebuilt from: the runner's own mapper,
        given by the runner when none is (projection.py)."""

    def folds(self, topic: str) -> bool:
        return folds(topic)

    def _t(self, table: str) -> str:
        return qualified(self.schema, table)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        ids = wanted(batch)
        changes = fold_batch(
            await self._views(connection, ids.views),
            await self._entries(connection, ids.register),
            await self._ledger_rows(connection, ids.ledger),
            batch,
        )
        await self._write_views(connection, changes.views)
        await self._write_register(connection, changes.register)
        await self._write_populations(connection, batch)
        await self._write_ledger(connection, changes.ledger)
        await self._write_statistics(connection, changes.statistics)
        await self._write_inspections(connection, batch)

    # ------------------------------------------------------------------ loading a batch's state
    async def _views(self, connection: Any, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        """The views as stored: the fold reads each once."""
        if not ids:
            return {}
        rows = await connection.fetch(
            f"SELECT view FROM {self._t(TASKS)} WHERE task_id = ANY($1::uuid[])", ids
        )
        records = (json.loads(row["view"]) for row in rows)
        return {UUID(record["task_id"]): record for record in records}

    async def _entries(self, connection: Any, ids: list[UUID]) -> list[Placed]:
        if not ids:
            return []
        rows = await connection.fetch(
            f"SELECT place, entry FROM {self._t(REGISTER)} WHERE task_id = ANY($1::uuid[]) "
            "ORDER BY place",
            ids,
        )
        return [
            Placed(RegisterEntry.from_record(json.loads(row["entry"])), row["place"])
            for row in rows
        ]

    async def _ledger_rows(self, connection: Any, ids: list[UUID]) -> list[tuple[int, LedgerRow]]:
        if not ids:
            return []
        rows = await connection.fetch(
            f"SELECT position, row FROM {self._t(LEDGER)} WHERE task_id = ANY($1::uuid[]) "
            "ORDER BY position",
            ids,
        )
        return [(row["position"], LedgerRow.from_record(json.loads(row["row"]))) for row in rows]

    # ------------------------------------------------------------------ writing its effect
    async def _write_views(self, connection: Any, changes: ViewChanges) -> None:
        if not changes.views and not changes.escalations:
            return
        ids = list(changes.views)
        await connection.executemany(
            f"INSERT INTO {self._t(TASKS)} (task_id, planned_at, closed, next_due, view) "
            "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (task_id) DO UPDATE "
            "SET closed = EXCLUDED.closed, next_due = EXCLUDED.next_due, view = EXCLUDED.view",
            [
                (
                    task,
                    changes.planned.get(task, 0),
                    view.closed,
                    view.next_due(),
                    as_json(changes.records[task]),
                )
                for task, view in changes.views.items()
            ],
        )
        await connection.execute(
            f"DELETE FROM {self._t(TASK_DEPARTMENTS)} WHERE task_id = ANY($1::uuid[])", ids
        )
        await connection.execute(
            f"INSERT INTO {self._t(TASK_DEPARTMENTS)} (department, planned_at, task_id, closed) "
            f"SELECT d.department, t.planned_at, t.task_id, t.closed "
            f"FROM unnest($1::text[], $2::uuid[]) AS d(department, task_id) "
            f"JOIN {self._t(TASKS)} AS t ON t.task_id = d.task_id",
            [d for view in changes.views.values() for d in view.visible_to()],
            [task for task, view in changes.views.items() for _ in view.visible_to()],
        )
        await connection.execute(
            f"DELETE FROM {self._t(TASK_YEARS)} WHERE task_id = ANY($1::uuid[])", ids
        )
        await connection.executemany(
            f"INSERT INTO {self._t(TASK_YEARS)} (year, task_id) VALUES ($1, $2)",
            [(year, task) for task, view in changes.views.items() for year in view.awaited_years()],
        )
        await connection.executemany(
            f"INSERT INTO {self._t(ESCALATIONS)} "
            "(place, task_id, task_name, department, what, deadline, at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                (
                    place,
                    e.task_id,
                    e.task_name,
                    e.department,
                    e.what,
                    e.deadline,
                    e.at,
                )
                for place, e in changes.escalations
            ],
        )

    async def _write_register(self, connection: Any, changes: RegisterChanges) -> None:
        await connection.executemany(
            f"INSERT INTO {self._t(REGISTER)} (credit_code, task_id, place, entry, name_key) "
            "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (credit_code, task_id) DO UPDATE "
            "SET entry = EXCLUDED.entry, name_key = EXCLUDED.name_key",
            [
                (
                    p.entry.credit_code,
                    p.entry.task_id,
                    p.place,
                    as_json(p.entry.as_record()),
                    name_key(p.entry.name),
                )
                for p in changes.entries
            ],
        )
        await connection.executemany(
            f"INSERT INTO {self._t(DRAWS)} (task_id, position, draw) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (task_id) DO UPDATE SET draw = EXCLUDED.draw",
            [
                (task, position, as_json(draw.as_record()))
                for task, (position, draw) in changes.draws.items()
            ],
        )

    async def _write_populations(self, connection: Any, batch: Sequence[Logged]) -> None:
        """Each draw's population, rebuilt from the log as the auditor rebuilds it, and written
        with COPY: a population can be a whole city's directory."""
        drawn = draws_in(batch)
        if not drawn:
            return
        mapper = self.mapper
        if mapper is None:
            raise RuntimeError("ReadModelsProjection: a draw's population needs the log's mapper")
        for made in drawn:
            members = rebuilt_population(
                next(iter(await self._stored(connection, made.task_id, 1)), None),
                await self._stored(connection, made.directory_id, made.directory_position),
                mapper.to_domain_event,
                made.excluded,
            )
            await connection.execute(
                f"DELETE FROM {self._t(DRAW_POPULATION)} WHERE task_id = $1", made.task_id
            )
            await connection.copy_records_to_table(
                DRAW_POPULATION,
                schema_name=self.schema,
                columns=("task_id", "ordinal", "credit_code", "grade"),
                records=[
                    (made.task_id, ordinal, code, grade)
                    for ordinal, (code, grade) in enumerate(members, start=1)
                ],
            )

    async def _stored(self, connection: Any, originator_id: UUID, up_to: int) -> list[StoredEvent]:
        """An aggregate's stored events up to version `up_to`, in version order."""
        rows = await connection.fetch(
            f"SELECT originator_version, topic, state FROM {self._t(EVENTS)} "
            "WHERE originator_id = $1 AND originator_version <= $2 ORDER BY originator_version",
            originator_id,
            up_to,
        )
        return [
            StoredEvent(originator_id, row["originator_version"], row["topic"], bytes(row["state"]))
            for row in rows
        ]

    async def _write_inspections(self, connection: Any, batch: Sequence[Logged]) -> None:
        """企业检查台账: the rows of the batch's tasks, folded on, written back when changed."""
        ids = ledger_tasks(batch)
        if not ids:
            return
        rows = await connection.fetch(
            f"SELECT place, entry FROM {self._t(INSPECTIONS)} WHERE task_id = ANY($1::uuid[])",
            ids,
        )
        stored = [(row["place"], Inspection.from_record(json.loads(row["entry"]))) for row in rows]
        headers: dict[UUID, TaskHeader | None] = {}
        mapper = self.mapper
        if mapper is None:
            raise RuntimeError("ReadModelsProjection: the inspection ledger needs the log's mapper")
        for task_id in ids:
            first = next(iter(await self._stored(connection, task_id, 1)), None)
            try:
                headers[task_id] = header_of(mapper.to_domain_event(first)) if first else None
            except UNREADABLE:  # a tampered first row: the task is a fault, not the fold's end
                headers[task_id] = None
        changed = fold_inspections(stored, batch, headers.get)
        await connection.executemany(
            f"INSERT INTO {self._t(INSPECTIONS)} (credit_code, task_id, place, entry) "
            "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (credit_code, task_id) DO UPDATE "
            "SET entry = EXCLUDED.entry",
            [
                (row.credit_code, row.task_id, place, as_json(row.as_record()))
                for place, row in changed
            ],
        )

    async def _write_ledger(self, connection: Any, changes: LedgerChanges) -> None:
        await connection.executemany(
            f"INSERT INTO {self._t(LEDGER)} (task_id, number, position, department, row) "
            "VALUES ($1, $2, $3, $4, $5::jsonb) "
            "ON CONFLICT (task_id, number) DO UPDATE SET row = EXCLUDED.row",
            [
                (row.task_id, row.number, position, row.department, as_json(row.as_record()))
                for position, row in changes.rows
            ],
        )

    async def _write_statistics(self, connection: Any, changes: StatisticsChanges) -> None:
        await connection.executemany(
            f"INSERT INTO {self._t(STATISTICS)} AS m "
            "(department, month, tasks, targets_drawn, done, overdue) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (department, month) DO UPDATE SET "
            "tasks = m.tasks + EXCLUDED.tasks, "
            "targets_drawn = m.targets_drawn + EXCLUDED.targets_drawn, "
            "done = m.done + EXCLUDED.done, overdue = m.overdue + EXCLUDED.overdue",
            [
                (w.department, w.month, w.tasks, w.targets_drawn, w.done, w.overdue)
                for w in changes.increments
            ],
        )
