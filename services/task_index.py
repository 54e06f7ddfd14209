"""Task events folded into task views, and the escalations they give rise to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.task import Task
from services.projection import Dispatching
from services.task_views import Escalation, TaskView, awaiting_calendar


class TaskIndex(Dispatching):
    """Folds task events into their views, and the escalations they give rise to."""

    def __init__(self) -> None:
        self.tasks: dict[UUID, TaskView] = {}
        self.escalations: list[Escalation] = []

    def _view(self, e: Task.Event) -> TaskView:
        view = self.tasks[e.originator_id]
        at = getattr(e, "at", None)
        if isinstance(at, datetime) and (view.last_at is None or at > view.last_at):
            view.last_at = at
        return view

    def _escalate(self, e: Any, department: str, what: str, deadline: date | None) -> None:
        view = self.tasks[e.originator_id]
        self.escalations.append(
            Escalation(e.originator_id, view.name, department, what, deadline, e.at)
        )

    def when_Planned(self, e: Task.Planned) -> None:
        d = e.definition
        self.tasks[e.originator_id] = TaskView(
            e.originator_id,
            d["name"],
            d["lead"],
            tuple(d["cooperating"]),
            date.fromisoformat(d["window_end"]),
            last_at=e.at,
            window_start=date.fromisoformat(d["window_start"]),
            ratios={} if d["directed"] else dict(d["ratios"]),
        )

    def when_SeedCommitted(self, e: Task.SeedCommitted) -> None:
        self._view(e).committed = True

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        self._view(e).targets = tuple(t for g in sorted(e.drawn) for t in e.drawn[g])

    def when_DispatchHeld(self, e: Task.DispatchHeld) -> None:
        self._view(e).held[e.department] = e.year
        self._escalate(e, e.department, f"派发暂缓，{awaiting_calendar(e.year)}", None)

    def when_TaskDispatched(self, e: Task.TaskDispatched) -> None:
        view = self._view(e)
        view.dispatch_deadlines[e.department] = e.deadline
        view.held.pop(e.department, None)

    def when_DepartmentConfirmed(self, e: Task.DepartmentConfirmed) -> None:
        self._view(e).answers[e.department] = True

    def when_DepartmentDeclined(self, e: Task.DepartmentDeclined) -> None:
        self._view(e).answers[e.department] = False

    def when_ConfirmationOverdue(self, e: Task.ConfirmationOverdue) -> None:
        self._view(e).overdue.append(e.department)
        self._escalate(e, e.department, "未在期限内确认派发任务", e.deadline)

    def when_ResultOverdue(self, e: Task.ResultOverdue) -> None:
        self._view(e).result_overdue.add((e.department, e.target))
        self._escalate(e, e.department, f"未按时录入 {e.target} 的检查结果", e.deadline)

    def when_InspectorsDrawn(self, e: Task.InspectorsDrawn) -> None:
        self._view(e).inspectors_drawn.add(e.department)

    def when_GroupsMatched(self, e: Task.GroupsMatched) -> None:
        self._view(e).matched = True

    def when_InspectionVisited(self, e: Task.InspectionVisited) -> None:
        view = self._view(e)
        view.visits[e.target] = e.results_due
        if e.results_due is None and e.awaiting_calendar is not None:
            view.awaiting[e.target] = e.awaiting_calendar
            what = f"{e.target} 的结果录入期限{awaiting_calendar(e.awaiting_calendar)}"
            self._escalate(e, e.department, what, None)  # who visited, as the bus tells it

    def when_ResultDeadlineSet(self, e: Task.ResultDeadlineSet) -> None:
        view = self._view(e)
        view.visits[e.target] = e.results_due
        view.awaiting.pop(e.target, None)

    def when_ResultRecorded(self, e: Task.ResultRecorded) -> None:
        self._view(e).results.add((e.department, e.target))

    def when_ResultCorrected(self, e: Task.ResultCorrected) -> None:
        self._view(e)

    def when_ResultsPublished(self, e: Task.ResultsPublished) -> None:
        self._view(e).published = True

    def when_FollowUpOpened(self, e: Task.FollowUpOpened) -> None:
        self._view(e).follow_ups[e.number] = e.follow_up()

    def when_FollowUpTransferred(self, e: Task.FollowUpTransferred) -> None:
        view = self._view(e)
        view.follow_ups[e.number] = view.follow_ups[e.number].transferred(e.to, e.reason, e.measure)

    def when_FollowUpClosed(self, e: Task.FollowUpClosed) -> None:
        view = self._view(e)
        view.follow_ups[e.number] = view.follow_ups[e.number].closed(e.outcome, e.measure)

    def when_Closed(self, e: Task.Closed) -> None:
        self._view(e).closed = True
