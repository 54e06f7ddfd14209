"""The lead's draw secrets between commitment and draw, kept by the server, never in the log.

Over HTTP the lead does not type a secret: the server draws one (`secrets.token_hex(32)`) when the
lead commits, and the lead's draw uses it. Only H(secret) goes into the log at commit; the secret
itself is revealed by the draw's event, as DRAW-SPEC.md says. Until then it is kept here, in the
same store as the events (a table of the SQLite file, or of PostgreSQL made by `ssj db migrate`),
and only the task's lead reads it: its draw uses it, and the lead may ask for it before the draw
(drawing.py `kept_secret`, as the policy lets the lead alone draw).

A secret is kept under its commitment, before the commitment is recorded: a commit that is then
refused (committed already, a write conflict) leaves a secret nobody committed to, which nothing
uses, and never replaces the one a task committed to.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from uuid import UUID
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from adapters.bootstrap import Service

TABLE = "ssj_http_draw_secrets"

SQLITE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    commitment TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    kept_at TEXT NOT NULL
);
"""

POSTGRES = f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{TABLE} (
    commitment text PRIMARY KEY,
    task_id uuid NOT NULL,
    secret text NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT now()
);
"""
"""For `ssj db migrate` (adapters/postgres/schema.py): the service's role may SELECT and INSERT."""


def postgres_grants(schema: str, role: str) -> list[str]:
    return [
        f"GRANT SELECT, INSERT ON {schema}.{TABLE} TO {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.{TABLE} FROM {role};",
    ]


class DrawSecrets(Protocol):
    def keep(self, task_id: UUID, commitment: str, secret: str) -> None: ...

    def secret(self, commitment: str) -> str | None:
        """The secret committed to as `commitment`, if it was kept here."""
        ...

    def close(self) -> None: ...


class SqliteDrawSecrets:
    """In the embedded store's SQLite file, or in memory (tests)."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self.connection = sqlite3.connect(
            str(path), isolation_level=None, timeout=30, check_same_thread=False
        )
        self.connection.execute("PRAGMA busy_timeout = 30000")
        self.connection.executescript(SQLITE)

    def keep(self, task_id: UUID, commitment: str, secret: str) -> None:
        with self._lock:
            self.connection.execute(
                f"INSERT OR IGNORE INTO {TABLE} (commitment, task_id, secret, kept_at) "
                "VALUES (?, ?, ?, ?)",
                (commitment, str(task_id), secret, datetime.now(UTC).isoformat()),
            )

    def secret(self, commitment: str) -> str | None:
        with self._lock:
            row = self.connection.execute(
                f"SELECT secret FROM {TABLE} WHERE commitment = ?", (commitment,)
            ).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        self.connection.close()


class PgDrawSecrets:
    """In PostgreSQL, in the table `ssj db migrate` made."""

    def __init__(self, conninfo: str, schema: str = "public") -> None:
        from psycopg import sql
        from psycopg_pool import ConnectionPool

        self.table = f"{sql.Identifier(schema).as_string()}.{TABLE}"
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=2,
            kwargs={"autocommit": True},
            open=False,
            name="ssj-draw-secrets",
        )
        self.pool.open(wait=True, timeout=10)

    def keep(self, task_id: UUID, commitment: str, secret: str) -> None:
        with self.pool.connection() as connection:
            connection.execute(
                f"INSERT INTO {self.table} (commitment, task_id, secret) VALUES (%s, %s, %s) "
                "ON CONFLICT (commitment) DO NOTHING",
                (commitment, task_id, secret),
            )

    def secret(self, commitment: str) -> str | None:
        with self.pool.connection() as connection:
            row = connection.execute(
                f"SELECT secret FROM {self.table} WHERE commitment = %s",
                (commitment,),
            ).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        self.pool.close()


_kept: WeakKeyDictionary[Service, DrawSecrets] = WeakKeyDictionary()
_lock = threading.Lock()


def kept_by(service: Service) -> DrawSecrets:
    """What the HTTP front keeps beside this service's events, opened on first use."""
    with _lock:
        kept = _kept.get(service)
        if kept is None:
            if service.memory:
                kept = SqliteDrawSecrets(":memory:")
            elif service.pg_url is not None:
                kept = PgDrawSecrets(service.pg_url.conninfo(), service.settings.database_schema)
            else:
                kept = SqliteDrawSecrets(service.sqlite_file)
            _kept[service] = kept
        return kept
