"""The read models in SQLite: the embedded default keeps them in the same file as the events, and
tests keep them in memory (`":memory:"`) beside the in-memory event store. The queries are here;
the folding of the log into the tables is projection.py's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.sqlite.projection import BATCH, EVENTS, SqliteProjection
from adapters.sqlite.schema import SCHEMA, upgrade
from services.inspection_ledger import Inspection
from services.ledger import LedgerRow
from services.read_models import (
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

if TYPE_CHECKING:
    from eventsourcing.application import Application


class SqliteReadModels(SqliteProjection):
    """`log` gives the application whose events are folded: it is built only when there is
    something new to fold, so a query on current read models loads none of the write side."""

    def __init__(
        self, path: Path | str, log: Callable[[], Application[UUID]], batch: int = BATCH
    ) -> None:
        self.log = log
        self.in_file = str(path) != ":memory:"
        self.batch = batch
        self.connection = sqlite3.connect(
            str(path), isolation_level=None, timeout=30, check_same_thread=False
        )
        self.connection.execute("PRAGMA busy_timeout = 30000")
        if self.in_file:
            self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.executescript(SCHEMA)
        upgrade(self.connection)

    def close(self) -> None:
        self.connection.close()

    # ------------------------------------------------------------------ tasks
    def task_views(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[TaskView]:
        limit, start = limited(limit), cursor(after)
        if departments is None:
            rows = self._rows(
                "SELECT planned_at, view FROM ssj_rm_tasks WHERE planned_at > ? "
                "ORDER BY planned_at LIMIT ?",
                start,
                limit + 1,
            )
        else:
            rows = self._rows(
                "SELECT DISTINCT d.planned_at, t.view FROM ssj_rm_task_departments AS d "
                "JOIN ssj_rm_tasks AS t ON t.task_id = d.task_id "
                "WHERE d.department IN (SELECT value FROM json_each(?)) AND d.planned_at > ? "
                "ORDER BY d.planned_at LIMIT ?",
                json.dumps(sorted(departments)),
                start,
                limit + 1,
            )
        return page_of([(at, TaskView.from_record(json.loads(v))) for at, v in rows], limit)

    def task_view(self, task_id: UUID) -> TaskView | None:
        row = self.connection.execute(
            "SELECT view FROM ssj_rm_tasks WHERE task_id = ?", (str(task_id),)
        ).fetchone()
        return TaskView.from_record(json.loads(row[0])) if row else None

    def history(self, task_id: UUID) -> list[HistoryEntry]:
        if not self.in_file:
            return [
                history_entry(e.originator_version, e.topic, e.state)
                for e in self.log().recorder.select_events(task_id)
            ]
        rows = self._rows(
            f"SELECT originator_version, topic, state FROM {EVENTS} WHERE originator_id = ? "
            "ORDER BY originator_version",
            task_id.hex,
        )
        return [history_entry(version, topic, bytes(state)) for version, topic, state in rows]

    def task_ids(self, prefix: str, limit: int) -> list[UUID]:
        rows = self._rows(
            "SELECT task_id FROM ssj_rm_tasks WHERE task_id >= ? AND task_id < ? "
            "ORDER BY task_id LIMIT ?",
            prefix,
            prefix + "~",
            limit,
        )
        return [UUID(task) for (task,) in rows]

    def inbox(self, department: str, limit: int, after: str | None) -> Page[TaskView]:
        limit, start = limited(limit), cursor(after)
        rows = self._rows(
            "SELECT d.planned_at, t.view FROM ssj_rm_task_departments AS d "
            "JOIN ssj_rm_tasks AS t ON t.task_id = d.task_id "
            "WHERE d.department = ? AND d.closed = 0 AND d.planned_at > ? "
            "ORDER BY d.planned_at LIMIT ?",
            department,
            start,
            limit + 1,
        )
        return page_of([(at, TaskView.from_record(json.loads(v))) for at, v in rows], limit)

    def due(self, day: date) -> list[UUID]:
        rows = self._rows(
            "SELECT task_id FROM ssj_rm_tasks WHERE next_due IS NOT NULL AND next_due < ? "
            "AND closed = 0 ORDER BY planned_at",
            day.isoformat(),
        )
        return [UUID(task) for (task,) in rows]

    def awaiting(self, year: int) -> list[UUID]:
        rows = self._rows("SELECT task_id FROM ssj_rm_task_years WHERE year = ?", year)
        return [UUID(task) for (task,) in rows]

    def escalations(self, limit: int, after: str | None) -> Page[Escalation]:
        limit, start = limited(limit), cursor(after)
        rows = self._rows(
            "SELECT place, task_id, task_name, department, what, deadline, at "
            "FROM ssj_rm_escalations WHERE place > ? ORDER BY place LIMIT ?",
            start,
            limit + 1,
        )
        return page_of(
            [
                (
                    place,
                    Escalation(
                        UUID(task),
                        name,
                        department,
                        what,
                        date.fromisoformat(deadline) if deadline else None,
                        datetime.fromisoformat(at),
                    ),
                )
                for place, task, name, department, what, deadline, at in rows
            ],
            limit,
        )

    # ------------------------------------------------------------------ the public register
    def register(
        self,
        credit_code: str | None,
        limit: int,
        after: str | None,
        *,
        name: str | None = None,
        task_id: UUID | None = None,
    ) -> Page[RegisterEntry]:
        limit, start = limited(limit), cursor(after)
        # Only the filters given, so that SQLite picks the index each one has: the primary key
        # for a credit code, (task_id, place) for a task; a name fragment scans in place order.
        where: list[str] = ["place > ?"]
        args: list[Any] = [start]
        if credit_code is not None:
            where.append("credit_code = ?")
            args.append(credit_code)
        if task_id is not None:
            where.append("task_id = ?")
            args.append(str(task_id))
        if name is not None:
            where.append("name_key LIKE ? ESCAPE '\\'")
            args.append(like_pattern(name_key(name)))
        rows = self._rows(
            f"SELECT place, entry FROM ssj_rm_register WHERE {' AND '.join(where)} "
            "ORDER BY place LIMIT ?",
            *args,
            limit + 1,
        )
        return page_of(
            [(place, RegisterEntry.from_record(json.loads(entry))) for place, entry in rows], limit
        )

    def draws(self, limit: int, after: str | None) -> Page[PublishedDraw]:
        limit, start = limited(limit), cursor(after)
        rows = self._rows(
            "SELECT position, draw FROM ssj_rm_draws WHERE position > ? ORDER BY position LIMIT ?",
            start,
            limit + 1,
        )
        return page_of(
            [(position, PublishedDraw.from_record(json.loads(d))) for position, d in rows], limit
        )

    def draw(self, task_id: UUID) -> PublishedDraw | None:
        row = self.connection.execute(
            "SELECT draw FROM ssj_rm_draws WHERE task_id = ?", (str(task_id),)
        ).fetchone()
        return PublishedDraw.from_record(json.loads(row[0])) if row else None

    def draw_population(
        self, task_id: UUID, limit: int, after: str | None
    ) -> Page[PopulationMember]:
        limit, start = limited(limit), cursor(after)
        rows = self._rows(
            "SELECT ordinal, credit_code, grade FROM ssj_rm_draw_population "
            "WHERE task_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?",
            str(task_id),
            start,
            limit + 1,
        )
        return page_of(
            [(ordinal, PopulationMember(code, grade)) for ordinal, code, grade in rows], limit
        )

    # ------------------------------------------------------------------ 企业检查台账
    def inspections(self, credit_code: str) -> list[Inspection]:
        rows = self._rows(
            "SELECT entry FROM ssj_rm_inspections WHERE credit_code = ? ORDER BY place",
            credit_code,
        )
        return [Inspection.from_record(json.loads(entry)) for (entry,) in rows]

    # ------------------------------------------------------------------ ledger and statistics
    def ledger(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[LedgerRow]:
        limit, start = limited(limit), cursor(after)
        seen = json.dumps(sorted(departments)) if departments is not None else None
        rows = self._rows(
            "SELECT position, row FROM ssj_rm_ledger WHERE position > ? "
            "AND (? IS NULL OR department IN (SELECT value FROM json_each(?))) "
            "ORDER BY position LIMIT ?",
            start,
            seen,
            seen or "[]",
            limit + 1,
        )
        return page_of(
            [(position, LedgerRow.from_record(json.loads(row))) for position, row in rows], limit
        )

    def statistics(
        self, year: int | None, departments: frozenset[str] | None
    ) -> list[MonthlyWorkload]:
        seen = json.dumps(sorted(departments)) if departments is not None else None
        rows = self._rows(
            "SELECT department, month, tasks, targets_drawn, done, overdue FROM ssj_rm_statistics "
            "WHERE (? IS NULL OR substr(month, 1, 4) = printf('%04d', ?)) "
            "AND (? IS NULL OR department IN (SELECT value FROM json_each(?))) "
            "ORDER BY department, month",
            year,
            year,
            seen,
            seen or "[]",
        )
        return [MonthlyWorkload(*row) for row in rows]

    # ------------------------------------------------------------------ the processes' own
    def process_position(self, process: str) -> int:
        return self._position(f"process:{process}")

    def advance_process(self, process: str, position: int) -> None:
        with self._writing():
            self._set_position(f"process:{process}", position)

    def record_fault(self, fault: Fault) -> None:
        with self._writing() as connection:
            connection.execute(
                "INSERT INTO ssj_rm_faults (process, task_id, position, error, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    fault.process,
                    str(fault.task_id) if fault.task_id else None,
                    fault.position,
                    fault.error,
                    fault.at.isoformat(),
                ),
            )

    def faults(self, limit: int, after: str | None, task_id: UUID | None = None) -> Page[Fault]:
        limit, start = limited(limit), cursor(after)
        task = str(task_id) if task_id else None
        rows = self._rows(
            "SELECT place, process, task_id, position, error, at FROM ssj_rm_faults "
            "WHERE place > ? AND (? IS NULL OR task_id = ?) ORDER BY place LIMIT ?",
            start,
            task,
            task,
            limit + 1,
        )
        return page_of(
            [
                (
                    place,
                    Fault(
                        process,
                        UUID(task) if task else None,
                        position,
                        error,
                        datetime.fromisoformat(at),
                    ),
                )
                for place, process, task, position, error, at in rows
            ],
            limit,
        )
