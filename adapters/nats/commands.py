"""What each command a department sends does on the Tasks application, and what it answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from adapters.nats.messages import (
    CloseFollowUp,
    Command,
    Confirm,
    CorrectResult,
    Decline,
    DrawInspectors,
    OpenFollowUp,
    RecordResult,
    RecordVisit,
)
from domain.errors import NotADepartmentOfTheTaskError
from services.tasks import Tasks


def apply_command(tasks: Tasks, command: Command, at: datetime) -> Any:
    """Apply the command; its answer as JSON values (None for most). A refusal raises the
    domain's or the service's own error."""
    match command:
        case Confirm():
            tasks.confirm(command.task_id, command.department, at)
        case Decline():
            tasks.decline(command.task_id, command.department, command.reason, at)
        case DrawInspectors():
            groups = tasks.draw_inspectors(command.task_id, command.department, at)
            return [list(group) for group in groups]
        case RecordVisit():
            require_department_of_the_task(tasks, command)
            tasks.record_visit(command.task_id, command.target, command.signed, command.note, at)
        case RecordResult():
            tasks.record_result(
                command.task_id,
                command.department,
                command.target,
                command.category,
                command.findings,
                at,
            )
        case CorrectResult():
            tasks.correct_result(
                command.task_id,
                command.department,
                command.target,
                command.category,
                command.findings,
                command.reason,
                at,
            )
        case OpenFollowUp():
            return tasks.open_follow_up(
                command.task_id,
                command.department,
                command.target,
                command.problem,
                command.due,
                at,
            )
        case CloseFollowUp():
            require_department_of_the_task(tasks, command)
            tasks.close_follow_up(command.task_id, command.number, command.outcome, at)
        case _:
            assert_never(command)
    return None


def require_department_of_the_task(tasks: Tasks, command: RecordVisit | CloseFollowUp) -> None:
    """These two name no department to the task, which would take them from anyone: a
    department writes only on its own tasks (DESIGN.md, Security)."""
    task = tasks.task(command.task_id)
    if command.department not in (task.lead, *task.cooperating):
        raise NotADepartmentOfTheTaskError(f"{command.department} / {task.name}")
