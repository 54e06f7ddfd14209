"""The read models in SQLite: the embedded default keeps them in the same file as the events, and
tests keep them in memory (`":memory:"`) beside the in-memory event store.

`catch_up()` reads the log after the read models' position through the application's own
recorder, folds each batch (services/folding.py) and writes the changed rows and the new position
in one transaction; a crash leaves both as they were, and the next catch-up starts there again.
Writers are one at a time in SQLite, so positions commit in order: once a read of the log comes
back short, every event up to the log's last position as read before it has been seen, and the
position moves there even when the last events were a directory's, which no read model folds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.sqlite.schema import READ_MODELS, SCHEMA
from services.ledger import LedgerRow
from services.read_models import Fault, Page, cursor, limited, page_of
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.task_views import Escalation, TaskView

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from services.folding import (
        LedgerChanges,
        Placed,
        RegisterChanges,
        StatisticsChanges,
        ViewChanges,
    )
    from services.log import Logged

BATCH = 1_000
EVENTS = "stored_events"
"""The library's table of events in an SQLite file (eventsourcing's default name)."""
ESCALATIONS_PER_EVENT = 1_000


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _ids(ids: Sequence[UUID]) -> str:
    return json.dumps([str(i) for i in ids])


IN_IDS = "IN (SELECT value FROM json_each(?))"


class SqliteReadModels:
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

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def _rows(self, query: str, *args: Any) -> list[Any]:
        return self.connection.execute(query, args).fetchall()

    # ------------------------------------------------------------------ following the log
    def _position(self, name: str) -> int:
        row = self.connection.execute(
            "SELECT position FROM ssj_rm_positions WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _set_position(self, name: str, position: int) -> None:
        self.connection.execute(
            "INSERT INTO ssj_rm_positions (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position "
            "WHERE excluded.position > ssj_rm_positions.position",
            (name, position),
        )

    def position(self) -> int:
        return min(self._position(name) for name in READ_MODELS)

    def _newest(self) -> int:
        """The log's last position, read from the file itself when the events are in it."""
        if self.in_file:
            try:
                row = self.connection.execute(f"SELECT max(rowid) FROM {EVENTS}").fetchone()
            except sqlite3.OperationalError:  # no event stored yet: the library makes the table
                return 0
            return int(row[0] or 0)
        return int(self.log().recorder.max_notification_id() or 0)

    def catch_up(self) -> int:
        if self._newest() <= self.position():
            return self.position()  # nothing new: the write side need not even be loaded
        from services.log import Logged
        from services.projection import task_topics

        app = self.log()
        while True:
            with self._writing():
                position = self.position()
                newest = self._newest()
                notifications = app.recorder.select_notifications(
                    start=position, limit=self.batch, topics=task_topics(), inclusive_of_start=False
                )
                batch = [Logged(n.id, app.mapper.to_domain_event(n)) for n in notifications]
                if batch:
                    self._apply(batch)
                complete = len(notifications) < self.batch
                last = batch[-1].position if batch else position
                if complete:
                    last = max(last, newest)
                for name in READ_MODELS:
                    self._set_position(name, last)
            if complete:
                return last

    def rebuild(self) -> int:
        """Empty every read model and fold the whole log again."""
        with self._writing() as connection:
            for table in (
                "ssj_rm_tasks",
                "ssj_rm_task_departments",
                "ssj_rm_task_years",
                "ssj_rm_escalations",
                "ssj_rm_task_names",
                "ssj_rm_register",
                "ssj_rm_draws",
                "ssj_rm_ledger",
                "ssj_rm_statistics_tasks",
                "ssj_rm_statistics",
            ):
                connection.execute(f"DELETE FROM {table}")
            connection.execute(
                "DELETE FROM ssj_rm_positions WHERE name IN (SELECT value FROM json_each(?))",
                (json.dumps(list(READ_MODELS)),),
            )
        return self.catch_up()

    def _apply(self, batch: Sequence[Logged]) -> None:
        from services.folding import (
            fold_ledger,
            fold_register,
            fold_statistics,
            fold_views,
            task_ids,
        )

        ids = task_ids(batch)
        self._write_views(fold_views(self._views(ids), batch))
        self._write_register(fold_register(self._names("register", ids), self._entries(ids), batch))
        self._write_ledger(fold_ledger(self._names("ledger", ids), self._ledger_rows(ids), batch))
        self._write_statistics(fold_statistics(self._departments(ids), batch))

    # ------------------------------------------------------------------ loading a batch's state
    def _views(self, ids: Sequence[UUID]) -> dict[UUID, TaskView]:
        rows = self._rows(f"SELECT view FROM ssj_rm_tasks WHERE task_id {IN_IDS}", _ids(ids))
        views = (TaskView.from_record(json.loads(view)) for (view,) in rows)
        return {view.task_id: view for view in views}

    def _names(self, model: str, ids: Sequence[UUID]) -> dict[UUID, str]:
        rows = self._rows(
            f"SELECT task_id, name FROM ssj_rm_task_names WHERE model = ? AND task_id {IN_IDS}",
            model,
            _ids(ids),
        )
        return {UUID(task): name for task, name in rows}

    def _entries(self, ids: Sequence[UUID]) -> list[Placed]:
        from services.folding import Placed

        rows = self._rows(
            f"SELECT place, entry FROM ssj_rm_register WHERE task_id {IN_IDS} ORDER BY place",
            _ids(ids),
        )
        return [
            Placed(RegisterEntry.from_record(json.loads(entry)), place) for place, entry in rows
        ]

    def _ledger_rows(self, ids: Sequence[UUID]) -> list[tuple[int, LedgerRow]]:
        rows = self._rows(
            f"SELECT position, row FROM ssj_rm_ledger WHERE task_id {IN_IDS} ORDER BY position",
            _ids(ids),
        )
        return [(position, LedgerRow.from_record(json.loads(row))) for position, row in rows]

    def _departments(self, ids: Sequence[UUID]) -> dict[UUID, tuple[str, ...]]:
        rows = self._rows(
            f"SELECT task_id, departments FROM ssj_rm_statistics_tasks WHERE task_id {IN_IDS}",
            _ids(ids),
        )
        return {UUID(task): tuple(json.loads(departments)) for task, departments in rows}

    # ------------------------------------------------------------------ writing its effect
    def _write_views(self, changes: ViewChanges) -> None:
        c = self.connection
        for task, view in changes.views.items():
            key = str(task)
            due = view.next_due()
            record = _json(view.to_record())
            if task in changes.planned:
                c.execute(
                    "INSERT INTO ssj_rm_tasks (task_id, planned_at, closed, next_due, view) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (key, changes.planned[task], view.closed, due and due.isoformat(), record),
                )
            else:
                c.execute(
                    "UPDATE ssj_rm_tasks SET closed = ?, next_due = ?, view = ? WHERE task_id = ?",
                    (view.closed, due and due.isoformat(), record, key),
                )
            (planned_at,) = c.execute(
                "SELECT planned_at FROM ssj_rm_tasks WHERE task_id = ?", (key,)
            ).fetchone()
            c.execute("DELETE FROM ssj_rm_task_departments WHERE task_id = ?", (key,))
            c.executemany(
                "INSERT INTO ssj_rm_task_departments (department, planned_at, task_id, closed) "
                "VALUES (?, ?, ?, ?)",
                [(d, planned_at, key, view.closed) for d in view.visible_to()],
            )
            c.execute("DELETE FROM ssj_rm_task_years WHERE task_id = ?", (key,))
            c.executemany(
                "INSERT INTO ssj_rm_task_years (year, task_id) VALUES (?, ?)",
                [(year, key) for year in view.awaited_years()],
            )
        c.executemany(
            "INSERT INTO ssj_rm_escalations "
            "(place, task_id, task_name, department, what, deadline, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    position * ESCALATIONS_PER_EVENT + n,
                    str(e.task_id),
                    e.task_name,
                    e.department,
                    e.what,
                    e.deadline and e.deadline.isoformat(),
                    e.at.isoformat(),
                )
                for position, n, e in changes.escalations
            ],
        )

    def _write_names(self, model: str, names: dict[UUID, str]) -> None:
        self.connection.executemany(
            "INSERT INTO ssj_rm_task_names (model, task_id, name) VALUES (?, ?, ?) "
            "ON CONFLICT (model, task_id) DO UPDATE SET name = excluded.name",
            [(model, str(task), name) for task, name in names.items()],
        )

    def _write_register(self, changes: RegisterChanges) -> None:
        self._write_names("register", changes.names)
        self.connection.executemany(
            "INSERT INTO ssj_rm_register (credit_code, task_id, place, entry) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (credit_code, task_id) DO UPDATE SET entry = excluded.entry",
            [
                (p.entry.credit_code, str(p.entry.task_id), p.place, _json(p.entry.as_record()))
                for p in changes.entries
            ],
        )
        self.connection.executemany(
            "INSERT INTO ssj_rm_draws (task_id, position, draw) VALUES (?, ?, ?) "
            "ON CONFLICT (task_id) DO UPDATE SET draw = excluded.draw",
            [
                (str(task), position, _json(draw.as_record()))
                for task, (position, draw) in changes.draws.items()
            ],
        )

    def _write_ledger(self, changes: LedgerChanges) -> None:
        self._write_names("ledger", changes.names)
        self.connection.executemany(
            "INSERT INTO ssj_rm_ledger (task_id, number, position, department, row) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (task_id, number) DO UPDATE SET row = excluded.row",
            [
                (str(row.task_id), row.number, position, row.department, _json(row.as_record()))
                for position, row in changes.rows
            ],
        )

    def _write_statistics(self, changes: StatisticsChanges) -> None:
        c = self.connection
        c.executemany(
            "INSERT INTO ssj_rm_statistics_tasks (task_id, departments) VALUES (?, ?) "
            "ON CONFLICT (task_id) DO UPDATE SET departments = excluded.departments",
            [(str(t), _json(list(d))) for t, d in changes.departments.items()],
        )
        c.executemany(
            "INSERT INTO ssj_rm_statistics AS m "
            "(department, month, tasks, targets_drawn, done, overdue) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (department, month) DO UPDATE SET "
            "tasks = m.tasks + excluded.tasks, "
            "targets_drawn = m.targets_drawn + excluded.targets_drawn, "
            "done = m.done + excluded.done, overdue = m.overdue + excluded.overdue",
            [
                (w.department, w.month, w.tasks, w.targets_drawn, w.done, w.overdue)
                for w in changes.increments
            ],
        )

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
        self, credit_code: str | None, limit: int, after: str | None
    ) -> Page[RegisterEntry]:
        limit, start = limited(limit), cursor(after)
        if credit_code is None:
            rows = self._rows(
                "SELECT place, entry FROM ssj_rm_register WHERE place > ? ORDER BY place LIMIT ?",
                start,
                limit + 1,
            )
        else:
            rows = self._rows(
                "SELECT place, entry FROM ssj_rm_register WHERE credit_code = ? AND place > ? "
                "ORDER BY place LIMIT ?",
                credit_code,
                start,
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

    # ------------------------------------------------------------------ ledger and statistics
    def ledger(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[LedgerRow]:
        limit, start = limited(limit), cursor(after)
        seen = json.dumps(sorted(departments)) if departments is not None else None
        rows = self._rows(
            "SELECT position * 1000 + number, row FROM ssj_rm_ledger "
            "WHERE position * 1000 + number > ? "
            "AND (? IS NULL OR department IN (SELECT value FROM json_each(?))) "
            "ORDER BY position, number LIMIT ?",
            start,
            seen,
            seen or "[]",
            limit + 1,
        )
        return page_of(
            [(place, LedgerRow.from_record(json.loads(row))) for place, row in rows], limit
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

    def faults(self, limit: int, after: str | None) -> Page[Fault]:
        limit, start = limited(limit), cursor(after)
        rows = self._rows(
            "SELECT place, process, task_id, position, error, at FROM ssj_rm_faults "
            "WHERE place > ? ORDER BY place LIMIT ?",
            start,
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
