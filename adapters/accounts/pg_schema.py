"""The accounts' tables in PostgreSQL, made by `ssj db migrate` (adapters/postgres/schema.py) as
the owner, like everything else the service uses.

Unlike the events these are the service's working state: the service's role updates them (a
failure counted, a key revoked, an answer remembered). It never deletes an account or a key (they
are disabled and revoked, so `ssj user list` and `ssj key list` keep showing them); it deletes a
failure count on success and a pending request abandoned after a failure of its own.
"""

from __future__ import annotations

from adapters.accounts.rows import ACCOUNTS, FAILURES, KEYS, REQUESTS

ACCOUNT_SQL = f"""
CREATE TABLE IF NOT EXISTS {{schema}}.{ACCOUNTS} (
    username text PRIMARY KEY,
    kind text NOT NULL,
    department text,
    inspector text,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    disabled_at timestamptz
);
CREATE TABLE IF NOT EXISTS {{schema}}.{FAILURES} (
    username text PRIMARY KEY,
    failures integer NOT NULL,
    locked_until timestamptz
);
CREATE TABLE IF NOT EXISTS {{schema}}.{KEYS} (
    key_id text PRIMARY KEY,
    secret_sha256 text NOT NULL,
    department text NOT NULL,
    role text NOT NULL,
    label text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used_at timestamptz
);
CREATE TABLE IF NOT EXISTS {{schema}}.{REQUESTS} (
    principal text NOT NULL,
    key text NOT NULL,
    request_digest text NOT NULL,
    started_at timestamptz NOT NULL,
    status integer,
    body text,
    PRIMARY KEY (principal, key)
);
"""


def account_grants(schema: str, role: str) -> list[str]:
    """What the service's role may do with them (names already quoted)."""
    return [
        f"GRANT SELECT, INSERT, UPDATE ON {schema}.{ACCOUNTS}, {schema}.{KEYS} TO {role};",
        f"REVOKE DELETE, TRUNCATE ON {schema}.{ACCOUNTS}, {schema}.{KEYS} FROM {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{FAILURES}, {schema}.{REQUESTS} "
        f"TO {role};",
    ]
