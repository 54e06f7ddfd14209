"""Process managers: what the service does by itself when something has happened or a time passed.

Each keeps its position in the read models' store and acts once per event; each is idempotent
as well, so an event handled again after a crash (between the effect and the position) changes
nothing more. A failure on one task is recorded as a fault, with the task and the position, and the
process goes on with the others: one task's trouble never stops the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.holiday_arrangements import HolidayArrangements
from domain.task import Task
from domain.values import local_day
from services.actors import SERVICE, Actor
from services.clock import Clock
from services.log import read_log
from services.read_models import Fault, ReadModels
from services.tasks import Tasks

log = logging.getLogger(__name__)


def _failure(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


class DispatchProcess:
    """派发 as soon as targets are drawn; and once a year's calendar is loaded, every dispatch and
    results' deadline that waited for it (待补充该年工作日历)."""

    NAME = "dispatch"
    TOPICS = (
        get_topic(Task.TargetsDrawn),
        get_topic(Task.DispatchHeld),
        get_topic(Task.InspectionVisited),
        get_topic(HolidayArrangements.YearImported),
    )

    def __init__(self, tasks: Tasks, read_models: ReadModels, clock: Clock) -> None:
        self.tasks = tasks
        self.read_models = read_models
        self.clock = clock

    def follow(self) -> int:
        """Handle every event after the recorded position; how many deadlines went out."""
        position = self.read_models.process_position(self.NAME)
        made = 0
        last = position
        for logged in read_log(self.tasks, position, topics=self.TOPICS):
            made += self._guarded(logged.position, logged.event)
            last = logged.position
        if last > position:
            self.read_models.advance_process(self.NAME, last)
        return made

    def _guarded(self, position: int, event: object) -> int:
        task_id = getattr(event, "originator_id", None)
        try:
            return self._handle(event)
        except Exception as error:  # one task's trouble is recorded; the others go on
            log.warning("dispatch: task %s at position %d: %s", task_id, position, error)
            self.read_models.record_fault(
                Fault(self.NAME, task_id, position, _failure(error), self.clock.now())
            )
            return 0

    def _handle(self, event: object) -> int:
        if isinstance(event, Task.TargetsDrawn):
            # The deadline runs from the draw, whenever this process gets to it.
            return self.tasks.dispatch_drawn(SERVICE, event.originator_id, at=event.at)
        if isinstance(event, HolidayArrangements.YearImported):
            self.tasks.calendars.refresh()
            return sum(self._count(task) for task in self.read_models.awaiting(event.year))
        year = None
        if isinstance(event, Task.DispatchHeld):
            year = event.year
        elif isinstance(event, Task.InspectionVisited):
            year = event.awaiting_calendar
        # Held on a calendar older than the log's (another process loaded the year meanwhile):
        # counted now, as if the year's loading came after it.
        if year is not None and year in self.tasks.calendars.refresh().years:
            return self._count(cast(Task.Event, event).originator_id)
        return 0

    def _count(self, task_id: UUID) -> int:
        return self.tasks.count_held_deadlines(SERVICE, task_id, at=self.clock.now())


@dataclass(frozen=True)
class Overdue:
    task_id: UUID
    appended: int


class DeadlineWatch:
    """Appends ConfirmationOverdue and ResultOverdue, as of a moment, on every task with a deadline
    passed by then: the read models say which, so a watch costs what is due, not the whole log."""

    NAME = "deadlines"

    def __init__(self, tasks: Tasks, read_models: ReadModels, clock: Clock) -> None:
        self.tasks = tasks
        self.read_models = read_models
        self.clock = clock

    def check(self, at: datetime, actor: Actor = SERVICE) -> list[Overdue]:
        found = []
        for task_id in self.read_models.due(local_day(at)):
            appended = self._judge(task_id, at, actor)
            if appended:
                found.append(Overdue(task_id, appended))
        return found

    def _judge(self, task_id: UUID, at: datetime, actor: Actor) -> int:
        try:
            return self.tasks.check_deadlines(actor, task_id, at=at)
        except Exception as error:  # one task's trouble is recorded; the others are judged
            log.warning("deadlines: task %s: %s", task_id, error)
            self.read_models.record_fault(
                Fault(self.NAME, task_id, 0, _failure(error), self.clock.now())
            )
            return 0
