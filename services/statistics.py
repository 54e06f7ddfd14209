"""The plan view: each department's work per month, so that no month spikes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.values import local_day
from services.projection import Dispatching

if TYPE_CHECKING:
    from domain.task import Task


@dataclass
class MonthlyWorkload:
    """One department's work in one month: the plan view, so that no month spikes.

    A month is the Beijing-time month of the business moment (`at`) of the events counted. Every
    count is a sum over events, so workloads folded from separate stretches of the log add up.
    """

    department: str
    month: str
    """YYYY-MM."""
    tasks: int = 0
    """Tasks planned this month that the department takes part in, as lead or as a cooperating
    department named by the plan: all of a task's departments count it in the lead's month of
    planning, when the work is committed to, whatever each then answers."""
    targets_drawn: int = 0
    """Targets it must inspect: the lead's when they are drawn, a cooperating department's when
    the task is dispatched to it."""
    done: int = 0
    """Its tasks closed (结案) this month, counted for the same departments as `tasks`."""
    overdue: int = 0
    """Deadlines it let pass: ConfirmationOverdue and ResultOverdue appended this month."""


class PlanStatistics(Dispatching):
    """Per department and month: tasks, targets drawn, tasks done and deadlines let pass."""

    def __init__(self) -> None:
        self.departments: dict[UUID, tuple[str, ...]] = {}
        """Task -> its lead and the cooperating departments its plan names."""
        self.months: dict[tuple[str, str], MonthlyWorkload] = {}

    def _of(self, department: str, at: datetime) -> MonthlyWorkload:
        month = local_day(at).strftime("%Y-%m")
        workload = self.months.get((department, month))
        if workload is None:
            workload = self.months[(department, month)] = MonthlyWorkload(department, month)
        return workload

    def when_Planned(self, e: Task.Planned) -> None:
        d = e.definition
        self.departments[e.originator_id] = (d["lead"], *d["cooperating"])
        for department in self.departments[e.originator_id]:
            self._of(department, e.at).tasks += 1

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        lead = self.departments[e.originator_id][0]
        self._of(lead, e.at).targets_drawn += sum(len(ids) for ids in e.drawn.values())

    def when_TaskDispatched(self, e: Task.TaskDispatched) -> None:
        self._of(e.department, e.at).targets_drawn += len(e.targets)

    def when_ConfirmationOverdue(self, e: Task.ConfirmationOverdue) -> None:
        self._of(e.department, e.at).overdue += 1

    def when_ResultOverdue(self, e: Task.ResultOverdue) -> None:
        self._of(e.department, e.at).overdue += 1

    def when_Closed(self, e: Task.Closed) -> None:
        for department in self.departments[e.originator_id]:
            self._of(department, e.at).done += 1
