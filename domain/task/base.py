"""What every part of a task shares: the moment of each step, and the guards that say where the
task stands. The parts (committed draw, coordination, groups, fieldwork, follow-up) are mixed
into the one `Task` aggregate; none of them is an aggregate of its own."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from eventsourcing.domain import Aggregate

from domain.errors import (
    GroupsNotMatchedError,
    InvalidValueError,
    NotADepartmentOfTheTaskError,
    TargetNotMatchedError,
    TargetsNotDrawnError,
    TaskClosedError,
    shown,
)
from domain.task_definition import TaskDefinition
from domain.values import department_code, moment

if TYPE_CHECKING:
    from domain.task.committed_draw import TargetsDrawn
    from domain.task.coordination import DepartmentConfirmed, DepartmentDeclined
    from domain.task.groups import GroupsMatched

Record = dict[str, Any]
E = TypeVar("E", bound=type)


class Step(Aggregate.Event):
    """Every step of a task happens at a business moment (`at`), and a task's moments only move
    forward: a command dated before what the log already says would rewrite the story."""

    at: datetime

    def mutate(self, aggregate: Any) -> Any:
        task = super().mutate(aggregate)
        if task is not None:
            task.last_at = self.at
        return task


class TaskBase:
    """The state every part reads, and the guards they share."""

    definition: TaskDefinition
    last_at: datetime
    closed_at: datetime | None
    target_draw: TargetsDrawn | None
    answers: dict[str, DepartmentConfirmed | DepartmentDeclined]
    matching: GroupsMatched | None

    if TYPE_CHECKING:

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    def _named(self, event_class: E) -> E:
        """The event as `Task` names it: the class the library made `Task.<Event>`, whose topic
        is what the log stores. The parts define the events; Task names them all."""
        return cast(E, getattr(type(self), event_class.__name__))

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def lead(self) -> str:
        return self.definition.lead

    @property
    def cooperating(self) -> tuple[str, ...]:
        return self.definition.cooperating

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def drawn_targets(self) -> tuple[str, ...]:
        if self.target_draw is None:
            return ()
        drawn = self.target_draw.drawn
        return tuple(t for grade in sorted(drawn) for t in drawn[grade])

    @property
    def seed(self) -> str:
        if self.target_draw is None:
            raise TargetsNotDrawnError()
        return self.target_draw.seed

    @property
    def participating(self) -> tuple[str, ...]:
        """The lead and every cooperating department that confirmed: they form the groups."""
        from domain.task.coordination import DepartmentConfirmed

        confirmed = [
            d for d in self.cooperating if isinstance(self.answers.get(d), DepartmentConfirmed)
        ]
        return (self.lead, *confirmed)

    @property
    def unanswered(self) -> tuple[str, ...]:
        """The cooperating departments that have neither confirmed nor declined."""
        return tuple(d for d in self.cooperating if d not in self.answers)

    @property
    def matches(self) -> dict[str, int]:
        return dict(self.matching.matches) if self.matching else {}

    def _when(self, at: datetime) -> datetime:
        at = moment(at)
        if at < self.last_at:
            raise InvalidValueError(
                "at", f"不早于本任务最近一次记录的时间 {shown(self.last_at)}", at
            )
        return at

    def _require_open(self) -> None:
        if self.is_closed:
            raise TaskClosedError(self.name)

    def _require_drawn(self) -> TargetsDrawn:
        self._require_open()
        if self.target_draw is None:
            raise TargetsNotDrawnError(self.name)
        return self.target_draw

    def _require_matched(self) -> GroupsMatched:
        self._require_open()
        if self.matching is None:
            raise GroupsNotMatchedError(self.name)
        return self.matching

    def _require_participant(self, department: str) -> str:
        department = department_code(department)
        if department not in self.participating:
            raise NotADepartmentOfTheTaskError(department)
        return department

    def _require_matched_target(self, target: str) -> int:
        matching = self._require_matched()
        if target not in matching.matches:
            raise TargetNotMatchedError(target)
        return matching.matches[target]
