"""The SQLite store's index of draws (adapters/sqlite/draw_index.py): a commitment under caps reads
only the draws of its population's credit codes since the earliest day that can count, and
leaves out exactly what reading every draw of the log leaves out; the index is filled by the
store as each event is stored, and made on first use from the events stored before it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.sqlite.draw_index import SqliteDrawIndex
from domain.inspection_caps import exclusions
from services.inspection_caps import earliest_day, indexed_draws, prior_draws, year_caps
from tests.caps.world import AUDITOR, OFFICE, County, at

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def on_file(tmp_path: Path) -> Iterator[Service]:
    service = bootstrap(load_settings(db=tmp_path / "ssj.db"))
    yield service
    service.close()


def index_of(service: Service) -> SqliteDrawIndex:
    index = service.tasks.draw_index
    assert isinstance(index, SqliteDrawIndex)
    return index


def the_index_agrees_with_the_whole_log(service: Service) -> None:
    """Last year's draw (within the exclusion period), two of this year's merged at a shared
    target, caps; a third task's commitment reads its draws through the index."""
    county = County(service)
    last_year = county.plan("education", year=2024, directed=False)
    county.run(last_year, "2024-12-30")  # last year's: counts only for the exclusion period
    education = county.plan("education", directed=False)
    market = county.plan("market", directed=False)
    county.run(education, "2025-03-03")
    county.run(market, "2025-03-10", lead="market")
    shared = sorted(
        set(service.tasks.task(OFFICE, education).drawn_targets)
        & set(service.tasks.task(OFFICE, market).drawn_targets)
    )
    service.joint_visits.merge(OFFICE, shared[0], [education, market], at=at("2025-03-12"))
    county.caps.set_caps(OFFICE, 2025, {"education": 1}, 2, at=at("2025-03-13"))

    third = county.plan("education", ("fire",), exclusion_days=120)
    task = service.tasks.task(OFFICE, third)
    population = service.directories.population(
        task.definition.directory_id, task.definition.scope
    ).members
    moment = at("2025-04-01")
    caps = year_caps(service.tasks, 2025)
    since = earliest_day(moment, 120)
    assert since == date(2024, 12, 1)
    assert service.tasks.draw_index is not None
    fast = indexed_draws(service.tasks, service.tasks.draw_index, population, since)
    assert fast is not None, "the store keeps the index"
    every = list(prior_draws(service.tasks))
    assert {d.task_id for d in fast} == {d.task_id for d in every}  # all within the bound
    assert [d.joint for d in fast] == [d.joint for d in every]
    assert any(d.joint for d in fast)
    args = (population, third, task.definition.departments, moment, 120, caps)
    assert exclusions(*args, fast) == exclusions(*args, every)

    county.commit(third, "2025-04-01")
    left_out = service.tasks.task(OFFICE, third).commitment.exclusions  # type: ignore[union-attr]
    assert left_out and shared[0] in {e["credit_code"] for e in left_out}  # education's cap
    assert service.auditor.verify(AUDITOR).ok  # the whole log, without the index, agrees


def test_a_commitment_on_the_index_leaves_out_what_every_draw_of_the_log_does(
    on_file: Service,
) -> None:
    the_index_agrees_with_the_whole_log(on_file)


def test_the_index_names_only_draws_of_the_codes_since_the_day(on_file: Service) -> None:
    service = on_file
    county = County(service)
    early = county.plan("education", year=2024, directed=False)
    drawn_early = county.run(early, "2024-05-06")
    later = county.plan("market", directed=False)
    drawn_later = county.run(later, "2025-05-06", lead="market")
    index = index_of(service)
    [position] = index.drawn(drawn_later[:1], date(2025, 1, 1))
    assert index.drawn(drawn_later[:1], date(2025, 5, 7)) == []
    only_early = sorted(set(drawn_early) - set(drawn_later))
    assert only_early and index.drawn(only_early, date(2025, 1, 1)) == []
    assert len(index.drawn(only_early, date(2024, 1, 1))) == 1
    assert index.drawn(drawn_later[:1], date(2025, 1, 1), before=position) == []
    assert index.merged([early, later]) == {}


def test_the_index_is_made_from_a_log_stored_before_it(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "log-2026-12-01.db", tmp_path / "ssj.db")
    service = bootstrap(load_settings(db=tmp_path / "ssj.db"))
    try:
        every = list(prior_draws(service.tasks))
        assert every, "the stored log holds draws"
        codes = set().union(*(d.targets for d in every))
        found = indexed_draws(service.tasks, index_of(service), codes, date(2000, 1, 1))
        assert found is not None and found == every
    finally:
        service.close()
