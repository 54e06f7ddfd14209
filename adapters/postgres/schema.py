"""`ssj db migrate`: the schema, created once by its owner, never by the service at run time.

What it sets up, and why:

- eventsourcing's events table (`ssj_events`), created by the library itself so that its layout is
  exactly what the recorder expects;
- append-only, for everyone: triggers refuse UPDATE, DELETE and TRUNCATE on the stored events, the
  chain and the checkpoints, whoever asks, the table owner included;
- positions come from the sequence only: a trigger refuses, for everyone, an event whose
  `notification_id` is not the value the sequence just gave (one named far ahead would put every
  later event behind it), and the service's role may not even name that column;
- the audit chain: every inserted event gets, in the same transaction, a link
  `SHA-256(previous link ‖ position ‖ aggregate ‖ version ‖ type ‖ stored bytes)` (see chain.py);
- checkpoints are written by the owner only: the service calls `ssj_checkpoint()`, a function of
  the owner's that takes no argument and records the head the chain holds, and a trigger
  refuses any checkpoint that is not the chain's link at its position;
- the read models' tables (read_model_schema.py), so that a database made by `ssj db migrate`
  alone is everything the service uses;
- the index of draws by credit code (draw_index.py, 国办发〔2024〕54号), filled by a trigger
  in each insert's transaction, which the service's role may only read;
- the bus's bookkeeping: `ssj_commands` (each command id applied, written in the same transaction
  as its events), `ssj_receipts` (each command's answer, so a repeat gets the same one), both
  append-only, and `ssj_relay` (the relay's position in the log);
- the HTTP front's accounts, API keys and remembered answers (adapters/accounts/pg_schema.py),
  which the service's role may update;
- the lead's draw secrets between commitment and draw (adapters/http/draw_secrets.py), which the
  service's role may only read and add to;
- the service's role may only SELECT and INSERT the stored events (plus MAINTAIN, which is what
  `LOCK TABLE … IN EXCLUSIVE MODE` needs: the library takes that lock so that commit order is
  notification order), and read and write the rebuildable read models.

Every statement is `CREATE … IF NOT EXISTS`, `CREATE OR REPLACE`, a trigger dropped and made
again, or a grant: running it again, on a database made by any earlier version, brings it up to
this one.
"""

from __future__ import annotations

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg import sql

from adapters.accounts.pg_schema import ACCOUNT_SQL, account_grants
from adapters.http.draw_secrets import POSTGRES as DRAW_SECRETS_SQL
from adapters.http.draw_secrets import postgres_grants as draw_secret_grants
from adapters.postgres.draw_index import draw_index_grants, draw_index_sql
from adapters.postgres.read_model_schema import (
    EVENTS,
    READ_MODEL_SEQUENCES,
    READ_MODEL_SQL,
    READ_MODEL_TABLES,
)
from adapters.postgres.recorder import APPEND_FUNCTION
from adapters.postgres.urls import DatabaseSettingError, PgUrl

SCHEMA_VERSION = 2
"""1: events, chain, checkpoints, bus bookkeeping. 2: read models; positions from the sequence
only; checkpoints by the owner's `ssj_checkpoint()` only."""
SEQUENCE = f"{EVENTS}_notification_id_seq"
"""The positions' sequence: the library's `notification_id bigserial`."""
WRITTEN_COLUMNS = "originator_id, originator_version, topic, state"
"""What the service's role may name in an INSERT: never the position."""

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

SEQUENCE_ONLY = """
CREATE OR REPLACE FUNCTION {schema}.ssj_sequence_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The row's default has just called nextval: any other value was named by the writer.
    IF NEW.notification_id IS DISTINCT FROM currval({sequence}::regclass) THEN
        RAISE EXCEPTION 'ssj: position % was not given by the sequence', NEW.notification_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Positions come from the sequence only: leave notification_id out.';
    END IF;
    RETURN NEW;
END $$;
"""

CHECKPOINTS = """
CREATE OR REPLACE FUNCTION {schema}.ssj_checkpoint_matches_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM ssj_chain AS c WHERE c.position = NEW.position AND c.link = NEW.head
    ) THEN
        RAISE EXCEPTION 'ssj: checkpoint % is not the audit chain''s link at that position',
            NEW.position
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Checkpoints are recorded by ssj_checkpoint(), from the chain itself.';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION {schema}.ssj_checkpoint()
RETURNS TABLE ("position" bigint, head bytea, recorded_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
#variable_conflict use_column
DECLARE
    at_position bigint;
    at_head bytea;
BEGIN
    -- The head the chain holds now, whatever the caller would like it to be.
    SELECT c.position, c.link INTO at_position, at_head
    FROM ssj_chain AS c ORDER BY c.position DESC LIMIT 1;
    IF at_position IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO ssj_checkpoints AS k (position, head) VALUES (at_position, at_head)
    ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT k.position, k.head, k.recorded_at FROM ssj_checkpoints AS k
    WHERE k.position = at_position AND k.head = at_head;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ssj: a checkpoint at % is recorded with another head', at_position
            USING ERRCODE = 'data_corrupted';
    END IF;
END $$;
"""

CHAIN_LINK = """
CREATE OR REPLACE FUNCTION {schema}.ssj_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    head bytea;
    head_at bigint;
    event record;
    kind bytea;
    positions bigint[] := '{{}}';
    links bytea[] := '{{}}';
BEGIN
    -- Once per statement: inserts hold the events table's EXCLUSIVE lock, so statements link
    -- in position order, and within one the rows are linked in position order too.
    SELECT c.position, c.link INTO head_at, head FROM ssj_chain AS c ORDER BY c.position DESC LIMIT 1;
    head := coalesce(head, decode(repeat('00', 32), 'hex'));
    FOR event IN SELECT * FROM inserted ORDER BY notification_id LOOP
        IF event.notification_id <= head_at THEN  -- the chain only grows forward
            RAISE EXCEPTION 'ssj: position % is behind the audit chain''s head %',
                event.notification_id, head_at USING ERRCODE = 'insufficient_privilege';
        END IF;
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
            f"{EVENTS}_sequence_only",
            "BEFORE INSERT",
            f"FOR EACH ROW EXECUTE FUNCTION {schema}.ssj_sequence_only()",
        )
    )
    statements.append(
        _trigger(
            schema,
            "ssj_checkpoints",
            "ssj_checkpoints_match_chain",
            "BEFORE INSERT",
            f"FOR EACH ROW EXECUTE FUNCTION {schema}.ssj_checkpoint_matches_chain()",
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


def _grants(schema: str, role: str) -> str:
    checkpoint = f"FUNCTION {schema}.ssj_checkpoint()"
    lines = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        # Table-wide INSERT (version 1) goes first: revoking it takes the columns' grants too.
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.{EVENTS} FROM {role};",
        f"GRANT SELECT, MAINTAIN ON {schema}.{EVENTS} TO {role};",
        f"GRANT INSERT ({WRITTEN_COLUMNS}) ON {schema}.{EVENTS} TO {role};",
        f"GRANT USAGE ON SEQUENCE {schema}.{SEQUENCE} TO {role};",
        f"GRANT SELECT ON {schema}.ssj_chain, {schema}.ssj_schema TO {role};",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.ssj_checkpoints FROM {role};",
        f"GRANT SELECT ON {schema}.ssj_checkpoints TO {role};",
        f"REVOKE ALL ON {checkpoint} FROM PUBLIC;",
        f"GRANT EXECUTE ON {checkpoint} TO {role};",
        f"GRANT SELECT, INSERT ON {schema}.ssj_commands, {schema}.ssj_receipts TO {role};",
        f"GRANT SELECT, INSERT, UPDATE ON {schema}.ssj_relay TO {role};",
    ]
    for table in READ_MODEL_TABLES:
        lines.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{table} TO {role};")
    for sequence in READ_MODEL_SEQUENCES:
        lines.append(f"GRANT USAGE ON SEQUENCE {schema}.{sequence} TO {role};")
    lines.extend(account_grants(schema, role))
    lines.extend(draw_secret_grants(schema, role))
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
) -> None:
    """Create or bring up to date everything the service uses: events, chain, checkpoints,
    the bus's bookkeeping and the read models. Safe to run again, on any earlier version."""
    admin = PgUrl.parse(admin_url, "SSJ_ADMIN_DATABASE_URL")
    quoted = sql.Identifier(schema).as_string()
    sequence = sql.Literal(f"{quoted}.{SEQUENCE}").as_string()
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
                SEQUENCE_ONLY.format(schema=quoted, sequence=sequence),
                CHECKPOINTS.format(schema=quoted),
                APPEND_FUNCTION.format(schema=quoted, events=EVENTS),
                *(s.format(schema=quoted) for s in draw_index_sql(EVENTS)),
                *(s.format(schema=quoted) for s in READ_MODEL_SQL),
                ACCOUNT_SQL.format(schema=quoted),
                DRAW_SECRETS_SQL.format(schema=quoted),
                _protect(quoted),
                _grants(quoted, role),
                "\n".join(draw_index_grants(quoted, role)),
            ):
                connection.execute(statement)
            connection.execute(
                f"INSERT INTO {quoted}.ssj_schema (version) VALUES (%s) ON CONFLICT DO NOTHING",
                (SCHEMA_VERSION,),
            )
