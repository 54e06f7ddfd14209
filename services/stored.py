"""Stored events read as stored: plain JSON values, without the domain's classes. What a reader
that needs no domain code reads: the relay's event documents, a task's page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

_PLAIN: dict[str, Callable[[Any], Any]] = {
    "datetime_iso": str,
    "date_iso": str,
    "decimal_str": str,
    "uuid_hex": lambda value: str(UUID(value)),
}
INTERNAL_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")
"""The library's own fields of a stored event, beside the event's."""


def _plain(obj: dict[str, Any]) -> Any:
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        kind = obj["_type_"]
        if kind not in _PLAIN:
            raise ValueError(f"no plain JSON form for stored values of type {kind}")
        return _PLAIN[kind](obj["_data_"])
    return obj


def plain_state(state: bytes) -> dict[str, Any]:
    """An event's stored state as plain JSON values, without decoding it into its class: the
    library's typed values (`{"_type_": "datetime_iso", "_data_": …}`) become their ISO or
    canonical strings. What a reader that needs no domain code (the relay, a task's page) reads."""
    data: dict[str, Any] = json.loads(state, object_hook=_plain)
    return data


@dataclass(frozen=True)
class HistoryEntry:
    """One event of an aggregate's history: its version, type, when it was recorded, its fields."""

    version: int
    type: str
    recorded_at: datetime
    fields: dict[str, Any]


def event_of(topic: str) -> str:
    """`domain.task:Task.TargetsDrawn` -> `TargetsDrawn`: an event's type, from its stored topic."""
    return topic.rpartition(":")[2].rsplit(".", 1)[-1]


def history_entry(version: int, topic: str, state: bytes) -> HistoryEntry:
    """A stored event as its aggregate's page shows it, read as stored."""
    data = plain_state(state)
    fields = {k: v for k, v in data.items() if k not in INTERNAL_FIELDS and k != "class_version"}
    return HistoryEntry(version, event_of(topic), datetime.fromisoformat(data["timestamp"]), fields)


# ---------------------------------------------------------------------------- decoded events as plain values
def plain(value: Any) -> Any:
    """An event's field as JSON: what an auditor takes away needs none of our code to read."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def fields_of(event: Any) -> dict[str, Any]:
    return {k: plain(v) for k, v in vars(event).items() if k not in INTERNAL_FIELDS}


def shown(value: Any) -> str:
    """A recorded or expected value as the auditor reads it: JSON, never a Python repr."""
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)
