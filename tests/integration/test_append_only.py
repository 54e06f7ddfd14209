"""The stored events are append-only in the database itself, for the service and its owner alike:
nothing stored is changed or removed, a position is only what the sequence gave, and a
checkpoint is only the head the chain holds."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment
from psycopg.pq import Trace

from adapters.bootstrap import bootstrap, load_settings
from adapters.postgres.recorder import SsjRecorder
from adapters.postgres.urls import PgUrl
from services.actors import Actor
from tests.conftest import Database

CHINA = timezone(timedelta(hours=8))


def _one_event(database: Database) -> None:
    service = bootstrap(load_settings(database_url=database.service_url))
    try:
        service.directories.open_inspector_directory(
            Actor.cooperating("fire"), at=datetime(2023, 10, 20, 9, tzinfo=CHINA)
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


# ---------------------------------------------------------------------------- positions
NAMED_POSITION = (
    "INSERT INTO ssj_events (originator_id, originator_version, topic, state, notification_id) "
    "VALUES (gen_random_uuid(), 1, 'domain.plan:Plan.Registered', '{}', 999999)"
)


def test_the_service_role_may_not_name_the_position_of_an_event(database: Database) -> None:
    _one_event(database)
    with (
        _connect(database.service_url) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute(NAMED_POSITION)


def test_not_even_the_owner_may_store_a_position_the_sequence_did_not_give(
    database: Database,
) -> None:
    _one_event(database)
    with _connect(database.admin_url) as connection:
        connection.execute("SELECT nextval('ssj_events_notification_id_seq')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            connection.execute(NAMED_POSITION)
        assert "position 999999 was not given by the sequence" in str(refused.value)
        assert connection.execute("SELECT max(notification_id) FROM ssj_events").fetchone() == (1,)


def test_a_save_is_still_one_round_trip_with_its_positions_checked(database: Database) -> None:
    """The positions' check runs inside the save's one statement: one Sync, one answer."""
    env = {
        **PgUrl.parse(database.service_url, "url").eventsourcing_env("public"),
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "0",
    }
    factory = InfrastructureFactory.construct(Environment("ssj", env))
    recorder = factory.application_recorder()
    assert isinstance(recorder, SsjRecorder)
    events = [StoredEvent(uuid4(), 1, "domain.plan:Plan.Registered", b"{}") for _ in range(4)]
    try:
        recorder.insert_events(events[:1])  # the first save prepares the statement
        with tempfile.TemporaryFile("w+") as trace:
            with recorder.datastore.get_connection() as connection:
                connection.pgconn.trace(trace.fileno())
                connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
            positions = recorder.insert_events(events[1:])
            with recorder.datastore.get_connection() as connection:
                connection.pgconn.untrace()
            trace.seek(0)
            messages = [line.split("\t")[2].split()[0] for line in trace if "\t" in line]
    finally:
        factory.close()

    assert positions == [2, 3, 4]
    assert messages.count("Sync") == messages.count("ReadyForQuery") == 1


# ---------------------------------------------------------------------------- checkpoints
def test_the_service_role_may_not_write_a_checkpoint_but_have_the_owner_record_the_head(
    database: Database,
) -> None:
    _one_event(database)
    with _connect(database.service_url) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(
                "INSERT INTO ssj_checkpoints (position, head) VALUES (999999999, sha256('x'))"
            )
        recorded = connection.execute("SELECT position, head FROM ssj_checkpoint()").fetchall()
        chain = connection.execute("SELECT position, link FROM ssj_chain").fetchall()
    assert recorded == chain and len(chain) == 1


def test_not_even_the_owner_may_record_a_checkpoint_that_is_not_the_chains_link(
    database: Database,
) -> None:
    _one_event(database)
    with _connect(database.admin_url) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            connection.execute(
                "INSERT INTO ssj_checkpoints (position, head) VALUES (999999999, sha256('x'))"
            )
        assert "is not the audit chain's link" in str(refused.value)
        connection.execute(
            "INSERT INTO ssj_checkpoints (position, head) SELECT position, link FROM ssj_chain"
        )
        assert connection.execute("SELECT position FROM ssj_checkpoints").fetchall() == [(1,)]


@pytest.mark.parametrize(
    "statement", ["UPDATE ssj_checkpoints SET head = 'x'", "DELETE FROM ssj_checkpoints"]
)
def test_a_recorded_checkpoint_is_refused_change_even_to_the_owner(
    database: Database, statement: str
) -> None:
    _one_event(database)
    with _connect(database.admin_url) as connection:
        connection.execute("SELECT * FROM ssj_checkpoint()")
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            connection.execute(statement)  # type: ignore[arg-type]
        assert "append-only" in str(refused.value)


def test_only_the_service_role_may_have_a_checkpoint_recorded(database: Database) -> None:
    stranger = f"{database.name}_stranger"
    with _connect(database.admin_url) as connection:
        connection.execute(f"CREATE ROLE {stranger}")  # type: ignore[arg-type]
        connection.execute(f"GRANT USAGE ON SCHEMA public TO {stranger}")  # type: ignore[arg-type]
        try:
            connection.execute(f"SET ROLE {stranger}")  # type: ignore[arg-type]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("SELECT * FROM ssj_checkpoint()")
        finally:
            connection.execute("RESET ROLE")
            connection.execute(f"REVOKE ALL ON SCHEMA public FROM {stranger}")  # type: ignore[arg-type]
            connection.execute(f"DROP ROLE {stranger}")  # type: ignore[arg-type]
