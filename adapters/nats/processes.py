"""What the service does by itself, on a worker: dispatch after a draw, and deadlines that pass.

Each tick lets the dispatch process follow the log and the read models catch up (`settle`), then
has the deadline watch append ConfirmationOverdue and ResultOverdue as of the clock's moment. The
relay turns those events into notices and escalations on the bus; nothing is published here.
Both are idempotent, so a tick run twice, or by two workers, appends nothing more. Each round
counts in ssj_deadline_checks_total, and what it appended in ssj_overdue_total by kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from adapters import metrics
from adapters.bootstrap import Service
from services.processes import Overdue

log = logging.getLogger(__name__)

INTERVAL = 1.0


class ProcessWorker:
    def __init__(
        self,
        service: Service,
        clock: Callable[[], datetime] | None = None,
        interval: float = INTERVAL,
    ) -> None:
        self.service = service
        self.clock = clock or service.clock.now
        self.interval = interval

    async def tick(self) -> list[Overdue]:
        """One round, in a thread (the applications are synchronous); what became overdue."""
        return await asyncio.to_thread(self._tick)

    def _tick(self) -> list[Overdue]:
        self.service.settle()
        found = self.service.deadlines.check(self.clock())
        metrics.count_deadlines(self.service, found)
        return found

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as error:  # the store is away, or one task refused: next tick
                log.warning("processes: %s; trying again in %.1f s", error, self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
