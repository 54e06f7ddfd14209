"""The turn of the year: on 31 December 2026 nobody knows 2027's working days yet (the State
Council's notice was not loaded), so a task drawn that day cannot count its deadlines. The task
waits, says why, and the office is told; every other task and command goes on; a visit is
recorded the day it happened. Once the office loads 2027 (here a test file, marked as such), the
waiting dispatches go out with the deadlines that file implies, and each names it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import pytest

from adapters.bootstrap import Service
from adapters.calendar import read_year_file
from adapters.clock import ManualClock
from domain.errors import CalendarYearKnownError
from domain.task import Task
from tests.services.conftest import (
    AUDITOR,
    EDUCATION,
    OFFICE,
    PUBLIC,
    SECRET,
    JointInspection,
    Store,
    department,
    escalations_of,
    inbox,
)

BEIJING = timezone(timedelta(hours=8))
TEST_2027 = Path(__file__).resolve().parents[1] / "fixtures" / "calendar-2027-test.json"
DRAWN = datetime(2026, 12, 31, 10, 0, tzinfo=BEIJING)
"""A Thursday. The test file makes 1 and 4 January holidays, so the 2nd working day is the 6th."""
VISITED = datetime(2026, 12, 30, 15, 0, tzinfo=BEIJING)


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BEIJING)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at("2026-12-30", "14:00"))


@pytest.fixture
def service(store: Store, clock: ManualClock) -> Service:
    return store.open(clock)


@pytest.fixture
def year_end(service: Service, joint: JointInspection, clock: ManualClock) -> UUID:
    """2023's joint task matched, and a 2026 task of the same departments committed."""
    return joint.matched().plan_year_end()


def of_task(service: Service, task_id: UUID, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in service.tasks.events_of(task_id) if isinstance(e, kind)]


def test_a_draw_on_new_years_eve_holds_both_dispatches_and_says_why(
    service: Service, year_end: UUID, clock: ManualClock
) -> None:
    clock.set(at("2026-12-31", "10:05"))

    service.tasks.draw_targets(EDUCATION, year_end, SECRET, "", at=DRAWN)
    service.settle()

    held = of_task(service, year_end, Task.DispatchHeld)
    assert sorted((e.department, e.year) for e in held) == [("fire", 2027), ("police", 2027)]
    assert of_task(service, year_end, Task.TaskDispatched) == []
    view = service.queries.task(OFFICE, year_end)
    assert view.held == {"police": 2027, "fire": 2027}
    [police] = [i for i in inbox(service, "police") if i.task_id == year_end]
    assert police.owes == ("等待派发（待补充 2027 年工作日历）",)
    lead = [i for i in inbox(service, "education") if i.task_id == year_end]
    assert "派发 police 暂缓（待补充 2027 年工作日历）" in lead[0].owes
    told = [e for e in escalations_of(service) if e.task_id == year_end]
    assert sorted((e.department, e.what) for e in told) == [
        ("fire", "派发暂缓，待补充 2027 年工作日历"),
        ("police", "派发暂缓，待补充 2027 年工作日历"),
    ]
    assert service.read_models.awaiting(2027) == [year_end]
    assert service.queries.faults(OFFICE).items == ()  # waiting is not a failure
    # A department the task waits for reads it, from the read models and as stored alike.
    police = department("police")
    assert service.queries.task(police, year_end).task_id == year_end
    assert service.tasks.task(police, year_end).id == year_end


def test_every_other_command_keeps_working_while_the_task_waits(
    service: Service, joint: JointInspection, year_end: UUID, clock: ManualClock
) -> None:
    clock.set(at("2026-12-31", "10:05"))
    service.tasks.draw_targets(EDUCATION, year_end, SECRET, "", at=DRAWN)
    service.settle()

    # The 2023 task goes on: a notice, a visit on the 30th (recorded, its deadline waits) ...
    target = joint.task().record_sheets[0].target
    service.tasks.serve_notice(EDUCATION, joint.task_id, target, "letter", "法定代表人", at=VISITED)
    service.tasks.record_visit(EDUCATION, joint.task_id, target, True, "", at=VISITED)
    service.settle()
    [visit] = of_task(service, joint.task_id, Task.InspectionVisited)
    assert (visit.at, visit.results_due, visit.awaiting_calendar) == (VISITED, None, 2027)
    # ... and the results are recorded, the deadline watch runs, the register and the audit too.
    service.tasks.record_result(
        department("police"), joint.task_id, target, "未发现问题", {"GA-1": "符合要求"}, at=DRAWN
    )
    assert service.deadlines.check(at("2026-12-31", "10:05")) == []
    assert len(service.queries.tasks(OFFICE).items) == 3
    assert service.queries.register(PUBLIC).items == ()
    assert sum(1 for _ in service.auditor.export(AUDITOR)) > 40
    assert service.auditor.verify(AUDITOR).ok


def test_loading_2027_sends_the_waiting_dispatches_with_the_deadlines_the_file_implies(
    service: Service, joint: JointInspection, year_end: UUID, clock: ManualClock
) -> None:
    clock.set(at("2026-12-31", "10:05"))
    service.tasks.draw_targets(EDUCATION, year_end, SECRET, "", at=DRAWN)
    target = joint.task().record_sheets[0].target
    service.tasks.serve_notice(EDUCATION, joint.task_id, target, "letter", "法定代表人", at=VISITED)
    service.tasks.record_visit(EDUCATION, joint.task_id, target, True, "", at=VISITED)
    service.settle()
    clock.set(at("2026-12-31", "16:00"))

    year = read_year_file(TEST_2027)
    service.calendars.import_year(OFFICE, year, at=clock.now())
    service.settle()

    dispatched = {e.department: e for e in of_task(service, year_end, Task.TaskDispatched)}
    assert set(dispatched) == {"police", "fire"}
    assert {e.deadline for e in dispatched.values()} == {date(2027, 1, 6)}
    source = dispatched["police"].calendar["2027"]
    assert source.startswith("测试数据（虚构，非国务院办公厅通知）")
    assert f"sha256:{year.digest[:16]}" in source
    assert dispatched["police"].calendar["2026"].startswith("chinese-calendar")
    [counted] = of_task(service, joint.task_id, Task.ResultDeadlineSet)
    assert (counted.target, counted.results_due) == (target, date(2027, 1, 6))
    [police] = [i for i in inbox(service, "police") if i.task_id == year_end]
    assert police.owes == ("确认派发任务（2027-01-06 前）",)
    assert service.read_models.awaiting(2027) == []
    # The year is in the log: a restarted service counts on it too, and it is never loaded twice.
    assert 2027 in service.calendars.refresh().years
    with pytest.raises(CalendarYearKnownError):
        service.calendars.import_year(OFFICE, year, at=clock.now())


def test_a_year_the_library_knows_is_never_loaded_from_a_file(
    service: Service, tmp_path: Path, clock: ManualClock
) -> None:
    again = tmp_path / "2026.json"
    again.write_text(
        '{"year": 2026, "source": "测试", "holidays": [], "working_weekends": []}', "utf-8"
    )

    with pytest.raises(CalendarYearKnownError) as refused:
        service.calendars.import_year(OFFICE, read_year_file(again), at=clock.now())

    assert "chinese-calendar" in str(refused.value)


def test_two_offices_load_two_years_and_each_service_counts_on_both(
    store: Store, service: Service, tmp_path: Path, clock: ManualClock
) -> None:
    later = tmp_path / "2028.json"
    later.write_text(
        '{"year": 2028, "source": "测试数据（虚构）", "holidays": ["2028-01-03"],'
        ' "working_weekends": []}',
        "utf-8",
    )
    other = service if store.kind == "memory" else store.open(clock)

    service.calendars.import_year(OFFICE, read_year_file(TEST_2027), at=clock.now())
    other.calendars.import_year(OFFICE, read_year_file(later), at=clock.now())

    for each in (service, other):
        assert {2027, 2028} <= set(each.calendars.refresh().years)
        assert each.calendars.year(OFFICE, 2028).holidays == (date(2028, 1, 3),)
        assert each.calendars.year(OFFICE, 2027).loaded_at == clock.now()
