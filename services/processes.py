"""Process managers: what the service does by itself when something has happened or a time passed.

Each is idempotent: run twice on the same event or the same moment, it changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.task import Task
from services.log import read_log
from services.read_models import TaskIndex
from services.tasks import Tasks

DRAWN = (get_topic(Task.TargetsDrawn),)


class DispatchProcess:
    """派发: as soon as targets are drawn, each cooperating department receives the task."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks
        self.position = 0

    def follow(self) -> int:
        """Handle every event after the last position seen; returns how many dispatches were made."""
        made = 0
        for logged in read_log(self.tasks, self.position, topics=DRAWN):
            if isinstance(logged.event, Task.TargetsDrawn):
                made += self.when_targets_drawn_dispatch(logged.event)
            self.position = logged.position
        return made

    def when_targets_drawn_dispatch(self, drawn: Task.TargetsDrawn) -> int:
        task = self.tasks.task(drawn.originator_id)
        pending = [d for d in task.cooperating if d not in task.dispatches]
        for department in pending:
            # The deadline runs from the draw, whenever this process gets to it.
            self.tasks.dispatch(task.id, department, drawn.at)
        return len(pending)


@dataclass(frozen=True)
class Overdue:
    task_id: UUID
    appended: int


class DeadlineWatch:
    """Appends ConfirmationOverdue and ResultOverdue for every open task at a given moment."""

    def __init__(self, tasks: Tasks, index: TaskIndex) -> None:
        self.tasks = tasks
        self.index = index

    def check(self, at: datetime) -> list[Overdue]:
        found = []
        for task_id in self.index.open_tasks():
            appended = self.tasks.check_deadlines(task_id, at)
            if appended:
                found.append(Overdue(task_id, appended))
        return found
