"""The read models in PostgreSQL, on a real server: they answer what the in-memory read models
answer for the same log, and a restart, a replay, a crash or a rebuild neither skips nor doubles."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from eventsourcing.utils import register_topic

from adapters.bootstrap import Service, bootstrap
from adapters.postgres.projection import (
    Projection,
    ProjectionRunner,
    advance_position,
    hold_position,
    task_events,
)
from adapters.postgres.projections import (
    InboxProjection,
    LedgerProjection,
    RegisterProjection,
    StatisticsProjection,
)
from adapters.postgres.read_models import READ_MODEL_TABLES, PgReadModels, open_pool
from adapters.postgres.urls import DatabaseSettingError
from domain.task import Task
from services.log import Logged, read_log
from services.read_models import (
    FollowUpLedger,
    MonthlyWorkload,
    PlanStatistics,
    PublicRegister,
    TaskIndex,
    TaskView,
)
from tests.conftest import Database
from tests.services.conftest import JointInspection, at, inspectors

DEPARTMENTS = ("education", "police", "fire", "market", "health")


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture
def migrated(database: Database) -> Database:
    """A database made by `ssj db migrate` alone: the read models' tables come with it."""
    return database


@pytest.fixture
def service(migrated: Database) -> Iterator[Service]:
    service = bootstrap(database_url=migrated.service_url)
    yield service
    service.tasks.close()
    service.directories.close()


@pytest.fixture
def joint(service: Service) -> JointInspection:
    return JointInspection(service)


@pytest.fixture
async def pool(migrated: Database) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_pool(migrated.service_url)
    yield pool
    await pool.close()


@pytest.fixture
def read_models(pool: asyncpg.Pool, service: Service) -> PgReadModels:
    return PgReadModels(pool, service.tasks.mapper)


# ---------------------------------------------------------------------------- helpers
@dataclass
class InMemory:
    """The in-memory read models folded from the same log: what PostgreSQL must answer."""

    index: TaskIndex
    register: PublicRegister
    ledger: FollowUpLedger
    statistics: PlanStatistics


def in_memory(service: Service, upto: int | None = None) -> InMemory:
    models = InMemory(TaskIndex(), PublicRegister(), FollowUpLedger(), PlanStatistics())
    for logged in read_log(service.tasks):
        if upto is not None and logged.position > upto:
            break
        for model in (models.index, models.register, models.ledger, models.statistics):
            model.process(logged)
    return models


def codes(models: InMemory) -> list[str]:
    return [*models.register.entries, "91130283MA0000000X"]


def expected(models: InMemory) -> dict[str, Any]:
    return {
        "inbox": {d: models.index.inbox(d) for d in DEPARTMENTS},
        "open_tasks": models.index.open_tasks(),
        "escalations": models.index.escalations,
        "register": models.register.all_entries(),
        "of_target": {code: models.register.of_target(code) for code in codes(models)},
        "draws": list(models.register.draws.values()),
        "ledger": models.ledger.all_rows(),
        "statistics": models.statistics.by_month(),
        "statistics_2023": models.statistics.by_month(2023),
        "statistics_2024": models.statistics.by_month(2024),
    }


async def answers(read_models: PgReadModels, models: InMemory) -> dict[str, Any]:
    return {
        "inbox": {d: await read_models.inbox(d) for d in DEPARTMENTS},
        "open_tasks": await read_models.open_tasks(),
        "escalations": await read_models.escalations(),
        "register": await read_models.register(),
        "of_target": {code: await read_models.register(code) for code in codes(models)},
        "draws": await read_models.draws(),
        "ledger": await read_models.ledger(),
        "statistics": await read_models.plan_statistics(),
        "statistics_2023": await read_models.plan_statistics(2023),
        "statistics_2024": await read_models.plan_statistics(2024),
    }


async def tables(pool: asyncpg.Pool) -> dict[str, list[str]]:
    """Every read-model row as text, sorted; positions without their time of update."""
    found = {}
    async with pool.acquire() as connection:
        for table in READ_MODEL_TABLES:
            rows = await connection.fetch(f"SELECT t::text AS row FROM {table} t")
            found[table] = sorted(row["row"] for row in rows)
        found["positions"] = [
            f"{row['projection']}={row['position']}"
            for row in await connection.fetch(
                "SELECT projection, position FROM ssj_rm_positions ORDER BY projection"
            )
        ]
    del found["ssj_rm_positions"]
    return found


async def last_position(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as connection:
        return int(await connection.fetchval("SELECT max(notification_id) FROM ssj_events"))


def crashing(model: type[Any], after: int) -> Callable[[], Any]:
    """A read model whose handling fails at its `after + 1`-th event, as a bug or a lost
    connection would in the middle of a batch; the events before it were handled normally."""
    handled = [0]

    class Crashing(model):  # type: ignore[misc]
        def process(self, logged: Logged) -> None:
            if handled[0] == after:
                raise RuntimeError(f"crash at position {logged.position}")
            handled[0] += 1
            super().process(logged)

    return Crashing


# ---------------------------------------------------------------------------- what they answer
async def test_each_query_answers_what_the_in_memory_read_models_answer_at_every_step(
    joint: JointInspection, service: Service, read_models: PgReadModels
) -> None:
    steps: list[Callable[[], object]] = [
        joint.open_directories,
        joint.plan,
        joint.commit,
        joint.draw,
        joint.confirm,
        joint.draw_inspectors,
        joint.recuse,
        joint.match,
        joint.visit,
        joint.record_results,
        joint.late_result_and_correction,
        joint.publish,
        lambda: joint.settle_follow_ups(joint.follow_up()),
        joint.close,
    ]
    for step in steps:
        step()
        await read_models.catch_up()
        models = in_memory(service)
        assert await answers(read_models, models) == expected(models), step

    # The oracle is the service's own in-memory read models, folded as the service runs.
    assert await read_models.inbox("police") == service.index.inbox("police")
    assert await read_models.register() == service.register.all_entries()
    assert len(await read_models.ledger()) == 3
    assert len(await read_models.escalations()) == 3


async def test_the_inbox_tells_a_department_only_its_tasks_with_what_it_owes(
    joint: JointInspection, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()

    [police] = await read_models.inbox("police")
    assert (police.task_id, police.role) == (joint.task_id, "配合部门")
    assert police.owes == ("确认派发任务（2023-11-03 前）",)
    [market] = await read_models.inbox("market")
    assert market.task_id == joint.other_task_id
    assert await read_models.inbox("health") == []


async def test_catching_up_again_changes_nothing(
    joint: JointInspection, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.closed()
    position = await read_models.catch_up()
    before = await tables(pool)

    assert await read_models.catch_up() == position == await last_position(pool)
    assert await tables(pool) == before


# ---------------------------------------------------------------------------- restart, crash
async def test_a_runner_restarted_from_its_recorded_position_neither_skips_nor_doubles(
    joint: JointInspection, service: Service, migrated: Database
) -> None:
    joint.matched()
    first = await open_pool(migrated.service_url)
    try:
        halfway = await PgReadModels(first, service.tasks.mapper, batch=5).catch_up()
    finally:
        await first.close()  # the worker stops

    joint.visit().record_results().late_result_and_correction().publish()
    joint.settle_follow_ups(joint.follow_up())
    joint.close()
    second = await open_pool(migrated.service_url)
    try:
        restarted = PgReadModels(second, service.tasks.mapper, batch=5)
        assert set((await restarted.positions()).values()) == {halfway}
        await restarted.catch_up()
        models = in_memory(service)
        assert await answers(restarted, models) == expected(models)
        async with second.acquire() as connection:
            counts = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM ssj_rm_register) AS register, "
                "(SELECT count(*) FROM ssj_rm_ledger) AS ledger, "
                "(SELECT count(*) FROM ssj_rm_escalations) AS escalations, "
                "(SELECT sum(tasks) FROM ssj_rm_plan_statistics) AS tasks, "
                "(SELECT count(*) FROM ssj_rm_inbox_tasks) AS inbox"
            )
        assert dict(counts) == {
            "register": len(joint.targets),
            "ledger": 3,
            "escalations": 3,
            "tasks": 5,  # education twice, police, fire and market once each
            "inbox": 2,
        }
    finally:
        await second.close()


PROJECTIONS: dict[str, Callable[..., Projection]] = {
    "inbox": InboxProjection,
    "register": RegisterProjection,
    "ledger": LedgerProjection,
    "plan_statistics": StatisticsProjection,
}
MODELS: dict[str, type[Any]] = {
    "inbox": TaskIndex,
    "register": PublicRegister,
    "ledger": FollowUpLedger,
    "plan_statistics": PlanStatistics,
}


@pytest.mark.parametrize("name", list(PROJECTIONS))
async def test_a_crash_in_the_middle_of_a_batch_leaves_rows_and_position_consistent(
    name: str, joint: JointInspection, service: Service, pool: asyncpg.Pool
) -> None:
    joint.closed()
    model = MODELS[name]
    relevant = [
        logged
        for logged in read_log(service.tasks)
        if type(logged.event).__qualname__.startswith("Task.")
        and f"when_{type(logged.event).__qualname__[5:]}" in dir(model)
    ]
    after = len(relevant) // 2
    crash = PROJECTIONS[name]("public", crashing(model, after))
    runner = ProjectionRunner(pool, service.tasks.mapper, crash, batch=7)

    with pytest.raises(RuntimeError, match="crash at position"):
        await runner.catch_up()

    position = await runner.position()
    assert 0 < position < relevant[after].position  # the batches before the crash are kept
    read_models = PgReadModels(pool, service.tasks.mapper)
    halfway = in_memory(service, upto=position)
    assert _only(name, await answers(read_models, halfway)) == _only(name, expected(halfway))

    fixed = PgReadModels(pool, service.tasks.mapper, projections=[PROJECTIONS[name]("public")])
    await fixed.catch_up()
    assert await runner.position() == await last_position(pool)
    models = in_memory(service)
    assert _only(name, await answers(read_models, models)) == _only(name, expected(models))


def _only(name: str, answered: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "inbox": ("inbox", "open_tasks", "escalations"),
        "register": ("register", "of_target", "draws"),
        "ledger": ("ledger",),
        "plan_statistics": ("statistics", "statistics_2023", "statistics_2024"),
    }[name]
    return {key: answered[key] for key in keys}


async def test_a_replayed_position_is_refused(
    joint: JointInspection, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn()
    position = await read_models.catch_up()
    before = await tables(pool)

    async with pool.acquire() as connection, connection.transaction():
        assert await hold_position(connection, "public", "inbox") == position
        assert not await advance_position(connection, "public", "inbox", position)
        assert not await advance_position(connection, "public", "inbox", position - 3)
    assert await tables(pool) == before


async def test_gaps_in_the_log_are_read_past_never_waited_for(
    joint: JointInspection, service: Service, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()
    async with pool.acquire() as connection:
        for _ in range(3):  # what failed saves leave behind: ids that no event will ever have
            await connection.fetchval("SELECT nextval('ssj_events_notification_id_seq')")

    joint.confirm()
    assert await read_models.catch_up() == await last_position(pool)
    models = in_memory(service)
    assert await answers(read_models, models) == expected(models)


async def test_two_runners_at_once_take_turns_and_neither_skip_nor_double(
    joint: JointInspection, service: Service, pool: asyncpg.Pool
) -> None:
    joint.closed()
    one = PgReadModels(pool, service.tasks.mapper, batch=3)
    other = PgReadModels(pool, service.tasks.mapper, batch=4)

    await asyncio.gather(one.catch_up(), other.catch_up())

    models = in_memory(service)
    assert await answers(one, models) == expected(models)


async def test_an_event_stored_under_the_old_topic_of_a_renamed_class_still_counts(
    joint: JointInspection, service: Service, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()
    register_topic("domain.task:Task.DepartmentAgreed", Task.DepartmentConfirmed)
    task = service.tasks.task(joint.task_id)
    task.confirm("police", at("2023-11-02", "10:15"))
    [confirmed] = task.collect_events()
    stored = service.tasks.mapper.to_stored_event(confirmed)
    async with pool.acquire() as connection:  # as an older version of the service wrote it
        await connection.execute(
            "INSERT INTO ssj_events (originator_id, originator_version, topic, state) "
            "VALUES ($1, $2, $3, $4)",
            stored.originator_id,
            stored.originator_version,
            "domain.task:Task.DepartmentAgreed",
            stored.state,
        )

    await read_models.catch_up()
    [police] = await read_models.inbox("police")
    assert police.owes == ("抽取执法检查人员",)
    models = in_memory(service)
    assert await answers(read_models, models) == expected(models)


# ---------------------------------------------------------------------------- rebuild
async def test_a_rebuild_from_zero_gives_identical_rows_and_answers(
    joint: JointInspection, service: Service, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn().confirm().draw_inspectors().recuse().match().visit().record_results()
    await read_models.catch_up()
    joint.late_result_and_correction().publish()
    joint.settle_follow_ups(joint.follow_up())
    joint.close()
    await read_models.catch_up()  # folded in two goes
    rows = await tables(pool)
    models = in_memory(service)

    assert await read_models.rebuild() == await last_position(pool)

    assert await tables(pool) == rows
    assert await answers(read_models, models) == expected(models)


# ---------------------------------------------------------------------------- the public register
async def test_the_public_register_holds_no_inspector_id_name_or_phone(
    joint: JointInspection, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.closed()
    await read_models.catch_up()
    rows = await tables(pool)
    registers = ("ssj_rm_register_tasks", "ssj_rm_register", "ssj_rm_register_draws")
    public = "\n".join(row for table in registers for row in rows[table])

    assert all(target in public for target in joint.targets)
    people = [p for d in JointInspection.DEPARTMENTS for p in inspectors(d)]
    for person in people:
        for secret in (person.inspector_id, person.name, person.phone):
            assert secret not in public


async def test_a_correction_after_publication_shows_beside_the_result_it_corrects(
    joint: JointInspection, service: Service, read_models: PgReadModels
) -> None:
    joint.published()
    await read_models.catch_up()
    target = joint.targets[1]  # where fire found blocked exits
    service.tasks.correct_result(
        joint.task_id,
        "fire",
        target,
        "发现问题待后续处理",
        {"XF-1": "疏散通道堆放杂物，当场未能清理"},
        "现场未完成整改，改为待后续处理",
        at("2023-11-21", "10:00"),
    )
    await read_models.catch_up()

    [entry] = await read_models.register(target)
    assert list(entry.results.items()) == [  # in the publication's order
        ("education", "未发现问题"),
        ("police", "未发现问题"),
        ("fire", "发现问题待后续处理"),
    ]
    assert entry.corrections == ["2023-11-21 fire 更正：现场未完成整改，改为待后续处理"]
    assert await read_models.register() == in_memory(service).register.all_entries()


# ---------------------------------------------------------------------------- plan statistics
async def test_plan_statistics_show_each_departments_work_per_month(
    joint: JointInspection, service: Service, read_models: PgReadModels
) -> None:
    joint.closed()
    await read_models.catch_up()

    def w(department: str, month: str, *counts: int) -> MonthlyWorkload:
        return MonthlyWorkload(department, month, *counts)

    # Planned 30 October (both tasks); drawn and dispatched 1 November; fire confirms late and
    # market never answers for the kindergartens (6 November), police records a result late
    # (15 November); the joint task is closed 20 December.
    assert await read_models.plan_statistics() == [
        w("education", "2023-10", 2, 0, 0, 0),
        w("education", "2023-11", 0, 8 + 3, 0, 0),
        w("education", "2023-12", 0, 0, 1, 0),
        w("fire", "2023-10", 1, 0, 0, 0),
        w("fire", "2023-11", 0, 8, 0, 1),
        w("fire", "2023-12", 0, 0, 1, 0),
        w("market", "2023-10", 1, 0, 0, 0),
        w("market", "2023-11", 0, 3, 0, 1),
        w("police", "2023-10", 1, 0, 0, 0),
        w("police", "2023-11", 0, 8, 0, 1),
        w("police", "2023-12", 0, 0, 1, 0),
    ]
    assert await read_models.plan_statistics() == in_memory(service).statistics.by_month()
    assert await read_models.plan_statistics(2024) == []


# ---------------------------------------------------------------------------- records
def test_a_task_view_is_the_same_after_a_round_trip_through_json(
    joint: JointInspection, service: Service
) -> None:
    joint.closed()
    published = in_memory(service).index

    for view in published.tasks.values():
        record = json.loads(json.dumps(view.to_record()))
        again = TaskView.from_record(record)
        assert again == view
        assert list(again.visits) == list(view.visits)  # the order a department is told in
        assert all(department in DEPARTMENTS for department in again.inspectors_drawn)


def test_each_projection_decodes_only_the_events_its_in_memory_model_handles() -> None:
    assert task_events(FollowUpLedger) == {
        Task.Planned,
        Task.FollowUpOpened,
        Task.FollowUpTransferred,
        Task.FollowUpClosed,
    }
    assert RegisterProjection("public").events == task_events(PublicRegister)


async def test_a_read_side_pointed_at_no_server_names_the_setting() -> None:
    with pytest.raises(
        DatabaseSettingError, match=r"SSJ_DATABASE_URL: 无法连接 127\.0\.0\.1:1/ssj"
    ):
        await open_pool("postgresql://ssj_service@127.0.0.1:1/ssj")
