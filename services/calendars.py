"""Calendars: the working-day calendar every deadline is counted on, and the years loaded into it.

The base calendar (the `chinese-calendar` library and any year shipped with the service) is given
by the composition root; the years the office loads from the State Council's notice are events of
the log (domain/holiday_arrangements.py), so that each deadline names its calendar and an auditor
can count it again. A process that has run for a while reads the log's years again when a new one
is loaded (`refresh`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from domain.calendar import WorkCalendar
from domain.holiday_arrangements import HolidayArrangements
from services.actors import Actor
from services.clock import TimeGuard
from services.errors import AlreadyExistsError, NotFoundError
from services.permissions import Action, require
from services.store import SsjApplication

WHAT = "节假日安排"


@dataclass(frozen=True)
class YearArrangement:
    """One year's holiday arrangement as read from a file, before it is loaded."""

    year: int
    source: str
    holidays: tuple[date, ...]
    working_weekends: tuple[date, ...]
    digest: str
    """SHA-256 of the file."""


@dataclass(frozen=True)
class YearView:
    """A year of the calendar as staff check it against the notice."""

    year: int
    source: str
    holidays: tuple[date, ...]
    working_weekends: tuple[date, ...]
    working_days: int
    loaded_at: datetime | None
    """When it was loaded into the log; None for a year the service ships with."""


class Calendars(SsjApplication):
    def __init__(
        self,
        base: WorkCalendar,
        guard: TimeGuard,
        env: Mapping[str, str] | None = None,
        recorder: ApplicationRecorder | None = None,
    ) -> None:
        self.base = base
        self.guard = guard
        self._calendar: WorkCalendar | None = None
        self._loaded: HolidayArrangements | None = None
        """The years of the log that `_calendar` was built with."""
        super().__init__(env, recorder=recorder)

    def _arrangements(self) -> HolidayArrangements | None:
        try:
            return self.load(HolidayArrangements, HolidayArrangements.ID, WHAT)
        except NotFoundError:
            return None

    def calendar(self) -> WorkCalendar:
        """The base calendar with every year loaded into the log."""
        if self._calendar is None:
            self._loaded = self._arrangements()
            self._calendar = self._loaded.calendar(self.base) if self._loaded else self.base
        return self._calendar

    def refresh(self) -> WorkCalendar:
        self._calendar = None
        return self.calendar()

    def import_year(
        self,
        actor: Actor,
        arrangement: YearArrangement,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> WorkCalendar:
        """Load a year the calendar does not know; refused for a year it knows already."""
        self.guard.admit(at)
        require(actor, Action.IMPORT_CALENDAR_YEAR)

        def load_year(arrangements: HolidayArrangements) -> WorkCalendar:
            return arrangements.import_year(
                arrangement.year,
                arrangement.source,
                arrangement.holidays,
                arrangement.working_weekends,
                arrangement.digest,
                self.base,
                at,
            )

        self._calendar = None
        self._loaded = None
        if self._arrangements() is None:
            first = HolidayArrangements(at=at)
            year = load_year(first)
            try:
                self.create(first, what=WHAT, command_id=command_id)
                return year
            except AlreadyExistsError:
                pass  # another office loaded the first year meanwhile: add this one to it
        return self.change(HolidayArrangements, HolidayArrangements.ID, WHAT, load_year, command_id)

    def year(self, actor: Actor, year: int) -> YearView:
        require(actor, Action.READ_CALENDAR)
        calendar = self.calendar()
        if year not in calendar.years:
            raise NotFoundError("工作日历", f"{year} 年（已收录 {_years(calendar.years)}）")
        loaded = self._loaded.years.get(year) if self._loaded else None
        first, last = date(year, 1, 1), date(year, 12, 31)
        days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
        return YearView(
            year,
            calendar.source_of(year),
            tuple(d for d in days if not calendar.is_working_day(d) and d.weekday() < 5),
            tuple(d for d in days if calendar.is_working_day(d) and d.weekday() >= 5),
            sum(1 for d in days if calendar.is_working_day(d)),
            loaded.at if loaded else None,
        )


def _years(years: Iterable[int]) -> str:
    ordered = sorted(years)
    return f"{ordered[0]}–{ordered[-1]}" if ordered else "无"
