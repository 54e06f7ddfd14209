"""What every read model shares: it folds task events, one handler per event it cares about.

The handlers' event classes are looked up when the first event is folded, so that a process
that only reads the read models' rows never loads the domain's events.
"""

from __future__ import annotations

from services.log import Logged, event_name


class Dispatching:
    """Calls `when_<EventName>` for the Task events a read model cares about."""

    def process(self, logged: Logged) -> None:
        from domain.task import Task

        if isinstance(logged.event, Task.Event):
            handler = getattr(self, f"when_{event_name(logged.event)}", None)
            if handler is not None:
                handler(logged.event)


def handled_events(model: type) -> frozenset[type]:
    """The Task events a read model has a `when_<Event>` handler for: a store decodes no other."""
    from domain.task import Task

    return frozenset(
        getattr(Task, name.removeprefix("when_")) for name in dir(model) if name.startswith("when_")
    )
