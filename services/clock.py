"""The service's clock, as a port: the only "now" the applications know.

The domain reads no clock: every command says when it happened (`at`), so past work can be
entered afterwards. What the applications do with the clock is refuse a moment in the future: a
task's moments only move forward, so one command dated 2099 would freeze the task for everyone.
Clocks of different machines differ a little, hence the tolerance (a setting, 5 minutes unless set).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.errors import shown
from domain.values import moment
from services.errors import AheadOfClockError

DEFAULT_TOLERANCE = timedelta(minutes=5)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, with its zone."""
        ...


@dataclass(frozen=True)
class TimeGuard:
    """Checks a command's `at` against the clock before anything is applied."""

    clock: Clock
    tolerance: timedelta = DEFAULT_TOLERANCE

    def admit(self, at: datetime) -> datetime:
        at = moment(at)
        latest = self.clock.now() + self.tolerance
        if at > latest:
            raise AheadOfClockError(shown(at), shown(latest))
        return at
