"""The read models' port (services/read_models.py), as a contract every store keeps: SQLite in
memory (beside the in-memory event store), an SQLite file (beside its events) and PostgreSQL
(`PgReadModelsSync`, beside the events on a real server). Each test runs on all three, through
`service.read_models` as the composition root builds it, and expects the same answers."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic

from adapters.bootstrap import Service
from adapters.clock import ManualClock
from adapters.postgres.schema import migrate
from domain import draw
from domain.errors import InvalidValueError
from domain.task import Task
from services.errors import NotFoundError
from services.read_models import Fault, Page, ReadModels
from services.task_views import inbox_item
from tests.conftest import SERVICE_ROLE, Database
from tests.services import conftest as services
from tests.services.conftest import JointInspection, Store, at

store = services.store
"""The three stores, from the services' contract tests."""

CLOCK = at("2026-12-31", "10:05")
ALL = 1000
OLD_TOPIC = "domain.task:Task.DepartmentAgreed"
"""What Task.DepartmentConfirmed was once called, as an older log holds it."""


@pytest.fixture
def service(store: Store) -> Service:
    return store.open(ManualClock(CLOCK))


@pytest.fixture
def read_models(service: Service) -> ReadModels:
    return service.read_models


@pytest.fixture
def joint(service: Service) -> JointInspection:
    return JointInspection(service)


def last_position(service: Service) -> int:
    return int(service.tasks.recorder.max_notification_id() or 0)


def everything(read_models: ReadModels) -> dict[str, Any]:
    """What every list and lookup answers, first page of all."""
    views = read_models.task_views(None, ALL, None)
    return {
        "tasks": views,
        "each": [read_models.task_view(view.task_id) for view in views.items],
        "inboxes": {d: read_models.inbox(d, ALL, None) for d in JointInspection.DEPARTMENTS},
        "escalations": read_models.escalations(ALL, None),
        "register": read_models.register(None, ALL, None),
        "draws": read_models.draws(ALL, None),
        "ledger": read_models.ledger(None, ALL, None),
        "statistics": read_models.statistics(None, None),
        "due": read_models.due(date(2023, 12, 31)),
    }


# ---------------------------------------------------------------------------- following the log
def test_catching_up_folds_the_whole_log_and_again_changes_nothing(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.published()

    assert read_models.catch_up() == last_position(service)
    before = everything(read_models)
    assert len(before["register"].items) == len(joint.targets)

    assert read_models.catch_up() == last_position(service)
    assert everything(read_models) == before


def test_a_rebuild_from_zero_gives_the_same_answers(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.closed()
    read_models.catch_up()
    before = everything(read_models)

    assert read_models.rebuild() == last_position(service)

    assert everything(read_models) == before


def test_an_event_stored_under_the_old_topic_of_a_renamed_class_still_counts(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    joint.drawn()
    register_topic(OLD_TOPIC, Task.DepartmentConfirmed)
    task = joint.task()
    task.confirm("police", at("2023-11-02", "10:15"))
    [confirmed] = task.collect_events()
    stored = service.tasks.mapper.to_stored_event(confirmed)
    # As an older version of the service wrote it, under the class's name of then.
    service.tasks.recorder.insert_events([dataclasses.replace(stored, topic=OLD_TOPIC)])
    assert isinstance(joint.task().answers["police"], Task.DepartmentConfirmed)  # as it reads it

    read_models.catch_up()

    [police] = read_models.inbox("police", ALL, None).items
    assert police.answers == {"police": True}
    assert inbox_item(police, "police").owes == ("抽取执法检查人员",)


def test_a_row_of_a_type_no_class_answers_to_is_passed_by_every_store(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    """A type this code does not know (a tampered row, or one written by a newer version): the
    auditor names it; the read models move past it, on every store alike, instead of halting."""
    joint.drawn()
    read_models.catch_up()
    before = everything(read_models)
    unknown = StoredEvent(uuid4(), 1, "domain.task:Task.Vanished", b"{}")
    service.tasks.recorder.insert_events([unknown])

    assert read_models.catch_up() == last_position(service)
    assert everything(read_models) == before


# ---------------------------------------------------------------------------- pages and lookups
def pages(query: Any, limit: int) -> list[Page[Any]]:
    found = [query(limit, None)]
    while found[-1].next is not None:
        found.append(query(limit, found[-1].next))
        assert len(found) < 100, "paging does not end"
    return found


@pytest.mark.parametrize("limit", [1, 3])
def test_every_list_comes_a_page_at_a_time_with_each_row_once(
    limit: int, joint: JointInspection, read_models: ReadModels
) -> None:
    joint.closed()
    read_models.catch_up()
    lists = {
        "tasks": lambda n, after: read_models.task_views(None, n, after),
        "police": lambda n, after: read_models.task_views(frozenset({"police"}), n, after),
        "inbox": lambda n, after: read_models.inbox("education", n, after),
        "escalations": read_models.escalations,
        "register": lambda n, after: read_models.register(None, n, after),
        "draws": read_models.draws,
        "ledger": lambda n, after: read_models.ledger(None, n, after),
    }

    for name, query in lists.items():
        paged = pages(query, limit)
        [whole] = pages(query, ALL)
        assert [row for page in paged for row in page.items] == list(whole.items), name
        assert all(len(page.items) == limit for page in paged[:-1]), name
    assert len(read_models.register(None, ALL, None).items) == len(joint.targets)


def test_a_page_holds_one_row_at_least_and_a_cursor_must_be_one_given_back(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()
    read_models.catch_up()

    assert len(read_models.task_views(None, 0, None).items) == 1
    with pytest.raises(InvalidValueError) as refused:
        read_models.task_views(None, 10, "第二页")
    assert refused.value.field == "after"


def test_a_task_is_found_by_any_prefix_of_its_id(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()
    read_models.catch_up()
    both = sorted([joint.task_id, joint.other_task_id], key=str)

    for task_id in both:
        for n in (8, 9, 13, 36):
            assert read_models.task_ids(str(task_id)[:n], 5) == [task_id]
    assert read_models.task_ids("", 5) == both
    assert read_models.task_ids(str(joint.task_id) + "0", 5) == []
    assert read_models.task_ids(str(UUID(int=1)), 5) == []
    assert read_models.task_view(UUID(int=1)) is None


def test_due_finds_the_open_tasks_whose_deadline_passed_by_the_day(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.drawn()  # both tasks dispatched on 1 November: confirm by the 3rd
    read_models.catch_up()

    assert read_models.due(date(2023, 11, 3)) == []
    assert read_models.due(date(2023, 11, 4)) == [joint.task_id, joint.other_task_id]
    assert read_models.awaiting(2027) == []


# ---------------------------------------------------------------------------- the processes' own
def test_a_process_position_only_moves_forward_and_faults_are_kept_in_order(
    read_models: ReadModels,
) -> None:
    assert read_models.process_position("dispatch") == 0
    read_models.advance_process("dispatch", 7)
    read_models.advance_process("dispatch", 5)  # a replayed position changes nothing
    assert read_models.process_position("dispatch") == 7
    assert read_models.process_position("deadlines") == 0
    faults = [
        Fault("dispatch", UUID(int=n), 10 + n, f"OSError: {n}", at("2023-11-01", f"1{n}:00"))
        for n in range(3)
    ]
    for fault in faults:
        read_models.record_fault(fault)

    assert [f for page in pages(read_models.faults, 2) for f in page.items] == faults


def test_the_faults_of_one_task_come_alone_a_page_at_a_time(read_models: ReadModels) -> None:
    task, other = UUID(int=1), UUID(int=2)
    faults = [
        Fault("dispatch", (task, other, None)[n % 3], n, f"OSError: {n}", at("2023-11-01"))
        for n in range(7)
    ]
    for fault in faults:
        read_models.record_fault(fault)

    def of_task(limit: int, after: str | None) -> Page[Fault]:
        return read_models.faults(limit, after, task)

    assert [f for page in pages(of_task, 2) for f in page.items] == faults[::3]
    assert read_models.faults(ALL, None, other).items == tuple(faults[1::3])
    assert read_models.faults(ALL, None, UUID(int=3)).items == ()
    assert read_models.faults(ALL, None).items == tuple(faults)


def test_a_tasks_history_as_stored_is_what_the_auditor_replays(
    service: Service, read_models: ReadModels, joint: JointInspection
) -> None:
    """A task's page reads its timeline as stored, without the domain's classes: every event,
    in version order, with the fields the auditor's replay gives."""
    joint.closed()

    stored = read_models.history(joint.task_id)
    replayed = service.auditor.history(services.AUDITOR, joint.task_id)

    assert [(e.version, e.type) for e in stored] == [(e.version, e.type) for e in replayed]
    for as_stored, as_replayed in zip(stored, replayed, strict=True):
        assert {k: v for k, v in as_replayed.fields.items() if k in as_stored.fields} == (
            as_stored.fields
        )
        assert as_stored.recorded_at == as_replayed.recorded_at
    assert read_models.history(UUID(int=7)) == []


# ---------------------------------------------------------------------------- the register searched
LATIN = ("Kids English", "KIDS english", "kids ENGLISH 100%_off")
"""Names the drawn institutions take before publication: Latin letters in every case, and the
characters LIKE would read as wildcards."""


def published_with_latin_names(joint: JointInspection) -> dict[str, str]:
    """The joint task published after its drawn institutions were renamed (the register names a
    target as the directory did when the groups were matched); credit code -> name."""
    drawn = set(joint.drawn().task().drawn_targets)
    renamed = [
        dataclasses.replace(target, name=f"迁安市{LATIN[n % 3]}培训学校{n}")
        for n, target in enumerate(services.institutions())
        if target.credit_code in drawn
    ]
    joint.directories.update_targets(
        services.EDUCATION, joint.directory_id, renamed, "更名", at=at("2023-11-06", "12:00")
    )
    joint.confirm().draw_inspectors().recuse().match().visit().record_results()
    joint.late_result_and_correction().publish()
    return {target.credit_code: target.name for target in renamed}


def test_the_register_is_searched_by_a_fragment_of_a_name_latin_letters_in_any_case(
    joint: JointInspection, read_models: ReadModels
) -> None:
    names = published_with_latin_names(joint)
    read_models.catch_up()
    whole = read_models.register(None, ALL, None).items

    def found(fragment: str) -> list[str]:
        return [e.name for e in read_models.register(None, ALL, None, name=fragment).items]

    for fragment in ("kids english", "KIDS ENGLISH", "Kids", "eNgLiSh", "培训学校", "迁安市"):
        assert found(fragment) == [e.name for e in whole], fragment
    assert found("100%_") == [e.name for e in whole if "100%_off" in e.name]
    assert found("100%_") != []
    assert found("100_") == [] and found("s%o") == [] and found("0%o") == []  # no wildcards
    assert found("培训学校1") == [e.name for e in whole if "培训学校1" in e.name]
    assert found("幼儿园") == [] and found("ｋｉｄｓ") == []  # full-width letters are other letters
    assert sorted(e.name for e in whole) == sorted(names.values())


def test_the_register_of_one_task_is_its_whole_publication_and_nothing_unpublished(
    joint: JointInspection, read_models: ReadModels
) -> None:
    joint.published()  # the kindergarten task is drawn but not published
    read_models.catch_up()
    whole = read_models.register(None, ALL, None).items

    def of_task(limit: int, after: str | None) -> Page[Any]:
        return read_models.register(None, limit, after, task_id=joint.task_id)

    for limit in (1, 3, ALL):
        paged = pages(of_task, limit)
        assert [e for page in paged for e in page.items] == list(whole), limit
    assert read_models.register(None, ALL, None, task_id=joint.other_task_id).items == ()
    assert read_models.register(None, ALL, None, task_id=UUID(int=1)).items == ()
    first = whole[0]
    [alone] = read_models.register(first.credit_code, ALL, None, task_id=joint.task_id).items
    assert alone == first
    both = read_models.register(None, ALL, None, task_id=joint.task_id, name=first.name).items
    assert both == (first,)
    assert (
        read_models.register(first.credit_code, ALL, None, task_id=joint.other_task_id).items == ()
    )


@pytest.mark.parametrize("limit", [1, 3])
def test_a_name_search_comes_a_page_at_a_time_with_each_entry_once(
    limit: int, joint: JointInspection, read_models: ReadModels
) -> None:
    joint.published()
    read_models.catch_up()

    def by_name(n: int, after: str | None) -> Page[Any]:
        return read_models.register(None, n, after, name="培训")

    paged = pages(by_name, limit)
    assert [e for page in paged for e in page.items] == list(
        read_models.register(None, ALL, None).items
    )
    assert all(len(page.items) == limit for page in paged[:-1])


def test_the_public_searches_by_credit_code_in_any_case_and_by_a_name_of_fifty_characters_at_most(
    joint: JointInspection, service: Service
) -> None:
    joint.published()
    service.read_models.catch_up()
    queries = service.queries
    [first, *_] = queries.register(services.PUBLIC, limit=ALL).items

    typed = f"  {first.credit_code.lower()} "
    assert queries.register(services.PUBLIC, typed).items == (first,)
    assert (
        queries.register(services.PUBLIC, " ", name=" ").items
        == (queries.register(services.PUBLIC, limit=ALL).items[:50])
    )
    assert queries.register(services.PUBLIC, name="无此名称").items == ()
    with pytest.raises(InvalidValueError) as refused:
        queries.register(services.PUBLIC, name="培" * 51)
    assert refused.value.field == "name"


# ---------------------------------------------------------------------------- a draw and its population
def test_a_published_draw_and_its_population_are_what_the_draw_was_made_from(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    """The population is the directory at the committed position, whatever changed after the
    commitment: a target closed, one regraded and one registered in scope before the draw."""
    joint.open_directories().plan().commit()
    first, second = sorted(JointInspection.population())[:2]
    changed = {t.credit_code: t for t in services.institutions()}
    directories = joint.directories
    directories.update_targets(
        services.EDUCATION,
        joint.directory_id,
        [
            dataclasses.replace(changed[first], active=False),
            dataclasses.replace(changed[second], risk_grade=services.RiskGrade.D),
        ],
        "注销、重新评级",
        at=at("2023-10-31", "17:00"),
    )
    directories.register_targets(
        services.EDUCATION,
        joint.directory_id,
        [dataclasses.replace(changed[first], credit_code=services.code(70), name="新设培训学校")],
        at=at("2023-10-31", "17:10"),
    )
    assert read_models.draw(joint.task_id) is None  # committed, not drawn: nothing public yet
    read_models.catch_up()
    assert read_models.draw_population(joint.task_id, ALL, None).items == ()
    joint.draw()
    read_models.catch_up()

    published = read_models.draw(joint.task_id)
    assert published is not None
    assert published == {d.task_id: d for d in read_models.draws(ALL, None).items}[joint.task_id]
    population = read_models.draw_population(joint.task_id, ALL, None).items
    assert [tuple(m) for m in population] == sorted(JointInspection.population().items())
    assert draw.population_digest(dict(population)) == published.population_digest
    assert read_models.draw(UUID(int=1)) is None
    assert read_models.draw_population(UUID(int=1), ALL, None).items == ()
    kindergartens = read_models.draw_population(joint.other_task_id, ALL, None).items
    assert [m.credit_code for m in kindergartens] == sorted(
        services.code(80 + i, "12") for i in range(3)
    )

    def of_task(limit: int, after: str | None) -> Page[Any]:
        return read_models.draw_population(joint.task_id, limit, after)

    for limit in (1, 7):
        assert [m for page in pages(of_task, limit) for m in page.items] == list(population)


def test_the_draws_inputs_re_run_to_the_published_draw(
    joint: JointInspection, service: Service
) -> None:
    """What the public page hands draw.js is enough to re-run the draw: the rule, read
    literally, gives the recorded seed, digest, strata and drawn ids again."""
    joint.drawn()
    service.read_models.catch_up()

    for task_id in (joint.task_id, joint.other_task_id):
        inputs = service.queries.draw_inputs(services.PUBLIC, task_id)

        json.dumps(inputs)  # plain JSON values
        assert draw.commitment_of(inputs["secret"]) == inputs["commitment"]
        seed = draw.seed_of(inputs["secret"], inputs["beacon"])
        assert seed == inputs["seed"]
        ratios = {g: s["r"] for g, s in inputs["strata"].items()}
        again = draw.draw_targets(dict(inputs["population"]), ratios, seed)
        assert again.population_digest == inputs["population_digest"]
        assert {s.grade: {"N": s.size, "r": s.ratio, "k": s.count} for s in again.strata} == (
            inputs["strata"]
        )
        assert {g: list(ids) for g, ids in again.drawn.items()} == inputs["drawn"]
    with pytest.raises(NotFoundError):
        service.queries.draw_inputs(services.PUBLIC, UUID(int=1))
    with pytest.raises(NotFoundError):
        service.queries.draw(services.PUBLIC, UUID(int=1))
    assert service.queries.draw(services.PUBLIC, joint.task_id).task_id == joint.task_id


def test_a_rebuild_refills_the_populations_and_the_names_searched(
    joint: JointInspection, service: Service, read_models: ReadModels
) -> None:
    published_with_latin_names(joint)
    read_models.catch_up()
    before = {
        "population": read_models.draw_population(joint.task_id, ALL, None),
        "kindergartens": read_models.draw_population(joint.other_task_id, ALL, None),
        "by_name": read_models.register(None, ALL, None, name="kids english"),
        "by_task": read_models.register(None, ALL, None, task_id=joint.task_id),
    }
    assert before["by_name"].items and before["population"].items

    assert read_models.rebuild() == last_position(service)

    assert {
        "population": read_models.draw_population(joint.task_id, ALL, None),
        "kindergartens": read_models.draw_population(joint.other_task_id, ALL, None),
        "by_name": read_models.register(None, ALL, None, name="kids english"),
        "by_task": read_models.register(None, ALL, None, task_id=joint.task_id),
    } == before


# ---------------------------------------------------------------------------- layouts and indexes
def searched(read_models: ReadModels, joint: JointInspection) -> dict[str, Any]:
    """Each kind of search the public makes, and a draw's population."""
    [first, *_] = read_models.register(None, ALL, None).items
    return {
        "by_code": read_models.register(first.credit_code, ALL, None),
        "by_task": read_models.register(None, ALL, None, task_id=joint.task_id),
        "by_name": read_models.register(None, ALL, None, name="kids english"),
        "population": read_models.draw_population(joint.task_id, ALL, None),
    }


def test_an_sqlite_file_of_the_layout_before_the_name_search_is_brought_up_to_it(
    tmp_path: Path,
) -> None:
    """A file whose register has no name_key column (made before it) gets it when opened,
    filled from each entry as a rebuild from the log would fill it."""
    path = tmp_path / "ssj.db"
    first = Store("sqlite", path)
    joint = JointInspection(first.open(ManualClock(CLOCK)))
    published_with_latin_names(joint)
    joint.service.read_models.catch_up()
    before = searched(joint.service.read_models, joint)
    first.close()
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE ssj_rm_register DROP COLUMN name_key")
        connection.execute("DROP INDEX ssj_rm_register_task_place")
        connection.execute("CREATE INDEX ssj_rm_register_task ON ssj_rm_register (task_id)")

    again = Store("sqlite", path)
    try:
        read_models = again.open(ManualClock(CLOCK)).read_models
        assert searched(read_models, joint) == before
        assert before["by_name"].items
    finally:
        again.close()


def test_a_postgresql_database_migrated_before_the_name_search_is_brought_up_to_it(
    database: Database,
) -> None:
    """`ssj db migrate` again on a database of the earlier layout: the column is added and
    filled from each entry, the task's index replaced, pg_trgm's index made."""
    store = Store("postgres", None, database.service_url)
    try:
        joint = JointInspection(store.open(ManualClock(CLOCK)))
        published_with_latin_names(joint)
        read_models = joint.service.read_models
        read_models.catch_up()
        before = searched(read_models, joint)
        with psycopg.connect(database.admin_url, autocommit=True) as connection:
            connection.execute("ALTER TABLE ssj_rm_register DROP COLUMN name_key")
            connection.execute("DROP INDEX ssj_rm_register_task_place")
            connection.execute("CREATE INDEX ssj_rm_register_task ON ssj_rm_register (task_id)")

        migrate(database.admin_url, SERVICE_ROLE)
        migrate(database.admin_url, SERVICE_ROLE)  # and again, changing nothing

        assert searched(read_models, joint) == before
        assert before["by_name"].items
        with psycopg.connect(database.admin_url) as connection:
            indexes = {
                name
                for (name,) in connection.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'ssj_rm_register'"
                )
            }
        assert {
            "ssj_rm_register_name",
            "ssj_rm_register_task_place",
            "ssj_rm_register_code_place",
        } <= indexes
        assert "ssj_rm_register_task" not in indexes
    finally:
        store.close()


REGISTER_QUERIES = {
    "by_code": ("credit_code = {} AND place > 0", "'52130283MJ0000001X'"),
    "by_task": ("task_id = {} AND place > 0", "'00000000-0000-0000-0000-000000000001'"),
}


def test_sqlite_answers_a_credit_code_and_a_tasks_page_from_an_index_in_page_order(
    tmp_path: Path,
) -> None:
    """Neither a scan of the register nor a sort of its rows: the same cost at any size."""
    store = Store("sqlite", tmp_path / "ssj.db")
    try:
        store.open(ManualClock(CLOCK)).read_models.catch_up()
        with sqlite3.connect(tmp_path / "ssj.db") as connection:
            for name, (where, value) in REGISTER_QUERIES.items():
                plan = " ".join(
                    row[-1]
                    for row in connection.execute(
                        "EXPLAIN QUERY PLAN SELECT place, entry FROM ssj_rm_register "
                        f"WHERE {where.format(value)} ORDER BY place LIMIT 51"
                    )
                )
                index = {"by_code": "ssj_rm_register_code_place", "by_task": "task_place"}[name]
                assert index in plan and "TEMP B-TREE" not in plan, (name, plan)
            plan = " ".join(
                row[-1]
                for row in connection.execute(
                    "EXPLAIN QUERY PLAN SELECT ordinal, credit_code, grade "
                    "FROM ssj_rm_draw_population WHERE task_id = 'x' AND ordinal > 0 "
                    "ORDER BY ordinal LIMIT 51"
                )
            )
            assert "PRIMARY KEY" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        store.close()


def test_postgresql_answers_each_search_from_its_index(database: Database) -> None:
    """With scans of the whole table priced out, each search has an index to read: a credit
    code and a task's page in page order, without sorting; a name fragment through pg_trgm."""
    ordered = {
        "ssj_rm_register_code_place": "credit_code = '52130283MJ0000001X'",
        "ssj_rm_register_task_place": "task_id = '00000000-0000-0000-0000-000000000001'",
    }
    with psycopg.connect(database.admin_url) as connection:
        connection.execute("SET enable_seqscan = off")
        connection.execute("SET enable_sort = off")
        for index, where in ordered.items():
            plan = explained(
                connection,
                f"SELECT place, entry FROM ssj_rm_register WHERE {where} AND place > 0 "
                "ORDER BY place LIMIT 51",
            )
            assert index in plan and "Sort" not in plan, plan
        plan = explained(
            connection,
            r"SELECT place FROM ssj_rm_register WHERE name_key LIKE '%kids english%' ESCAPE '\'",
        )
        assert "ssj_rm_register_name" in plan, plan


def explained(connection: psycopg.Connection[Any], query: str) -> str:
    rows = connection.execute(f"EXPLAIN {query}")  # type: ignore[arg-type]
    return "\n".join(str(row[0]) for row in rows)
