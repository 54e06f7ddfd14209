"""The population of each published draw, kept beside it in the read models.

DRAW-SPEC.md promises that anyone can re-run a draw from its inputs, and the population is one of
them: the active targets of the task's scope as the target directory stood at the position the
draw committed to. The auditor rebuilds it from the log (`Directories.population`); a store does
the same once, when it folds the draw, so that the public reads it a page at a time instead of
replaying a directory on every visit. Directory events are read only then: the read models fold
no other directory event.

Nothing here is unpublished: the draw is public from the moment it is made, and its population
is what its digest already fixes (ids and grades, no name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import TopicError

from services.log import Logged
from services.read_models import PopulationMember

UNREADABLE = (TopicError, ValueError, TypeError, KeyError, AttributeError)
"""What decoding or applying a stored event raises when the row is not one this code wrote (a
tampered or truncated row): the population then stops where the history stops, as the auditor's
rebuild does, and the re-run shows the digest differing instead of halting every read model."""


@dataclass(frozen=True)
class DrawnFrom:
    """What a draw of targets records of its population: the task (whose scope it is), the
    directory, and the directory's version committed to."""

    task_id: UUID
    directory_id: UUID
    directory_position: int
    excluded: Sequence[Mapping[str, Any]] = ()
    """What the commitment left out (国办发〔2024〕54号 caps, the exclusion period): the
    population is the scope's minus these."""


def draws_in(batch: Sequence[Logged]) -> list[DrawnFrom]:
    """The draws of targets made in a batch: each one's population is stored with it."""
    from domain.task import Task

    return [
        DrawnFrom(e.originator_id, e.directory_id, e.directory_position, tuple(e.excluded))
        for e in (logged.event for logged in batch)
        if isinstance(e, Task.TargetsDrawn)
    ]


def rebuilt_population(
    planned: StoredEvent | None,
    directory: Iterable[StoredEvent],
    decode: Callable[[StoredEvent], Any],
    excluded: Sequence[Mapping[str, Any]] = (),
) -> list[PopulationMember]:
    """The active targets of the task's scope (from `planned`, the task's first stored event) in
    the directory folded from `directory` (its events up to the committed version), by id, less
    those the commitment `excluded` (each a record with its `credit_code`)."""
    from domain.directories import TargetDirectory
    from domain.task import Task
    from domain.values import Scope

    try:
        first = decode(planned) if planned is not None else None
        if not isinstance(first, Task.Planned):
            return []
        scope = Scope.from_record(first.definition["scope"])
    except UNREADABLE:
        return []
    folded: Any = None
    for stored in directory:
        try:
            folded = decode(stored).mutate(folded)
        except UNREADABLE:
            break
    if not isinstance(folded, TargetDirectory):
        return []
    left_out = {str(e["credit_code"]) for e in excluded}
    return [
        PopulationMember(code, grade)
        for code, grade in sorted(folded.population(scope).items())
        if code not in left_out
    ]
