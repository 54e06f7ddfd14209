"""The lead's commitment and draw from the HTTP front (API and console alike): the server makes
the secret and keeps it (draw_secrets.py) until the draw reveals it, so nobody types or sees it.

    drawing.commit(service, actor, task_id, beacon_source, at=…, command_id=…) -> CommitSummary
    drawing.draw(service, actor, task_id, beacon, at=…, command_id=…)          -> DrawSummary
    drawing.kept_secret(service, actor, task_id)                                -> str

The secret is the lead's: the lead alone may read it before the draw (to keep a copy of its own,
or to draw from another front), as the lead alone may draw; after the draw it is public anyway.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from adapters.http.draw_secrets import kept_by
from domain import draw as rule
from services.actors import Actor
from services.errors import ServiceError
from services.permissions import Action, require
from services.tasks import CommitSummary, DrawSummary, parties_of

if TYPE_CHECKING:
    from adapters.bootstrap import Service


class DrawSecretMissingError(ServiceError):
    """The task was committed to elsewhere (the CLI, another store): its secret is not here."""

    field = "secret"
    code = "draw_secret_missing"

    def __init__(self) -> None:
        super().__init__(
            "secret: 服务器未保存该任务的密钥（随机种子承诺不是经本系统网页或接口提交的），"
            "请提供承诺时的密钥"
        )


def commit(
    service: Service,
    actor: Actor,
    task_id: UUID,
    beacon_source: str,
    *,
    at: datetime,
    command_id: UUID | None = None,
) -> CommitSummary:
    """Commit to a secret drawn here with `secrets.token_hex(32)`, kept before it is committed
    to (a refused commit leaves a secret nobody committed to, which nothing reads)."""
    tasks = service.tasks
    task = tasks.task(actor, task_id)
    # The policy first: nobody but the task's lead makes the server keep a secret.
    require(actor, Action.COMMIT_SEED, parties_of(task))
    secret = secrets.token_hex(32)
    if task.commitment is None:
        kept_by(service).keep(task_id, rule.commitment_of(secret), secret)
    return tasks.commit_seed(actor, task_id, secret, beacon_source, at=at, command_id=command_id)


def draw(
    service: Service,
    actor: Actor,
    task_id: UUID,
    beacon: str,
    *,
    at: datetime,
    command_id: UUID | None = None,
    secret: str | None = None,
) -> DrawSummary:
    """Draw with the secret kept for the task's commitment (or the one given)."""
    tasks = service.tasks
    if secret is None:
        task = tasks.task(actor, task_id)
        committed = task.commitment
        if committed is not None:  # without a commitment the task itself refuses the draw
            require(actor, Action.DRAW_TARGETS, parties_of(task))
            secret = kept_by(service).secret(committed.commitment)
            if secret is None:
                raise DrawSecretMissingError()
    return tasks.draw_targets(actor, task_id, secret or "", beacon, at=at, command_id=command_id)


def kept_secret(service: Service, actor: Actor, task_id: UUID) -> str:
    """The secret the server keeps for the task's commitment: for its lead alone."""
    task = service.tasks.task(actor, task_id)
    require(actor, Action.DRAW_TARGETS, parties_of(task))
    committed = task.commitment
    if committed is None:
        from services.errors import NotFoundError

        raise NotFoundError("随机种子承诺", f"{task_id}（尚未提交承诺）")
    secret = kept_by(service).secret(committed.commitment)
    if secret is None:
        raise DrawSecretMissingError()
    return secret
