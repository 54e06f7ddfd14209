"""Tamper evidence on a real server: someone with superuser rights edits or removes a stored
event, or rewrites the links too; the auditor's recomputation names the first position that no
longer matches, or the published checkpoint that no longer holds."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from adapters.bootstrap import bootstrap
from adapters.cli.main import app
from adapters.postgres.chain import GENESIS, checkpoint, link, verify_chain
from adapters.postgres.urls import PgUrl
from tests.conftest import Database
from tests.services.conftest import JointInspection


@pytest.fixture
def logged(database: Database) -> Iterator[Database]:
    """A joint inspection run up to its matched groups: a few dozen events in the log."""
    service = bootstrap(database_url=database.service_url)
    JointInspection(service).matched()
    yield database
    service.close()


def superuser(database: Database) -> psycopg.Connection[tuple[object, ...]]:
    connection = psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo(), autocommit=True)
    # What a superuser can do and the service's role cannot: switch the triggers off.
    connection.execute("SET session_replication_role = replica")
    return connection


def count_events(database: Database) -> int:
    with superuser(database) as connection:
        row = connection.execute("SELECT count(*) FROM ssj_events").fetchone()
    assert row is not None
    return int(str(row[0]))


def test_an_untouched_log_verifies_link_by_link(logged: Database) -> None:
    report = verify_chain(logged.service_url)

    assert report.ok, report.describe()
    assert report.events == count_events(logged) > 20


def test_an_event_edited_by_a_superuser_is_reported_at_its_position(logged: Database) -> None:
    with superuser(logged) as connection:
        connection.execute(
            # One byte more of white space: the JSON still reads, the event still decodes.
            "UPDATE ssj_events SET state = state || '\\x20'::bytea WHERE notification_id = 12"
        )

    report = verify_chain(logged.service_url)

    assert not report.ok
    assert report.first_mismatch == 12
    assert "改动" in report.why


def test_an_event_deleted_by_a_superuser_is_reported_at_its_position(logged: Database) -> None:
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id = 9")

    report = verify_chain(logged.service_url)

    assert report.first_mismatch == 9
    assert "删除" in report.why


def test_a_rewritten_chain_is_caught_by_the_published_checkpoint(logged: Database) -> None:
    published = checkpoint(logged.service_url)
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id = 5")
        # A careful forger recomputes every later link so that the chain holds by itself.
        rows = connection.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM ssj_events ORDER BY notification_id"
        ).fetchall()
        connection.execute("DELETE FROM ssj_chain")
        previous = GENESIS
        for position, aggregate, version, topic, state in rows:
            previous = link(previous, position, aggregate.bytes, version, topic, bytes(state))  # type: ignore[union-attr,arg-type]
            connection.execute("INSERT INTO ssj_chain VALUES (%s, %s)", (position, previous))

    report = verify_chain(logged.service_url)

    assert report.first_mismatch is None
    assert not report.ok
    assert any(str(published.position) in d for d in report.differences)


def test_the_auditor_command_exits_1_after_tampering(logged: Database) -> None:
    runner = CliRunner()
    env = {"SSJ_DATABASE_URL": logged.service_url}
    clean = runner.invoke(app, ["audit", "verify"], env=env)
    assert clean.exit_code == 0, clean.output
    assert "审计链" in clean.output

    with superuser(logged) as connection:
        connection.execute("UPDATE ssj_events SET topic = topic WHERE notification_id = 3")
        connection.execute(
            "UPDATE ssj_events SET state = state || '\\x20'::bytea WHERE notification_id = 7"
        )

    tampered = runner.invoke(app, ["audit", "verify"], env=env)
    assert tampered.exit_code == 1
    assert "位置 7" in tampered.output
