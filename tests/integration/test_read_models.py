"""The read models in PostgreSQL, on a real server: each query answers what the SQLite read models
answer for the same log, and a restart, a replay, a crash, a gap, two runners or a rebuild neither
skip nor double.

The service here keeps its log in PostgreSQL and its own read models (what `settle` and the
processes read) in SQLite in memory, over that same log: they are the oracle, folded by the same
folds (services/folding.py). The PostgreSQL read models' tables move only when a test's runner
(`PgReadModels`, or a `ProjectionRunner` of its projection) moves them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import asyncpg
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic, register_topic

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.calendar import read_year_file
from adapters.clock import ManualClock
from adapters.postgres.projection import ProjectionRunner, advance_position, hold_position
from adapters.postgres.projections import ReadModelsProjection
from adapters.postgres.read_model_schema import POSITIONS, READ_MODEL_TABLES
from adapters.postgres.read_models import PgReadModels, open_pool
from adapters.postgres.urls import DatabaseSettingError
from adapters.sqlite.read_models import SqliteReadModels
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.folding import fold_views
from services.log import Logged, read_log
from services.processes import DeadlineWatch, DispatchProcess
from services.queries import Queries
from services.read_models import Page
from services.statistics import MonthlyWorkload
from services.task_views import inbox_item
from tests.conftest import Database
from tests.services.conftest import (
    EDUCATION,
    ITEMS,
    OFFICE,
    SECRET,
    JointInspection,
    at,
    department,
    inspectors,
)

DEPARTMENTS = ("education", "police", "fire", "market", "health")
UNKNOWN_CODE = "91130283MA0000000X"
CLOCK = at("2026-12-31", "10:05")
"""The service's clock: late enough for the 2023 inspection and for the eve of 2027."""
TEST_2027 = Path(__file__).resolve().parents[1] / "fixtures" / "calendar-2027-test.json"
ALL = 1000
"""A page that holds every row of these tests."""
DAYS = (
    *(date(2023, 10, 28) + timedelta(days=n) for n in range(70)),
    date(2027, 1, 6),
    date(2027, 1, 7),
)
YEARS = (2023, 2024, 2026, 2027)
OLD_TOPIC = "domain.task:Task.DepartmentAgreed"
"""What Task.DepartmentConfirmed was once called, as an older log holds it."""


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture
def service(database: Database) -> Iterator[Service]:
    """The service on PostgreSQL, its own read models (the oracle) in SQLite in memory."""
    service = bootstrap(load_settings(database_url=database.service_url), clock=ManualClock(CLOCK))
    oracle = SqliteReadModels(":memory:", lambda: service.tasks)
    service.read_models = oracle  # instead of the PostgreSQL ones, which stay the tests' own
    service.queries = Queries(oracle)
    service.dispatch = DispatchProcess(service.tasks, oracle, service.clock)
    service.deadlines = DeadlineWatch(service.tasks, oracle, service.clock)
    yield service
    service.close()


@pytest.fixture
def oracle(service: Service) -> SqliteReadModels:
    return cast(SqliteReadModels, service.read_models)


@pytest.fixture
def joint(service: Service) -> JointInspection:
    return JointInspection(service)


@pytest.fixture
async def pool(database: Database) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_pool(database.service_url)
    yield pool
    await pool.close()


@pytest.fixture
def read_models(pool: asyncpg.Pool, service: Service) -> PgReadModels:
    return PgReadModels(pool, service.tasks.mapper)


# ---------------------------------------------------------------------------- what is asked
Question = tuple[str, tuple[Any, ...]]


def questions(oracle: SqliteReadModels) -> list[Question]:
    """Every query of the port, with the arguments that tell the stores apart if anything does:
    each task, department, day, year and credit code the log knows, and some it does not."""
    oracle.catch_up()
    ids = [view.task_id for view in oracle.task_views(None, ALL, None).items]
    codes = sorted({e.credit_code for e in oracle.register(None, ALL, None).items})
    groups: list[frozenset[str] | None] = [
        None,
        *(frozenset({d}) for d in DEPARTMENTS),
        frozenset({"police", "market"}),
    ]
    asked: list[Question] = [("task_views", (seen, ALL, None)) for seen in groups]
    asked += [("task_view", (task,)) for task in (*ids, UUID(int=1))]
    asked += [("task_ids", (str(task)[:n], 5)) for task in ids for n in (1, 8, 9, 13, 36)]
    asked += [("task_ids", ("", 10)), ("task_ids", (str(UUID(int=1)) + "0", 5))]
    asked += [("inbox", (d, ALL, None)) for d in DEPARTMENTS]
    asked += [("due", (day,)) for day in DAYS]
    asked += [("awaiting", (year,)) for year in YEARS]
    asked += [("escalations", (ALL, None)), ("draws", (ALL, None))]
    asked += [("draw", (task,)) for task in (*ids, UUID(int=1))]
    asked += [("draw_population", (task, ALL, None)) for task in (*ids, UUID(int=1))]
    asked += [("register", (code, ALL, None)) for code in (None, *codes, UNKNOWN_CODE)]
    asked += [("ledger", (seen, ALL, None)) for seen in groups]
    asked += [
        ("statistics", (year, seen))
        for year in (None, 2023, 2024, 2026)
        for seen in (None, frozenset({"fire"}), frozenset({"education", "market"}))
    ]
    return asked


async def answers(models: Any, asked: Sequence[Question]) -> dict[str, Any]:
    """The answers of `models` (the sync port or the async PgReadModels) to each question."""
    found = {}
    for name, args in asked:
        answer = getattr(models, name)(*args)
        found[f"{name}{args!r}"] = await answer if inspect.isawaitable(answer) else answer
    return found


async def assert_same(read_models: PgReadModels, oracle: SqliteReadModels) -> None:
    asked = questions(oracle)
    expected = await answers(oracle, asked)
    answered = await answers(read_models, asked)
    differing = [key for key in expected if answered[key] != expected[key]]
    assert not differing, {key: (answered[key], expected[key]) for key in differing}


def listed(value: Any) -> Any:
    """An answer with every mapping as the list of its items, in order; moments as UTC."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, listed(getattr(value, f.name))) for f in dataclasses.fields(value)]
    if isinstance(value, dict):
        return [(listed(k), listed(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [listed(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(listed(item)) for item in value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


class LogUpTo:
    """The application's log as it stood at `position`: what read models folded that far hold.
    It stands in for the application a SqliteReadModels follows (its recorder and mapper)."""

    def __init__(self, service: Service, position: int) -> None:
        self.app = service.tasks
        self.position = position
        self.mapper = service.tasks.mapper
        self.recorder = self

    def max_notification_id(self) -> int:
        return min(self.app.recorder.max_notification_id() or 0, self.position)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            start,
            limit,
            min(stop or self.position, self.position),
            topics,
            inclusive_of_start=inclusive_of_start,
        )

    def select_events(self, originator_id: UUID, *, lte: int | None = None) -> Sequence[Any]:
        """An aggregate's events, for a draw's population: the read models ask only for those
        of directories and tasks a draw up to `position` was made from, all stored before it."""
        return self.app.recorder.select_events(originator_id, lte=lte)


def oracle_at(service: Service, position: int) -> SqliteReadModels:
    """SQLite read models folded up to `position` only; the caller closes them."""
    log = cast(Any, LogUpTo(service, position))
    models = SqliteReadModels(":memory:", lambda: log)
    models.catch_up()
    return models


async def tables(pool: asyncpg.Pool) -> dict[str, list[str]]:
    """Every read-model row as text, sorted; positions without their time of update."""
    found = {}
    async with pool.acquire() as connection:
        for table in READ_MODEL_TABLES:
            if table != POSITIONS:
                rows = await connection.fetch(f"SELECT t::text AS row FROM {table} t")
                found[table] = sorted(row["row"] for row in rows)
        found[POSITIONS] = [
            f"{row['projection']}={row['position']}"
            for row in await connection.fetch(
                f"SELECT projection, position FROM {POSITIONS} ORDER BY projection"
            )
        ]
    return found


async def last_position(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as connection:
        return int(await connection.fetchval("SELECT max(notification_id) FROM ssj_events"))


# ---------------------------------------------------------------------------- the year's end
def year_end_task(service: Service, joint: JointInspection) -> UUID:
    """A 2026 task of the same departments drawn on 31 December: both dispatches wait for 2027."""
    task_id = joint.plan_year_end()
    service.tasks.draw_targets(EDUCATION, task_id, SECRET, "", at=at("2026-12-31", "10:00"))
    service.settle()
    return task_id


def visit_on_new_years_eve(service: Service, joint: JointInspection) -> str:
    """A visit on 30 December 2026: its results' deadline waits for 2027 too."""
    target = joint.task().record_sheets[0].target
    visited = at("2026-12-30", "15:00")
    service.tasks.serve_notice(EDUCATION, joint.task_id, target, "letter", "法定代表人", at=visited)
    service.tasks.record_visit(EDUCATION, joint.task_id, target, True, "", at=visited)
    service.settle()
    return target


def load_2027(service: Service) -> None:
    service.calendars.import_year(OFFICE, read_year_file(TEST_2027), at=CLOCK)
    service.settle()


# ---------------------------------------------------------------------------- what they answer
async def test_each_query_answers_what_the_sqlite_read_models_answer_at_every_step(
    joint: JointInspection, service: Service, oracle: SqliteReadModels, read_models: PgReadModels
) -> None:
    held: list[UUID] = []
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
        lambda: held.append(year_end_task(service, joint)),
        lambda: load_2027(service),
    ]
    for step in steps:
        step()
        await read_models.catch_up()
        await assert_same(read_models, oracle)

    # The log holds what every kind of answer is about.
    assert len((await read_models.register(None, ALL, None)).items) == len(joint.targets)
    assert len((await read_models.ledger(None, ALL, None)).items) == 3
    escalations = (await read_models.escalations(ALL, None)).items
    assert len(escalations) == 5  # three deadlines passed, two dispatches held for 2027
    assert {e.deadline for e in escalations if e.task_id in held} == {None}
    assert await read_models.due(date(2027, 1, 7)) == held


async def test_each_answer_lists_what_it_holds_in_the_order_the_sqlite_one_does(
    joint: JointInspection, service: Service, oracle: SqliteReadModels, read_models: PgReadModels
) -> None:
    """Equal answers may still list a mapping's items in another order (a JSON object stored
    as JSONB has its keys sorted): what a department or the public reads must not."""
    joint.closed()
    year_end_task(service, joint)
    await read_models.catch_up()
    asked = questions(oracle)

    expected = await answers(oracle, asked)
    answered = await answers(read_models, asked)

    differing = [key for key in expected if listed(answered[key]) != listed(expected[key])]
    assert not differing, {key: (listed(answered[key]), listed(expected[key])) for key in differing}


async def test_the_inbox_tells_a_department_only_its_tasks_with_what_it_owes(
    joint: JointInspection, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()

    async def inbox(code: str) -> list[Any]:
        page = await read_models.inbox(code, ALL, None)
        return [inbox_item(view, code) for view in page.items]

    [police] = await inbox("police")
    assert (police.task_id, police.role) == (joint.task_id, "配合部门")
    assert police.owes == ("确认派发任务（2023-11-03 前）",)
    [market] = await inbox("market")
    assert market.task_id == joint.other_task_id
    assert await inbox("health") == []
    lead = await inbox("education")
    assert [(i.task_id, i.role) for i in lead] == [
        (joint.task_id, "发起部门"),
        (joint.other_task_id, "发起部门"),
    ]

    joint.confirm().draw_inspectors().recuse().match().visit().record_results()
    joint.late_result_and_correction().publish()
    joint.settle_follow_ups(joint.follow_up())
    joint.close()
    await read_models.catch_up()
    assert [i.task_id for i in await inbox("education")] == [joint.other_task_id]  # closed: gone
    assert await inbox("police") == [] and await inbox("fire") == []


async def test_catching_up_again_changes_nothing(
    joint: JointInspection, service: Service, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.closed()
    year_end_task(service, joint)
    position = await read_models.catch_up()
    before = await tables(pool)

    assert await read_models.catch_up() == position == await last_position(pool)
    assert await read_models.position() == position
    assert await tables(pool) == before


# ---------------------------------------------------------------------------- restart, crash
async def test_a_runner_restarted_from_its_recorded_position_neither_skips_nor_doubles(
    joint: JointInspection, service: Service, oracle: SqliteReadModels, database: Database
) -> None:
    joint.matched()
    first = await open_pool(database.service_url)
    try:
        halfway = await PgReadModels(first, service.tasks.mapper, batch=5).catch_up()
    finally:
        await first.close()  # the worker stops

    joint.visit().record_results().late_result_and_correction().publish()
    joint.settle_follow_ups(joint.follow_up())
    joint.close()
    second = await open_pool(database.service_url)
    try:
        restarted = PgReadModels(second, service.tasks.mapper, batch=5)
        assert await restarted.position() == halfway
        assert await restarted.catch_up() == await last_position(second)
        await assert_same(restarted, oracle)
        async with second.acquire() as connection:
            counts = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM ssj_rm_tasks) AS tasks, "
                "(SELECT count(*) FROM ssj_rm_task_departments) AS seen_by, "
                "(SELECT count(*) FROM ssj_rm_register) AS register, "
                "(SELECT count(*) FROM ssj_rm_draws) AS draws, "
                "(SELECT count(*) FROM ssj_rm_ledger) AS ledger, "
                "(SELECT count(*) FROM ssj_rm_escalations) AS escalations, "
                "(SELECT sum(tasks) FROM ssj_rm_statistics) AS planned"
            )
        assert dict(counts) == {
            "tasks": 2,
            "seen_by": 5,  # education twice, police, fire and market once each
            "register": len(joint.targets),
            "draws": 2,
            "ledger": 3,
            "escalations": 3,
            "planned": 5,
        }
    finally:
        await second.close()


class CrashingProjection(ReadModelsProjection):
    """The read models' projection, failing in the middle of its `crash_at`-th batch: half the
    batch's rows are written, then it fails, as a bug or a lost connection would."""

    def __init__(self, schema: str, crash_at: int) -> None:
        super().__init__(schema)
        self.crash_at = crash_at
        self.applied = 0

    async def apply(self, connection: Any, batch: Sequence[Logged]) -> None:
        self.applied += 1
        if self.applied == self.crash_at:
            half = len(batch) // 2
            await super().apply(connection, batch[:half])
            raise RuntimeError(f"crash at position {batch[half].position}")
        await super().apply(connection, batch)


async def batches_applied(pool: asyncpg.Pool, size: int) -> int:
    """How many batches of `size` events hold an event the read models fold."""
    folded = {get_topic(cls) for cls in ReadModelsProjection.events}
    async with pool.acquire() as connection:
        rows = await connection.fetch("SELECT topic FROM ssj_events ORDER BY notification_id")
    topics = [row["topic"] for row in rows]
    chunks = (topics[n : n + size] for n in range(0, len(topics), size))
    return sum(1 for chunk in chunks if folded & set(chunk))


@pytest.mark.parametrize("which", ["first", "middle", "last"])
async def test_a_crash_in_the_middle_of_a_batch_leaves_rows_and_position_consistent(
    which: str,
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    pool: asyncpg.Pool,
) -> None:
    joint.closed()
    batches = await batches_applied(pool, 7)
    crash_at = {"first": 1, "middle": batches // 2, "last": batches}[which]
    runner = ProjectionRunner(
        pool, service.tasks.mapper, CrashingProjection("public", crash_at), batch=7
    )

    with pytest.raises(RuntimeError, match="crash at position") as crash:
        await runner.catch_up()

    crashed_at = int(str(crash.value).rsplit(" ", 1)[-1])
    position = await runner.position()
    assert position < crashed_at and position % 7 == 0  # the batches before it, whole
    read_models = PgReadModels(pool, service.tasks.mapper)
    halfway = oracle_at(service, position)
    try:
        await assert_same(read_models, halfway)
    finally:
        halfway.close()

    assert await read_models.catch_up() == await last_position(pool)
    await assert_same(read_models, oracle)


async def test_a_replayed_position_is_refused(
    joint: JointInspection, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn()
    position = await read_models.catch_up()
    before = await tables(pool)
    name = ReadModelsProjection.name

    async with pool.acquire() as connection, connection.transaction():
        assert await hold_position(connection, "public", name) == position
        assert not await advance_position(connection, "public", name, position)
        assert not await advance_position(connection, "public", name, position - 3)
    assert await tables(pool) == before
    assert await read_models.catch_up() == position


async def test_gaps_in_the_log_are_read_past_never_waited_for(
    joint: JointInspection, oracle: SqliteReadModels, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()
    async with pool.acquire() as connection:
        for _ in range(3):  # what failed saves leave behind: ids that no event will ever have
            await connection.fetchval("SELECT nextval('ssj_events_notification_id_seq')")

    joint.confirm()
    assert await read_models.catch_up() == await last_position(pool)
    await assert_same(read_models, oracle)


async def test_two_runners_at_once_take_turns_and_neither_skip_nor_double(
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    database: Database,
    pool: asyncpg.Pool,
) -> None:
    joint.closed()
    other_pool = await open_pool(database.service_url)  # another worker process, as it were
    try:
        one = PgReadModels(pool, service.tasks.mapper, batch=3)
        other = PgReadModels(other_pool, service.tasks.mapper, batch=4)

        reached = await asyncio.gather(one.catch_up(), other.catch_up())
    finally:
        await other_pool.close()

    assert reached == [await last_position(pool)] * 2
    await assert_same(one, oracle)
    rows = await tables(pool)
    await one.rebuild()  # what one runner alone folds
    assert await tables(pool) == rows


async def test_an_event_stored_under_the_old_topic_of_a_renamed_class_still_counts(
    joint: JointInspection, service: Service, read_models: PgReadModels
) -> None:
    joint.drawn()
    await read_models.catch_up()
    register_topic(OLD_TOPIC, Task.DepartmentConfirmed)
    task = joint.task()
    task.confirm("police", at("2023-11-02", "10:15"))
    [confirmed] = task.collect_events()
    stored = service.tasks.mapper.to_stored_event(confirmed)
    # As an older version of the service wrote it, under the class's name of then.
    service.tasks.recorder.insert_events([dataclasses.replace(stored, topic=OLD_TOPIC)])

    await read_models.catch_up()

    [police] = (await read_models.inbox("police", ALL, None)).items
    assert inbox_item(police, "police").owes == ("抽取执法检查人员",)
    # The read models' own fold, fed every event of the log as stored, whatever its topic.
    views = fold_views({}, list(read_log(service.tasks))).views
    assert views[joint.task_id].answers == {"police": True}
    for task_id, view in views.items():
        assert await read_models.task_view(task_id) == view
    assert (await read_models.task_views(None, ALL, None)).items == tuple(views.values())


# ---------------------------------------------------------------------------- rebuild
async def test_a_rebuild_from_zero_gives_identical_rows_and_answers(
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    pool: asyncpg.Pool,
    read_models: PgReadModels,
) -> None:
    joint.drawn().confirm().draw_inspectors().recuse().match().visit().record_results()
    await read_models.catch_up()
    joint.late_result_and_correction().publish()
    joint.settle_follow_ups(joint.follow_up())
    joint.close()
    year_end_task(service, joint)
    await read_models.catch_up()  # folded in two goes
    rows = await tables(pool)

    assert await read_models.rebuild() == await last_position(pool)

    assert await tables(pool) == rows
    await assert_same(read_models, oracle)


# ---------------------------------------------------------------------------- the public register
async def test_the_public_register_holds_no_inspector_id_name_or_phone(
    joint: JointInspection, pool: asyncpg.Pool, read_models: PgReadModels
) -> None:
    joint.closed()
    await read_models.catch_up()
    rows = await tables(pool)
    answered = [
        *(await read_models.register(None, ALL, None)).items,
        *(await read_models.draws(ALL, None)).items,
    ]
    public = "\n".join([*rows["ssj_rm_register"], *rows["ssj_rm_draws"], *map(repr, answered)])

    assert all(target in public for target in joint.targets)
    people = [p for d in JointInspection.DEPARTMENTS for p in inspectors(d)]
    for person in people:
        for secret in (person.inspector_id, person.name, person.phone):
            assert secret not in public


async def test_a_correction_after_publication_shows_beside_the_result_it_corrects(
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    read_models: PgReadModels,
) -> None:
    joint.published()
    await read_models.catch_up()
    target = joint.targets[1]  # where fire found blocked exits
    service.tasks.correct_result(
        department("fire"),
        joint.task_id,
        target,
        "发现问题待后续处理",
        {"XF-1": "疏散通道堆放杂物，当场未能清理"},
        "现场未完成整改，改为待后续处理",
        at=at("2023-11-21", "10:00"),
    )
    await read_models.catch_up()

    [entry] = (await read_models.register(target, ALL, None)).items
    assert entry.results == {
        "education": "未发现问题",
        "police": "未发现问题",
        "fire": "发现问题待后续处理",
    }
    assert entry.corrections == ["2023-11-21 fire 更正：现场未完成整改，改为待后续处理"]
    await assert_same(read_models, oracle)
    assert list(entry.results) == ["education", "police", "fire"]  # in the publication's order


# ---------------------------------------------------------------------------- plan statistics
async def test_plan_statistics_show_each_departments_work_per_month(
    joint: JointInspection, oracle: SqliteReadModels, read_models: PgReadModels
) -> None:
    joint.closed()
    await read_models.catch_up()

    def w(department: str, month: str, *counts: int) -> MonthlyWorkload:
        return MonthlyWorkload(department, month, *counts)

    # Planned 30 October (both tasks); drawn and dispatched 1 November; fire confirms late and
    # market never answers for the kindergartens (6 November), police records a result late
    # (15 November); the joint task is closed 20 December.
    assert await read_models.statistics(None, None) == [
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
    assert await read_models.statistics(2023, frozenset({"market"})) == [
        w("market", "2023-10", 1, 0, 0, 0),
        w("market", "2023-11", 0, 3, 0, 1),
    ]
    assert await read_models.statistics(2024, None) == []
    await assert_same(read_models, oracle)


# ---------------------------------------------------------------------------- paging
def small_tasks(service: Service, joint: JointInspection, count: int) -> None:
    """A plan of `count` directed kindergarten tasks, so that the lists run to many pages."""
    definition = TaskDefinition(
        name="幼儿园专项检查",
        lead="education",
        cooperating=("market",),
        items={d: ITEMS[d] for d in ("education", "market")},
        directory_id=joint.directory_id,
        scope=Scope(category="幼儿园"),
        ratios={},
        directed=True,
        window_start=date(2023, 12, 1),
        window_end=date(2023, 12, 31),
    )
    service.tasks.register_plan(
        EDUCATION, 2023, "2023年幼儿园专项检查计划", [definition] * count, at=at("2023-11-30")
    )
    service.settle()


PAGED: dict[str, tuple[Any, ...]] = {
    "task_views": (None,),
    "task_views_market": (frozenset({"market"}),),
    "inbox": ("education",),
    "escalations": (),
    "register": (None,),
    "draws": (),
    "ledger": (None,),
}


async def every_page(models: Any, name: str, limit: int) -> list[Page[Any]]:
    query = getattr(models, name.removesuffix("_market"))
    pages: list[Page[Any]] = []
    after = None
    while True:
        page = query(*PAGED[name], limit, after)
        page = await page if inspect.isawaitable(page) else page
        pages.append(page)
        if page.next is None:
            return pages
        assert len(pages) < 200, "paging does not end"
        after = page.next


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
async def test_paging_returns_every_row_exactly_once_across_pages(
    limit: int,
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    read_models: PgReadModels,
) -> None:
    joint.closed()
    small_tasks(service, joint, 23)
    year_end_task(service, joint)
    await read_models.catch_up()

    for name in PAGED:
        pages = await every_page(read_models, name, limit)
        whole = await every_page(read_models, name, ALL)
        [everything] = whole
        rows = [row for page in pages for row in page.items]
        assert rows == list(everything.items), name  # every row once, in order
        assert all(len(page.items) == limit for page in pages[:-1]), name
        assert 0 < len(pages[-1].items) <= limit or rows == [], name
        assert pages == await every_page(oracle, name, limit), name  # the same cursors
    assert len((await every_page(read_models, "task_views", ALL))[0].items) == 2 + 23 + 1


# ---------------------------------------------------------------------------- what the watch asks
async def test_due_finds_exactly_the_open_tasks_with_a_deadline_passed_by_the_day(
    joint: JointInspection, oracle: SqliteReadModels, read_models: PgReadModels
) -> None:
    async def due(day: str) -> list[UUID]:
        await read_models.catch_up()
        return await read_models.due(date.fromisoformat(day))

    joint.open_directories().plan().commit()
    assert await due("2030-01-01") == []  # no deadline before the draw
    joint.draw()  # confirm by Friday 3 November
    assert await due("2023-11-03") == []
    assert await due("2023-11-04") == [joint.task_id, joint.other_task_id]  # in plan order
    joint.confirm()  # police in time, fire late; market's passed deadline is told already
    assert await due("2030-01-01") == []
    joint.draw_inspectors().recuse().match().visit()  # results due by the 14th
    assert await due("2023-11-14") == []
    assert await due("2023-11-15") == [joint.task_id]
    joint.record_results()  # police forgets one target: still due
    assert await due("2023-11-15") == [joint.task_id]
    joint.late_result_and_correction()
    assert await due("2030-01-01") == []
    await assert_same(read_models, oracle)


async def test_awaiting_finds_exactly_the_tasks_waiting_for_a_years_calendar(
    joint: JointInspection,
    service: Service,
    oracle: SqliteReadModels,
    read_models: PgReadModels,
) -> None:
    joint.matched()
    year_end = year_end_task(service, joint)
    visit_on_new_years_eve(service, joint)
    await read_models.catch_up()

    assert await read_models.awaiting(2027) == sorted([joint.task_id, year_end])
    assert await read_models.awaiting(2026) == []
    assert await read_models.due(date(2027, 1, 7)) == []  # nothing to count a deadline with
    await assert_same(read_models, oracle)

    load_2027(service)  # the dispatches go out, the results' deadline is counted: 6 January
    await read_models.catch_up()

    assert await read_models.awaiting(2027) == []
    assert await read_models.due(date(2027, 1, 6)) == []
    assert await read_models.due(date(2027, 1, 7)) == [joint.task_id, year_end]
    await assert_same(read_models, oracle)


# ---------------------------------------------------------------------------- the read side's start
async def test_a_read_side_pointed_at_no_server_names_the_setting() -> None:
    with pytest.raises(
        DatabaseSettingError, match=r"SSJ_DATABASE_URL: 无法连接 127\.0\.0\.1:1/ssj"
    ):
        await open_pool("postgresql://ssj_service@127.0.0.1:1/ssj")
