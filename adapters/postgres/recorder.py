"""The service's PostgreSQL recorder: eventsourcing's, with a save made in one round trip.

The library saves in a pipelined transaction of four statements (lock_timeout, LOCK TABLE,
NOTIFY, INSERT of a composite-typed array) and then COMMIT. A command's save is small, so that
overhead, not the data, is most of what a command costs; and psycopg 3.3.9's pipeline deadlocks on
saves of more than a few hundred KB (it stops flushing once the last command is queued).

Here a save is one prepared call, `ssj_append(ids, versions, topics, states, …)`, created by
`ssj db migrate` (schema.py), sent in binary with one array per column. The function does what
the library's transaction does, in the same order and with the same guarantee: it takes the
events table's EXCLUSIVE lock, so that the order of positions is the order of commits and no
reader tailing the log passes a gap that fills in later. Being one statement in autocommit, it is
its own transaction: all the events of a save, or none. A save that applies commands from the
bus names them (`command_ids`), and they are recorded in the same transaction: a command id
stored before refuses the whole save (`CommandAlreadyAppliedError`), so a command redelivered
after a crash is never applied twice.

A save keeps the library's retry (the decorator of `PostgresApplicationRecorder.insert_events`):
a connection the server closed (a restart, a fail-over, an idle connection cut) raises
InterfaceError or OperationalError, and the save is tried again on a fresh connection from the
pool, ten attempts in all, 0.2 s apart; a lock timeout is an OperationalError too. The retry adds
no round trip to a save that succeeds. A refused save (IntegrityError, and so
CommandAlreadyAppliedError) is never tried again; a save whose commit reached the server but whose
answer was lost is refused on its retry, as the library's is. The library's own recorder tests
run against this class: tests/integration/test_recorder_contract.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from services.errors import CommandAlreadyAppliedError

APPEND = "ssj_append"

APPEND_FUNCTION = """
DROP FUNCTION IF EXISTS {schema}.ssj_append(uuid[], bigint[], text[], bytea[], text);
CREATE OR REPLACE FUNCTION {schema}.ssj_append(
    ids uuid[], versions bigint[], topics text[], states bytea[], lock_timeout text,
    commands uuid[]
) RETURNS SETOF bigint
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
DECLARE
    positions bigint[];
BEGIN
    PERFORM set_config('lock_timeout', lock_timeout, true);
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    NOTIFY {events};
    WITH inserted AS (
        INSERT INTO {events} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(ids, versions, topics, states)
        RETURNING notification_id
    )
    SELECT array_agg(notification_id ORDER BY notification_id) INTO positions FROM inserted;
    INSERT INTO ssj_commands (command_id, position)
    SELECT command, positions[1] FROM unnest(commands) AS command;
    RETURN QUERY SELECT unnest(positions);
END $$;
"""
"""Created by the owner; runs with the caller's rights (INSERT and MAINTAIN on the events)."""


class SsjRecorder(PostgresApplicationRecorder):
    """Chosen by `APPLICATION_RECORDER_TOPIC` (urls.py); reads exactly as the library does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._append = SQL(
            "SELECT {schema}.{append}"
            "(%b::uuid[], %b::int8[], %b::text[], %b::bytea[], %b::text, %b::uuid[])"
        ).format(schema=Identifier(self.datastore.schema), append=Identifier(APPEND))
        self._lock_timeout = f"{self.datastore.lock_timeout}s"

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        command_ids: Sequence[UUID] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        arguments = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            self._lock_timeout,
            list(command_ids),
        )
        try:
            with self.datastore.get_connection() as connection, connection.cursor() as cursor:
                cursor.execute(self._append, arguments, prepare=True)
                return [row[APPEND] for row in cursor.fetchall()]
        except IntegrityError as error:
            constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
            if constraint == "ssj_commands_pkey":
                raise CommandAlreadyAppliedError(list(command_ids)) from None
            raise
