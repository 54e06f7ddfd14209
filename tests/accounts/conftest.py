"""Accounts on the in-memory store, with a cheap argon2 (the real one costs a tenth of a second
per hash; what is tested is what the service does with it, not its strength)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from adapters.accounts.hashing import Argon2PasswordHasher
from adapters.accounts.sqlite import SqliteAccountStore
from domain.values import CHINA
from services.accounts import Accounts
from services.idempotency import Idempotency

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA)
PASSWORD = "correct horse battery"


def cheap_hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def store() -> Iterator[SqliteAccountStore]:
    store = SqliteAccountStore(":memory:")
    yield store
    store.close()


@pytest.fixture
def accounts(store: SqliteAccountStore) -> Accounts:
    return Accounts(store, cheap_hasher())


@pytest.fixture
def idempotency(store: SqliteAccountStore) -> Idempotency:
    return Idempotency(store)
