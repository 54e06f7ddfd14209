"""Reading the one global log in order, from a position: what projections, processes and auditors
follow. Notification ids can have gaps, so readers always ask for what comes after a position."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Notification

BATCH = 1_000


@dataclass(frozen=True)
class Logged:
    position: int
    """The event's notification id: its place in the global log."""
    event: Any


@dataclass(frozen=True)
class Unreadable:
    """A row the recorder itself cannot return (on SQLite, an aggregate id that is not a UUID)."""

    id: int


def raw_log(
    recorder: ApplicationRecorder, after: int = 0, topics: Sequence[str] = (), batch: int = BATCH
) -> Iterator[Notification | Unreadable]:
    """Every stored row after `after`, in log order, undecoded. Past a batch the recorder refuses
    to return, rows are read one at a time; a row it cannot return is found by narrowing the range
    its read fails on, reported as `Unreadable`, and read past."""
    position, singly = after, 0
    while True:
        limit = 1 if singly else batch
        try:
            rows = recorder.select_notifications(
                start=position, limit=limit, topics=topics, inclusive_of_start=False
            )
        except ValueError:
            if not singly:
                singly = batch
                continue
            position = _first_unreadable(recorder, position, topics)
            yield Unreadable(position)
            continue
        yield from rows
        if len(rows) < limit:
            return
        position = rows[-1].id
        singly = max(singly - 1, 0)


def _first_unreadable(recorder: ApplicationRecorder, after: int, topics: Sequence[str]) -> int:
    """The position of the first row after `after`, which the recorder fails to return."""

    def fails_up_to(stop: int) -> bool:
        try:
            recorder.select_notifications(
                start=after, stop=stop, limit=1, topics=topics, inclusive_of_start=False
            )
        except ValueError:
            return True
        return False

    if fails_up_to(after):  # nothing to return, and still refused: not a row's fault
        raise ValueError(f"事件库拒绝读取位置 {after} 之后的事件")
    span = 1
    while not fails_up_to(after + span):
        span *= 2
    low, high = after + span // 2, after + span  # fails up to high, not up to low
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fails_up_to(middle) else (middle, high)
    return high


def read_log(
    app: Application[Any], after: int = 0, batch: int = BATCH, topics: Sequence[str] = ()
) -> Iterator[Logged]:
    """Events after `after`, in log order; with `topics`, only those types are read and decoded.
    Unlike the auditor, a reader that acts on events stops at a row it cannot read."""
    for row in raw_log(app.recorder, after, topics, batch):
        if isinstance(row, Unreadable):
            raise ValueError(f"位置 {row.id} 的事件无法读出（聚合编号已被改动）")
        yield Logged(row.id, app.mapper.to_domain_event(row))


def event_name(event: Any) -> str:
    """`Task.TargetsDrawn` -> `TargetsDrawn`: the past-tense name auditors and subjects use."""
    return type(event).__qualname__.rsplit(".", 1)[-1]


def aggregate_name(event: Any) -> str:
    return type(event).__qualname__.split(".", 1)[0]
