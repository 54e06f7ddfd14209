"""The Chinese working-day calendar, as data: deadlines such as 「N 个工作日内」 are counted on it.

Which days are worked is set each year by the 国务院办公厅 notice on public holidays, including
调休 weekends that become working days. The calendar knows only the years it has been given and
refuses any other: a deadline computed from a guessed year would be silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from domain.errors import CalendarUnknownError, InvalidValueError

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


def _as_date(day: date) -> date:
    # A datetime never equals the date it falls on, so it would miss every holiday lookup.
    return day.date() if isinstance(day, datetime) else day


def _years_text(years: tuple[int, ...]) -> str:
    """Sorted years as runs, e.g. "2004–2026、2099", for messages read by staff."""
    if not years:
        return "无"
    runs: list[tuple[int, int]] = []
    for year in years:
        if runs and year == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], year)
        else:
            runs.append((year, year))
    return "、".join(str(first) if first == last else f"{first}–{last}" for first, last in runs)


class WorkCalendar:
    """Which days are working days, for the years whose holiday notice is known."""

    __slots__ = ("_holidays", "_known", "_sources", "_working_weekends", "_year_set", "_years")

    def __init__(
        self,
        holidays: Iterable[date],
        working_weekends: Iterable[date],
        years: Iterable[int],
        sources: Mapping[int, str] | None = None,
    ) -> None:
        self._holidays = frozenset(_as_date(day) for day in holidays)
        self._working_weekends = frozenset(_as_date(day) for day in working_weekends)
        self._year_set = frozenset(years)
        self._years = tuple(sorted(self._year_set))
        self._known = _years_text(self._years)
        self._sources = {year: (sources or {}).get(year, "") for year in self._years}
        """Year -> the arrangement it comes from (a notice, a library release), for the record."""
        for day in sorted(self._working_weekends):
            if day.weekday() < _SATURDAY:
                raise InvalidValueError(
                    "working_weekends", "周六或周日（调休上班的周末）", day.isoformat()
                )
        both = self._holidays & self._working_weekends
        if both:
            raise InvalidValueError("holidays", "不同时列为调休上班日的日期", min(both).isoformat())

    @property
    def years(self) -> tuple[int, ...]:
        return self._years

    def __repr__(self) -> str:
        return f"WorkCalendar(years={self._known})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return (self._years, self._holidays, self._working_weekends) == (
            other._years,
            other._holidays,
            other._working_weekends,
        )

    def __hash__(self) -> int:
        return hash((self._years, self._holidays, self._working_weekends))

    def source_of(self, year: int) -> str:
        return self._sources.get(year, "")

    def sources(self, start: date, end: date) -> dict[str, str]:
        """Where the arrangement of each year from `start` to `end` comes from: what a deadline
        counted over those days names, so that an auditor can count it again."""
        return {str(y): self._sources.get(y, "") for y in range(start.year, end.year + 1)}

    def is_working_day(self, day: date) -> bool:
        day = _as_date(day)
        if day.year not in self._year_set:
            raise CalendarUnknownError(day, known=self._known)
        if day in self._holidays:
            return False
        return day in self._working_weekends or day.weekday() < _SATURDAY

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; `start` itself never counts, even if worked."""
        if n < 0:
            raise InvalidValueError("working_days", "非负整数", n)
        day = _as_date(start)
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def deadline(self, start: date | datetime, working_days: int) -> date:
        """The last day of a 「N 个工作日内」 period that starts at `start` (its local date)."""
        return self.add_working_days(_as_date(start), working_days)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise InvalidValueError(
                "end", f"不早于开始日 {start.isoformat()} 的日期", end.isoformat()
            )
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def merged(self, other: WorkCalendar) -> WorkCalendar:
        """Both calendars' years and days, e.g. the library's data plus a newly published year."""
        return WorkCalendar(
            self._holidays | other._holidays,
            self._working_weekends | other._working_weekends,
            self._years + other._years,
            {**self._sources, **other._sources},
        )
