from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.calendar import CalendarDataError, china_work_calendar
from domain.calendar import WorkCalendar
from domain.errors import CalendarUnknownError, InvalidValueError

CALENDAR = china_work_calendar()

# Starts late enough in the known range that 120 working days never leave it.
known_starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30))
counts = st.integers(min_value=0, max_value=60)


# --- The worked examples, on the real State Council schedules -------------------------------


def test_a_tiaoxiu_sunday_before_national_day_counts_as_a_working_day() -> None:
    assert CALENDAR.is_working_day(date(2024, 9, 29))
    assert CALENDAR.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)


def test_two_working_days_from_friday_27_september_2024_end_on_monday_30() -> None:
    assert CALENDAR.deadline(date(2024, 9, 27), 2) == date(2024, 9, 30)


def test_national_day_week_2024_is_skipped() -> None:
    assert CALENDAR.add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert CALENDAR.add_working_days(date(2024, 9, 30), 2) == date(2024, 10, 9)


def test_the_tiaoxiu_saturday_after_national_day_2024_is_a_working_day() -> None:
    assert CALENDAR.is_working_day(date(2024, 10, 12))
    assert CALENDAR.add_working_days(date(2024, 10, 8), 4) == date(2024, 10, 12)


def test_an_ordinary_saturday_before_national_day_2024_is_a_rest_day() -> None:
    assert not CALENDAR.is_working_day(date(2024, 9, 28))


def test_a_national_day_monday_is_a_rest_day() -> None:
    assert not CALENDAR.is_working_day(date(2024, 10, 7))


def test_no_working_day_falls_inside_the_national_day_holiday_2024() -> None:
    assert CALENDAR.working_days_between(date(2024, 9, 30), date(2024, 10, 7)) == 0
    assert CALENDAR.working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1


def test_the_saturday_before_spring_festival_2026_is_day_one() -> None:
    assert CALENDAR.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)


def test_spring_festival_2026_pushes_day_two_to_tuesday_24_february() -> None:
    assert CALENDAR.deadline(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_the_tiaoxiu_saturday_after_spring_festival_2026_is_a_working_day() -> None:
    assert CALENDAR.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)


def test_the_spring_festival_2026_weekdays_are_rest_days() -> None:
    assert not any(CALENDAR.is_working_day(date(2026, 2, day)) for day in range(15, 24))


def test_a_deadline_counts_across_a_known_year_boundary() -> None:
    # 2026-01-01..03 off, Sunday 2026-01-04 worked.
    assert CALENDAR.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert CALENDAR.add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 5)


def test_a_deadline_from_a_timestamp_uses_its_date() -> None:
    assert CALENDAR.deadline(datetime(2024, 9, 27, 23, 59), 2) == date(2024, 9, 30)


def test_a_timestamp_on_a_holiday_is_not_a_working_day() -> None:
    assert not CALENDAR.is_working_day(datetime(2024, 10, 1, 9, 0))


def test_the_start_day_itself_is_never_counted() -> None:
    assert CALENDAR.add_working_days(date(2024, 9, 30), 0) == date(2024, 9, 30)
    assert CALENDAR.working_days_between(date(2024, 9, 30), date(2024, 9, 30)) == 0


def test_every_known_day_agrees_with_the_library_s_own_answer() -> None:
    day, last = date(CALENDAR.years[0], 1, 1), date(CALENDAR.years[-1], 12, 31)
    while day <= last:
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_the_library_years_start_in_2004_and_run_without_gaps() -> None:
    years = CALENDAR.years
    assert years[0] == 2004
    assert years[-1] >= 2026
    assert years == tuple(range(2004, years[-1] + 1))


# --- Unknown years are refused, never guessed -----------------------------------------------


@pytest.mark.parametrize("day", [date(2030, 3, 4), date(2003, 12, 31), date(2027, 1, 4)])
def test_a_day_in_an_unknown_year_is_refused(day: date) -> None:
    with pytest.raises(CalendarUnknownError) as raised:
        CALENDAR.is_working_day(day)
    assert "2004–2026" in str(raised.value)
    assert raised.value.day == day


def test_counting_forward_into_an_unknown_year_is_refused() -> None:
    with pytest.raises(CalendarUnknownError):
        CALENDAR.add_working_days(date(2026, 12, 28), 10)


def test_counting_between_days_of_an_unknown_year_is_refused() -> None:
    with pytest.raises(CalendarUnknownError):
        CALENDAR.working_days_between(date(2003, 12, 1), date(2004, 1, 10))


def test_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        CALENDAR.add_working_days(date(2024, 9, 30), -1)


def test_counting_backwards_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        CALENDAR.working_days_between(date(2024, 10, 9), date(2024, 9, 30))


# --- The calendar as pure data --------------------------------------------------------------

PLAIN_2025 = WorkCalendar([], [], [2025])


def test_without_a_notice_monday_to_friday_are_worked_and_weekends_rested() -> None:
    week = [date(2025, 3, 3) + timedelta(days=i) for i in range(7)]
    assert [PLAIN_2025.is_working_day(day) for day in week] == [True] * 5 + [False] * 2


def test_a_weekday_cannot_be_declared_a_working_weekend() -> None:
    with pytest.raises(InvalidValueError) as raised:
        WorkCalendar([], [date(2025, 3, 3)], [2025])
    assert raised.value.field == "working_weekends"


def test_a_day_cannot_be_both_a_holiday_and_a_working_weekend() -> None:
    with pytest.raises(InvalidValueError):
        WorkCalendar([date(2025, 3, 8)], [date(2025, 3, 8)], [2025])


def test_merging_adds_the_years_and_days_of_the_other_calendar() -> None:
    later = WorkCalendar([date(2026, 1, 1)], [date(2026, 1, 3)], [2026])
    merged = PLAIN_2025.merged(later)
    assert merged.years == (2025, 2026)
    assert not merged.is_working_day(date(2026, 1, 1))
    assert merged.is_working_day(date(2026, 1, 3))
    assert merged.is_working_day(date(2025, 3, 3))


def test_the_unknown_year_message_lists_every_known_run_of_years() -> None:
    calendar = WorkCalendar([], [], [2004, 2005, 2006, 2099])
    with pytest.raises(CalendarUnknownError, match="2004–2006、2099"):
        calendar.is_working_day(date(2050, 1, 3))


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 24)))
def test_any_seven_days_without_a_notice_hold_five_working_days(start: date) -> None:
    assert PLAIN_2025.working_days_between(start, start + timedelta(days=7)) == 5


# --- Properties on the real data ------------------------------------------------------------


@given(known_starts, st.integers(min_value=1, max_value=60))
def test_a_deadline_is_a_working_day_strictly_after_the_start(start: date, n: int) -> None:
    result = CALENDAR.add_working_days(start, n)
    assert result > start
    assert CALENDAR.is_working_day(result)


@given(known_starts, counts, counts)
def test_adding_working_days_in_two_steps_equals_adding_them_at_once(
    start: date, a: int, b: int
) -> None:
    in_two_steps = CALENDAR.add_working_days(CALENDAR.add_working_days(start, a), b)
    assert CALENDAR.add_working_days(start, a + b) == in_two_steps


@given(known_starts, counts)
def test_counting_the_days_up_to_a_deadline_gives_back_n(start: date, n: int) -> None:
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


@given(known_starts, st.integers(min_value=1, max_value=60))
def test_the_day_before_a_deadline_is_one_working_day_short(start: date, n: int) -> None:
    deadline = CALENDAR.add_working_days(start, n)
    assert CALENDAR.working_days_between(start, deadline - timedelta(days=1)) == n - 1


# --- Loading a newly published year from a file ---------------------------------------------


def _write(directory: Path, name: str, document: object) -> Path:
    path = directory / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


FICTITIOUS_2099 = {
    "year": 2099,
    "source": "测试用虚构安排",
    "holidays": ["2099-01-01", "2099-01-02"],  # Thursday and Friday
    "working_weekends": ["2099-01-03"],  # Saturday
}


def test_a_year_added_as_a_file_is_merged_with_the_library_years(tmp_path: Path) -> None:
    _write(tmp_path, "2099.json", FICTITIOUS_2099)
    calendar = china_work_calendar(tmp_path)
    assert calendar.years[-1] == 2099
    assert 2024 in calendar.years
    assert not calendar.is_working_day(date(2099, 1, 1))
    assert calendar.is_working_day(date(2099, 1, 3))
    assert calendar.add_working_days(date(2098, 12, 31), 1) == date(2099, 1, 3)
    assert calendar.deadline(date(2024, 9, 27), 2) == date(2024, 9, 30)


def test_a_year_added_as_a_file_still_leaves_the_gap_before_it_unknown(tmp_path: Path) -> None:
    _write(tmp_path, "2099.json", FICTITIOUS_2099)
    with pytest.raises(CalendarUnknownError, match="2004–2026、2099"):
        china_work_calendar(tmp_path).is_working_day(date(2050, 1, 3))


def test_the_packaged_default_calendar_is_built_once() -> None:
    assert china_work_calendar() is china_work_calendar()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"holidays": ["2099-13-01"]}, "holidays[0]"),
        ({"holidays": ["2099-01-01", "99-1-2"]}, "holidays[1]"),
        ({"working_weekends": ["2099-01-05"]}, "working_weekends[0]"),  # a Monday
        ({"holidays": ["2097-05-01"]}, "holidays[0]"),  # not in the notice's year
        ({"holidays": "2099-01-01"}, "holidays"),
        ({"year": "2099"}, "year"),
        ({"source": " "}, "source"),
        ({"working_weekend": []}, "working_weekend"),
        ({"holidays": ["2099-01-03"]}, "holidays"),  # also a working weekend
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    _write(tmp_path, "2099.json", FICTITIOUS_2099 | change)
    with pytest.raises(CalendarDataError) as raised:
        china_work_calendar(tmp_path)
    assert raised.value.field == field
    assert "2099.json" in str(raised.value)


def test_a_file_missing_a_field_is_refused_naming_it(tmp_path: Path) -> None:
    document = {k: v for k, v in FICTITIOUS_2099.items() if k != "source"}
    _write(tmp_path, "2099.json", document)
    with pytest.raises(CalendarDataError, match="source"):
        china_work_calendar(tmp_path)


def test_a_file_that_is_not_json_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "2099.json").write_text("{year: 2099", encoding="utf-8")
    with pytest.raises(CalendarDataError, match=r"2099\.json"):
        china_work_calendar(tmp_path)


def test_two_files_for_the_same_year_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "2099.json", FICTITIOUS_2099)
    _write(tmp_path, "2099-again.json", FICTITIOUS_2099)
    with pytest.raises(CalendarDataError) as raised:
        china_work_calendar(tmp_path)
    assert raised.value.field == "year"


def test_a_file_contradicting_the_library_is_refused(tmp_path: Path) -> None:
    # National Day 2024 is a holiday in the library; the file claims Saturday 10-05 was worked.
    contradiction = {
        "year": 2024,
        "source": "测试用矛盾安排",
        "holidays": [],
        "working_weekends": ["2024-10-05"],
    }
    _write(tmp_path, "2024.json", contradiction)
    with pytest.raises(CalendarDataError, match=r"2024\.json"):
        china_work_calendar(tmp_path)


def test_a_missing_data_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError):
        china_work_calendar(tmp_path / "nowhere")
