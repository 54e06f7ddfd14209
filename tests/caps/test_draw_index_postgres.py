"""The index of draws on PostgreSQL (adapters/postgres/draw_index.py), made by `ssj db migrate`
and read as the service's role: a commitment reads its population's draws through it and leaves
out what the whole log says; migrating a database whose events were stored without it indexes
them; the service's role may not write the index."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from adapters.bootstrap import bootstrap, load_settings
from adapters.postgres.draw_index import PgDrawIndex
from adapters.postgres.schema import migrate
from services.inspection_caps import indexed_draws, prior_draws
from tests.caps.test_draw_index import the_index_agrees_with_the_whole_log
from tests.caps.world import County
from tests.conftest import SERVICE_ROLE, Database


def test_a_commitment_on_postgres_reads_the_index_and_agrees_with_the_log(
    database: Database,
) -> None:
    service = bootstrap(load_settings(database_url=database.service_url))
    try:
        assert isinstance(service.tasks.draw_index, PgDrawIndex)
        the_index_agrees_with_the_whole_log(service)
        with (
            psycopg.connect(database.service_url) as connection,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            connection.execute("DELETE FROM ssj_idx_drawn")
    finally:
        service.close()


def test_migrating_again_indexes_the_draws_stored_without_the_index(database: Database) -> None:
    with psycopg.connect(database.admin_url, autocommit=True) as admin:
        admin.execute("DROP TRIGGER ssj_events_draw_index ON ssj_events")
    service = bootstrap(load_settings(database_url=database.service_url))
    try:
        county = County(service)
        first = county.plan("education", directed=False)
        county.run(first, "2025-03-03")
        index = service.tasks.draw_index
        assert isinstance(index, PgDrawIndex)
        assert indexed_draws(service.tasks, index, {"x"}, date(2025, 1, 1)) is None  # not made here
        migrate(database.admin_url, SERVICE_ROLE)
        index._made = False  # asked again, as a new process would
        every = list(prior_draws(service.tasks))
        codes = set().union(*(d.targets for d in every))
        assert indexed_draws(service.tasks, index, codes, date(2025, 1, 1)) == every
    finally:
        service.close()
