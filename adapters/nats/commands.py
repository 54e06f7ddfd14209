"""What each command a department sends does on the Tasks application, and what it answers.

Who acts is the department of the subject (NATS lets a department publish only under its own
name, DESIGN.md), in its role on the task: the lead of a task it leads, a cooperating department
of the others. What that actor may do, the permission policy of services/ decides, as for every
other front; the command's id goes with it, so that the store applies it once.
"""

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
from services.actors import Actor
from services.tasks import Tasks


def actor_of(tasks: Tasks, command: Command) -> Actor:
    return Actor(tasks.role_in(command.department, command.task_id), command.department)


def apply_command(tasks: Tasks, command: Command, at: datetime) -> Any:
    """Apply the command; its answer as JSON values (None for most). A refusal raises the
    domain's or the service's own error."""
    actor = actor_of(tasks, command)
    task_id, command_id = command.task_id, command.command_id
    match command:
        case Confirm():
            tasks.confirm(actor, task_id, at=at, command_id=command_id)
        case Decline():
            tasks.decline(actor, task_id, command.reason, at=at, command_id=command_id)
        case DrawInspectors():
            groups = tasks.draw_inspectors(actor, task_id, at=at, command_id=command_id)
            return [list(group) for group in groups]
        case RecordVisit():
            tasks.record_visit(
                actor,
                task_id,
                command.target,
                command.signed,
                command.note,
                at=at,
                on_site_reason=command.on_site_reason,
                command_id=command_id,
            )
        case RecordResult():
            tasks.record_result(
                actor,
                task_id,
                command.target,
                command.category,
                command.findings,
                at=at,
                command_id=command_id,
            )
        case CorrectResult():
            tasks.correct_result(
                actor,
                task_id,
                command.target,
                command.category,
                command.findings,
                command.reason,
                at=at,
                command_id=command_id,
            )
        case OpenFollowUp():
            return tasks.open_follow_up(
                actor,
                task_id,
                command.target,
                command.problem,
                command.due,
                at=at,
                measure=command.measure,
                command_id=command_id,
            )
        case CloseFollowUp():
            tasks.close_follow_up(
                actor,
                task_id,
                command.number,
                command.outcome,
                at=at,
                measure=command.measure,
                command_id=command_id,
            )
        case _:
            assert_never(command)
    return None
