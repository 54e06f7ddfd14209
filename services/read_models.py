"""The read models, as a port: what the fronts and the processes read instead of replaying the log.

A store keeps each read model in its own tables (PostgreSQL, or the same SQLite file as the events
on the embedded default; in memory for tests), each with the position of the log its rows hold,
updated in the same transaction as the rows. `catch_up()` folds what was logged since; every query
answers in a time that does not grow with the log, and lists come a page at a time.

The business rules of each read model live in services/task_views.py, register.py, ledger.py and
statistics.py; a store only keeps their results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar
from uuid import UUID

from services.inspection_ledger import Inspection
from services.ledger import LedgerRow
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.stored import HistoryEntry
from services.task_views import Escalation, TaskView

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

NAME = "read_models"
"""The read models' row among the positions: they are folded together, one transaction per batch,
under one position."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and where the next one starts (None: this was the last)."""

    items: tuple[T, ...]
    next: str | None = None


class PopulationMember(NamedTuple):
    """One target of a draw's population, as the draw's digest takes it (DRAW-SPEC.md)."""

    credit_code: str
    grade: str


@dataclass(frozen=True)
class Fault:
    """A process failed on one task (or one event) and went on with the others."""

    process: str
    task_id: UUID | None
    position: int
    error: str
    at: datetime


class ReadModels(Protocol):
    def catch_up(self) -> int:
        """Fold everything logged since the read models' position; the position reached."""
        ...

    def close(self) -> None: ...

    def rebuild(self) -> int:
        """Empty every read model and fold the whole log again; the position reached."""
        ...

    # ------------------------------------------------------------------ tasks
    def task_views(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[TaskView]:
        """Tasks in plan order; only those one of `departments` sees, unless None."""
        ...

    def task_view(self, task_id: UUID) -> TaskView | None: ...

    def history(self, task_id: UUID) -> list[HistoryEntry]:
        """The task's events in version order, read as stored (its page's timeline)."""
        ...

    def task_ids(self, prefix: str, limit: int) -> list[UUID]:
        """Ids starting with `prefix` (lower-case hex and dashes), at most `limit`."""
        ...

    def inbox(self, department: str, limit: int, after: str | None) -> Page[TaskView]:
        """The open tasks the department sees, in plan order."""
        ...

    def due(self, day: date) -> list[UUID]:
        """Open tasks with a deadline that has passed by `day`: what the watch must judge."""
        ...

    def awaiting(self, year: int) -> list[UUID]:
        """Tasks with a deadline waiting for `year`'s calendar."""
        ...

    def escalations(self, limit: int, after: str | None) -> Page[Escalation]: ...

    # ------------------------------------------------------------------ the public register
    def register(
        self,
        credit_code: str | None,
        limit: int,
        after: str | None,
        *,
        name: str | None = None,
        task_id: UUID | None = None,
    ) -> Page[RegisterEntry]:
        """Entries in publication order; only those of `credit_code`, of the task `task_id`,
        and whose target's name holds `name` (`name_key` of both), for each one given."""
        ...

    def draws(self, limit: int, after: str | None) -> Page[PublishedDraw]: ...

    def draw(self, task_id: UUID) -> PublishedDraw | None:
        """The task's draw of targets, once drawn."""
        ...

    def draw_population(
        self, task_id: UUID, limit: int, after: str | None
    ) -> Page[PopulationMember]:
        """The population the task's draw was made from, in id order (empty before the draw):
        the targets of its scope at the directory position it committed to."""
        ...

    # ------------------------------------------------------------------ 企业检查台账
    def inspections(self, credit_code: str) -> list[Inspection]:
        """Every inspection of the enterprise, in the order drawn (services/inspection_ledger.py)."""
        ...

    # ------------------------------------------------------------------ ledger and statistics
    def ledger(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[LedgerRow]: ...

    def statistics(
        self, year: int | None, departments: frozenset[str] | None
    ) -> list[MonthlyWorkload]: ...

    # ------------------------------------------------------------------ the processes' own
    def process_position(self, process: str) -> int: ...

    def advance_process(self, process: str, position: int) -> None: ...

    def record_fault(self, fault: Fault) -> None: ...

    def faults(self, limit: int, after: str | None, task_id: UUID | None = None) -> Page[Fault]:
        """In the order recorded; only those of `task_id` when given."""
        ...


def limited(limit: int) -> int:
    """A page's size, within what one answer may carry."""
    return max(1, min(int(limit), MAX_LIMIT))


def page_of(items: Sequence[tuple[int, T]], limit: int) -> Page[T]:
    """`limit + 1` items keyed by their place: a page, and the cursor after its last item."""
    shown = items[:limit]
    more = len(items) > limit
    return Page(tuple(item for _, item in shown), str(shown[-1][0]) if more and shown else None)


def as_json(record: Any) -> str:
    """A record as a store keeps it: the Chinese as written, not escaped."""
    return json.dumps(record, ensure_ascii=False, default=str)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def name_key(name: str) -> str:
    """A target's name as the register's search compares it: Latin letters A-Z in lower case,
    everything else as written. Only A-Z, because SQLite's lower() and PostgreSQL's
    translate() fill the column of rows stored before it in exactly this way."""
    return name.translate(_ASCII_LOWER)


def like_pattern(fragment: str) -> str:
    """`%fragment%` for `LIKE … ESCAPE '\\'`: a `%` or `_` typed in a search is itself."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def cursor(after: str | None, field: str = "after") -> int:
    """A cursor as given back by an earlier page."""
    if after is None or after == "":
        return 0
    if not after.isdigit():
        from domain.errors import InvalidValueError

        raise InvalidValueError(field, "上一页给出的续页标记（数字）", after)
    return int(after)
