"""Accounts, API keys and idempotency keys in PostgreSQL, in the tables `ssj db migrate` makes
(adapters/postgres/schema.py): the service's role reads and updates them, unlike the events.

A small pool of autocommit connections serves the HTTP server's threads: each statement is its
own transaction, which is all the store needs (rows.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg_pool import ConnectionPool

from adapters.accounts.rows import SqlAccountStore
from adapters.postgres.urls import PgUrl

WAIT = 3.0
"""Seconds a query waits for a connection of the pool (all busy, or the database away)."""


class PgAccountStore(SqlAccountStore):
    def __init__(self, url: PgUrl | str, schema: str = "public", max_size: int = 4) -> None:
        if isinstance(url, str):
            url = PgUrl.parse(url, "SSJ_DATABASE_URL")
        self._schema = sql.Identifier(schema).as_string()
        self.pool = ConnectionPool(
            url.conninfo(),
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=False,
            name="ssj-accounts",
            # While the database is away a request waits this long for a connection, then
            # is answered 503 store_unavailable, instead of psycopg_pool's 30 s per query.
            timeout=WAIT,
        )
        self.pool.open(wait=True, timeout=10)

    def close(self) -> None:
        self.pool.close()

    def _rows(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.pool.connection() as connection:
            cursor = connection.execute(_psycopg(statement), params)
            return cursor.fetchall() if cursor.description is not None else []

    def _count(self, statement: str, *params: Any) -> int:
        with self.pool.connection() as connection:
            return connection.execute(_psycopg(statement), params).rowcount

    def _table(self, name: str) -> str:
        return f"{self._schema}.{name}"

    def applied(self, command_id: UUID) -> bool:
        """The store records each command id with its events (`ssj_commands`)."""
        return bool(
            self._rows(
                f"SELECT 1 FROM {self._table('ssj_commands')} WHERE command_id = ?", command_id
            )
        )

    def _time(self, value: datetime | None) -> Any:
        return value

    def _moment(self, value: Any) -> datetime | None:
        return value if value is None or isinstance(value, datetime) else None


def _psycopg(statement: str) -> Any:
    """rows.py writes `?`; psycopg takes `%s` (the statements hold no literal `?` or `%`)."""
    return statement.replace("?", "%s")
