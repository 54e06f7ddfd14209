"""How every command of the API runs: as whom, when, once, and what follows it.

- `at`: when it happened, as the body says (ISO 8601; without a zone, Beijing time), else now by
  the service's clock. The services refuse a moment ahead of the clock.
- `Idempotency-Key`: the command's id (services/idempotency.py `command_id_of`: the key itself
  when it is a UUID, so the same command sent on the bus and over HTTP is applied once). The first
  answer is remembered and given again, with `Idempotent-Replayed: true`, to a request that repeats
  it; the same key with another request is refused (422 idempotency_key_reused). A refusal (4xx)
  is remembered as well, like the bus's receipts; a failure of ours (5xx) is forgotten, so the
  client may try again. A command id the store applied before (from the bus, or an answer lost
  with its process) is answered as a replay, whether the store refused it as applied or the
  task's rules refused it because it was (services/idempotency.py `applied`): nothing done again.
- After each command applied, `service.settle()` (one at a time in the process, each serving
  every command committed before it began): the embedded default has no workers, so this is when
  the read models and the dispatch take it in.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID
from weakref import WeakKeyDictionary

from fastapi import Depends, Header, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from adapters import metrics
from adapters.http.auth import actor_for, service_of, who_asks
from adapters.http.errors import describe
from domain.errors import DomainError
from domain.values import CHINA
from services.accounts import Principal
from services.actors import Actor
from services.errors import CommandAlreadyAppliedError, ServiceError
from services.idempotency import IdempotencyKeyReusedError, command_id_of

if TYPE_CHECKING:
    from adapters.bootstrap import Service

M = TypeVar("M", bound=BaseModel)

REPLAYED = "Idempotent-Replayed"
SETTLE_LOCK = threading.Lock()
"""One settle at a time in this process: folding the log twice at once would only fight."""


class Settler:
    """Settles after commands, one settle at a time, each serving every command committed before
    it began: under load, commands that finish while a settle runs share the next one, instead of
    queueing one settle each behind the lock (which bounded a process to one settle's rate)."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._asked = 0
        self._done = 0
        self._running = False

    def settle(self, service: Service) -> None:
        """Return once a settle that began after this call has finished (or raise its error)."""
        with self._turn:
            self._asked += 1
            mine = self._asked
            while self._done < mine:
                if self._running:
                    self._turn.wait()
                    continue
                self._running = True
                covered = self._asked
                self._turn.release()
                try:
                    with SETTLE_LOCK:
                        service.settle()
                finally:
                    self._turn.acquire()
                    self._running = False
                    self._turn.notify_all()
                self._done = max(self._done, covered)


_settlers: WeakKeyDictionary[Service, Settler] = WeakKeyDictionary()
_settlers_lock = threading.Lock()


_changes = 0


def changes() -> int:
    """How many settles this process has made: what a kept public answer was made after."""
    return _changes


def settle(service: Service) -> None:
    """After a command: the read models and the dispatch take it in before the answer goes."""
    global _changes
    with _settlers_lock:
        settler = _settlers.get(service)
        if settler is None:
            settler = _settlers[service] = Settler()
    settler.settle(service)
    with _settlers_lock:
        _changes += 1


class CommandBody(BaseModel):
    """What every command's body may say."""

    at: datetime | None = Field(
        default=None,
        description="发生时间（ISO 8601；不带时区按北京时间）；不填为服务器当前时间。"
        "不得晚于服务器时间，也不得早于该任务已记录的最近时间",
        examples=["2023-11-02T10:15:00+08:00"],
    )


class AlreadyApplied(BaseModel):
    """The command's id was applied before (sent on the bus, or an answer lost): nothing was
    done again, and its first answer is not known here."""

    command_id: UUID
    already_applied: bool = True


@dataclass
class Command:
    """One command request: who sends it, with which key. Handlers call `run`."""

    request: Request
    service: Service
    principal: Principal | None
    key: str | None

    def actor(self, task_id: UUID | None = None) -> Actor:
        """As whom the sender acts; on a task, in the role the stored task gives it."""
        return actor_for(self.request, self.principal, task_id, write=True)

    def at(self, body: CommandBody | None) -> datetime:
        given = body.at if body is not None else None
        if given is None:
            return self.service.clock.now()
        return given if given.tzinfo is not None else given.replace(tzinfo=CHINA)

    def run(
        self,
        body: CommandBody | None,
        apply: Callable[[UUID | None, datetime], BaseModel],
        status: int = 200,
    ) -> Response:
        """Apply the command once (`apply(command_id, at)` calls the service and gives the
        answer), remember its answer under the key, settle, answer."""
        at = self.at(body)
        apply = self._timed(apply)
        if self.key is None or self.principal is None:
            answer = apply(None, at)
            settle(self.service)
            return _json(answer.model_dump_json(), status)
        name, key = self.principal.name, self.key
        idempotency = self.service.idempotency
        digest = self.digest(body)
        remembered = idempotency.begin(name, key, digest, at=self.service.clock.now())
        if remembered is not None:
            if remembered.request_digest != digest:
                raise IdempotencyKeyReusedError()
            return _json(remembered.body, remembered.status, replayed=True)
        command_id = command_id_of(name, key)
        try:
            answer = apply(command_id, at)
        except CommandAlreadyAppliedError:
            return self._already_applied(name, key, command_id)
        except (DomainError, ServiceError) as error:
            if idempotency.applied(command_id):
                # Applied before (on the bus), and refused now by the rules it changed: a repeat.
                return self._already_applied(name, key, command_id)
            refused = describe(error)
            if refused.status >= 500:
                idempotency.abandon(name, key)
            else:
                idempotency.finish(name, key, refused.status, json.dumps(refused.body()))
            raise
        except BaseException:
            idempotency.abandon(name, key)
            raise
        text = answer.model_dump_json()
        self._finish(name, key, status, text)  # before settling: the command is applied
        settle(self.service)
        return _json(text, status)

    def _finish(self, name: str, key: str, status: int, text: str) -> None:
        try:
            self.service.idempotency.finish(name, key, status, text)
        except BaseException:
            # The store went away after the command was applied: the key is let go, and the
            # client's retry meets the applied command id (answered as a replay).
            self.service.idempotency.abandon(name, key)
            raise

    def _already_applied(self, name: str, key: str, command_id: UUID) -> Response:
        text = AlreadyApplied(command_id=command_id).model_dump_json()
        self._finish(name, key, 200, text)
        return _json(text, 200, replayed=True)

    def _timed(
        self, apply: Callable[[UUID | None, datetime], BaseModel]
    ) -> Callable[[UUID | None, datetime], BaseModel]:
        """`apply` counted in ssj_command_seconds under its route's name (open_target_directory,
        draw, …): one series per command, whatever the task."""
        route = self.request.scope.get("route")
        name = getattr(route, "name", None) or "unknown"
        histogram = metrics.COMMAND_SECONDS.labels(name, "http")

        def timed(command_id: UUID | None, at: datetime) -> BaseModel:
            with histogram.time():
                return apply(command_id, at)

        return timed

    def digest(self, body: CommandBody | None) -> str:
        """What the request says: method, path and body as read (key order, spacing and the
        spelling of a value do not count; a field left out is its default)."""
        content: dict[str, Any] = {
            "method": self.request.method,
            "path": self.request.url.path,
            "body": body.model_dump(mode="json") if body is not None else None,
        }
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _json(text: str, status: int, replayed: bool = False) -> Response:
    headers = {REPLAYED: "true"} if replayed else None
    return Response(text, status, headers=headers, media_type="application/json")


def command(
    request: Request,
    who: Annotated[Principal | None, Depends(who_asks)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="幂等键：同一指令重发时使用同一键（建议 UUID；与总线指令编号相同则只执行一次）",
        ),
    ] = None,
) -> Command:
    return Command(request, service_of(request), who, idempotency_key)


CommandDep = Annotated[Command, Depends(command)]
