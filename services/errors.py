"""Errors of the service layer, beside the domain's own (domain/errors.py).

ServiceError
├── NotFoundError          no such plan, task or directory
├── AlreadyExistsError     a plan or directory registered twice (refused by the store)
└── ConcurrentWriteError   another writer kept winning; the command was not applied
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors the applications raise themselves."""


class NotFoundError(ServiceError):
    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what}: 没有 {key}")


class AlreadyExistsError(ServiceError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what}: {key} 已存在")


class ConcurrentWriteError(ServiceError):
    def __init__(self, key: object, attempts: int) -> None:
        super().__init__(f"{key}: 并发写入冲突，重试 {attempts} 次后仍未成功，请稍后再试")
