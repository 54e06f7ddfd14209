"""Group commit: commands that arrive together are applied and written in one transaction.

A commit costs about the same whatever it holds (TECH-NOTES.md: ~1 ms), so one transaction per
command caps the whole service at one commit's rate however many departments are at work. Here
callers on any thread hand their commands to one worker thread. The worker takes whatever has
arrived (up to `max_batch`), applies each command to the current state of its aggregate in
arrival order, saves every changed aggregate with one `save(...)` (one transaction: all or
nothing), and only then answers each caller. The busier the service, the more a batch holds.

What each caller gets is what `SsjApplication.change()` would have given it alone:

- A refused command fails alone. The domain checks its rules before it records anything, so a
  refusal leaves its aggregate as it was and the rest of the batch goes on. Should a command ever
  raise after recording, the worker rebuilds that aggregate from the store and re-applies the
  batch's other commands to it, so nothing half-done is saved.
- If another writer stored a newer version of one of the batch's aggregates first, the store
  refuses the whole transaction; every command of the batch is then applied alone through
  `change()`, with its bounded retries, so each still lands or gets its own error
  (`ConcurrentWriteError` when it kept losing).

Between batches the worker keeps the aggregates it last saved or loaded (`keep`), which spares
it a load per command. A kept aggregate may be behind the store if someone else wrote since, and
every answer is checked against that: a command that records something is checked by the store
itself (the version it writes already exists, so the batch is refused as above); a command that is
refused or records nothing is applied again to a freshly loaded aggregate before it is answered.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from services.errors import ServiceError
from services.store import SsjApplication

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

MAX_BATCH = 500
"""Commands per transaction at most: a bound on a transaction's size and on a caller's wait."""
KEEP = 4096
"""Aggregates kept between batches, the least recently used dropped first."""


class GroupCommitClosedError(ServiceError):
    """The service is shutting down and takes no more commands."""

    def __init__(self) -> None:
        super().__init__("服务正在停止，不再接受新的操作，请稍后再试")


@dataclass
class _Command(Generic[A]):
    aggregate_id: UUID
    apply: Callable[[A], Any]
    future: Future[Any] = field(default_factory=Future)


@dataclass
class _Outcome:
    answer: Any = None
    error: Exception | None = None
    recorded: bool = False
    """The command triggered at least one event."""
    spoiled: Exception | None = None
    """The command raised after recording: its aggregate holds events that must not be saved."""


_STOP = object()


@dataclass
class Throughput:
    """What the worker has done so far: how well commands were grouped."""

    commands: int = 0
    batches: int = 0
    transactions: int = 0
    """Group saves that reached the store, committed or refused."""
    conflicts: int = 0
    """Batches the store refused, whose commands were then applied one by one."""


class GroupCommitter(Generic[A]):
    """One worker that writes the commands of many threads on one kind of aggregate in shared
    transactions. `submit()` returns at once with a future; `execute()` waits for the answer."""

    def __init__(
        self,
        app: SsjApplication,
        kind: type[A],
        what: str,
        *,
        max_batch: int = MAX_BATCH,
        keep: int = KEEP,
        name: str = "group-commit",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.app = app
        self.kind = kind
        self.what = what
        """What the aggregate is called in a NotFoundError (e.g. 抽查任务)."""
        self.max_batch = max_batch
        self.keep = keep
        self.throughput = Throughput()
        self._kept: OrderedDict[UUID, A] = OrderedDict()
        self._queue: queue.SimpleQueue[_Command[A] | object] = queue.SimpleQueue()
        self._closing = threading.Lock()
        self._closed = False
        self._worker = threading.Thread(target=self._work, name=name, daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ callers
    def submit(self, aggregate_id: UUID, command: Callable[[A], R]) -> Future[R]:
        """Queue a command; its future holds the command's answer or its own error."""
        pending: _Command[A] = _Command(aggregate_id, command)
        with self._closing:
            if self._closed:
                raise GroupCommitClosedError()
            self._queue.put(pending)
        return cast("Future[R]", pending.future)

    def execute(self, aggregate_id: UUID, command: Callable[[A], R]) -> R:
        """Apply a command and wait until it is stored: its answer, or its error raised here."""
        if threading.current_thread() is self._worker:
            # A command that itself commands would wait for its own batch: apply it directly.
            return self.app.change(self.kind, aggregate_id, self.what, command)
        return self.submit(aggregate_id, command).result()

    def close(self) -> None:
        """Stop taking commands, finish every command already submitted, stop the worker."""
        with self._closing:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        if threading.current_thread() is not self._worker:
            self._worker.join()

    def __enter__(self) -> GroupCommitter[A]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the worker
    def _work(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            if batch:
                try:
                    self._commit(batch)
                except BaseException as error:  # never leave a caller waiting forever
                    for command in batch:
                        if not command.future.done():
                            command.future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise

    def _next_batch(self) -> tuple[list[_Command[A]], bool]:
        """Block for the first command, then take whatever else has already arrived."""
        batch: list[_Command[A]] = []
        item = self._queue.get()
        while True:
            if item is _STOP:
                return batch, True
            batch.append(cast("_Command[A]", item))
            if len(batch) >= self.max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _commit(self, batch: list[_Command[A]]) -> None:
        self.throughput.commands += len(batch)
        self.throughput.batches += 1
        by_aggregate: dict[UUID, list[_Command[A]]] = {}
        for command in batch:
            by_aggregate.setdefault(command.aggregate_id, []).append(command)
        outcomes: dict[int, _Outcome] = {}
        changed: list[A] = []
        loaded: list[A] = []
        for aggregate_id, commands in by_aggregate.items():
            aggregate, answered = self._apply_to(aggregate_id, commands)
            outcomes.update(answered)
            if aggregate is not None:
                loaded.append(aggregate)
                if aggregate.pending_events:
                    changed.append(aggregate)
        if changed:
            self.throughput.transactions += 1
            try:
                self.app.save(*changed)
            except IntegrityError:
                self.throughput.conflicts += 1
                self._one_by_one(batch)
                return
        for aggregate in loaded:
            self._remember(aggregate)
        for command in batch:
            outcome = outcomes[id(command)]
            if outcome.error is not None:
                command.future.set_exception(outcome.error)
            else:
                command.future.set_result(outcome.answer)

    def _apply_to(
        self, aggregate_id: UUID, commands: list[_Command[A]]
    ) -> tuple[A | None, dict[int, _Outcome]]:
        """Apply one aggregate's commands in order; the aggregate (None if it could not be loaded)
        and each command's outcome, every one of them good for the state the save will check."""
        aggregate = self._kept.pop(aggregate_id, None)
        fresh = aggregate is None
        failing: dict[int, Exception] = {}
        """Commands that raised after recording: refused for good, never applied again."""
        while True:
            if aggregate is None:
                try:
                    aggregate = self.app.load(self.kind, aggregate_id, self.what)
                except Exception as error:
                    return None, {id(c): _Outcome(error=error) for c in commands}
            outcomes: dict[int, _Outcome] = {}
            retry = False
            for command in commands:
                if id(command) in failing:
                    outcomes[id(command)] = _Outcome(error=failing[id(command)])
                    continue
                outcome = _apply(aggregate, command)
                if outcome.spoiled is not None:
                    failing[id(command)] = outcome.spoiled
                if outcome.spoiled is not None or (not fresh and not outcome.recorded):
                    # A kept aggregate may be behind the store: judge this on the current state.
                    retry = True
                    break
                outcomes[id(command)] = outcome
            if not retry:
                return aggregate, outcomes
            aggregate, fresh = None, True

    def _one_by_one(self, batch: list[_Command[A]]) -> None:
        """The store refused the group: each command alone, with change()'s bounded retries."""
        for command in batch:
            try:
                answer = self.app.change(self.kind, command.aggregate_id, self.what, command.apply)
            except Exception as error:
                command.future.set_exception(error)
            else:
                command.future.set_result(answer)

    def _remember(self, aggregate: A) -> None:
        if self.keep <= 0:
            return
        self._kept[aggregate.id] = aggregate
        while len(self._kept) > self.keep:
            self._kept.popitem(last=False)


def _apply(aggregate: Aggregate, command: _Command[Any]) -> _Outcome:
    before = len(aggregate.pending_events)
    try:
        answer = command.apply(aggregate)
    except Exception as error:
        spoiled = error if len(aggregate.pending_events) != before else None
        return _Outcome(error=error, spoiled=spoiled)
    return _Outcome(answer, recorded=len(aggregate.pending_events) != before)
