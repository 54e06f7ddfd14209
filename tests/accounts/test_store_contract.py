"""One contract for every account store: the SQLite file of the embedded default and PostgreSQL
as `ssj db migrate` makes it (connected as the service's role, like the service)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from adapters.accounts.postgres import PgAccountStore
from adapters.accounts.rows import SqlAccountStore
from adapters.accounts.sqlite import SqliteAccountStore
from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from services.accounts import MAX_FAILURES, AccountLockedError, Accounts, SignInFailedError
from services.idempotency import STALE, Idempotency, IdempotencyKeyInUseError, Remembered
from tests.accounts.conftest import NOW, PASSWORD, cheap_hasher
from tests.conftest import Database


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAccountStore]:
    store: SqlAccountStore
    if request.param == "sqlite":
        store = SqliteAccountStore(tmp_path / "ssj.db")
    else:
        database: Database = request.getfixturevalue("database")
        store = PgAccountStore(database.service_url)
    yield store
    store.close()


def test_an_account_reads_back_as_it_was_made(any_store: SqlAccountStore) -> None:
    accounts = Accounts(any_store, cheap_hasher())
    made = accounts.add_user("li.si", PASSWORD, "inspector", "fire", "F-007", "李四", at=NOW)
    assert accounts.users() == [made]
    assert made.created_at == NOW
    principal = accounts.sign_in("li.si", PASSWORD, at=NOW)
    assert (principal.department, principal.inspector, principal.display_name) == (
        "fire",
        "F-007",
        "李四",
    )
    accounts.disable_user("li.si", at=NOW + timedelta(days=1))
    accounts.disable_user("li.si", at=NOW + timedelta(days=2))  # the first moment is kept
    assert accounts.users()[0].disabled_at == NOW + timedelta(days=1)
    assert accounts.principal_of_user("li.si") is None


def test_failures_counted_from_many_threads_at_once_are_all_counted(
    any_store: SqlAccountStore,
) -> None:
    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(lambda _: any_store.add_failure("zhang.san"), range(40)))
    assert counts == list(range(1, 41))


def test_the_lock_and_its_end_hold_in_the_store(any_store: SqlAccountStore) -> None:
    accounts = Accounts(any_store, cheap_hasher())
    accounts.add_user("zhang.san", PASSWORD, "department", "fire", at=NOW)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInFailedError):
            accounts.sign_in("zhang.san", "wrong password", at=NOW)
    with pytest.raises(AccountLockedError) as locked:
        accounts.sign_in("zhang.san", "wrong password", at=NOW)
    with pytest.raises(AccountLockedError):
        accounts.sign_in("zhang.san", PASSWORD, at=locked.value.until - timedelta(seconds=1))
    assert accounts.sign_in("zhang.san", PASSWORD, at=locked.value.until).name == "zhang.san"
    assert any_store.failures("zhang.san") is None


def test_keys_authenticate_until_revoked_and_record_their_last_use(
    any_store: SqlAccountStore,
) -> None:
    accounts = Accounts(any_store, cheap_hasher())
    info, token = accounts.create_key("police", "lead", "公安 OA", at=NOW)
    later = NOW + timedelta(minutes=5)
    assert accounts.authenticate_key(token, at=later).department == "police"
    (listed,) = accounts.keys()
    assert (listed.key_id, listed.label, listed.last_used_at) == (info.key_id, "公安 OA", later)
    accounts.revoke_key(info.key_id, at=later)
    assert accounts.keys()[0].revoked_at == later


def test_remembered_answers_hold_in_the_store(any_store: SqlAccountStore) -> None:
    idempotency = Idempotency(any_store)
    assert idempotency.begin("fire.staff", "k1", "d", at=NOW) is None
    with pytest.raises(IdempotencyKeyInUseError):
        idempotency.begin("fire.staff", "k1", "d", at=NOW)
    idempotency.finish("fire.staff", "k1", 201, '{"ok": true}')
    assert idempotency.begin("fire.staff", "k1", "d", at=NOW) == Remembered(
        201, '{"ok": true}', "d"
    )
    assert idempotency.begin("fire.staff", "k2", "d", at=NOW) is None
    idempotency.abandon("fire.staff", "k2")
    assert idempotency.begin("fire.staff", "k2", "d", at=NOW) is None
    assert idempotency.begin("fire.staff", "k2", "e", at=NOW + STALE) is None  # died: taken over


def test_one_key_claimed_by_many_threads_at_once_goes_to_one(any_store: SqlAccountStore) -> None:
    def claim(_: int) -> bool:
        return any_store.claim("fire.staff", "k1", "d", NOW) is None

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(claim, range(16))) == [False] * 15 + [True]


def test_the_embedded_default_keeps_accounts_in_the_events_file(tmp_path: Path) -> None:
    service = bootstrap(Settings(db=tmp_path / "ssj.db"))
    try:
        service.accounts.add_user("office", PASSWORD, "office", at=NOW)
    finally:
        service.close()
    with sqlite3.connect(tmp_path / "ssj.db") as connection:
        (count,) = connection.execute("SELECT count(*) FROM ssj_accounts").fetchone()
    assert count == 1


def test_postgres_accounts_live_in_the_tables_ssj_db_migrate_made(database: Database) -> None:
    service = bootstrap(Settings(database_url=database.service_url))
    try:
        service.accounts.add_user("office", PASSWORD, "office", at=NOW)
        assert service.idempotency.begin("office", "k", "d", at=NOW) is None
    finally:
        service.close()
    with psycopg.connect(database.service_url) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DELETE FROM ssj_accounts")  # disabled, never deleted
        connection.rollback()
        row = connection.execute("SELECT username, password_hash FROM ssj_accounts").fetchone()
    assert row is not None and row[0] == "office" and row[1].startswith("$argon2id$")
