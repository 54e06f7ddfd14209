"""Accounts, API keys and idempotency keys in SQLite: the embedded default keeps them in the same
file as the events (tables made on first use), tests in memory (`":memory:"`).

One connection serves every thread of the HTTP server, one statement at a time under a lock; the
CLI, in another process, writes the same file, which WAL and the busy timeout allow.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.accounts.rows import ACCOUNTS, FAILURES, KEYS, REQUESTS, SqlAccountStore

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {ACCOUNTS} (
    username TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    department TEXT,
    inspector TEXT,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS {FAILURES} (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS {KEYS} (
    key_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS {REQUESTS} (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    started_at TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    PRIMARY KEY (principal, key)
);
"""


class SqliteAccountStore(SqlAccountStore):
    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self.connection = sqlite3.connect(
            str(path), isolation_level=None, timeout=30, check_same_thread=False
        )
        self.connection.execute("PRAGMA busy_timeout = 30000")
        if str(path) != ":memory:":
            self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.connection.close()

    def _rows(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.connection.execute(statement, params).fetchall()

    def _count(self, statement: str, *params: Any) -> int:
        with self._lock:
            return self.connection.execute(statement, params).rowcount

    def _table(self, name: str) -> str:
        return name

    def applied(self, command_id: UUID) -> bool:
        """The embedded store records no command ids (it has no bus to repeat them)."""
        return False

    def _time(self, value: datetime | None) -> Any:
        # UTC, fixed width: the text sorts and compares as the moments do.
        return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")

    def _moment(self, value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)
