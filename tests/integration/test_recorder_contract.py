"""SsjRecorder keeps eventsourcing's guarantees: the library's own recorder tests, run against it.

`eventsourcing.tests.persistence` ships the test cases every recorder of the library passes:
`ApplicationRecorderTestCase` (insert, select, notification ids, concurrent writers) and
`NonInterleavingNotificationIDsBaseCase` (two saves racing never interleave their positions).
They run here unchanged, on SsjRecorder, as the service builds it (urls.py).

The library's PostgreSQL-specific tests (a save, a select and `max_notification_id` retried after
the server closed the connection; subscribing through LISTEN/NOTIFY; the lock timeout) live in its
repository's own test suite, not in the wheel, and `eventsourcing.tests.postgres_utils` does not
import in 9.5.6 (it imports the repository's `examples`). They are written out again below, for
the behaviour SsjRecorder changes (its save is one call of `ssj_append`) or relies on.

Each test gets its own database, migrated by `ssj db migrate` (the `database` fixture): the
library's setUp and tearDown drop and truncate tables, which the append-only triggers refuse, and
a fresh database is what makes the library's expected positions (1, 2, 3…) hold. Every recorder
connects as the service's role, as production does: none of these tests creates a table.
"""

from __future__ import annotations

from threading import Event, Thread
from typing import Any
from unittest import mock
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests import persistence as library
from eventsourcing.utils import Environment

from adapters.postgres.recorder import SsjRecorder
from adapters.postgres.schema import EVENTS
from adapters.postgres.urls import PgUrl
from services.errors import CommandAlreadyAppliedError
from tests.conftest import Database


class OnMigratedDatabase:
    """Gives each of the library's unittest-style tests a freshly migrated database."""

    database: Database
    datastore: PostgresDatastore

    @pytest.fixture(autouse=True)
    def _migrated_database(self, database: Database) -> None:
        # pytest sets autouse fixtures up before unittest's setUp runs.
        self.database = database

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.datastore = self.service_datastore(pool_size=1)

    def tearDown(self) -> None:
        # Nothing to drop: the `database` fixture drops the whole database afterwards.
        self.datastore.close()
        super().tearDown()  # type: ignore[misc]

    def service_datastore(self, pool_size: int, lock_timeout: int = 0) -> PostgresDatastore:
        url = PgUrl.parse(self.database.service_url, "service_url")
        return PostgresDatastore(
            url.dbname,
            url.host,
            url.port,
            url.user,
            url.password,
            pool_size=pool_size,
            max_overflow=0,
            max_waiting=0,
            lock_timeout=lock_timeout,
            schema="public",
        )

    def use_pool_of(self, size: int) -> None:
        self.datastore.close()
        self.datastore = self.service_datastore(pool_size=size)

    def create_recorder(self) -> SsjRecorder:
        # No create_table(): the migration made the table, and the service may not.
        return SsjRecorder(self.datastore, events_table_name=EVENTS)

    def counting_attempts(self) -> Any:
        """Each attempt at a save takes one connection from the pool."""
        return mock.patch.object(
            self.datastore, "get_connection", wraps=self.datastore.get_connection
        )

    def close_the_service_connections(self) -> None:
        """What a server restart or fail-over does to the pool's idle connections."""
        admin = PgUrl.parse(self.database.admin_url, "admin_url")
        with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (admin.dbname,),
            )


def one_event() -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=1, topic="topic1", state=b"state1")


class TestSsjRecorderAsApplicationRecorder(
    OnMigratedDatabase, library.ApplicationRecorderTestCase[SsjRecorder]
):
    """The library's ApplicationRecorderTestCase, and its PostgreSQL recorder's own tests."""

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        # Ten writers and two readers at once, as the library runs its PostgreSQL recorder.
        self.use_pool_of(12)
        super().test_concurrent_no_conflicts(initial_position)

    def test_concurrent_throughput(self) -> None:
        self.use_pool_of(10)
        super().test_concurrent_throughput()

    def test_insert_subscribe(self) -> None:
        """`ssj_append` notifies the channel the library's subscription listens on."""
        self.use_pool_of(2)  # one connection listens, the other reads and writes
        self.optional_test_insert_subscribe()

    def test_subscribe_while_writing_sees_every_event_once(self) -> None:
        self.use_pool_of(3)
        recorder = self.create_recorder()
        batches, size = 20, 100
        start = recorder.max_notification_id()
        seen: list[int] = []

        def read() -> None:
            with recorder.subscribe(gt=start) as subscription:
                for notification in subscription:
                    seen.append(notification.id)
                    if len(seen) == batches * size:
                        break

        reader = Thread(target=read)
        reader.start()
        written: list[int] = []
        for _ in range(batches):
            written.extend(recorder.insert_events([one_event() for _ in range(size)]) or [])
        reader.join(timeout=30)
        self.assertFalse(reader.is_alive())
        self.assertEqual(seen, written)

    def test_retry_insert_events_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        self.assertEqual(recorder.max_notification_id(), None)  # the pool holds a connection
        before = self.datastore.pool._pool[0]

        self.close_the_service_connections()
        self.assertFalse(before.closed)  # the pool does not know yet

        with self.counting_attempts() as attempts:
            self.assertEqual(recorder.insert_events([one_event()]), [1])
        self.assertEqual(attempts.call_count, 2)  # the closed connection, then a new one
        self.assertIsNot(self.datastore.pool._pool[0], before)

    def test_retry_keeps_the_command_ids_of_a_save(self) -> None:
        recorder = self.create_recorder()
        recorder.max_notification_id()
        command = uuid4()

        self.close_the_service_connections()
        self.assertEqual(recorder.insert_events([one_event()], command_ids=[command]), [1])

        with self.assertRaises(CommandAlreadyAppliedError):
            recorder.insert_events([one_event()], command_ids=[command])
        self.assertEqual(recorder.max_notification_id(), 1)

    def test_a_refused_save_is_not_tried_again(self) -> None:
        """A conflict is the store's answer, not a failure: one attempt, then the error."""
        recorder = self.create_recorder()
        event, command = one_event(), uuid4()
        recorder.insert_events([event], command_ids=[command])

        with self.counting_attempts() as attempts:
            with self.assertRaises(IntegrityError):
                recorder.insert_events([event])
            with self.assertRaises(CommandAlreadyAppliedError):
                recorder.insert_events([one_event()], command_ids=[command])
        self.assertEqual(attempts.call_count, 2)

    def test_retry_select_notifications_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([one_event()])
        before = self.datastore.pool._pool[0]

        self.close_the_service_connections()

        self.assertEqual([n.id for n in recorder.select_notifications(start=1, limit=1)], [1])
        self.assertIsNot(self.datastore.pool._pool[0], before)

    def test_retry_max_notification_id_after_closing_connection(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([one_event()])
        before = self.datastore.pool._pool[0]

        self.close_the_service_connections()

        self.assertEqual(recorder.max_notification_id(), 1)
        self.assertIsNot(self.datastore.pool._pool[0], before)

    def test_insert_lock_timeout_actually_works(self) -> None:
        """A save waits for the events table's lock no longer than POSTGRES_LOCK_TIMEOUT."""
        self.datastore.close()
        self.datastore = self.service_datastore(pool_size=2, lock_timeout=1)
        recorder = self.create_recorder()
        locked, done = Event(), Event()

        def hold_the_lock() -> None:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"LOCK TABLE {EVENTS} IN EXCLUSIVE MODE")
                locked.set()
                done.wait(timeout=10)

        holder = Thread(target=hold_the_lock)
        holder.start()
        try:
            self.assertTrue(locked.wait(timeout=5))
            # One attempt: the retry around insert_events would wait through ten timeouts.
            once: Any = type(recorder).insert_events.__wrapped__  # type: ignore[attr-defined]
            with self.assertRaises(OperationalError) as refused:
                once(recorder, [one_event()])
            self.assertIn("lock timeout", str(refused.exception))
        finally:
            done.set()
            holder.join(timeout=10)
        # The refused save waited before its insert, so it used up no position.
        self.assertEqual(recorder.insert_events([one_event()]), [1])

    def test_the_service_environment_builds_this_recorder(self) -> None:
        url = PgUrl.parse(self.database.service_url, "service_url")
        factory = InfrastructureFactory.construct(
            Environment("ssj", url.eventsourcing_env("public"))
        )
        try:
            recorder = factory.application_recorder()
            self.assertIsInstance(recorder, SsjRecorder)
            self.assertEqual(recorder.insert_events([one_event()]), [1])
        finally:
            factory.close()


class TestSsjRecorderNotificationIdsDoNotInterleave(
    OnMigratedDatabase, library.NonInterleavingNotificationIDsBaseCase
):
    """Two saves racing: the EXCLUSIVE lock `ssj_append` takes keeps their positions apart."""

    def setUp(self) -> None:
        super().setUp()
        self.use_pool_of(2)  # both saves reach the database; only the lock orders them
