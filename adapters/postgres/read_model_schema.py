"""The read models' tables: created by `ssj db migrate` as the owner, filled by the service's role.

Every table here can be emptied and refilled from the log (`PgReadModels.rebuild()`); nothing in
them is a fact of its own. Each projection owns its tables and records in `ssj_rm_positions` the
last position of the global log whose effect its rows hold, in the same transaction as the rows.
Tasks' names and departments are kept once per projection, so that each can be rebuilt alone.

The public register's tables (`ssj_rm_register*`) hold targets, results and draws only: the
inspectors' ids, names and phones are never written there.
"""

from __future__ import annotations

POSITIONS = "ssj_rm_positions"
INBOX_TASKS = "ssj_rm_inbox_tasks"
ESCALATIONS = "ssj_rm_escalations"
REGISTER_TASKS = "ssj_rm_register_tasks"
REGISTER = "ssj_rm_register"
REGISTER_DRAWS = "ssj_rm_register_draws"
LEDGER_TASKS = "ssj_rm_ledger_tasks"
LEDGER = "ssj_rm_ledger"
STATISTICS_TASKS = "ssj_rm_statistics_tasks"
PLAN_STATISTICS = "ssj_rm_plan_statistics"

READ_MODEL_TABLES: tuple[str, ...] = (
    POSITIONS,
    INBOX_TASKS,
    ESCALATIONS,
    REGISTER_TASKS,
    REGISTER,
    REGISTER_DRAWS,
    LEDGER_TASKS,
    LEDGER,
    STATISTICS_TASKS,
    PLAN_STATISTICS,
)
"""What the service's role may SELECT, INSERT, UPDATE and DELETE (`migrate(read_model_tables=…)`)."""

READ_MODEL_SQL: tuple[str, ...] = (
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{POSITIONS} (
    projection text PRIMARY KEY,
    position bigint NOT NULL CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
""",
    # The department inbox and the office's escalations: each task's view as a document, from
    # which the inbox works out on reading what each department still owes.
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{INBOX_TASKS} (
    task_id uuid PRIMARY KEY,
    planned_at bigint NOT NULL,
    departments text[] NOT NULL,
    closed boolean NOT NULL,
    view jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS {INBOX_TASKS}_departments
    ON {{schema}}.{INBOX_TASKS} USING gin (departments);
CREATE INDEX IF NOT EXISTS {INBOX_TASKS}_planned_at ON {{schema}}.{INBOX_TASKS} (planned_at);
COMMENT ON COLUMN {{schema}}.{INBOX_TASKS}.planned_at IS
    'Log position of the task''s Planned event: inboxes list tasks in plan order.';
COMMENT ON COLUMN {{schema}}.{INBOX_TASKS}.departments IS
    'The lead and the cooperating departments the plan names: the only ones who may see it.';
CREATE TABLE IF NOT EXISTS {{schema}}.{ESCALATIONS} (
    position bigint NOT NULL,
    n integer NOT NULL,
    task_id uuid NOT NULL,
    task_name text NOT NULL,
    department text NOT NULL,
    what text NOT NULL,
    deadline date NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (position, n)
);
""",
    # The public register (公示): published results per target, and each draw's inputs.
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{REGISTER_TASKS} (
    task_id uuid PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE IF NOT EXISTS {{schema}}.{REGISTER} (
    credit_code text NOT NULL,
    task_id uuid NOT NULL,
    position bigint NOT NULL,
    ordinal integer NOT NULL,
    name text NOT NULL,
    task_name text NOT NULL,
    results jsonb NOT NULL,
    published_on date NOT NULL,
    corrections text[] NOT NULL,
    PRIMARY KEY (credit_code, task_id)
);
CREATE INDEX IF NOT EXISTS {REGISTER}_order ON {{schema}}.{REGISTER} (position, ordinal);
COMMENT ON COLUMN {{schema}}.{REGISTER}.results IS
    '[[department, result category], …] in the order of the publication.';
CREATE TABLE IF NOT EXISTS {{schema}}.{REGISTER_DRAWS} (
    task_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    draw jsonb NOT NULL
);
""",
    # 随机抽查后续处置工作台账.
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{LEDGER_TASKS} (
    task_id uuid PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE IF NOT EXISTS {{schema}}.{LEDGER} (
    task_id uuid NOT NULL,
    number integer NOT NULL,
    position bigint NOT NULL,
    task_name text NOT NULL,
    department text NOT NULL,
    target text NOT NULL,
    problem text NOT NULL,
    due date NOT NULL,
    status text NOT NULL,
    transferred_to text NOT NULL,
    outcome text NOT NULL,
    PRIMARY KEY (task_id, number)
);
CREATE INDEX IF NOT EXISTS {LEDGER}_position ON {{schema}}.{LEDGER} (position);
""",
    # The plan view: each department's workload per month (Beijing time), so no month spikes.
    f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{STATISTICS_TASKS} (
    task_id uuid PRIMARY KEY,
    departments text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {{schema}}.{PLAN_STATISTICS} (
    department text NOT NULL,
    month char(7) NOT NULL,
    tasks integer NOT NULL DEFAULT 0,
    targets_drawn integer NOT NULL DEFAULT 0,
    done integer NOT NULL DEFAULT 0,
    overdue integer NOT NULL DEFAULT 0,
    PRIMARY KEY (department, month)
);
""",
)
"""`CREATE … IF NOT EXISTS` statements with a `{schema}` placeholder (`migrate(extra_sql=…)`)."""


def qualified(schema: str, table: str) -> str:
    """`"schema".table`, the schema quoted as an identifier."""
    return '"' + schema.replace('"', '""') + '".' + table
