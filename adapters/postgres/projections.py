"""The read models in PostgreSQL, as one projection of the global log: for a batch of events,
load what the batch's tasks already have, fold the batch (services/folding.py, the same folds as
every store) and write back only what changed, inside the runner's transaction (projection.py),
which also moves the position. The business rules stay in the read models' own modules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from adapters.postgres.read_model_schema import (
    DRAWS,
    ESCALATIONS,
    LEDGER,
    REBUILT,
    REGISTER,
    STATISTICS,
    STATISTICS_TASKS,
    TASK_DEPARTMENTS,
    TASK_NAMES,
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
    fold_ledger,
    fold_register,
    fold_statistics,
    fold_views,
    folded_events,
    folds,
    task_ids,
)
from services.ledger import LedgerRow
from services.log import Logged
from services.read_models import NAME, as_json
from services.register import RegisterEntry
from services.task_views import TaskView


class ReadModelsProjection:
    """Task views and escalations, the public register, the ledger and the plan statistics."""

    name = NAME
    tables = REBUILT
    events = folded_events()

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def folds(self, topic: str) -> bool:
        return folds(topic)

    def _t(self, table: str) -> str:
        return qualified(self.schema, table)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        ids = task_ids(batch)
        views = await self._views(connection, ids)
        await self._write_views(connection, fold_views(views, batch))
        names = await self._names(connection, "register", ids)
        entries = await self._entries(connection, ids)
        await self._write_register(connection, fold_register(names, entries, batch))
        names = await self._names(connection, "ledger", ids)
        rows = await self._ledger_rows(connection, ids)
        await self._write_ledger(connection, fold_ledger(names, rows, batch))
        departments = await self._departments(connection, ids)
        await self._write_statistics(connection, fold_statistics(departments, batch))

    # ------------------------------------------------------------------ loading a batch's state
    async def _views(self, connection: Any, ids: list[UUID]) -> dict[UUID, TaskView]:
        rows = await connection.fetch(
            f"SELECT view FROM {self._t(TASKS)} WHERE task_id = ANY($1::uuid[])", ids
        )
        views = (TaskView.from_record(json.loads(row["view"])) for row in rows)
        return {view.task_id: view for view in views}

    async def _names(self, connection: Any, model: str, ids: list[UUID]) -> dict[UUID, str]:
        rows = await connection.fetch(
            f"SELECT task_id, name FROM {self._t(TASK_NAMES)} "
            "WHERE model = $1 AND task_id = ANY($2::uuid[])",
            model,
            ids,
        )
        return {row["task_id"]: row["name"] for row in rows}

    async def _entries(self, connection: Any, ids: list[UUID]) -> list[Placed]:
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
        rows = await connection.fetch(
            f"SELECT position, row FROM {self._t(LEDGER)} WHERE task_id = ANY($1::uuid[]) "
            "ORDER BY position",
            ids,
        )
        return [(row["position"], LedgerRow.from_record(json.loads(row["row"]))) for row in rows]

    async def _departments(self, connection: Any, ids: list[UUID]) -> dict[UUID, tuple[str, ...]]:
        rows = await connection.fetch(
            f"SELECT task_id, departments FROM {self._t(STATISTICS_TASKS)} "
            "WHERE task_id = ANY($1::uuid[])",
            ids,
        )
        return {row["task_id"]: tuple(row["departments"]) for row in rows}

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
                    as_json(view.to_record()),
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

    async def _write_names(self, connection: Any, model: str, names: dict[UUID, str]) -> None:
        await connection.executemany(
            f"INSERT INTO {self._t(TASK_NAMES)} (model, task_id, name) VALUES ($1, $2, $3) "
            "ON CONFLICT (model, task_id) DO UPDATE SET name = EXCLUDED.name",
            [(model, task, name) for task, name in names.items()],
        )

    async def _write_register(self, connection: Any, changes: RegisterChanges) -> None:
        await self._write_names(connection, "register", changes.names)
        await connection.executemany(
            f"INSERT INTO {self._t(REGISTER)} (credit_code, task_id, place, entry) "
            "VALUES ($1, $2, $3, $4::jsonb) "
            "ON CONFLICT (credit_code, task_id) DO UPDATE SET entry = EXCLUDED.entry",
            [
                (p.entry.credit_code, p.entry.task_id, p.place, as_json(p.entry.as_record()))
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

    async def _write_ledger(self, connection: Any, changes: LedgerChanges) -> None:
        await self._write_names(connection, "ledger", changes.names)
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
            f"INSERT INTO {self._t(STATISTICS_TASKS)} (task_id, departments) VALUES ($1, $2) "
            "ON CONFLICT (task_id) DO UPDATE SET departments = EXCLUDED.departments",
            [(task, list(d)) for task, d in changes.departments.items()],
        )
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
