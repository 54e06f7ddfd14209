"""The read models' tables in SQLite, created on first use in the file that holds the events.

Each can be emptied and refilled from the log; `ssj_rm_positions` records, per read model and
per process, the last position of the log that its rows hold, written in the same transaction.
A file made by an earlier version is brought up to this layout when opened (`upgrade`).
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS ssj_rm_positions (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL CHECK (position >= 0)
);
CREATE TABLE IF NOT EXISTS ssj_rm_tasks (
    task_id TEXT PRIMARY KEY,
    planned_at INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    next_due TEXT,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ssj_rm_tasks_planned ON ssj_rm_tasks (planned_at);
CREATE INDEX IF NOT EXISTS ssj_rm_tasks_due ON ssj_rm_tasks (next_due) WHERE next_due IS NOT NULL;
CREATE TABLE IF NOT EXISTS ssj_rm_task_departments (
    department TEXT NOT NULL,
    planned_at INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    closed INTEGER NOT NULL,
    PRIMARY KEY (department, planned_at, task_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssj_rm_task_years (
    year INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (year, task_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssj_rm_escalations (
    place INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    task_name TEXT NOT NULL,
    department TEXT NOT NULL,
    what TEXT NOT NULL,
    deadline TEXT,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ssj_rm_register (
    credit_code TEXT NOT NULL,
    task_id TEXT NOT NULL,
    place INTEGER NOT NULL,
    entry TEXT NOT NULL,
    name_key TEXT,
    PRIMARY KEY (credit_code, task_id)
);
CREATE INDEX IF NOT EXISTS ssj_rm_register_place ON ssj_rm_register (place);
-- A target's results in publication order straight from the index, however many tasks it was in.
CREATE INDEX IF NOT EXISTS ssj_rm_register_code_place ON ssj_rm_register (credit_code, place);
-- A task's 公示 a page at a time, in publication order, at any size of the register.
DROP INDEX IF EXISTS ssj_rm_register_task;
CREATE INDEX IF NOT EXISTS ssj_rm_register_task_place ON ssj_rm_register (task_id, place);
CREATE TABLE IF NOT EXISTS ssj_rm_draws (
    task_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    draw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ssj_rm_draws_position ON ssj_rm_draws (position);
CREATE TABLE IF NOT EXISTS ssj_rm_draw_population (
    task_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    credit_code TEXT NOT NULL,
    grade TEXT NOT NULL,
    PRIMARY KEY (task_id, ordinal)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssj_rm_ledger (
    task_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    department TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (task_id, number)
);
CREATE INDEX IF NOT EXISTS ssj_rm_ledger_position ON ssj_rm_ledger (position);
CREATE TABLE IF NOT EXISTS ssj_rm_statistics (
    department TEXT NOT NULL,
    month TEXT NOT NULL,
    tasks INTEGER NOT NULL DEFAULT 0,
    targets_drawn INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    overdue INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (department, month)
);
CREATE TABLE IF NOT EXISTS ssj_rm_faults (
    place INTEGER PRIMARY KEY AUTOINCREMENT,
    process TEXT NOT NULL,
    task_id TEXT,
    position INTEGER NOT NULL,
    error TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ssj_rm_faults_task ON ssj_rm_faults (task_id, place);
"""

INSPECTIONS = """
CREATE TABLE IF NOT EXISTS ssj_rm_inspections (
    credit_code TEXT NOT NULL,
    task_id TEXT NOT NULL,
    place INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (credit_code, task_id)
);
-- An enterprise's inspections in the order drawn, straight from the index.
CREATE INDEX IF NOT EXISTS ssj_rm_inspections_code_place ON ssj_rm_inspections (credit_code, place);
CREATE INDEX IF NOT EXISTS ssj_rm_inspections_task ON ssj_rm_inspections (task_id);
"""
"""企业检查台账 (services/inspection_ledger.py): one row per (enterprise, task)."""

REFOLDED = (
    "ssj_rm_tasks",
    "ssj_rm_task_departments",
    "ssj_rm_task_years",
    "ssj_rm_escalations",
    "ssj_rm_register",
    "ssj_rm_draws",
    "ssj_rm_draw_population",
    "ssj_rm_ledger",
    "ssj_rm_statistics",
    "ssj_rm_inspections",
)
"""What a rebuild empties and refills from the log."""


def upgrade(connection: sqlite3.Connection) -> None:
    _add_inspections(connection)
    _add_name_key(connection)


def _add_inspections(connection: sqlite3.Connection) -> None:
    """A file made before the inspection ledger gets its table, and its read models are folded
    again from the start on the next catch-up: the ledger's rows come from draws long folded."""
    if _exists(connection, "ssj_rm_inspections"):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        if not _exists(connection, "ssj_rm_inspections"):  # another process's first
            for statement in INSPECTIONS.split(";"):
                if statement.strip():
                    connection.execute(statement)
            for table in REFOLDED[:-1]:
                connection.execute(f"DELETE FROM {table}")
            connection.execute("DELETE FROM ssj_rm_positions WHERE name = 'read_models'")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _exists(connection: sqlite3.Connection, table: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


def _add_name_key(connection: sqlite3.Connection) -> None:
    """Columns added since a file was made, filled from the rows themselves: the register's
    `name_key` (services/read_models.py, `name_key`: SQLite's lower() folds A-Z only, as it does)."""
    if "name_key" in _columns(connection, "ssj_rm_register"):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        if "name_key" not in _columns(connection, "ssj_rm_register"):  # another process's first
            connection.execute("ALTER TABLE ssj_rm_register ADD COLUMN name_key TEXT")
            connection.execute(
                "UPDATE ssj_rm_register SET name_key = lower(json_extract(entry, '$.name'))"
            )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
