"""4–5. Coordination and its deadlines: dispatch to each cooperating department, its answer within
two working days, and the watch that records every deadline let pass.

A deadline is counted on the State Council's holiday arrangement of its year. When that year is
not known yet (the notice for next year comes out in November), the dispatch waits, recorded as
held, and goes out once the year is loaded; nothing is ever counted on a guessed calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.calendar import WorkCalendar
from domain.errors import (
    AlreadyAnsweredError,
    CalendarUnknownError,
    NotACooperatingDepartmentError,
)
from domain.task.base import Step, TaskBase
from domain.values import department_code, local_day, moment, text

if TYPE_CHECKING:
    from domain.task.fieldwork import (
        InspectionVisited,
        ResultCorrected,
        ResultRecorded,
        ResultsPublished,
    )


class TaskDispatched(Step):
    """派发 to a cooperating department, which must confirm by the deadline."""

    class_version = 2

    department: str
    targets: list[str]
    deadline: date
    """The last working day to confirm (两个工作日内), counted from the day it went out."""
    calendar: dict[str, str]
    """The holiday arrangements the deadline was counted on: year -> where it comes from."""
    at: datetime

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["calendar"] = {}  # counted on the chinese-calendar library, before years were logged

    def apply(self, task: Coordination) -> None:
        task.dispatches[self.department] = self
        task.held_dispatches.pop(self.department, None)


class DispatchHeld(Step):
    """The dispatch waits: its deadline falls in a year the work calendar does not know yet."""

    department: str
    year: int
    """The year whose holiday arrangement must be loaded (待补充该年工作日历)."""
    at: datetime

    def apply(self, task: Coordination) -> None:
        task.held_dispatches[self.department] = self.year


class DepartmentConfirmed(Step):
    department: str
    late: bool
    """Confirmed after the deadline had passed."""
    at: datetime

    def apply(self, task: Coordination) -> None:
        task.answers[self.department] = self


class DepartmentDeclined(Step):
    department: str
    reason: str
    at: datetime

    def apply(self, task: Coordination) -> None:
        task.answers[self.department] = self


class ConfirmationOverdue(Step):
    """The department let the deadline pass: escalated to the office (双随机办)."""

    department: str
    deadline: date
    at: datetime

    def apply(self, task: Coordination) -> None:
        task.confirmation_overdue.add(self.department)


class ResultOverdue(Step):
    """No result three working days after the visit."""

    department: str
    target: str
    deadline: date
    at: datetime

    def apply(self, task: Coordination) -> None:
        task.result_overdue.add((self.department, self.target))


class Coordination(TaskBase):
    dispatches: dict[str, TaskDispatched]
    held_dispatches: dict[str, int]
    """Department -> the year its dispatch waits for."""
    confirmation_overdue: set[str]
    result_overdue: set[tuple[str, str]]
    visits: dict[str, InspectionVisited]
    results_due: dict[str, date | None]
    results: dict[tuple[str, str], ResultRecorded | ResultCorrected]
    publication: ResultsPublished | None

    # ----------------------------------------------------------------- 4. dispatch
    def dispatch(self, department: str, calendar: WorkCalendar, at: datetime) -> bool:
        """派发, with a deadline counted from the day it goes out; held if that deadline falls in
        a year the calendar does not know. Whether the task went out to the department."""
        self._require_drawn()
        department = department_code(department)
        if department not in self.cooperating:
            raise NotACooperatingDepartmentError(department)
        if department in self.dispatches:
            return True  # dispatching is a reaction to the draw: doing it again changes nothing
        at = self._when(at)
        start = local_day(at)
        try:
            deadline = calendar.deadline(start, self.definition.confirm_days)
        except CalendarUnknownError as unknown:
            if self.held_dispatches.get(department) != unknown.year:
                self.trigger_event(
                    self._named(DispatchHeld), department=department, year=unknown.year, at=at
                )
            return False
        self.trigger_event(
            self._named(TaskDispatched),
            department=department,
            targets=list(self.drawn_targets),
            deadline=deadline,
            calendar=calendar.sources(start, deadline),
            at=at,
        )
        return True

    def dispatch_drawn(self, calendar: WorkCalendar, at: datetime) -> int:
        """派发 to every cooperating department not dispatched yet; how many went out."""
        waiting = [d for d in self.cooperating if d not in self.dispatches]
        return sum(1 for department in waiting if self.dispatch(department, calendar, at))

    # ----------------------------------------------------------------- 5. confirm
    def _require_answerable(self, department: str) -> str:
        self._require_drawn()
        department = department_code(department)
        if department not in self.cooperating:
            raise NotACooperatingDepartmentError(department)
        if department not in self.dispatches:
            raise NotACooperatingDepartmentError(f"{department} 尚未收到派发")
        if department in self.answers:
            raise AlreadyAnsweredError(department)
        return department

    def confirm(self, department: str, at: datetime) -> None:
        department = self._require_answerable(department)
        at = self._when(at)
        late = local_day(at) > self.dispatches[department].deadline
        self.trigger_event(
            self._named(DepartmentConfirmed), department=department, late=late, at=at
        )

    def decline(self, department: str, reason: str, at: datetime) -> None:
        department = self._require_answerable(department)
        reason = text(reason, "reason", "拒绝的理由")
        self.trigger_event(
            self._named(DepartmentDeclined), department=department, reason=reason, at=self._when(at)
        )

    # ----------------------------------------------------------------- deadlines
    def check_deadlines(self, at: datetime) -> int:
        """Append every overdue event due at `at` and not yet recorded; returns how many."""
        at = moment(at)
        if self.is_closed or at < self.last_at:
            # The task's record is already past this moment: a watch that runs behind (or a
            # clock that lags a department's) has nothing to judge here, and must not hold up
            # the other tasks; the next check, at a later moment, judges this one.
            return 0
        today = local_day(at)
        count = 0
        for department, dispatch in self.dispatches.items():
            if (
                department not in self.answers
                and department not in self.confirmation_overdue
                and today > dispatch.deadline
            ):
                self.trigger_event(
                    self._named(ConfirmationOverdue),
                    department=department,
                    deadline=dispatch.deadline,
                    at=at,
                )
                count += 1
        if self.publication is None:
            for target in self.visits:
                due = self.results_due.get(target)
                if due is None or today <= due:
                    continue  # no deadline yet (its year's calendar is awaited), or not passed
                for department in self.participating:
                    key = (department, target)
                    if key in self.results or key in self.result_overdue:
                        continue
                    self.trigger_event(
                        self._named(ResultOverdue),
                        department=department,
                        target=target,
                        deadline=due,
                        at=at,
                    )
                    count += 1
        return count
