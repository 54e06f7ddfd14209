"""A deadline is counted on the State Council's arrangement of its year, never on a guess: when
the year is not known yet, what needs the deadline waits, recorded as waiting, and is counted
once the year is loaded; the visit itself is recorded when it happened."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import WorkCalendar
from domain.errors import CalendarYearKnownError, InvalidValueError, NotOwnFollowUpError
from domain.holiday_arrangements import HolidayArrangements
from domain.task import Task
from tests.unit.builders import FIRE, POLICE, Refused, RunFactory, at, make_calendar

NEW_YEAR_2024 = WorkCalendar([date(2024, 1, 1)], [], [2024], {2024: "测试用安排（虚构）"})
"""Only 元旦 off: enough to count deadlines at the turn of the year."""
FRIDAY_29_DECEMBER = at("2023-12-29", 10)


def test_a_dispatch_whose_deadline_falls_in_an_unknown_year_is_held_naming_the_year(
    run: RunFactory,
) -> None:
    r = run("drawn")

    assert r.task.dispatch(POLICE, r.calendar, FRIDAY_29_DECEMBER) is False

    [held] = r.events(Task.DispatchHeld)
    assert (held.department, held.year, held.at) == (POLICE, 2024, FRIDAY_29_DECEMBER)
    assert r.events(Task.TaskDispatched) == []
    assert r.task.awaited_years() == {2024}


def test_a_dispatch_held_again_for_the_same_year_records_nothing_more(run: RunFactory) -> None:
    r = run("drawn")
    r.task.dispatch(POLICE, r.calendar, FRIDAY_29_DECEMBER)

    assert r.task.dispatch(POLICE, r.calendar, at("2023-12-29", 11)) is False

    assert len(r.events(Task.DispatchHeld)) == 1


def test_once_the_year_is_known_the_held_dispatch_goes_out_with_the_deadline_it_implies(
    run: RunFactory,
) -> None:
    r = run("drawn")
    r.task.dispatch_drawn(r.calendar, FRIDAY_29_DECEMBER)  # police and fire both held
    known = r.calendar.merged(NEW_YEAR_2024)

    assert r.task.count_held_deadlines(known, at("2023-12-29", 15)) == 2

    dispatched = {d.department: d for d in r.events(Task.TaskDispatched)}
    assert set(dispatched) == {POLICE, FIRE}
    # Sat 30, Sun 31 off, Mon 1 January 元旦: Tue 2 is the first working day, Wed 3 the second.
    assert {d.deadline for d in dispatched.values()} == {date(2024, 1, 3)}
    assert dispatched[POLICE].calendar == {"2023": "", "2024": "测试用安排（虚构）"}
    assert r.task.awaited_years() == set()
    assert r.task.count_held_deadlines(known, at("2023-12-29", 16)) == 0


def test_a_year_still_unknown_keeps_the_dispatch_waiting(run: RunFactory) -> None:
    r = run("drawn")
    r.task.dispatch(POLICE, r.calendar, FRIDAY_29_DECEMBER)

    assert r.task.count_held_deadlines(make_calendar(), at("2023-12-29", 15)) == 0

    assert r.events(Task.TaskDispatched) == []
    assert r.task.awaited_years() == {2024}


def test_a_visit_is_recorded_when_it_happened_and_its_results_deadline_waits_for_the_year(
    run: RunFactory,
) -> None:
    r = run("notified")
    target = next(iter(r.task.matches))

    r.record_visit(target, when=FRIDAY_29_DECEMBER)

    [visit] = r.events(Task.InspectionVisited)
    assert (visit.target, visit.at, visit.results_due) == (target, FRIDAY_29_DECEMBER, None)
    assert visit.awaiting_calendar == 2024
    assert r.task.awaited_years() == {2024}
    assert r.task.check_deadlines(at("2024-03-01")) == 0  # no deadline, so none has passed


def test_the_results_deadline_of_a_waiting_visit_is_counted_once_the_year_is_known(
    run: RunFactory,
) -> None:
    r = run("notified")
    target = next(iter(r.task.matches))
    r.record_visit(target, when=FRIDAY_29_DECEMBER)

    assert r.task.count_held_deadlines(r.calendar.merged(NEW_YEAR_2024), at("2024-01-02")) == 1

    [counted] = r.events(Task.ResultDeadlineSet)
    assert (counted.target, counted.results_due) == (target, date(2024, 1, 4))
    assert counted.calendar == {"2023": "", "2024": "测试用安排（虚构）"}
    r.record(POLICE, target, when=at("2024-01-05"))
    [result] = [e for e in r.events(Task.ResultRecorded) if e.target == target]
    assert result.late is True


def test_only_the_department_that_opened_a_follow_up_handles_it(
    run: RunFactory, refused: Refused
) -> None:
    r = run("visited")
    target = next(iter(r.task.matches))
    r.record_results(skip=[(POLICE, target)])
    r.record(POLICE, target, "发现问题待后续处理")
    number = r.open_follow_up(target, POLICE)
    later = at("2023-04-01")

    error = refused(
        r.task, NotOwnFollowUpError, r.task.close_follow_up, FIRE, number, "办结", later
    )
    assert POLICE in str(error)
    refused(
        r.task, NotOwnFollowUpError, r.task.transfer_follow_up, FIRE, number, "法院", "移送", later
    )
    r.task.close_follow_up(POLICE, number, "已整改", later)


# ---------------------------------------------------------------------------- loading a year
def test_a_year_is_loaded_with_its_notice_and_its_days(calendar: WorkCalendar) -> None:
    arrangements = HolidayArrangements(at=at("2023-11-25"))

    year = arrangements.import_year(
        2024,
        "测试用安排（虚构）",
        [date(2024, 1, 1)],
        [date(2024, 2, 4)],
        "a" * 64,
        calendar,
        at("2023-11-25"),
    )

    [loaded] = [
        e for e in arrangements.pending_events if isinstance(e, HolidayArrangements.YearImported)
    ]
    assert (loaded.year, loaded.holidays, loaded.working_weekends) == (
        2024,
        [date(2024, 1, 1)],
        [date(2024, 2, 4)],
    )
    assert not year.is_working_day(date(2024, 1, 1))
    assert year.is_working_day(date(2024, 2, 4))  # a Sunday worked (调休)
    assert arrangements.calendar(calendar).years == (2023, 2024)
    assert year.source_of(2024).startswith("测试用安排（虚构）（sha256:aaaaaaaa")


@pytest.mark.parametrize("year", [2023, 2024])
def test_a_year_already_known_is_never_loaded_again(calendar: WorkCalendar, year: int) -> None:
    arrangements = HolidayArrangements(at=at("2023-11-25"))
    arrangements.import_year(2024, "第一次", [], [], "b" * 64, calendar, at("2023-11-25"))
    before = len(arrangements.pending_events)

    with pytest.raises(CalendarYearKnownError) as refused:
        arrangements.import_year(year, "第二次", [], [], "c" * 64, calendar, at("2023-11-26"))

    assert refused.value.year == year
    assert len(arrangements.pending_events) == before


@pytest.mark.parametrize(
    ("holidays", "weekends", "field"),
    [
        ([date(2023, 12, 31)], [], "holidays[0]"),
        ([], [date(2024, 1, 2)], "working_weekends[0]"),
        ([date(2024, 2, 4)], [date(2024, 2, 4)], "holidays"),
    ],
)
def test_a_year_with_a_day_out_of_place_is_refused_naming_it(
    calendar: WorkCalendar, holidays: list[date], weekends: list[date], field: str
) -> None:
    arrangements = HolidayArrangements(at=at("2023-11-25"))
    before = len(arrangements.pending_events)

    with pytest.raises(InvalidValueError) as refused:
        arrangements.import_year(
            2024, "通知", holidays, weekends, "d" * 64, calendar, at("2023-11-25")
        )

    assert refused.value.field == field
    assert len(arrangements.pending_events) == before


def test_a_year_without_its_notice_named_is_refused(calendar: WorkCalendar) -> None:
    arrangements = HolidayArrangements(at=at("2023-11-25"))

    with pytest.raises(InvalidValueError) as refused:
        arrangements.import_year(2024, " ", [], [], "e" * 64, calendar, at("2023-11-25"))

    assert refused.value.field == "source"
