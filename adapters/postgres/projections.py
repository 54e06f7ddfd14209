"""The four read models in PostgreSQL, each the in-memory read model of services/read_models.py
run over rows: for a batch of events, load what the batch's tasks already have, let the in-memory
model's own handlers fold the batch, and write back only what changed. The business rules (what
a department owes, how a correction reads, what counts as a month's work) stay in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any
from uuid import UUID

from adapters.postgres.projection import task_events
from adapters.postgres.read_model_schema import (
    ESCALATIONS,
    INBOX_TASKS,
    LEDGER,
    LEDGER_TASKS,
    PLAN_STATISTICS,
    REGISTER,
    REGISTER_DRAWS,
    REGISTER_TASKS,
    STATISTICS_TASKS,
    qualified,
)
from domain.task import Task
from services.log import Logged
from services.read_models import (
    FollowUpLedger,
    LedgerRow,
    PlanStatistics,
    PublicRegister,
    RegisterEntry,
    TaskIndex,
    TaskView,
)


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def task_ids(batch: Sequence[Logged]) -> list[UUID]:
    return list(dict.fromkeys(logged.event.originator_id for logged in batch))


async def _task_names(connection: Any, table: str, ids: list[UUID]) -> dict[UUID, str]:
    rows = await connection.fetch(
        f"SELECT task_id, name FROM {table} WHERE task_id = ANY($1::uuid[])", ids
    )
    return {row["task_id"]: row["name"] for row in rows}


async def _save_task_names(
    connection: Any, table: str, names: dict[UUID, str], stored: dict[UUID, str]
) -> None:
    await connection.executemany(
        f"INSERT INTO {table} (task_id, name) VALUES ($1, $2) "
        "ON CONFLICT (task_id) DO UPDATE SET name = EXCLUDED.name",
        [(task, name) for task, name in names.items() if stored.get(task) != name],
    )


def register_entry(row: Any) -> RegisterEntry:
    """A row of the register's table, as the public sees it."""
    return RegisterEntry(
        row["credit_code"],
        row["name"],
        row["task_id"],
        row["task_name"],
        dict(json.loads(row["results"])),
        row["published_on"],
        list(row["corrections"]),
    )


# ---------------------------------------------------------------------------- inbox
class InboxProjection:
    """Each task's `TaskView` as a document, and the escalations the office is told of."""

    name = "inbox"

    def __init__(self, schema: str, model: Callable[[], TaskIndex] = TaskIndex) -> None:
        self.model = model
        self.tasks_table = qualified(schema, INBOX_TASKS)
        self.escalations_table = qualified(schema, ESCALATIONS)
        self.tables: tuple[str, ...] = (INBOX_TASKS, ESCALATIONS)
        self.events = task_events(TaskIndex)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        index = self.model()
        stored: dict[UUID, dict[str, Any]] = {}
        for row in await connection.fetch(
            f"SELECT view FROM {self.tasks_table} WHERE task_id = ANY($1::uuid[])",
            task_ids(batch),
        ):
            record = json.loads(row["view"])
            view = TaskView.from_record(record)
            index.tasks[view.task_id] = view
            stored[view.task_id] = record
        planned_at: dict[UUID, int] = {}
        escalations = []
        for logged in batch:
            told = len(index.escalations)
            index.process(logged)
            task = logged.event.originator_id
            if task in index.tasks and task not in stored:
                planned_at.setdefault(task, logged.position)
            escalations += [
                (logged.position, n, e.task_id, e.task_name, e.department, e.what, e.deadline, e.at)
                for n, e in enumerate(index.escalations[told:])
            ]
        changed = []
        for task, view in index.tasks.items():
            record = view.to_record()
            if record != stored.get(task):
                departments = [view.lead, *view.cooperating]
                changed.append(
                    (task, planned_at.get(task, 0), departments, view.closed, as_json(record))
                )
        await connection.executemany(
            f"INSERT INTO {self.tasks_table} (task_id, planned_at, departments, closed, view) "
            "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (task_id) DO UPDATE "
            "SET departments = EXCLUDED.departments, closed = EXCLUDED.closed, view = EXCLUDED.view",
            changed,
        )
        await connection.executemany(
            f"INSERT INTO {self.escalations_table} "
            "(position, n, task_id, task_name, department, what, deadline, at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            escalations,
        )


# ---------------------------------------------------------------------------- public register
class RegisterProjection:
    """公示: one row per published target and task, and the inputs of each draw of targets."""

    name = "register"

    def __init__(self, schema: str, model: Callable[[], PublicRegister] = PublicRegister) -> None:
        self.model = model
        self.names_table = qualified(schema, REGISTER_TASKS)
        self.entries_table = qualified(schema, REGISTER)
        self.draws_table = qualified(schema, REGISTER_DRAWS)
        self.tables: tuple[str, ...] = (REGISTER_TASKS, REGISTER, REGISTER_DRAWS)
        self.events = task_events(PublicRegister)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        register = self.model()
        ids = task_ids(batch)
        names = await _task_names(connection, self.names_table, ids)
        register.task_names.update(names)
        stored: dict[tuple[str, UUID], tuple[Any, ...]] = {}
        placed: dict[tuple[str, UUID], tuple[int, int]] = {}
        """Where each entry stands in the register: its publication's position, its place in it."""
        for row in await connection.fetch(
            f"SELECT * FROM {self.entries_table} WHERE task_id = ANY($1::uuid[]) "
            "ORDER BY position, ordinal",
            ids,
        ):
            entry = register_entry(row)
            register.entries.setdefault(entry.credit_code, []).append(entry)
            stored[entry.credit_code, entry.task_id] = self._row(entry)
            placed[entry.credit_code, entry.task_id] = (row["position"], row["ordinal"])
        drawn_at: dict[UUID, int] = {}
        for logged in batch:
            register.process(logged)
            event = logged.event
            if isinstance(event, Task.ResultsPublished):
                for ordinal, published in enumerate(event.entries):
                    key = (published["target"], event.originator_id)
                    placed.setdefault(key, (logged.position, ordinal))
            if event.originator_id in register.draws:
                drawn_at.setdefault(event.originator_id, logged.position)
        changed = []
        for entries in register.entries.values():
            for entry in entries:
                row = self._row(entry)
                if row != stored.get((entry.credit_code, entry.task_id)):
                    changed.append((*row, *placed[entry.credit_code, entry.task_id]))
        await _save_task_names(connection, self.names_table, register.task_names, names)
        await connection.executemany(
            f"INSERT INTO {self.entries_table} (credit_code, name, task_id, task_name, results, "
            "published_on, corrections, position, ordinal) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) "
            "ON CONFLICT (credit_code, task_id) DO UPDATE SET name = EXCLUDED.name, "
            "task_name = EXCLUDED.task_name, results = EXCLUDED.results, "
            "published_on = EXCLUDED.published_on, corrections = EXCLUDED.corrections",
            changed,
        )
        await connection.executemany(
            f"INSERT INTO {self.draws_table} (task_id, position, draw) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (task_id) DO UPDATE SET draw = EXCLUDED.draw",
            [
                (task, drawn_at.get(task, 0), as_json({**asdict(draw), "task_id": str(task)}))
                for task, draw in register.draws.items()
            ],
        )

    @staticmethod
    def _row(entry: RegisterEntry) -> tuple[Any, ...]:
        return (
            entry.credit_code,
            entry.name,
            entry.task_id,
            entry.task_name,
            as_json(list(entry.results.items())),
            entry.published_on,
            list(entry.corrections),
        )


# ---------------------------------------------------------------------------- follow-up ledger
class LedgerProjection:
    """随机抽查后续处置工作台账: one row per follow-up, in the order they were opened."""

    name = "ledger"

    def __init__(self, schema: str, model: Callable[[], FollowUpLedger] = FollowUpLedger) -> None:
        self.model = model
        self.names_table = qualified(schema, LEDGER_TASKS)
        self.rows_table = qualified(schema, LEDGER)
        self.tables: tuple[str, ...] = (LEDGER_TASKS, LEDGER)
        self.events = task_events(FollowUpLedger)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        ledger = self.model()
        ids = task_ids(batch)
        names = await _task_names(connection, self.names_table, ids)
        ledger.task_names.update(names)
        stored: dict[tuple[UUID, int], LedgerRow] = {}
        opened: dict[tuple[UUID, int], int] = {}
        for row in await connection.fetch(
            f"SELECT * FROM {self.rows_table} WHERE task_id = ANY($1::uuid[]) ORDER BY position",
            ids,
        ):
            ledger_row = LedgerRow(**{f: row[f] for f in LEDGER_FIELDS})
            key = (ledger_row.task_id, ledger_row.number)
            ledger.rows[key] = ledger_row
            stored[key] = LedgerRow(**asdict(ledger_row))
            opened[key] = row["position"]
        for logged in batch:
            known = len(ledger.rows)
            ledger.process(logged)
            for key in list(ledger.rows)[known:]:
                opened[key] = logged.position
        await _save_task_names(connection, self.names_table, ledger.task_names, names)
        columns = ", ".join(LEDGER_FIELDS)
        values = ", ".join(f"${n}" for n in range(1, len(LEDGER_FIELDS) + 2))
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in LEDGER_FIELDS)
        await connection.executemany(
            f"INSERT INTO {self.rows_table} ({columns}, position) VALUES ({values}) "
            f"ON CONFLICT (task_id, number) DO UPDATE SET {updates}",
            [
                (*asdict(row).values(), opened[key])
                for key, row in ledger.rows.items()
                if row != stored.get(key)
            ],
        )


LEDGER_FIELDS = tuple(LedgerRow.__dataclass_fields__)


# ---------------------------------------------------------------------------- plan statistics
class StatisticsProjection:
    """Each department's workload per month. Counts are sums over events: a batch folded from
    zero gives the increments to add to the stored counts."""

    name = "plan_statistics"

    def __init__(self, schema: str, model: Callable[[], PlanStatistics] = PlanStatistics) -> None:
        self.model = model
        self.tasks_table = qualified(schema, STATISTICS_TASKS)
        self.months_table = qualified(schema, PLAN_STATISTICS)
        self.tables: tuple[str, ...] = (STATISTICS_TASKS, PLAN_STATISTICS)
        self.events = task_events(PlanStatistics)

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        statistics = self.model()
        rows = await connection.fetch(
            f"SELECT task_id, departments FROM {self.tasks_table} WHERE task_id = ANY($1::uuid[])",
            task_ids(batch),
        )
        stored = {row["task_id"]: tuple(row["departments"]) for row in rows}
        statistics.departments.update(stored)
        for logged in batch:
            statistics.process(logged)
        await connection.executemany(
            f"INSERT INTO {self.tasks_table} (task_id, departments) VALUES ($1, $2) "
            "ON CONFLICT (task_id) DO UPDATE SET departments = EXCLUDED.departments",
            [
                (task, list(departments))
                for task, departments in statistics.departments.items()
                if stored.get(task) != departments
            ],
        )
        await connection.executemany(
            f"INSERT INTO {self.months_table} AS m "
            "(department, month, tasks, targets_drawn, done, overdue) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (department, month) DO UPDATE SET "
            "tasks = m.tasks + EXCLUDED.tasks, "
            "targets_drawn = m.targets_drawn + EXCLUDED.targets_drawn, "
            "done = m.done + EXCLUDED.done, overdue = m.overdue + EXCLUDED.overdue",
            [
                (w.department, w.month, w.tasks, w.targets_drawn, w.done, w.overdue)
                for w in statistics.months.values()
            ],
        )
