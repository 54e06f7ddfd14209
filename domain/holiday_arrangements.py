"""节假日安排: the years of the State Council's holiday arrangement loaded into the service.

Each November the 国务院办公厅 publishes next year's public holidays and the weekends worked in
exchange (调休). Until a library release carries the new year, staff load it from the notice; the
loading is an event of the log, so that every deadline counted on that year names where it came
from and an auditor can count it again from the log alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.calendar import WorkCalendar
from domain.errors import CalendarYearKnownError, InvalidValueError
from domain.values import moment, text

_SATURDAY = 5


class HolidayArrangements(Aggregate):
    """Every year loaded, with its notice; one for the whole service."""

    class Started(Aggregate.Created):
        at: datetime

    @staticmethod
    def create_id(at: datetime) -> UUID:
        return HolidayArrangements.ID

    ID = uuid5(NAMESPACE_URL, "ssj:holiday-arrangements")

    @event(Started)
    def __init__(self, at: datetime) -> None:
        self.years: dict[int, HolidayArrangements.YearImported] = {}

    class YearImported(Aggregate.Event):
        """One year's arrangement, as the notice states it."""

        year: int
        source: str
        """The notice it comes from (title and 文号), or what else it is, e.g. test data."""
        holidays: list[date]
        """Every day off, weekends within a holiday included."""
        working_weekends: list[date]
        """Saturdays and Sundays worked (调休上班)."""
        digest: str
        """SHA-256 of the file as it was loaded."""
        at: datetime

        def apply(self, arrangements: HolidayArrangements) -> None:
            arrangements.years[self.year] = self

        def calendar(self) -> WorkCalendar:
            return WorkCalendar(
                self.holidays, self.working_weekends, [self.year], {self.year: self.label()}
            )

        def label(self) -> str:
            return f"{self.source}（sha256:{self.digest[:16]}）"

    def import_year(
        self,
        year: int,
        source: str,
        holidays: Iterable[date],
        working_weekends: Iterable[date],
        digest: str,
        known: WorkCalendar,
        at: datetime,
    ) -> WorkCalendar:
        """Load a year that the calendar does not know; the year as a calendar of its own."""
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            raise InvalidValueError("year", "四位年份整数，例如 2027", year)
        if year in self.years or year in known.years:
            where = self.years[year].label() if year in self.years else known.source_of(year)
            raise CalendarYearKnownError(year, where)
        days_off = sorted(set(holidays))
        worked = sorted(set(working_weekends))
        for field, days in (("holidays", days_off), ("working_weekends", worked)):
            for n, day in enumerate(days):
                if not isinstance(day, date) or isinstance(day, datetime) or day.year != year:
                    raise InvalidValueError(f"{field}[{n}]", f"{year} 年内的日期", day)
        for n, day in enumerate(worked):
            if day.weekday() < _SATURDAY:
                raise InvalidValueError(
                    f"working_weekends[{n}]", "周六或周日（调休上班的周末）", day
                )
        both = set(days_off) & set(worked)
        if both:
            raise InvalidValueError("holidays", "不同时列为调休上班日的日期", min(both))
        if len(digest) != 64:
            raise InvalidValueError("digest", "文件的 SHA-256（64 位十六进制）", digest)
        self.trigger_event(
            self.YearImported,
            year=year,
            source=text(source, "source", "所依据通知的名称和文号"),
            holidays=days_off,
            working_weekends=worked,
            digest=digest,
            at=moment(at),
        )
        return self.years[year].calendar()

    def calendar(self, base: WorkCalendar) -> WorkCalendar:
        """The base calendar with every loaded year added."""
        for year in sorted(self.years):
            base = base.merged(self.years[year].calendar())
        return base
