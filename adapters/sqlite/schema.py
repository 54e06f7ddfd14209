"""The read models' tables in SQLite, created on first use in the file that holds the events.

Each can be emptied and refilled from the log; `ssj_rm_positions` records, per read model and
per process, the last position of the log that its rows hold, written in the same transaction.
"""

from __future__ import annotations

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
    PRIMARY KEY (credit_code, task_id)
);
CREATE INDEX IF NOT EXISTS ssj_rm_register_place ON ssj_rm_register (place);
CREATE INDEX IF NOT EXISTS ssj_rm_register_task ON ssj_rm_register (task_id);
CREATE TABLE IF NOT EXISTS ssj_rm_draws (
    task_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    draw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ssj_rm_draws_position ON ssj_rm_draws (position);
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
