"""The service's PostgreSQL recorder: eventsourcing's, with a save made in one round trip.

The library saves in a pipelined transaction of four statements (lock_timeout, LOCK TABLE,
NOTIFY, INSERT of a composite-typed array) and then COMMIT. A command's save is small, so that
overhead, not the data, is most of what a command costs; and psycopg 3.3.9's pipeline deadlocks on
saves of more than a few hundred KB (it stops flushing once the last command is queued).

Here a save is one prepared call, `ssj_append(ids, versions, topics, states)`, created by
`ssj db migrate` (schema.py), sent in binary with one array per column. The function does what
the library's transaction does, in the same order and with the same guarantee: it takes the
events table's EXCLUSIVE lock, so that the order of positions is the order of commits and no
reader tailing the log passes a gap that fills in later. Being one statement in autocommit, it is
its own transaction: all the events of a save, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

APPEND = "ssj_append"

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.ssj_append(
    ids uuid[], versions bigint[], topics text[], states bytea[], lock_timeout text
) RETURNS SETOF bigint
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    PERFORM set_config('lock_timeout', lock_timeout, true);
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    NOTIFY {events};
    RETURN QUERY
        INSERT INTO {events} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(ids, versions, topics, states)
        RETURNING notification_id;
END $$;
"""
"""Created by the owner; runs with the caller's rights (INSERT and MAINTAIN on the events)."""


class SsjRecorder(PostgresApplicationRecorder):
    """Chosen by `APPLICATION_RECORDER_TOPIC` (urls.py); reads exactly as the library does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._append = SQL(
            "SELECT {schema}.{append}(%b::uuid[], %b::int8[], %b::text[], %b::bytea[], %b::text)"
        ).format(schema=Identifier(self.datastore.schema), append=Identifier(APPEND))
        self._lock_timeout = f"{self.datastore.lock_timeout}s"

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        arguments = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            self._lock_timeout,
        )
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(self._append, arguments, prepare=True)
            return [row[APPEND] for row in cursor.fetchall()]
