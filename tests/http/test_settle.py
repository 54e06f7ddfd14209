"""After a command, its answer waits for a settle that began after the command was applied (so
the read models and the dispatch have taken it in); commands that finish together share one."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

from adapters.http.commands import Settler


class Log:
    """Stands for the service: a settle that takes a while, counted."""

    def __init__(self, fail_first: bool = False) -> None:
        self.started: list[int] = []
        self.clock = 0
        self.lock = threading.Lock()
        self.fail_first = fail_first

    def tick(self) -> int:
        with self.lock:
            self.clock += 1
            return self.clock

    def settle(self) -> None:
        self.started.append(self.tick())
        time.sleep(0.02)
        if self.fail_first and len(self.started) == 1:
            raise RuntimeError("the store went away")


def test_every_caller_returns_after_a_settle_that_began_after_it_asked_and_they_share() -> None:
    log, settler = Log(), Settler()
    covered: list[bool] = []

    def command() -> None:
        asked = log.tick()
        settler.settle(cast(Any, log))
        covered.append(any(start > asked for start in log.started))

    threads = [threading.Thread(target=command) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert covered == [True] * 40
    assert len(log.started) < 40 / 2  # shared, not one each


def test_a_failed_settle_raises_for_its_runner_and_the_others_are_settled_anew() -> None:
    log, settler = Log(fail_first=True), Settler()
    errors: list[Exception] = []

    def command() -> None:
        try:
            settler.settle(cast(Any, log))
        except RuntimeError as error:
            errors.append(error)

    threads = [threading.Thread(target=command) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert len(log.started) >= 2  # the others did not take the failed settle for theirs
