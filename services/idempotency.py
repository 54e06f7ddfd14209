"""The HTTP front's `Idempotency-Key`: a command sent twice (a client that lost the answer and
tries again) is applied once and answered the same way each time.

The key names the command, as the bus's command ids do: `command_id_of` turns it into the command
id the store records with the events, so a department that sends the same UUID over the bus and
over HTTP gets it applied once. The answer is remembered per principal and key (`Idempotency`), in
the same store as the events: the SQLite file of the embedded default, or PostgreSQL.

    ServiceError
    ├── IdempotencyKeyInUseError   the first request with this key is still being answered
    └── IdempotencyKeyReusedError  the key came with another request (raised by the HTTP layer)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID, uuid5

from domain.errors import InvalidValueError
from domain.values import moment
from services.errors import ServiceError

NAMESPACE = UUID("6f1d3c2a-9b1e-5c47-8a0e-2d4b7f9e1a35")
"""Of the command ids made from keys that are not UUIDs themselves."""
FIELD = "Idempotency-Key"
MAX_KEY = 255
STALE = timedelta(minutes=10)
"""A request still unanswered after this long died with its process: its key may be used again."""


class IdempotencyKeyInUseError(ServiceError):
    field = FIELD
    code = "idempotency_key_in_use"

    def __init__(self) -> None:
        super().__init__(f"{FIELD}: 使用该幂等键的请求正在处理中，请稍后再试")


class IdempotencyKeyReusedError(ServiceError):
    """The same key with a different request: a client bug, never answered with another's reply."""

    field = FIELD
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(f"{FIELD}: 该幂等键已用于另一个不同的请求，请为新的请求使用新的幂等键")


def idempotency_key(key: str) -> str:
    """A key as RFC 9110 headers carry it: visible ASCII, at most `MAX_KEY` characters."""
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= MAX_KEY
        or not all("!" <= c <= "~" for c in key)
    ):
        raise InvalidValueError(FIELD, f"1–{MAX_KEY} 个可见 ASCII 字符（建议使用 UUID）", key)
    return key


def command_id_of(principal_name: str, key: str) -> UUID:
    """The command id a key gives: the key itself when it is a UUID, else one derived from the
    principal and the key (two principals' keys never collide)."""
    key = idempotency_key(key)
    try:
        return UUID(key)
    except ValueError:
        return uuid5(NAMESPACE, f"{principal_name}\n{key}")


@dataclass(frozen=True)
class Remembered:
    """The answer given the first time."""

    status: int
    body: str
    """JSON text."""
    request_digest: str


@dataclass(frozen=True)
class RequestRow:
    principal: str
    key: str
    request_digest: str
    started_at: datetime
    status: int | None = None
    """None while the first request is being answered."""
    body: str | None = None


class IdempotencyStore(Protocol):
    def claim(
        self, principal: str, key: str, request_digest: str, at: datetime
    ) -> RequestRow | None:
        """Record a pending request under the key, atomically; None when it was recorded, else
        the row already there."""
        ...

    def take_over(
        self, principal: str, key: str, request_digest: str, at: datetime, stale_before: datetime
    ) -> bool:
        """Make a pending row started at or before `stale_before` this request's; False if none is."""
        ...

    def finish(self, principal: str, key: str, status: int, body: str) -> None: ...

    def applied(self, command_id: UUID) -> bool:
        """Whether the event store recorded this command id with the events of a command."""
        ...

    def abandon(self, principal: str, key: str) -> None:
        """Forget a pending row (never an answered one)."""
        ...


class Idempotency:
    def __init__(self, store: IdempotencyStore) -> None:
        self.store = store
        self._unabandoned: set[tuple[str, str]] = set()
        """Keys whose `abandon` failed (the store was away): forgotten at the next `begin`, so
        the client's retry after the outage is not refused as in use for STALE."""
        self._lock = threading.Lock()

    def begin(
        self, principal_name: str, key: str, request_digest: str, *, at: datetime
    ) -> Remembered | None:
        """None: this request owns the key, go on (then `finish` or `abandon`). Remembered: the
        first answer, to give again when the request is the same."""
        key = idempotency_key(key)
        at = moment(at)
        self._abandon_the_left()
        row = self.store.claim(principal_name, key, request_digest, at)
        if row is None:
            return None
        if row.status is not None:
            return Remembered(row.status, row.body or "", row.request_digest)
        if row.started_at <= at - STALE and self.store.take_over(
            principal_name, key, request_digest, at, at - STALE
        ):
            return None
        raise IdempotencyKeyInUseError()

    def finish(self, principal_name: str, key: str, status: int, body: str) -> None:
        self.store.finish(principal_name, key, status, body)

    def abandon(self, principal_name: str, key: str) -> None:
        """After a failure of the service's own (5xx): the client may try again with the key.
        Never raises: the failure is often the store's own, and then the key is forgotten as soon
        as the store answers again (the next `begin` in this process)."""
        try:
            self.store.abandon(principal_name, key)
        except Exception:
            with self._lock:
                self._unabandoned.add((principal_name, idempotency_key(key)))

    def _abandon_the_left(self) -> None:
        with self._lock:
            left, self._unabandoned = list(self._unabandoned), set()
        for index, (principal_name, key) in enumerate(left):
            try:
                self.store.abandon(principal_name, key)
            except Exception:
                with self._lock:
                    self._unabandoned.update(left[index:])
                raise

    def applied(self, command_id: UUID) -> bool:
        """A command id applied before, on the bus or over HTTP: a request refused by the rules
        that command changed (a second confirmation) is its repeat, not a refusal."""
        return self.store.applied(command_id)
