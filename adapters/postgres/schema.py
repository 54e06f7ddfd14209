"""`ssj db migrate`: the schema, created once by its owner, never by the service at run time.

What it sets up, and why:

- eventsourcing's events table (`ssj_events`), created by the library itself so that its layout is
  exactly what the recorder expects;
- append-only, for everyone: triggers refuse UPDATE, DELETE and TRUNCATE on the stored events, the
  chain and the checkpoints, whoever asks, the table owner included;
- the audit chain: every inserted event gets, in the same transaction, a link
  `SHA-256(previous link ‖ position ‖ aggregate ‖ version ‖ type ‖ stored bytes)` (see chain.py);
- the bus's bookkeeping: `ssj_commands` (each command id applied, written in the same transaction
  as its events), `ssj_receipts` (each command's answer, so a repeat gets the same one), both
  append-only, and `ssj_relay` (the relay's position in the log);
- the service's role may only SELECT and INSERT the stored events (plus MAINTAIN, which is what
  `LOCK TABLE … IN EXCLUSIVE MODE` needs: the library takes that lock so that commit order is
  notification order), and read and write the rebuildable read models.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg import sql

from adapters.postgres.recorder import APPEND_FUNCTION
from adapters.postgres.urls import DatabaseSettingError, PgUrl

SCHEMA_VERSION = 1
EVENTS = "ssj_events"
"""eventsourcing names the table after the application: both applications are named `ssj`."""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION {schema}.ssj_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ssj: % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'A correction is a new event; nothing stored is ever changed.';
END $$;
"""

AUDIT_TABLES = """
CREATE TABLE IF NOT EXISTS {schema}.ssj_chain (
    position bigint PRIMARY KEY,
    link bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.ssj_checkpoints (
    position bigint PRIMARY KEY,
    head bytea NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.ssj_commands (
    command_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.ssj_receipts (
    command_id uuid PRIMARY KEY,
    receipt jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    digest text
);
-- The answered command's digest (adapters/nats/messages.py, command_digest), added to tables
-- made before it; NULL in older rows, whose commands cannot be compared.
ALTER TABLE {schema}.ssj_receipts ADD COLUMN IF NOT EXISTS digest text;
CREATE TABLE IF NOT EXISTS {schema}.ssj_relay (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.ssj_schema (
    version integer PRIMARY KEY,
    migrated_at timestamptz NOT NULL DEFAULT now()
);
"""

CHAIN_LINK = """
CREATE OR REPLACE FUNCTION {schema}.ssj_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    head bytea;
    event record;
    kind bytea;
    positions bigint[] := '{{}}';
    links bytea[] := '{{}}';
BEGIN
    -- Once per statement: inserts hold the events table's EXCLUSIVE lock, so statements link
    -- in position order, and within one the rows are linked in position order too.
    SELECT c.link INTO head FROM ssj_chain AS c ORDER BY c.position DESC LIMIT 1;
    head := coalesce(head, decode(repeat('00', 32), 'hex'));
    FOR event IN SELECT * FROM inserted ORDER BY notification_id LOOP
        kind := convert_to(event.topic, 'UTF8');
        head := sha256(
            head
            || int8send(event.notification_id)
            || uuid_send(event.originator_id)
            || int8send(event.originator_version)
            || int4send(octet_length(kind)) || kind
            || event.state
        );
        positions := positions || event.notification_id;
        links := links || head;
    END LOOP;
    INSERT INTO ssj_chain (position, link) SELECT * FROM unnest(positions, links);
    RETURN NULL;
END $$;
"""


def _trigger(schema: str, table: str, name: str, timing: str, function: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {schema}.{table};\n"
        f"CREATE TRIGGER {name} {timing} ON {schema}.{table} {function};\n"
    )


def _protect(schema: str) -> str:
    statements = []
    for table in (EVENTS, "ssj_chain", "ssj_checkpoints", "ssj_commands", "ssj_receipts"):
        statements.append(
            _trigger(
                schema,
                table,
                f"{table}_append_only",
                "BEFORE UPDATE OR DELETE",
                f"FOR EACH ROW EXECUTE FUNCTION {schema}.ssj_refuse_change()",
            )
        )
        statements.append(
            _trigger(
                schema,
                table,
                f"{table}_no_truncate",
                "BEFORE TRUNCATE",
                f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ssj_refuse_change()",
            )
        )
    statements.append(
        _trigger(
            schema,
            EVENTS,
            f"{EVENTS}_chain",
            "AFTER INSERT",
            f"REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {schema}.ssj_chain_link()",
        )
    )
    return "\n".join(statements)


def _grants(schema: str, role: str, read_model_tables: Sequence[str]) -> str:
    lines = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        f"GRANT SELECT, INSERT, MAINTAIN ON {schema}.{EVENTS} TO {role};",
        f"GRANT USAGE ON SEQUENCE {schema}.{EVENTS}_notification_id_seq TO {role};",
        f"GRANT SELECT ON {schema}.ssj_chain, {schema}.ssj_schema TO {role};",
        f"GRANT SELECT, INSERT ON {schema}.ssj_checkpoints TO {role};",
        f"GRANT SELECT, INSERT ON {schema}.ssj_commands, {schema}.ssj_receipts TO {role};",
        f"GRANT SELECT, INSERT, UPDATE ON {schema}.ssj_relay TO {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.{EVENTS} FROM {role};",
    ]
    for table in read_model_tables:
        lines.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{table} TO {role};")
    return "\n".join(lines)


def create_events_table(admin: PgUrl, schema: str) -> None:
    """Let eventsourcing create its own table, type and index, as the owner."""
    env = {**admin.eventsourcing_env(schema), "CREATE_TABLE": "y"}
    factory = InfrastructureFactory.construct(Environment("ssj", env))
    try:
        factory.application_recorder()
    finally:
        factory.close()


def migrate(
    admin_url: str,
    service_role: str,
    schema: str = "public",
    service_password: str | None = None,
    extra_sql: Sequence[str] = (),
    read_model_tables: Sequence[str] = (),
) -> None:
    """Create or bring up to date the whole schema. Safe to run again."""
    admin = PgUrl.parse(admin_url, "SSJ_ADMIN_DATABASE_URL")
    quoted = sql.Identifier(schema).as_string()
    role = sql.Identifier(service_role).as_string()
    try:
        connection = psycopg.connect(admin.conninfo(), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise DatabaseSettingError(f"SSJ_ADMIN_DATABASE_URL: 无法连接数据库（{error}）") from None
    with connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        exists = connection.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (service_role,)
        ).fetchone()
        if not exists:
            password = (
                sql.SQL(" PASSWORD {}").format(sql.Literal(service_password)).as_string()
                if service_password
                else ""
            )
            connection.execute(f"CREATE ROLE {role} LOGIN{password}")
        create_events_table(admin, schema)
        with connection.transaction():
            for statement in (
                APPEND_ONLY.format(schema=quoted),
                AUDIT_TABLES.format(schema=quoted),
                CHAIN_LINK.format(schema=quoted),
                APPEND_FUNCTION.format(schema=quoted, events=EVENTS),
                _protect(quoted),
                *(s.format(schema=quoted) for s in extra_sql),
                _grants(quoted, role, [f"{t}" for t in read_model_tables]),
            ):
                connection.execute(statement)
            connection.execute(
                f"INSERT INTO {quoted}.ssj_schema (version) VALUES (%s) ON CONFLICT DO NOTHING",
                (SCHEMA_VERSION,),
            )
