"""A work-around for a deadlock in psycopg 3.3.9's pipeline mode, which eventsourcing uses to save.

When the last command of a pipeline has been sent but the output buffer still holds data (any
save of more than a few hundred KB: a directory import of thousands of targets), psycopg stops
flushing; the server waits for the rest of the statement and the client for its result, forever.
This replacement keeps flushing until the buffer is empty, and is otherwise psycopg's own loop.
Remove it once a psycopg release flushes before leaving the loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import psycopg._pipeline_base as pipeline_base
from psycopg import generators

_applied = False


def _pipeline_communicate(
    pgconn: Any, commands: deque[Callable[[], None]]
) -> Generator[Any, Any, list[list[Any]]]:
    results: list[list[Any]] = []
    while True:
        while not (ready := (yield generators.WAIT_RW)):
            continue
        if ready & generators.READY_R:
            pgconn.consume_input()
            generators._consume_notifies(pgconn)
            batch: list[Any] = []
            while not pgconn.is_busy():
                result = pgconn.get_result()
                if result is None:
                    if not batch:
                        break
                    results.append(batch)
                    batch = []
                elif result.status == generators.PIPELINE_SYNC:
                    results.append([result])
                else:
                    batch.append(result)
        if ready & generators.READY_W:
            pending = pgconn.flush()
            if not commands:
                if pending == 0:
                    break
                continue  # the fix: the statement is not all sent yet
            commands.popleft()()
    return results


def apply() -> None:
    """Install the fixed loop (idempotent)."""
    global _applied
    if not _applied:
        setattr(pipeline_base, "pipeline_communicate", _pipeline_communicate)  # noqa: B010
        _applied = True
