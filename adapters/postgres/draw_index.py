"""The index of draws of adapters/sqlite/draw_index.py, on PostgreSQL (国办发〔2024〕54号): which
draws of targets drew a credit code on which day, and which joint visits merged a task's visit
of a target, by the event's position, so that a commitment under caps reads its population's
draws and not the whole log (services/inspection_caps.py `DrawIndex`).

`ssj db migrate` makes it (schema.py): the owner's tables, filled by a statement trigger on the
events table in the transaction of each insert (a SECURITY DEFINER function of the owner's: the
service's role may only read the index), and the rows of the events stored before, under the
lock the library takes to insert. It only says where to look: the events are then read from the
log, and the auditor recomputes from the whole log without it. The JSON is read as `json`, not
`jsonb`, which would refuse a typed NUL and with it the event.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

TABLES = ("ssj_idx_drawn", "ssj_idx_merged")


def _rows(source: str, drawn: str, merged: str) -> str:
    """The index rows of the events in `source` (a table with the events' columns).

    A draw's JSON is parsed once per event, its list and its day taken out together behind
    `OFFSET 0` (which keeps the planner from inlining the cast into every use): inlined, the
    whole event was cast again for the day of each code drawn, quadratic in the codes (8,000
    codes took 11.5 s; a draw of 585,000 over ten million targets, hours)."""
    return f"""
INSERT INTO {{schema}}.ssj_idx_drawn (credit_code, drawn_on, position)
SELECT codes.code, d.drawn_on, e.notification_id
FROM (SELECT * FROM {source} WHERE topic = '{drawn}') AS e
CROSS JOIN LATERAL (
    SELECT j.doc -> 'drawn' AS drawn,
           coalesce(left(j.doc -> 'at' ->> '_data_', 10), '9999-12-31') AS drawn_on
    FROM (SELECT convert_from(e.state, 'UTF8')::json AS doc) AS j
    OFFSET 0
) AS d
CROSS JOIN LATERAL json_each(d.drawn) AS grades(grade, ids)
CROSS JOIN LATERAL json_array_elements_text(grades.ids) AS codes(code)
ON CONFLICT DO NOTHING;
INSERT INTO {{schema}}.ssj_idx_merged (task_id, target, position, joint_visit_id)
SELECT t.task ->> 'task_id', d.doc ->> 'target', e.notification_id, e.originator_id
FROM (SELECT * FROM {source} WHERE topic = '{merged}') AS e
CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::json AS doc) AS d
CROSS JOIN LATERAL json_array_elements(d.doc -> 'tasks') AS t(task)
ON CONFLICT DO NOTHING;
"""


def draw_index_sql(events: str) -> list[str]:
    """The statements `ssj db migrate` runs (each formatted with the quoted `schema`)."""
    from domain.joint_visit import JointVisit
    from domain.task import Task

    drawn, merged = get_topic(Task.TargetsDrawn), get_topic(JointVisit.Merged)
    return [
        """
CREATE TABLE IF NOT EXISTS {schema}.ssj_idx_drawn (
    credit_code text NOT NULL,
    drawn_on text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (credit_code, drawn_on, position)
);
CREATE TABLE IF NOT EXISTS {schema}.ssj_idx_merged (
    task_id text NOT NULL,
    target text NOT NULL,
    position bigint NOT NULL,
    joint_visit_id uuid NOT NULL,
    PRIMARY KEY (task_id, target, position)
);
""",
        "CREATE OR REPLACE FUNCTION {schema}.ssj_index_draws() RETURNS trigger\n"
        "LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$\n"
        "BEGIN\n" + _rows("inserted", drawn, merged) + "RETURN NULL;\nEND $$;",
        f"DROP TRIGGER IF EXISTS {events}_draw_index ON {{schema}}.{events};\n"
        f"CREATE TRIGGER {events}_draw_index AFTER INSERT ON {{schema}}.{events} "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        "EXECUTE FUNCTION {schema}.ssj_index_draws();",
        # The events stored before the trigger, under the lock every insert takes.
        f"LOCK TABLE {{schema}}.{events} IN EXCLUSIVE MODE;\n"
        + _rows(f"{{schema}}.{events}", drawn, merged),
    ]


def draw_index_grants(schema: str, role: str) -> list[str]:
    return [f"GRANT SELECT ON {schema}.{table} TO {role};" for table in TABLES] + [
        f"REVOKE ALL ON FUNCTION {schema}.ssj_index_draws() FROM PUBLIC;"
    ]


class PgDrawIndex:
    """services/inspection_caps.py's `DrawIndex`, read as the service's role."""

    def __init__(self, conninfo: str, schema: str, events: str) -> None:
        from psycopg import sql

        self.conninfo = conninfo
        self.schema_name = schema
        self.schema = sql.Identifier(schema).as_string()
        self.trigger = f"{events}_draw_index"
        self._connection: Any = None
        self._made = False

    def _connect(self) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.conninfo, autocommit=True)
        return self._connection

    def made(self) -> bool:
        """Whether `ssj db migrate` made the index here (a database migrated by an earlier
        version has none until migrated again: its commitments read every draw meanwhile)."""
        if not self._made:
            found = (
                self._connect()
                .execute(
                    "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE t.tgname = %s AND n.nspname = %s",
                    (self.trigger, self.schema_name),
                )
                .fetchone()
            )
            self._made = bool(found and found[0])
        return self._made

    def drawn(
        self, credit_codes: Collection[str], since: date, before: int | None = None
    ) -> list[int] | None:
        if not self.made():
            return None
        rows = (
            self._connect()
            .execute(
                f"SELECT DISTINCT position FROM {self.schema}.ssj_idx_drawn "
                "WHERE credit_code = ANY(%s) AND drawn_on >= %s "
                "AND (%s::bigint IS NULL OR position < %s::bigint) ORDER BY position",
                (sorted(credit_codes), since.isoformat(), before, before),
            )
            .fetchall()
        )
        return [int(p) for (p,) in rows]

    def merged(
        self, task_ids: Collection[UUID], before: int | None = None
    ) -> dict[UUID, dict[str, UUID]]:
        rows = (
            self._connect()
            .execute(
                f"SELECT task_id, target, joint_visit_id FROM {self.schema}.ssj_idx_merged "
                "WHERE task_id = ANY(%s) AND (%s::bigint IS NULL OR position < %s::bigint)",
                (sorted(str(t) for t in task_ids), before, before),
            )
            .fetchall()
        )
        found: dict[UUID, dict[str, UUID]] = {}
        for task_id, target, joint in rows:
            found.setdefault(UUID(task_id), {})[target] = UUID(str(joint))
        return found

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
