"""The read models' tables: created by `ssj db migrate` as the owner, filled by the service's role.

Every table here but the faults can be emptied and refilled from the log
(`PgReadModels.rebuild()`); nothing in them is a fact of its own. `ssj_rm_positions` records, for
each read model and each process, the last position of the global log its rows hold, written in
the same transaction as the rows. The layout is the SQLite one (adapters/sqlite/schema.py): a
task's view as a document, with the columns the queries select on.

The public register's tables (`ssj_rm_register`, `ssj_rm_draws`, `ssj_rm_draw_population`) hold
targets, results and draws only: the inspectors' ids, names and phones are never written there.

A column added to a table of an earlier layout is filled, in the migration, from the row's own
document, exactly as a rebuild from the log would fill it.
"""

from __future__ import annotations

EVENTS = "ssj_events"
"""The stored events (eventsourcing names the table after the application: every application of
the service is named `ssj`); the read models are folded from it."""
BATCH = 500
"""Events folded per transaction."""
POSITIONS = "ssj_rm_positions"
TASKS = "ssj_rm_tasks"
TASK_DEPARTMENTS = "ssj_rm_task_departments"
TASK_YEARS = "ssj_rm_task_years"
ESCALATIONS = "ssj_rm_escalations"
REGISTER = "ssj_rm_register"
DRAWS = "ssj_rm_draws"
DRAW_POPULATION = "ssj_rm_draw_population"
LEDGER = "ssj_rm_ledger"
STATISTICS = "ssj_rm_statistics"
INSPECTIONS = "ssj_rm_inspections"
"""企业检查台账 (services/inspection_ledger.py): one row per (enterprise, task)."""
FAULTS = "ssj_rm_faults"

REBUILT: tuple[str, ...] = (
    TASKS,
    TASK_DEPARTMENTS,
    TASK_YEARS,
    ESCALATIONS,
    REGISTER,
    DRAWS,
    DRAW_POPULATION,
    LEDGER,
    STATISTICS,
    INSPECTIONS,
)
"""What a rebuild empties and refills from the log."""

READ_MODEL_TABLES: tuple[str, ...] = (POSITIONS, *REBUILT, FAULTS)
"""What the service's role may SELECT, INSERT, UPDATE and DELETE."""
READ_MODEL_SEQUENCES: tuple[str, ...] = (f"{FAULTS}_place_seq",)
"""What the service's role may draw numbers from."""

RETIRED = (
    "ssj_rm_inbox_tasks",
    "ssj_rm_register_tasks",
    "ssj_rm_register_draws",
    "ssj_rm_ledger_tasks",
    "ssj_rm_plan_statistics",
    "ssj_rm_task_names",
    "ssj_rm_statistics_tasks",
)
"""Tables of earlier layouts, rebuildable, so simply dropped: the first layout's (schema version
1), and two that kept each task's name and departments beside its view, which holds them."""

READ_MODEL_SQL: tuple[str, ...] = (
    "\n".join(f"DROP TABLE IF EXISTS {{schema}}.{table};" for table in RETIRED),
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{POSITIONS} (
    projection text PRIMARY KEY,
    position bigint NOT NULL CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- The first layout's positions named its four projections; their rows are refilled from zero.
DELETE FROM {{schema}}.{POSITIONS}
    WHERE projection IN ('inbox', 'register', 'ledger', 'plan_statistics');  -- never reused
CREATE TABLE IF NOT EXISTS {{schema}}.{TASKS} (
    task_id uuid PRIMARY KEY,
    planned_at bigint NOT NULL,
    closed boolean NOT NULL,
    next_due date,
    view jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS {TASKS}_planned ON {{schema}}.{TASKS} (planned_at);
CREATE INDEX IF NOT EXISTS {TASKS}_due ON {{schema}}.{TASKS} (next_due) WHERE next_due IS NOT NULL;
COMMENT ON COLUMN {{schema}}.{TASKS}.planned_at IS
    'Log position of the task''s Planned event: lists show tasks in plan order.';
COMMENT ON COLUMN {{schema}}.{TASKS}.next_due IS
    'The earliest deadline still running: what the deadline watch judges next.';
CREATE TABLE IF NOT EXISTS {{schema}}.{TASK_DEPARTMENTS} (
    department text NOT NULL,
    planned_at bigint NOT NULL,
    task_id uuid NOT NULL,
    closed boolean NOT NULL,
    PRIMARY KEY (department, planned_at, task_id)
);
CREATE INDEX IF NOT EXISTS {TASK_DEPARTMENTS}_open
    ON {{schema}}.{TASK_DEPARTMENTS} (department, closed, planned_at);
CREATE INDEX IF NOT EXISTS {TASK_DEPARTMENTS}_task ON {{schema}}.{TASK_DEPARTMENTS} (task_id);
COMMENT ON TABLE {{schema}}.{TASK_DEPARTMENTS} IS
    'The departments that see each task: its lead, and each cooperating department it was '
    'dispatched (or held) for.';
CREATE TABLE IF NOT EXISTS {{schema}}.{TASK_YEARS} (
    year integer NOT NULL,
    task_id uuid NOT NULL,
    PRIMARY KEY (year, task_id)
);
CREATE INDEX IF NOT EXISTS {TASK_YEARS}_task ON {{schema}}.{TASK_YEARS} (task_id);
CREATE TABLE IF NOT EXISTS {{schema}}.{ESCALATIONS} (
    place bigint PRIMARY KEY,
    task_id uuid NOT NULL,
    task_name text NOT NULL,
    department text NOT NULL,
    what text NOT NULL,
    deadline date,
    at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {{schema}}.{REGISTER} (
    credit_code text NOT NULL,
    task_id uuid NOT NULL,
    place bigint NOT NULL,
    entry jsonb NOT NULL,
    name_key text,
    PRIMARY KEY (credit_code, task_id)
);
-- The target's name as the search compares it (services/read_models.py, name_key): A-Z folded.
ALTER TABLE {{schema}}.{REGISTER} ADD COLUMN IF NOT EXISTS name_key text;
UPDATE {{schema}}.{REGISTER}
    SET name_key = translate(entry->>'name', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    WHERE name_key IS NULL;
CREATE INDEX IF NOT EXISTS {REGISTER}_place ON {{schema}}.{REGISTER} (place);
-- A target's results in publication order straight from the index, however many tasks it was in.
CREATE INDEX IF NOT EXISTS {REGISTER}_code_place ON {{schema}}.{REGISTER} (credit_code, place);
-- A task's 公示 a page at a time, in publication order, at any size of the register.
DROP INDEX IF EXISTS {{schema}}.{REGISTER}_task;
CREATE INDEX IF NOT EXISTS {REGISTER}_task_place ON {{schema}}.{REGISTER} (task_id, place);
CREATE TABLE IF NOT EXISTS {{schema}}.{DRAWS} (
    task_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    draw jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS {DRAWS}_position ON {{schema}}.{DRAWS} (position);
CREATE TABLE IF NOT EXISTS {{schema}}.{DRAW_POPULATION} (
    task_id uuid NOT NULL,
    ordinal integer NOT NULL,
    credit_code text NOT NULL,
    grade text NOT NULL,
    PRIMARY KEY (task_id, ordinal)
);
COMMENT ON TABLE {{schema}}.{DRAW_POPULATION} IS
    'Each draw''s population in credit-code order (ordinal from 1), rebuilt from the log at the '
    'directory position the draw committed to: what anyone re-runs the draw from.';
CREATE TABLE IF NOT EXISTS {{schema}}.{LEDGER} (
    task_id uuid NOT NULL,
    number integer NOT NULL,
    position bigint NOT NULL,
    department text NOT NULL,
    row jsonb NOT NULL,
    PRIMARY KEY (task_id, number)
);
CREATE INDEX IF NOT EXISTS {LEDGER}_position ON {{schema}}.{LEDGER} (position);
CREATE TABLE IF NOT EXISTS {{schema}}.{STATISTICS} (
    department text NOT NULL,
    month char(7) NOT NULL,
    tasks integer NOT NULL DEFAULT 0,
    targets_drawn integer NOT NULL DEFAULT 0,
    done integer NOT NULL DEFAULT 0,
    overdue integer NOT NULL DEFAULT 0,
    PRIMARY KEY (department, month)
);
CREATE TABLE IF NOT EXISTS {{schema}}.{FAULTS} (
    place bigserial PRIMARY KEY,
    process text NOT NULL,
    task_id uuid,
    position bigint NOT NULL,
    error text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS {FAULTS}_task ON {{schema}}.{FAULTS} (task_id, place);
COMMENT ON TABLE {{schema}}.{FAULTS} IS
    'What a process of the service could not do on one task, and why: it went on with the others.';
""",
    f"""
-- The inspection ledger, added after the first layouts: a database whose read models were folded
-- before it gets its table and folds them all again from the start (its rows come from draws
-- folded long ago), on the service's next catch-up.
DO $ssj$
BEGIN
    IF to_regclass('{{schema}}.{INSPECTIONS}') IS NULL THEN
        CREATE TABLE {{schema}}.{INSPECTIONS} (
            credit_code text NOT NULL,
            task_id uuid NOT NULL,
            place bigint NOT NULL,
            entry jsonb NOT NULL,
            PRIMARY KEY (credit_code, task_id)
        );
        TRUNCATE {", ".join(f"{{schema}}.{t}" for t in REBUILT[:-1])};
        DELETE FROM {{schema}}.{POSITIONS} WHERE projection = 'read_models';
    END IF;
END
$ssj$;
CREATE INDEX IF NOT EXISTS {INSPECTIONS}_code_place
    ON {{schema}}.{INSPECTIONS} (credit_code, place);
CREATE INDEX IF NOT EXISTS {INSPECTIONS}_task ON {{schema}}.{INSPECTIONS} (task_id);
""",
    f"""
-- A search for a fragment of a target's name (LIKE '%…%') reads pg_trgm's index instead of every
-- row, for fragments of three characters or more. The extension may already live in another
-- schema of the database (it exists once per database): its operator class is taken from there.
-- A server without the contrib extensions still migrates: the search then reads every row, and
-- the migration says so.
DO $ssj$
DECLARE
    trgm name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'ssj: pg_trgm unavailable (%), the register''s name search reads every row',
            SQLERRM;
    END;
    SELECT n.nspname INTO trgm
    FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF trgm IS NOT NULL THEN
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS {REGISTER}_name ON %s USING gin (name_key %I.gin_trgm_ops)',
            $table${{schema}}.{REGISTER}$table$,
            trgm
        );
    END IF;
END
$ssj$;
""",
)
"""`CREATE … IF NOT EXISTS` statements with a `{schema}` placeholder: `ssj db migrate` runs them."""


def qualified(schema: str, table: str) -> str:
    """`"schema".table`, the schema quoted as an identifier."""
    return '"' + schema.replace('"', '""') + '".' + table
