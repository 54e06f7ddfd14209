"""The stored events are append-only in the database itself, for the service and its owner alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from adapters.bootstrap import bootstrap
from adapters.postgres.urls import PgUrl
from tests.conftest import Database

CHINA = timezone(timedelta(hours=8))


def _one_event(database: Database) -> None:
    service = bootstrap(database_url=database.service_url)
    try:
        service.directories.open_inspector_directory(
            "fire", datetime(2023, 10, 20, 9, tzinfo=CHINA)
        )
    finally:
        service.close()


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PgUrl.parse(url, "url").conninfo(), autocommit=True)


def test_the_service_writes_and_reads_events_as_its_own_role(database: Database) -> None:
    _one_event(database)
    with _connect(database.service_url) as connection:
        row = connection.execute("SELECT count(*), current_user FROM ssj_events").fetchone()
    assert row == (1, "ssj_service")


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ssj_events SET state = 'x'", "DELETE FROM ssj_events", "TRUNCATE ssj_events"],
)
def test_the_service_role_may_not_change_or_remove_a_stored_event(
    database: Database, statement: str
) -> None:
    _one_event(database)
    with (
        _connect(database.service_url) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute(statement)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ssj_events SET state = 'x'",
        "DELETE FROM ssj_events",
        "TRUNCATE ssj_events",
        "UPDATE ssj_chain SET link = 'x'",
        "DELETE FROM ssj_chain",
    ],
)
def test_even_the_table_owner_is_refused_by_the_trigger(database: Database, statement: str) -> None:
    _one_event(database)
    with _connect(database.admin_url) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            connection.execute(statement)  # type: ignore[arg-type]
        assert "append-only" in str(refused.value)
        assert connection.execute("SELECT count(*) FROM ssj_events").fetchone() == (1,)


def test_the_service_role_cannot_create_tables(database: Database) -> None:
    with (
        _connect(database.service_url) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute("CREATE TABLE public.sneaky (x int)")
