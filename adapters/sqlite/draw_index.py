"""An index of the stored events for 国办发〔2024〕54号 (services/inspection_caps.py `DrawIndex`):
which draws of targets (`Task.TargetsDrawn`) drew a credit code, on which day, and which joint
visits (`JointVisit.Merged`) merged a task's visit of a target, by the event's place in the log.

The index is the store's own: SQLite triggers on `stored_events` fill it in the very transaction
that inserts the event, from the event's JSON, so that it holds exactly what the log holds and
never lags behind it (unlike a read model, folded afterwards). It is made on first use, under
the store's write lock, together with the rows of the events already stored. It only says where
to look: the events themselves are then read from the log and decoded as any reader does, and
the auditor's recomputation of the exclusions reads the whole log without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from datetime import date
from pathlib import Path
from uuid import UUID

from eventsourcing.utils import get_topic

CHUNK = 500
"""Credit codes or task ids per query (SQLite's bound parameters)."""

_STATE = "CAST({row}.state AS TEXT)"


def _day(state: str) -> str:
    """The date the draw's time is written with; a time not written as expected is dated last,
    so that every commitment still reads the draw (the index may name too much, never too
    little)."""
    return f"coalesce(substr(json_extract({state}, '$.at._data_'), 1, 10), '9999-12-31')"


def _schema(drawn_topic: str, merged_topic: str) -> str:
    new = _STATE.format(row="NEW")
    return f"""
CREATE TABLE IF NOT EXISTS ssj_idx_drawn (
    credit_code TEXT NOT NULL,
    drawn_on TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (credit_code, drawn_on, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssj_idx_merged (
    task_id TEXT NOT NULL,
    target TEXT NOT NULL,
    position INTEGER NOT NULL,
    joint_visit_id TEXT NOT NULL,
    PRIMARY KEY (task_id, target, position)
) WITHOUT ROWID;
INSERT OR IGNORE INTO ssj_idx_drawn (credit_code, drawn_on, position)
    SELECT codes.value, {_day(_STATE.format(row="e"))}, e.rowid
    FROM stored_events AS e,
         json_each(json_extract({_STATE.format(row="e")}, '$.drawn')) AS grades,
         json_each(grades.value) AS codes
    WHERE e.topic = '{drawn_topic}' AND json_valid({_STATE.format(row="e")});
INSERT OR IGNORE INTO ssj_idx_merged (task_id, target, position, joint_visit_id)
    SELECT json_extract(t.value, '$.task_id'), json_extract({_STATE.format(row="e")}, '$.target'),
           e.rowid, e.originator_id
    FROM stored_events AS e, json_each(json_extract({_STATE.format(row="e")}, '$.tasks')) AS t
    WHERE e.topic = '{merged_topic}' AND json_valid({_STATE.format(row="e")});
CREATE TRIGGER IF NOT EXISTS ssj_idx_drawn_insert AFTER INSERT ON stored_events
WHEN NEW.topic = '{drawn_topic}' AND json_valid({new})
BEGIN
    INSERT OR IGNORE INTO ssj_idx_drawn (credit_code, drawn_on, position)
    SELECT codes.value, {_day(new)}, NEW.rowid
    FROM json_each(json_extract({new}, '$.drawn')) AS grades, json_each(grades.value) AS codes;
END;
CREATE TRIGGER IF NOT EXISTS ssj_idx_merged_insert AFTER INSERT ON stored_events
WHEN NEW.topic = '{merged_topic}' AND json_valid({new})
BEGIN
    INSERT OR IGNORE INTO ssj_idx_merged (task_id, target, position, joint_visit_id)
    SELECT json_extract(t.value, '$.task_id'), json_extract({new}, '$.target'), NEW.rowid,
           NEW.originator_id
    FROM json_each(json_extract({new}, '$.tasks')) AS t;
END;
"""


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class SqliteDrawIndex:
    """services/inspection_caps.py's `DrawIndex` on the SQLite file that holds the events."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout = 10000")
        made = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN "
            "('ssj_idx_drawn_insert', 'ssj_idx_merged_insert')"
        ).fetchone()[0]
        if made < 2:
            self._make(connection)
        self._connection = connection
        return connection

    def _make(self, connection: sqlite3.Connection) -> None:
        """The tables, the rows of the events stored so far and the triggers, in one write
        transaction: no event is stored between the rows read and the triggers made."""
        from domain.joint_visit import JointVisit
        from domain.task import Task

        script = _schema(get_topic(Task.TargetsDrawn), get_topic(JointVisit.Merged))
        connection.execute("BEGIN IMMEDIATE")
        try:
            exists = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'"
            ).fetchone()
            if exists is None:  # the recorder makes its table when the application starts
                raise RuntimeError(f"{self.path}：尚无事件表 stored_events")
            for statement in _statements(script):
                connection.execute(statement)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def drawn(
        self, credit_codes: Collection[str], since: date, before: int | None = None
    ) -> list[int]:
        """The log positions of the draws that drew any of `credit_codes` on `since` or later
        (by the date the event's time is written with), in log order."""
        connection = self._connect()
        found: set[int] = set()
        codes = sorted(credit_codes)
        for chunk in _chunks(codes):
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT position FROM ssj_idx_drawn WHERE credit_code IN ({marks}) "
                "AND drawn_on >= ?",
                (*chunk, since.isoformat()),
            )
            found |= {p for (p,) in rows if before is None or p < before}
        return sorted(found)

    def merged(
        self, task_ids: Collection[UUID], before: int | None = None
    ) -> dict[UUID, dict[str, UUID]]:
        """Task -> target -> the joint visit that merged its visit of it."""
        connection = self._connect()
        found: dict[UUID, dict[str, UUID]] = {}
        ids = sorted(str(t) for t in task_ids)
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                "SELECT task_id, target, position, joint_visit_id FROM ssj_idx_merged "
                f"WHERE task_id IN ({marks})",
                chunk,
            )
            for task_id, target, position, joint in rows:
                if before is None or position < before:
                    found.setdefault(UUID(task_id), {})[target] = UUID(joint)
        return found

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _statements(script: str) -> list[str]:
    """The script's statements, a trigger's body kept whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.startswith("CREATE TRIGGER") or text.endswith("END;")):
            statements.append(text)
            current = []
    return [s for s in statements if s.strip(";").strip()]
