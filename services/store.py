"""What every application of ssj shares: one log, one way to store values, bounded retries.

Both applications write to the same recorder, so the service has one global log: one order of
events for auditors to replay, one position for projections and the outbox to track.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    JSONTranscoder,
    Transcoding,
)

from services.errors import (
    AlreadyExistsError,
    CommandAlreadyAppliedError,
    ConcurrentWriteError,
    NotFoundError,
    one_command,
)

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

MAX_ATTEMPTS = 5


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SsjApplication(Application[UUID]):
    name = "ssj"
    """Shared by every application: PostgreSQL names the one events table after it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = SsjApplication.name  # the library would name each subclass after itself

    def __init__(
        self, env: Mapping[str, str] | None = None, recorder: ApplicationRecorder | None = None
    ) -> None:
        self._shared_recorder = recorder
        super().__init__(env)

    def construct_recorder(self) -> ApplicationRecorder:
        if self._shared_recorder is not None:
            return self._shared_recorder
        return super().construct_recorder()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def load(self, kind: type[A], aggregate_id: UUID, what: str, version: int | None = None) -> A:
        try:
            aggregate: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFoundError(what, aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise NotFoundError(what, aggregate_id)
        return aggregate

    def create(self, *aggregates: Aggregate, what: str, command_id: UUID | None = None) -> None:
        """Save new aggregates; their uuid5 ids make the store refuse a second registration."""
        try:
            self.save(*aggregates, **one_command(command_id))
        except CommandAlreadyAppliedError:
            raise
        except IntegrityError:
            raise AlreadyExistsError(what, aggregates[0].id) from None

    def change(
        self,
        kind: type[A],
        aggregate_id: UUID,
        what: str,
        command: Callable[[A], R],
        command_id: UUID | None = None,
    ) -> R:
        """Apply a command on the current state, retrying a bounded number of times when another
        writer saved first: the command is re-checked on the new state, never forced through.
        With a `command_id`, the store records it with the events (PostgreSQL: once only)."""
        for _ in range(MAX_ATTEMPTS):
            aggregate = self.load(kind, aggregate_id, what)
            answer = command(aggregate)
            try:
                self.save(aggregate, **one_command(command_id))
            except CommandAlreadyAppliedError:
                raise
            except IntegrityError:
                continue
            return answer
        raise ConcurrentWriteError(aggregate_id, MAX_ATTEMPTS)

    def events_of(self, aggregate_id: UUID) -> list[Any]:
        return list(self.repository.event_store.get(aggregate_id))
