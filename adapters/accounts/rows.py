"""The accounts' and idempotency keys' SQL, shared by the SQLite and PostgreSQL stores: the same
tables, the same statements (written with `?`; the PostgreSQL store gives psycopg `%s`).

Every change is one statement, atomic in either database, because many threads of the HTTP
server, and the CLI in another process, use the same rows: a failure is counted by an upsert that
returns the new count, a request claims its key by an insert that does nothing when the key is
taken.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from services.accounts import FailureRow, KeyRow, UserRow
from services.idempotency import RequestRow

ACCOUNTS = "ssj_accounts"
FAILURES = "ssj_sign_in_failures"
KEYS = "ssj_api_keys"
REQUESTS = "ssj_http_requests"
TABLES = (ACCOUNTS, FAILURES, KEYS, REQUESTS)

_USER_COLUMNS = (
    "username, kind, department, inspector, display_name, password_hash, created_at, disabled_at"
)
_KEY_COLUMNS = (
    "key_id, secret_sha256, department, role, label, created_at, revoked_at, last_used_at"
)
_REQUEST_COLUMNS = "principal, key, request_digest, started_at, status, body"


class SqlAccountStore(ABC):
    """The AccountStore and IdempotencyStore ports over one SQL connection or pool."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _rows(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns (none for most writes)."""

    @abstractmethod
    def _count(self, statement: str, *params: Any) -> int:
        """Run one statement; the rows it changed."""

    @abstractmethod
    def _table(self, name: str) -> str:
        """The table's name as the statement names it."""

    @abstractmethod
    def applied(self, command_id: UUID) -> bool:
        """Whether the event store recorded this command id with a command's events."""

    @abstractmethod
    def _time(self, value: datetime | None) -> Any:
        """A moment as the database takes it."""

    @abstractmethod
    def _moment(self, value: Any) -> datetime | None:
        """A moment as the database gives it."""

    def _stamp(self, value: Any) -> datetime:
        """A NOT NULL moment."""
        at = self._moment(value)
        if at is None:
            raise ValueError("a NOT NULL moment read as NULL")
        return at

    # ------------------------------------------------------------------ users
    def insert_user(self, row: UserRow) -> bool:
        return (
            self._count(
                f"INSERT INTO {self._table(ACCOUNTS)} ({_USER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
                row.username,
                row.kind,
                row.department,
                row.inspector,
                row.display_name,
                row.password_hash,
                self._time(row.created_at),
                self._time(row.disabled_at),
            )
            == 1
        )

    def user(self, username: str) -> UserRow | None:
        rows = self._rows(
            f"SELECT {_USER_COLUMNS} FROM {self._table(ACCOUNTS)} WHERE username = ?", username
        )
        return self._user(rows[0]) if rows else None

    def users(self) -> list[UserRow]:
        rows = self._rows(f"SELECT {_USER_COLUMNS} FROM {self._table(ACCOUNTS)} ORDER BY username")
        return [self._user(row) for row in rows]

    def disable_user(self, username: str, at: datetime) -> bool:
        return (
            self._count(
                f"UPDATE {self._table(ACCOUNTS)} SET disabled_at = coalesce(disabled_at, ?) "
                "WHERE username = ?",
                self._time(at),
                username,
            )
            == 1
        )

    def _user(self, row: Sequence[Any]) -> UserRow:
        name, kind, department, inspector, display, password_hash, created, disabled = row
        created_at = self._stamp(created)
        return UserRow(
            name,
            kind,
            department,
            inspector,
            display,
            password_hash,
            created_at,
            self._moment(disabled),
        )

    # ------------------------------------------------------------------ failures
    def failures(self, username: str) -> FailureRow | None:
        rows = self._rows(
            f"SELECT failures, locked_until FROM {self._table(FAILURES)} WHERE username = ?",
            username,
        )
        return FailureRow(rows[0][0], self._moment(rows[0][1])) if rows else None

    def add_failure(self, username: str) -> int:
        rows = self._rows(
            f"INSERT INTO {self._table(FAILURES)} AS f (username, failures) VALUES (?, 1) "
            "ON CONFLICT (username) DO UPDATE SET failures = f.failures + 1 RETURNING failures",
            username,
        )
        return int(rows[0][0])

    def lock(self, username: str, until: datetime) -> None:
        self._count(
            f"INSERT INTO {self._table(FAILURES)} AS f (username, failures, locked_until) "
            "VALUES (?, 0, ?) ON CONFLICT (username) "
            "DO UPDATE SET failures = 0, locked_until = excluded.locked_until",
            username,
            self._time(until),
        )

    def clear_failures(self, username: str) -> None:
        self._count(f"DELETE FROM {self._table(FAILURES)} WHERE username = ?", username)

    # ------------------------------------------------------------------ API keys
    def insert_key(self, row: KeyRow) -> bool:
        return (
            self._count(
                f"INSERT INTO {self._table(KEYS)} ({_KEY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                row.key_id,
                row.secret_sha256,
                row.department,
                row.role,
                row.label,
                self._time(row.created_at),
                self._time(row.revoked_at),
                self._time(row.last_used_at),
            )
            == 1
        )

    def key(self, key_id: str) -> KeyRow | None:
        rows = self._rows(
            f"SELECT {_KEY_COLUMNS} FROM {self._table(KEYS)} WHERE key_id = ?", key_id
        )
        return self._key(rows[0]) if rows else None

    def api_keys(self) -> list[KeyRow]:
        rows = self._rows(
            f"SELECT {_KEY_COLUMNS} FROM {self._table(KEYS)} ORDER BY created_at, key_id"
        )
        return [self._key(row) for row in rows]

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        return (
            self._count(
                f"UPDATE {self._table(KEYS)} SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ?",
                self._time(at),
                key_id,
            )
            == 1
        )

    def touch_key(self, key_id: str, at: datetime) -> None:
        self._count(
            f"UPDATE {self._table(KEYS)} SET last_used_at = ? WHERE key_id = ?",
            self._time(at),
            key_id,
        )

    def _key(self, row: Sequence[Any]) -> KeyRow:
        key_id, digest, department, role, label, created, revoked, used = row
        created_at = self._stamp(created)
        return KeyRow(
            key_id,
            digest,
            department,
            role,
            label,
            created_at,
            self._moment(revoked),
            self._moment(used),
        )

    # ------------------------------------------------------------------ idempotency keys
    def claim(
        self, principal: str, key: str, request_digest: str, at: datetime
    ) -> RequestRow | None:
        while True:
            if self._count(
                f"INSERT INTO {self._table(REQUESTS)} ({_REQUEST_COLUMNS}) "
                "VALUES (?, ?, ?, ?, NULL, NULL) ON CONFLICT (principal, key) DO NOTHING",
                principal,
                key,
                request_digest,
                self._time(at),
            ):
                return None
            rows = self._rows(
                f"SELECT {_REQUEST_COLUMNS} FROM {self._table(REQUESTS)} "
                "WHERE principal = ? AND key = ?",
                principal,
                key,
            )
            if rows:  # else abandoned in between: claim again
                return self._request(rows[0])

    def take_over(
        self, principal: str, key: str, request_digest: str, at: datetime, stale_before: datetime
    ) -> bool:
        return (
            self._count(
                f"UPDATE {self._table(REQUESTS)} SET request_digest = ?, started_at = ? "
                "WHERE principal = ? AND key = ? AND status IS NULL AND started_at <= ?",
                request_digest,
                self._time(at),
                principal,
                key,
                self._time(stale_before),
            )
            == 1
        )

    def finish(self, principal: str, key: str, status: int, body: str) -> None:
        self._count(
            f"UPDATE {self._table(REQUESTS)} SET status = ?, body = ? "
            "WHERE principal = ? AND key = ? AND status IS NULL",
            status,
            body,
            principal,
            key,
        )

    def abandon(self, principal: str, key: str) -> None:
        self._count(
            f"DELETE FROM {self._table(REQUESTS)} "
            "WHERE principal = ? AND key = ? AND status IS NULL",
            principal,
            key,
        )

    def _request(self, row: Sequence[Any]) -> RequestRow:
        principal, key, digest, started, status, body = row
        started_at = self._stamp(started)
        return RequestRow(principal, key, digest, started_at, status, body)
