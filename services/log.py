"""Reading the one global log in order, from a position: what projections, processes and auditors
follow. Notification ids can have gaps, so readers always ask for what comes after a position."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

BATCH = 1_000


@dataclass(frozen=True)
class Logged:
    position: int
    """The event's notification id: its place in the global log."""
    event: Any


def read_log(
    app: Application[Any], after: int = 0, batch: int = BATCH, topics: Sequence[str] = ()
) -> Iterator[Logged]:
    """Events after `after`, in log order; with `topics`, only those types are read and decoded."""
    position = after
    while True:
        notifications = app.recorder.select_notifications(
            start=position, limit=batch, topics=topics, inclusive_of_start=False
        )
        for notification in notifications:
            yield Logged(notification.id, app.mapper.to_domain_event(notification))
            position = notification.id
        if len(notifications) < batch:
            return


def event_name(event: Any) -> str:
    """`Task.TargetsDrawn` -> `TargetsDrawn`: the past-tense name auditors and subjects use."""
    return type(event).__qualname__.rsplit(".", 1)[-1]


def aggregate_name(event: Any) -> str:
    return type(event).__qualname__.split(".", 1)[0]


def topics_of(aggregate: type[Aggregate]) -> tuple[str, ...]:
    """Every event type of an aggregate, as stored. A reader of tasks need not fetch and decode
    the directories' events, which for a provincial directory are megabytes each."""
    return tuple(
        get_topic(member)
        for member in vars(aggregate).values()
        if isinstance(member, type) and issubclass(member, Aggregate.Event)
    )
