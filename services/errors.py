"""Errors of the service layer, beside the domain's own (domain/errors.py).

ServiceError
├── NotFoundError          no such plan, task or directory
├── ForbiddenError         who asks may not do this (services/permissions.py)
├── AheadOfClockError      a command dated later than the service's clock allows
├── AlreadyExistsError     a plan or directory registered twice (refused by the store)
├── ConcurrentWriteError   another writer kept winning; the command was not applied
└── CommandAlreadyAppliedError  a command id the store has applied before (bus intake)
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import IntegrityError


class ServiceError(Exception):
    """Base of the errors the applications raise themselves."""


class NotFoundError(ServiceError):
    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what}: 没有 {key}")


class ForbiddenError(ServiceError):
    """The permission policy refused: nothing was read or recorded."""

    field = "actor"

    def __init__(self, actor: str, action: str, who: str) -> None:
        self.actor = actor
        self.action = action
        super().__init__(f"actor: {actor} 无权{action}（仅限{who}）")


class AheadOfClockError(ServiceError):
    """A command's time is later than now (plus the tolerance for clocks that differ a little):
    a future moment would freeze the task, whose moments only move forward."""

    field = "at"

    def __init__(self, at: str, latest: str) -> None:
        super().__init__(f"at: 应为不晚于服务器当前时间的时刻（最晚 {latest}），收到 {at}")


class AlreadyExistsError(ServiceError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what}: {key} 已存在")


class ConcurrentWriteError(ServiceError):
    def __init__(self, key: object, attempts: int) -> None:
        super().__init__(f"{key}: 并发写入冲突，重试 {attempts} 次后仍未成功，请稍后再试")


class CommandAlreadyAppliedError(ServiceError, IntegrityError):
    """The store refused a save because it carried the id of a command applied before: nothing
    was applied again. An IntegrityError, so that a group commit falls back to one by one."""

    def __init__(self, command_ids: object) -> None:
        self.command_ids = command_ids
        super().__init__(f"指令 {command_ids} 已执行过，不再重复执行")


def one_command(command_id: UUID | None) -> dict[str, list[UUID]]:
    """The keyword a save carries so that the store records the command it applies."""
    return {"command_ids": [command_id]} if command_id is not None else {}
