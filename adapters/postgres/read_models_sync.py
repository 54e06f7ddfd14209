"""The PostgreSQL read models for synchronous callers: the applications, the processes and the
CLI reach them through services/read_models.py's port, and this runs each query of
`PgReadModels` on an event loop of its own, in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from services.inspection_ledger import Inspection
from services.ledger import LedgerRow
from services.read_models import Fault, Page, PopulationMember
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.stored import HistoryEntry
from services.task_views import Escalation, TaskView

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper

    from adapters.postgres.read_models import PgReadModels

T = TypeVar("T")


class PgReadModelsSync:
    """The read models' port for synchronous callers: every call runs on a loop of its own, in a
    thread of its own, with a small pool opened on first use."""

    def __init__(
        self,
        database_url: str,
        mapper: Callable[[], Mapper[UUID]],
        schema: str = "public",
        pool_size: int = 2,
    ) -> None:
        self.database_url = database_url
        self.mapper = mapper
        self.schema = schema
        self.pool_size = pool_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._models: PgReadModels | None = None
        self._lock = threading.Lock()

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._started()).result()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="read-models", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @property
    def models(self) -> PgReadModels:
        if self._models is None:
            from adapters.postgres.read_models import PgReadModels, open_pool

            pool = asyncio.run_coroutine_threadsafe(
                open_pool(self.database_url, max_size=self.pool_size), self._started()
            ).result()
            self._models = PgReadModels(pool, self.mapper, self.schema)
        return self._models

    def close(self) -> None:
        if self._loop is None:
            return
        if self._models is not None:
            self._run(self._models.pool.close())
            self._models = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join()
        self._loop.close()
        self._loop = None

    def catch_up(self) -> int:
        return self._run(self.models.catch_up())

    def rebuild(self) -> int:
        return self._run(self.models.rebuild())

    def task_views(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[TaskView]:
        return self._run(self.models.task_views(departments, limit, after))

    def task_view(self, task_id: UUID) -> TaskView | None:
        return self._run(self.models.task_view(task_id))

    def history(self, task_id: UUID) -> list[HistoryEntry]:
        return self._run(self.models.history(task_id))

    def task_ids(self, prefix: str, limit: int) -> list[UUID]:
        return self._run(self.models.task_ids(prefix, limit))

    def inbox(self, department: str, limit: int, after: str | None) -> Page[TaskView]:
        return self._run(self.models.inbox(department, limit, after))

    def due(self, day: date) -> list[UUID]:
        return self._run(self.models.due(day))

    def awaiting(self, year: int) -> list[UUID]:
        return self._run(self.models.awaiting(year))

    def escalations(self, limit: int, after: str | None) -> Page[Escalation]:
        return self._run(self.models.escalations(limit, after))

    def register(
        self,
        credit_code: str | None,
        limit: int,
        after: str | None,
        *,
        name: str | None = None,
        task_id: UUID | None = None,
    ) -> Page[RegisterEntry]:
        return self._run(
            self.models.register(credit_code, limit, after, name=name, task_id=task_id)
        )

    def draws(self, limit: int, after: str | None) -> Page[PublishedDraw]:
        return self._run(self.models.draws(limit, after))

    def inspections(self, credit_code: str) -> list[Inspection]:
        return self._run(self.models.inspections(credit_code))

    def draw(self, task_id: UUID) -> PublishedDraw | None:
        return self._run(self.models.draw(task_id))

    def draw_population(
        self, task_id: UUID, limit: int, after: str | None
    ) -> Page[PopulationMember]:
        return self._run(self.models.draw_population(task_id, limit, after))

    def ledger(
        self, departments: frozenset[str] | None, limit: int, after: str | None
    ) -> Page[LedgerRow]:
        return self._run(self.models.ledger(departments, limit, after))

    def statistics(
        self, year: int | None, departments: frozenset[str] | None
    ) -> list[MonthlyWorkload]:
        return self._run(self.models.statistics(year, departments))

    def process_position(self, process: str) -> int:
        return self._run(self.models.process_position(process))

    def advance_process(self, process: str, position: int) -> None:
        self._run(self.models.advance_process(process, position))

    def record_fault(self, fault: Fault) -> None:
        self._run(self.models.record_fault(fault))

    def faults(self, limit: int, after: str | None, task_id: UUID | None = None) -> Page[Fault]:
        return self._run(self.models.faults(limit, after, task_id))
