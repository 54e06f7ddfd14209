"""The deadline watch of a served console: the embedded default has no worker, so `ssj serve`
runs the watch itself, every `deadline_interval`, as `ssj worker` does beside PostgreSQL.

A confirmation or a result whose two working days pass must reach the office without anyone
typing `ssj deadlines`. Each round judges what the read models say is due (services/processes.py
DeadlineWatch: a task's trouble is recorded as a fault, the others are judged), then settles as a
command does, so that the inbox, the overdue list and the escalations show it. A second watch
(another `ssj serve`, a worker) does no harm: a deadline passes once, and the task refuses to
record it twice.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from adapters import metrics
from adapters.http import logs
from adapters.http.commands import settle

if TYPE_CHECKING:
    from adapters.bootstrap import Service


class DeadlineTimer:
    def __init__(self, service: Service, interval_seconds: float) -> None:
        self.service = service
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ssj-deadlines", daemon=True)

    def start(self) -> DeadlineTimer:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def round(self) -> int:
        """One watch, now by the service's clock: how many deadlines it found passed."""
        found = self.service.deadlines.check(self.service.clock.now())
        metrics.count_deadlines(self.service, found)
        settle(self.service)
        passed = sum(overdue.appended for overdue in found)
        if passed:
            logs.event("deadlines_passed", count=passed, tasks=len(found))
        return passed

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.round()
            except Exception as error:  # the store away for a while: the next round tries again
                logs.event("deadline_watch_failed", error=type(error).__name__)
