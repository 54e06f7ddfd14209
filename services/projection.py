"""What every read model shares: it folds task events, one handler per event it cares about."""

from __future__ import annotations

from typing import Protocol

from domain.task import Task
from services.log import Logged, event_name, topics_of

TASK_TOPICS = topics_of(Task)
"""Every read model folds task events only."""


class Fold(Protocol):
    def process(self, logged: Logged) -> None: ...


class Dispatching:
    """Calls `when_<EventName>` for the Task events a read model cares about."""

    def process(self, logged: Logged) -> None:
        if isinstance(logged.event, Task.Event):
            handler = getattr(self, f"when_{event_name(logged.event)}", None)
            if handler is not None:
                handler(logged.event)


def handled_events(model: type) -> frozenset[type]:
    """The Task events a read model has a `when_<Event>` handler for: a store decodes no other."""
    return frozenset(
        getattr(Task, name.removeprefix("when_")) for name in dir(model) if name.startswith("when_")
    )
