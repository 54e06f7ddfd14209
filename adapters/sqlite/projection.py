"""Folding the log into the SQLite read models: `catch_up()` reads the log after the read models'
position through the application's own recorder, folds each batch (services/folding.py, the same
folds as every store) and writes the changed rows and the new position in one transaction; a crash
leaves both as they were, and the next catch-up starts there again.

Writers are one at a time in SQLite, so positions commit in order and a reader after a position
never passes a gap that fills in later. Every row is looked at by its topic; the position moves
past the rows no read model folds (a directory's) as past the others.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.ledger import LedgerRow
from services.populations import UNREADABLE
from services.read_models import NAME, as_json, name_key
from services.register import RegisterEntry

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import StoredEvent

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


def as_ids(ids: Sequence[UUID]) -> str:
    return json.dumps([str(i) for i in ids])


IN_IDS = "IN (SELECT value FROM json_each(?))"


class SqliteProjection:
    """The read models' tables, kept up with the log."""

    connection: sqlite3.Connection
    log: Callable[[], Application[UUID]]
    in_file: bool
    batch: int

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
        return self._position(NAME)

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
        app = self.log()
        while True:
            with self._writing():
                position = self.position()
                read, batch = self._read(app, position)
                if batch:
                    self._apply(batch)
                last = read[-1] if read else position
                complete = len(read) < self.batch
                self._set_position(NAME, last)
            if complete:
                return last

    def _read(self, app: Application[UUID], position: int) -> tuple[list[int], list[Logged]]:
        """The positions read after `position` (a batch at most), and the events among them that
        a read model folds, decoded. Every row is looked at, by its topic alone, so that an
        event stored under an older name of its class counts like the others; only the rows
        folded are read whole (a directory's import is megabytes no read model wants)."""
        from eventsourcing.persistence import StoredEvent

        from services.folding import folds
        from services.log import Logged

        if not self.in_file:
            notifications = app.recorder.select_notifications(
                start=position, limit=self.batch, inclusive_of_start=False
            )
            return [n.id for n in notifications], [
                Logged(n.id, app.mapper.to_domain_event(n)) for n in notifications if folds(n.topic)
            ]
        rows = self._rows(
            f"SELECT rowid, topic FROM {EVENTS} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            position,
            self.batch,
        )
        wanted = [rowid for rowid, topic in rows if folds(topic)]
        stored = self._rows(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {EVENTS} WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid",
            json.dumps(wanted),
        )
        events = [
            Logged(
                rowid,
                app.mapper.to_domain_event(
                    StoredEvent(UUID(str(originator)), version, topic, bytes(state))
                ),
            )
            for rowid, originator, version, topic, state in stored
        ]
        return [rowid for rowid, _ in rows], events

    def rebuild(self) -> int:
        """Empty every read model and fold the whole log again."""
        from adapters.sqlite.schema import REFOLDED

        with self._writing() as connection:
            for table in REFOLDED:
                connection.execute(f"DELETE FROM {table}")
            connection.execute("DELETE FROM ssj_rm_positions WHERE name = ?", (NAME,))
        return self.catch_up()

    def _apply(self, batch: Sequence[Logged]) -> None:
        from services.folding import fold_batch, wanted

        ids = wanted(batch)
        changes = fold_batch(
            self._views(ids.views),
            self._entries(ids.register),
            self._ledger_rows(ids.ledger),
            batch,
        )
        self._write_views(changes.views)
        self._write_register(changes.register)
        self._write_populations(batch)
        self._write_ledger(changes.ledger)
        self._write_statistics(changes.statistics)
        self._write_inspections(batch)

    # ------------------------------------------------------------------ loading a batch's state
    def _views(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        """The views as stored: the fold reads each once."""
        if not ids:
            return {}
        rows = self._rows(f"SELECT view FROM ssj_rm_tasks WHERE task_id {IN_IDS}", as_ids(ids))
        records = (json.loads(view) for (view,) in rows)
        return {UUID(record["task_id"]): record for record in records}

    def _entries(self, ids: Sequence[UUID]) -> list[Placed]:
        from services.folding import Placed

        if not ids:
            return []
        rows = self._rows(
            f"SELECT place, entry FROM ssj_rm_register WHERE task_id {IN_IDS} ORDER BY place",
            as_ids(ids),
        )
        return [
            Placed(RegisterEntry.from_record(json.loads(entry)), place) for place, entry in rows
        ]

    def _ledger_rows(self, ids: Sequence[UUID]) -> list[tuple[int, LedgerRow]]:
        if not ids:
            return []
        rows = self._rows(
            f"SELECT position, row FROM ssj_rm_ledger WHERE task_id {IN_IDS} ORDER BY position",
            as_ids(ids),
        )
        return [(position, LedgerRow.from_record(json.loads(row))) for position, row in rows]

    # ------------------------------------------------------------------ writing its effect
    def _write_views(self, changes: ViewChanges) -> None:
        c = self.connection
        if changes.views:
            c.executemany(
                "INSERT INTO ssj_rm_tasks (task_id, planned_at, closed, next_due, view) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (task_id) DO UPDATE "
                "SET closed = excluded.closed, next_due = excluded.next_due, view = excluded.view",
                [
                    (
                        str(task),
                        changes.planned.get(task, 0),
                        view.closed,
                        iso(view.next_due()),
                        as_json(changes.records[task]),
                    )
                    for task, view in changes.views.items()
                ],
            )
            ids = as_ids(list(changes.views))
            c.execute(f"DELETE FROM ssj_rm_task_departments WHERE task_id {IN_IDS}", (ids,))
            # Each department with its task's place in the lists, which only ssj_rm_tasks holds.
            c.execute(
                "INSERT INTO ssj_rm_task_departments (department, planned_at, task_id, closed) "
                "SELECT json_extract(seen.value, '$[0]'), t.planned_at, t.task_id, t.closed "
                "FROM json_each(?) AS seen "
                "JOIN ssj_rm_tasks AS t ON t.task_id = json_extract(seen.value, '$[1]')",
                (
                    json.dumps(
                        [
                            [department, str(task)]
                            for task, view in changes.views.items()
                            for department in view.visible_to()
                        ]
                    ),
                ),
            )
            c.execute(f"DELETE FROM ssj_rm_task_years WHERE task_id {IN_IDS}", (ids,))
            c.executemany(
                "INSERT INTO ssj_rm_task_years (year, task_id) VALUES (?, ?)",
                [
                    (year, str(task))
                    for task, view in changes.views.items()
                    for year in view.awaited_years()
                ],
            )
        c.executemany(
            "INSERT INTO ssj_rm_escalations "
            "(place, task_id, task_name, department, what, deadline, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    place,
                    str(e.task_id),
                    e.task_name,
                    e.department,
                    e.what,
                    iso(e.deadline),
                    e.at.isoformat(),
                )
                for place, e in changes.escalations
            ],
        )

    def _write_register(self, changes: RegisterChanges) -> None:
        self.connection.executemany(
            "INSERT INTO ssj_rm_register (credit_code, task_id, place, entry, name_key) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (credit_code, task_id) DO UPDATE "
            "SET entry = excluded.entry, name_key = excluded.name_key",
            [
                (
                    p.entry.credit_code,
                    str(p.entry.task_id),
                    p.place,
                    as_json(p.entry.as_record()),
                    name_key(p.entry.name),
                )
                for p in changes.entries
            ],
        )
        self.connection.executemany(
            "INSERT INTO ssj_rm_draws (task_id, position, draw) VALUES (?, ?, ?) "
            "ON CONFLICT (task_id) DO UPDATE SET draw = excluded.draw",
            [
                (str(task), position, as_json(draw.as_record()))
                for task, (position, draw) in changes.draws.items()
            ],
        )

    def _write_populations(self, batch: Sequence[Logged]) -> None:
        """Each draw's population, rebuilt from the log as the auditor rebuilds it."""
        from services.populations import draws_in, rebuilt_population

        drawn = draws_in(batch)
        if not drawn:
            return
        app = self.log()
        for made in drawn:
            members = rebuilt_population(
                next(iter(self._stored(app, made.task_id, 1)), None),
                self._stored(app, made.directory_id, made.directory_position),
                app.mapper.to_domain_event,
                made.excluded,
            )
            self.connection.execute(
                "DELETE FROM ssj_rm_draw_population WHERE task_id = ?", (str(made.task_id),)
            )
            self.connection.executemany(
                "INSERT INTO ssj_rm_draw_population (task_id, ordinal, credit_code, grade) "
                "VALUES (?, ?, ?, ?)",
                (
                    (str(made.task_id), ordinal, code, grade)
                    for ordinal, (code, grade) in enumerate(members, start=1)
                ),
            )

    def _stored(self, app: Application[UUID], originator_id: UUID, up_to: int) -> list[StoredEvent]:
        """An aggregate's stored events up to version `up_to`, in version order."""
        from eventsourcing.persistence import StoredEvent

        if not self.in_file:
            return list(app.recorder.select_events(originator_id, lte=up_to))
        rows = self._rows(
            f"SELECT originator_version, topic, state FROM {EVENTS} "
            "WHERE originator_id = ? AND originator_version <= ? ORDER BY originator_version",
            originator_id.hex,
            up_to,
        )
        return [
            StoredEvent(originator_id, version, topic, bytes(state))
            for version, topic, state in rows
        ]

    def _write_inspections(self, batch: Sequence[Logged]) -> None:
        """企业检查台账: the rows of the batch's tasks, folded on, written back when changed."""
        from services.inspection_ledger import (
            Inspection,
            fold_inspections,
            header_of,
            ledger_tasks,
        )

        ids = ledger_tasks(batch)
        if not ids:
            return
        stored = [
            (place, Inspection.from_record(json.loads(entry)))
            for place, entry in self._rows(
                f"SELECT place, entry FROM ssj_rm_inspections WHERE task_id {IN_IDS}", as_ids(ids)
            )
        ]

        def header(task_id: UUID) -> Any:
            app = self.log()
            first = next(iter(self._stored(app, task_id, 1)), None)
            try:
                return header_of(app.mapper.to_domain_event(first)) if first else None
            except UNREADABLE:  # a tampered first row: the task is a fault, not the fold's end
                return None

        self.connection.executemany(
            "INSERT INTO ssj_rm_inspections (credit_code, task_id, place, entry) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (credit_code, task_id) DO UPDATE "
            "SET entry = excluded.entry",
            [
                (row.credit_code, str(row.task_id), place, as_json(row.as_record()))
                for place, row in fold_inspections(stored, batch, header)
            ],
        )

    def _write_ledger(self, changes: LedgerChanges) -> None:
        self.connection.executemany(
            "INSERT INTO ssj_rm_ledger (task_id, number, position, department, row) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (task_id, number) DO UPDATE SET row = excluded.row",
            [
                (str(row.task_id), row.number, position, row.department, as_json(row.as_record()))
                for position, row in changes.rows
            ],
        )

    def _write_statistics(self, changes: StatisticsChanges) -> None:
        self.connection.executemany(
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


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
