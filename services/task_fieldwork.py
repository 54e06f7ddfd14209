"""Tasks, steps 9–13: notices, visits, results and corrections, publication, follow-up, closing.

Part of the `Tasks` application (services/tasks.py), which says how every command is guarded:
the policy on the task as stored, the clock, then the task's own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from domain.values import FollowUpMeasure
from services.actors import Actor
from services.permissions import Action

if TYPE_CHECKING:
    from domain.task import Task
    from services.calendars import Calendars

R = TypeVar("R")


def department_of(actor: Actor) -> str:
    """The department a command is made for: who asks. The policy has refused an actor who
    speaks for none before the task reads it."""
    return actor.department or ""


class Fieldwork:
    calendars: Calendars

    if TYPE_CHECKING:

        def _change(
            self,
            actor: Actor,
            action: Action,
            task_id: UUID,
            command: Callable[[Task], R],
            at: datetime,
            command_id: UUID | None,
            target: str | None = None,
        ) -> R: ...

    # ------------------------------------------------------------------ 9–10. visit and results
    def serve_notice(
        self,
        actor: Actor,
        task_id: UUID,
        target: str,
        method: str,
        recipient: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        department = department_of(actor)
        self._change(
            actor,
            Action.SERVE_NOTICE,
            task_id,
            lambda t: t.serve_notice(department, target, method, recipient, at),
            at,
            command_id,
        )

    def record_visit(
        self,
        actor: Actor,
        task_id: UUID,
        target: str,
        signed: bool,
        note: str,
        *,
        at: datetime,
        on_site_reason: str = "",
        command_id: UUID | None = None,
    ) -> None:
        """`on_site_reason`: why an off-site check would not do, where the task's items allow
        one (国办发〔2024〕54号); the task refuses a visit without it there."""
        department = department_of(actor)
        calendar = self.calendars.calendar()
        self._change(
            actor,
            Action.RECORD_VISIT,
            task_id,
            lambda t: t.record_visit(
                department, target, signed, note, calendar, at, on_site_reason
            ),
            at,
            command_id,
        )

    def record_result(
        self,
        actor: Actor,
        task_id: UUID,
        target: str,
        category: str,
        findings: Mapping[str, str],
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        department = department_of(actor)
        self._change(
            actor,
            Action.RECORD_RESULT,
            task_id,
            lambda t: t.record_result(department, target, category, findings, at),
            at,
            command_id,
            target,
        )

    def correct_result(
        self,
        actor: Actor,
        task_id: UUID,
        target: str,
        category: str,
        findings: Mapping[str, str],
        reason: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        department = department_of(actor)
        self._change(
            actor,
            Action.CORRECT_RESULT,
            task_id,
            lambda t: t.correct_result(department, target, category, findings, reason, at),
            at,
            command_id,
            target,
        )

    # ------------------------------------------------------------------ 11–13. publish, follow up, close
    def publish(
        self, actor: Actor, task_id: UUID, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        self._change(actor, Action.PUBLISH, task_id, lambda t: t.publish(at), at, command_id)

    def open_follow_up(
        self,
        actor: Actor,
        task_id: UUID,
        target: str,
        problem: str,
        due: date,
        *,
        at: datetime,
        measure: str = FollowUpMeasure.ORDER_RECTIFICATION.value,
        command_id: UUID | None = None,
    ) -> int:
        """`measure`: what is ordered (责令改正 by default, with `due` as its 整改期限)."""
        department = department_of(actor)
        return self._change(
            actor,
            Action.OPEN_FOLLOW_UP,
            task_id,
            lambda t: t.open_follow_up(department, target, problem, due, at, measure),
            at,
            command_id,
        )

    def transfer_follow_up(
        self,
        actor: Actor,
        task_id: UUID,
        number: int,
        to: str,
        reason: str,
        *,
        at: datetime,
        measure: str = FollowUpMeasure.TRANSFER.value,
        command_id: UUID | None = None,
    ) -> None:
        """`measure`: 移送 (by default), 抄告 or 反馈日常监管部门."""
        department = department_of(actor)
        self._change(
            actor,
            Action.TRANSFER_FOLLOW_UP,
            task_id,
            lambda t: t.transfer_follow_up(department, number, to, reason, at, measure),
            at,
            command_id,
        )

    def close_follow_up(
        self,
        actor: Actor,
        task_id: UUID,
        number: int,
        outcome: str,
        *,
        at: datetime,
        measure: str | None = None,
        command_id: UUID | None = None,
    ) -> None:
        """`measure`: a further one taken on closing (行政处罚 …), if any."""
        department = department_of(actor)
        self._change(
            actor,
            Action.CLOSE_FOLLOW_UP,
            task_id,
            lambda t: t.close_follow_up(department, number, outcome, at, measure),
            at,
            command_id,
        )

    def close_task(
        self, actor: Actor, task_id: UUID, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        self._change(actor, Action.CLOSE_TASK, task_id, lambda t: t.close(at), at, command_id)
