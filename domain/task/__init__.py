"""抽查任务: one inspection task, from its plan to its closing, as the documents lay it out.

Each public method is a step of the procedure. It checks the rules first and only then records
an event, so a refused command leaves nothing behind. Whatever is random or depends on the clock
(the secret, the beacon, the time, the calendar's deadline) is decided by the caller or computed
here before the event, and recorded in it: replaying the log never draws again.

The steps live in the modules of this package, one part of the procedure each; `Task` puts them
together and names every event, so that each keeps the topic it is stored under
(`domain.task:Task.<Event>`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.calendar import WorkCalendar
from domain.directory import Recusal
from domain.errors import FollowUpsOpenError, NotPublishedError
from domain.task import committed_draw, coordination, fieldwork, follow_up, groups
from domain.task.base import Record, Step
from domain.task.committed_draw import CommittedDraw
from domain.task.coordination import Coordination
from domain.task.fieldwork import Fieldwork
from domain.task.follow_up import FollowUps
from domain.task.groups import Group, Groups, RecordSheet
from domain.task_definition import TaskDefinition
from domain.values import FollowUp, FollowUpStatus, moment

__all__ = ["FollowUp", "FollowUpStatus", "Group", "RecordSheet", "Recusal", "Step", "Task"]


class Task(CommittedDraw, Coordination, Groups, Fieldwork, FollowUps, Aggregate):
    """The central aggregate: what is drawn, who inspects, what was found, what was published."""

    # Every event is named here, so the library makes it `Task.<Event>` of this module.
    SeedCommitted: TypeAlias = committed_draw.SeedCommitted
    TargetsDrawn: TypeAlias = committed_draw.TargetsDrawn
    TaskDispatched: TypeAlias = coordination.TaskDispatched
    DispatchHeld: TypeAlias = coordination.DispatchHeld
    DepartmentConfirmed: TypeAlias = coordination.DepartmentConfirmed
    DepartmentDeclined: TypeAlias = coordination.DepartmentDeclined
    ConfirmationOverdue: TypeAlias = coordination.ConfirmationOverdue
    ResultOverdue: TypeAlias = coordination.ResultOverdue
    InspectorsDrawn: TypeAlias = groups.InspectorsDrawn
    GroupsMatched: TypeAlias = groups.GroupsMatched
    GroupingFiled: TypeAlias = groups.GroupingFiled
    NoticeServed: TypeAlias = fieldwork.NoticeServed
    InspectionVisited: TypeAlias = fieldwork.InspectionVisited
    ResultDeadlineSet: TypeAlias = fieldwork.ResultDeadlineSet
    ResultRecorded: TypeAlias = fieldwork.ResultRecorded
    ResultCorrected: TypeAlias = fieldwork.ResultCorrected
    ResultsPublished: TypeAlias = fieldwork.ResultsPublished
    FollowUpOpened: TypeAlias = follow_up.FollowUpOpened
    FollowUpTransferred: TypeAlias = follow_up.FollowUpTransferred
    FollowUpClosed: TypeAlias = follow_up.FollowUpClosed

    # ----------------------------------------------------------------- 1. planned
    class Planned(Aggregate.Created):
        """The task as the plan states it (the rows of the 抽查工作计划 table)."""

        plan_id: UUID
        number: int
        definition: Record
        """TaskDefinition.as_record(): name, departments, items, scope, ratios, window, settings."""
        at: datetime

    @classmethod
    def plan(cls, plan_id: UUID, number: int, definition: TaskDefinition, at: datetime) -> Task:
        return cls(plan_id=plan_id, number=number, definition=definition.as_record(), at=moment(at))

    @staticmethod
    def create_id(plan_id: UUID, number: int, definition: Record, at: datetime) -> UUID:
        return Task.id_for(plan_id, number)

    @staticmethod
    def id_for(plan_id: UUID, number: int) -> UUID:
        """One task per row of a plan: a plan registered twice cannot double its tasks."""
        return uuid5(NAMESPACE_URL, f"ssj:task:{plan_id}:{number}")

    @event(Planned)
    def __init__(self, plan_id: UUID, number: int, definition: Record, at: datetime) -> None:
        self.plan_id = plan_id
        self.number = number
        self.definition = TaskDefinition.from_record(definition)
        self.planned_at = at
        self.last_at = at
        self.commitment = None
        self.target_draw = None
        self.dispatches = {}
        self.held_dispatches = {}
        self.answers = {}
        self.confirmation_overdue = set()
        self.inspector_draws = {}
        self.matching = None
        self.filings = {}
        self.notices = {}
        self.visits = {}
        self.results_due = {}
        self.results = {}
        self.result_overdue = set()
        self.publication = None
        self.follow_ups = {}
        self.closed_at = None

    # ----------------------------------------------------------------- what waits for a calendar
    def awaited_years(self) -> set[int]:
        """The years whose holiday arrangement this task waits for, to count a deadline."""
        return {*self.held_dispatches.values(), *self.visits_awaiting_calendar().values()}

    def count_held_deadlines(self, calendar: WorkCalendar, at: datetime) -> int:
        """Once a year's calendar is known: send the dispatches that waited for it and count
        the results' deadlines of the visits that did. How many deadlines were counted."""
        if self.is_closed:
            return 0
        sent = sum(
            1
            for department in list(self.held_dispatches)
            if self.dispatch(department, calendar, at)
        )
        return sent + self.set_results_deadlines(calendar, at)

    # ----------------------------------------------------------------- 13. close
    class Closed(Step):
        """结案: published, and every follow-up closed or handed over."""

        at: datetime

        def apply(self, task: Task) -> None:
            task.closed_at = self.at

    def close(self, at: datetime) -> None:
        self._require_open()
        if self.publication is None:
            raise NotPublishedError(self.name)
        if self.open_follow_ups():
            raise FollowUpsOpenError("、".join(str(n) for n in self.open_follow_ups()))
        self.trigger_event(self.Closed, at=self._when(at))
