"""The clocks the service runs on: the machine's, and one that tests set by hand.

The domain reads none (every command says when it happened); the applications take a `Clock`
(services/clock.py) to refuse a command dated in the future, and the adapters that stand for
"now" (the CLI's default `--at`, the intake's moment of a batch, the deadline watch) read it here.
Under `faketime` the system clock is the faked one, which is what a test of the CLI relies on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.values import CHINA


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(CHINA)


class ManualClock:
    """A clock that stands still until moved: what tests inject."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, by: timedelta) -> None:
        self._now += by


def china_now() -> datetime:
    return SystemClock().now()
