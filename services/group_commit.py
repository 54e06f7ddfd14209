"""Group commit: commands that arrive together are applied and written in one transaction.

A commit has a fixed cost far above any one event's share of it (TECH-NOTES.md, bench/store.py),
so one transaction per command caps the whole service at one commit's rate however many
departments are at work. Callers on any
thread hand their commands to a `GroupCommitter`; its worker thread takes whatever has arrived
(up to `max_batch`), applies each command to the current state of its aggregate in arrival order,
saves the events of every changed aggregate with one `save(...)` (one transaction: all or
nothing), and only then answers each caller. The busier the service, the more a group holds; a
lone caller waits for one transaction, as it would without the committer.

What each caller gets is what `SsjApplication.change()` would have given it alone:

- A refused command fails alone. The domain checks its rules before it records anything, so a
  refusal leaves its aggregate as it was and the rest of the group goes on. Should a command ever
  raise after recording, its aggregate is loaded again and the group's other commands on it
  applied again, so nothing half-done is saved.
- If another writer stored a newer version of one of the group's aggregates first, the store
  refuses the whole transaction; every command of the group is then applied alone through
  `change()`, with its bounded retries, so each still lands or gets its own error
  (`ConcurrentWriteError` when it kept losing).

Aggregates stay in memory between groups (up to `keep` of them), which spares a load per
command. A kept aggregate may be behind the store if another process wrote since, and every answer
is checked against that. A command that records something is checked by the store itself: the
version it writes exists already, so the group is refused as above; that check covers every
answer the group gives on that aggregate. Where the group recorded nothing on a kept aggregate,
its answers are checked before they are given: if the store holds newer events, the aggregate is
loaded again and its commands applied again. A kept aggregate is shared with no one: commands
answer with values (as the applications' commands do), never with the aggregate's own mutable
state.

Waiting a moment is what makes groups. Callers typically send their next command as soon as they
are answered; without waiting, half of them would catch each transaction and the other half the
next. So after answering a group, the worker waits up to `linger` for as many commands as it just
answered (plus those already waiting), and no longer: a lone caller never waits.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from time import monotonic
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
KEEP = 1000
"""Aggregates kept in memory between groups (a task with its draw and sheets takes tens of
kilobytes), the least recently used dropped first."""
LINGER = 0.001
"""Seconds a group waits, at most, for the callers the last group answered."""


class GroupCommitClosedError(ServiceError):
    """The service is shutting down and takes no more commands."""

    def __init__(self) -> None:
        super().__init__("服务正在停止，不再接受新的操作，请稍后再试")


@dataclass
class Throughput:
    """What the committer has done so far: how well commands were grouped."""

    commands: int = 0
    groups: int = 0
    transactions: int = 0
    """Saves that reached the store, committed or refused."""
    conflicts: int = 0
    """Groups the store refused, whose commands were then applied one by one."""


@dataclass
class _Command(Generic[A]):
    aggregate_id: UUID
    apply: Callable[[A], Any]
    command_id: UUID | None = None
    future: Future[Any] = field(default_factory=Future)


@dataclass
class _Outcome:
    answer: Any = None
    error: Exception | None = None


@dataclass
class _Applied(Generic[A]):
    """One aggregate of a group, after its commands: what to save, and each command's outcome."""

    aggregate: A | None
    """None if it could not be loaded: every command gets the load's error."""
    outcomes: dict[int, _Outcome]


_STOP = object()


class GroupCommitter(Generic[A]):
    """Writes the commands of many threads on one kind of aggregate in shared transactions.
    `submit()` returns at once with a future; `execute()` waits for the answer."""

    def __init__(
        self,
        app: SsjApplication,
        kind: type[A],
        what: str,
        *,
        max_batch: int = MAX_BATCH,
        keep: int = KEEP,
        linger: float = LINGER,
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
        self.linger = linger
        self.throughput = Throughput()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closing = threading.Lock()
        self._closed = False
        # The worker's own state: no other thread touches it.
        self._kept: OrderedDict[UUID, A] = OrderedDict()
        self._expected = 0
        self._deadline = 0.0
        self._worker = threading.Thread(target=self._work, name=name, daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ callers
    def submit(
        self, aggregate_id: UUID, command: Callable[[A], R], command_id: UUID | None = None
    ) -> Future[R]:
        """Queue a command; its future holds the command's answer or its own error. A command
        that carries an id has it stored with the group's events (see SsjApplication.change)."""
        pending: _Command[A] = _Command(aggregate_id, command, command_id)
        with self._closing:
            if self._closed:
                raise GroupCommitClosedError()
            self._queue.put(pending)
        return cast("Future[R]", pending.future)

    def execute(
        self, aggregate_id: UUID, command: Callable[[A], R], command_id: UUID | None = None
    ) -> R:
        """Apply a command and wait until it is stored: its answer, or its error raised here."""
        if threading.current_thread() is self._worker:
            # A command that itself commands would wait for its own group: apply it directly.
            return self.app.change(self.kind, aggregate_id, self.what, command, command_id)
        return self.submit(aggregate_id, command, command_id).result()

    def expect(self, commands: int) -> None:
        """Say that `commands` are about to be submitted together (a batch fetched from the bus,
        handed to as many threads): the next group waits for them, up to `linger`, instead of
        leaving with the first to arrive."""
        self._deadline = monotonic() + self.linger
        self._expected = max(self._expected, commands)

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
            group, stopping = self._next_group()
            if not group:
                continue
            self._expected = 0
            try:
                self._commit(group)
            except BaseException as error:  # never leave a caller waiting forever
                for command in group:
                    if not command.future.done():
                        command.future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
            self._deadline = monotonic() + self.linger

    def _next_group(self) -> tuple[list[_Command[A]], bool]:
        """Block for the first command; then take what has arrived, waiting until the deadline
        for as many as are expected."""
        group: list[_Command[A]] = []
        item = self._queue.get()
        while item is not _STOP:
            group.append(cast("_Command[A]", item))
            if len(group) >= self.max_batch:
                return group, False
            try:
                if len(group) < self._expected and (left := self._deadline - monotonic()) > 0:
                    item = self._queue.get(timeout=left)
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                return group, False
        return group, True

    def _commit(self, group: list[_Command[A]]) -> None:
        self.throughput.commands += len(group)
        self.throughput.groups += 1
        by_aggregate: dict[UUID, list[_Command[A]]] = {}
        for command in group:
            by_aggregate.setdefault(command.aggregate_id, []).append(command)
        applied = {
            aggregate_id: self._apply_all(aggregate_id, commands)
            for aggregate_id, commands in by_aggregate.items()
        }
        events = [
            event
            for done in applied.values()
            if done.aggregate is not None
            for event in done.aggregate.collect_events()
        ]
        applied_ids = [
            command.command_id
            for command in group
            if command.command_id is not None
            and applied[command.aggregate_id].outcomes.get(id(command), _Outcome()).error is None
        ]
        if events:
            self.throughput.transactions += 1
            try:
                self.app.save(*events, **({"command_ids": applied_ids} if applied_ids else {}))
            except IntegrityError:
                self.throughput.conflicts += 1
                self._one_by_one(group)
                return
        for aggregate_id, done in applied.items():
            if done.aggregate is not None:
                self._keep(aggregate_id, done.aggregate)
        self._expected = max(self._expected, self._queue.qsize() + len(group))
        for command in group:
            outcome = applied[command.aggregate_id].outcomes[id(command)]
            if outcome.error is not None:
                command.future.set_exception(outcome.error)
            else:
                command.future.set_result(outcome.answer)

    def _apply_all(self, aggregate_id: UUID, commands: list[_Command[A]]) -> _Applied[A]:
        """Apply one aggregate's commands in arrival order, so that every outcome is good for
        the state the save will check (see the module's docstring)."""
        aggregate = self._kept.pop(aggregate_id, None)
        kept = aggregate is not None
        refused: dict[int, Exception] = {}
        """Commands that raised after recording: refused for good, never applied again."""
        while True:
            if aggregate is None:
                try:
                    aggregate = self.app.load(self.kind, aggregate_id, self.what)
                except Exception as error:
                    return _Applied(None, {id(c): _Outcome(error=error) for c in commands})
            outcomes, recorded, spoiled = _apply_each(aggregate, commands, refused)
            if spoiled or (kept and not recorded and self._behind_the_store(aggregate)):
                aggregate, kept = None, False
                continue
            return _Applied(aggregate, outcomes)

    def _behind_the_store(self, aggregate: A) -> bool:
        try:
            newer = self.app.repository.event_store.get(aggregate.id, gt=aggregate.version, limit=1)
            return any(True for _ in newer)
        except Exception:
            return True  # loading it again will answer with the store's error

    def _one_by_one(self, group: list[_Command[A]]) -> None:
        """The store refused the group: each command alone, with change()'s bounded retries.
        The group's aggregates are not kept: what the worker held of them never was."""
        for command in group:
            try:
                answer = self.app.change(
                    self.kind, command.aggregate_id, self.what, command.apply, command.command_id
                )
            except Exception as error:
                command.future.set_exception(error)
            else:
                command.future.set_result(answer)

    def _keep(self, aggregate_id: UUID, aggregate: A) -> None:
        if self.keep <= 0:
            return
        self._kept[aggregate_id] = aggregate
        while len(self._kept) > self.keep:
            self._kept.popitem(last=False)


def _apply_each(
    aggregate: Aggregate, commands: list[_Command[Any]], refused: dict[int, Exception]
) -> tuple[dict[int, _Outcome], bool, bool]:
    """Each command's outcome; whether any recorded an event; whether one raised after recording
    (it joins `refused`, and the aggregate holds events that must not be saved)."""
    outcomes: dict[int, _Outcome] = {}
    recorded = False
    for command in commands:
        if id(command) in refused:
            outcomes[id(command)] = _Outcome(error=refused[id(command)])
            continue
        before = len(aggregate.pending_events)
        try:
            answer = command.apply(aggregate)
        except Exception as error:
            if len(aggregate.pending_events) != before:
                refused[id(command)] = error
                return outcomes, recorded, True
            outcomes[id(command)] = _Outcome(error=error)
            continue
        recorded = recorded or len(aggregate.pending_events) != before
        outcomes[id(command)] = _Outcome(answer)
    return outcomes, recorded, False
