"""进一次门、查多项事 (国办发〔2024〕54号): one visit of a target for the items of several tasks.

When tasks of different departments, or of different plans, drew the same target and their
windows overlap, the office may merge their visits: the target opens its door once, to one
group that checks every item of every task on one 一企一表. Nothing is merged silently: the
office merges, as an event (`JointVisit.Merged`), naming the tasks, the target, who merged and
why, and the window agreed (where the tasks' windows meet). Each task keeps its own visit record,
results and publication: the joint visit only says that those visits are one.

A task's target is merged into one joint visit at most: `VisitMerged` is an index aggregate per
(task, target), saved with the joint visit, so that the store refuses a second merge of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyVisitedError, InvalidValueError, RuleBrokenError, shown
from domain.values import moment, text


class NotMergeableError(RuleBrokenError):
    message = "这些任务不能合并为一次联合检查"


class WindowsDoNotOverlapError(NotMergeableError):
    message = "各任务的检查时间没有重叠，不能合并为一次检查"


class NotDrawnHereError(NotMergeableError):
    message = "该任务未抽中此检查对象"


class SameTaskOwnerError(NotMergeableError):
    message = "同一部门同一计划的任务由该部门自行安排，不需合并"


class AlreadyMergedError(RuleBrokenError):
    message = "该任务对此对象的检查已合并为联合检查"


@dataclass(frozen=True)
class MergedTask:
    """What the merge reads of one task, as the task stands when the office merges."""

    task_id: UUID
    name: str
    plan_id: UUID
    lead: str
    departments: tuple[str, ...]
    """The lead and the cooperating departments: every one of them checks its items."""
    items: dict[str, list[dict[str, str]]]
    """Department -> its 抽查事项 for this task (CheckItem.as_record())."""
    window_start: date
    window_end: date
    drew_target: bool
    visited: bool
    closed: bool = False

    def as_record(self) -> dict[str, Any]:
        return {
            "task_id": str(self.task_id),
            "name": self.name,
            "plan_id": str(self.plan_id),
            "lead": self.lead,
            "departments": list(self.departments),
            "items": {d: [dict(i) for i in items] for d, items in self.items.items()},
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
        }


def overlap(tasks: Sequence[MergedTask]) -> tuple[date, date] | None:
    """Where every task's window meets (None when two of them do not)."""
    start = max(t.window_start for t in tasks)
    end = min(t.window_end for t in tasks)
    return (start, end) if start <= end else None


def mergeable(tasks: Sequence[MergedTask]) -> bool:
    """Two tasks or more, not all of one department's one plan (that department schedules its
    own tasks), whose windows meet."""
    owners = {(t.lead, t.plan_id) for t in tasks}
    return len({t.task_id for t in tasks}) >= 2 and len(owners) >= 2 and overlap(tasks) is not None


class JointVisit(Aggregate):
    """One visit of one target for several tasks' items (进一次门、查多项事)."""

    class Merged(Aggregate.Created):
        """The office merged the tasks' visits of the target into one."""

        target: str
        name: str
        """The target's name, as the directory gave it when merged."""
        tasks: list[dict[str, Any]]
        """MergedTask.as_record() of each task, in the order the office listed them."""
        office: str
        """Who merged: the office's account."""
        reason: str
        window_start: date
        window_end: date
        """The agreed window: where the tasks' windows meet."""
        at: datetime

    @staticmethod
    def id_for(target: str, task_ids: Sequence[UUID]) -> UUID:
        """One joint visit per target and set of tasks, however the tasks are listed."""
        tasks = ",".join(sorted({str(t) for t in task_ids}))
        return uuid5(NAMESPACE_URL, f"ssj:joint-visit:{target}:{tasks}")

    @staticmethod
    def create_id(
        target: str,
        name: str,
        tasks: list[dict[str, Any]],
        office: str,
        reason: str,
        window_start: date,
        window_end: date,
        at: datetime,
    ) -> UUID:
        return JointVisit.id_for(target, [UUID(str(t["task_id"])) for t in tasks])

    @classmethod
    def merge(
        cls,
        target: str,
        name: str,
        tasks: Sequence[MergedTask],
        office: str,
        reason: str,
        at: datetime,
    ) -> JointVisit:
        """Check every rule first, so that a refused merge leaves nothing behind."""
        ids = [t.task_id for t in tasks]
        if len(set(ids)) < 2:
            raise InvalidValueError("task", "至少两个不同的抽查任务", [str(i) for i in ids])
        for task in tasks:
            if task.closed:
                raise NotMergeableError(f"{task.name} 已结案")
            if not task.drew_target:
                raise NotDrawnHereError(f"{task.name} 未抽中 {target}")
            if task.visited:
                raise AlreadyVisitedError(f"{task.name} 已对 {target} 实地检查，不能再合并")
        if len({(t.lead, t.plan_id) for t in tasks}) < 2:
            raise SameTaskOwnerError("、".join(t.name for t in tasks))
        window = overlap(tasks)
        if window is None:
            windows = "；".join(
                f"{t.name} {shown(t.window_start)}至{shown(t.window_end)}" for t in tasks
            )
            raise WindowsDoNotOverlapError(windows)
        return cls(
            target=text(target, "target", "统一社会信用代码"),
            name=name,
            tasks=[t.as_record() for t in tasks],
            office=text(office, "office", "合并检查的双随机办账号"),
            reason=reason.strip(),
            window_start=window[0],
            window_end=window[1],
            at=moment(at),
        )

    @event(Merged)
    def __init__(
        self,
        target: str,
        name: str,
        tasks: list[dict[str, Any]],
        office: str,
        reason: str,
        window_start: date,
        window_end: date,
        at: datetime,
    ) -> None:
        self.target = target
        self.name = name
        self.tasks = tasks
        self.office = office
        self.reason = reason
        self.window_start = window_start
        self.window_end = window_end
        self.merged_at = at

    @property
    def task_ids(self) -> tuple[UUID, ...]:
        return tuple(UUID(str(t["task_id"])) for t in self.tasks)

    def items(self) -> list[tuple[str, str, dict[str, str]]]:
        """Every item of every task, as the one 一企一表 lists them: (task, department, item)."""
        return [
            (str(task["name"]), department, dict(item))
            for task in self.tasks
            for department in task["departments"]
            for item in task["items"].get(department, [])
        ]


class VisitMerged(Aggregate):
    """Index: this task's visit of this target is part of a joint visit (at most one)."""

    class Created(Aggregate.Created):
        task_id: UUID
        target: str
        joint_visit_id: UUID

    @staticmethod
    def id_for(task_id: UUID, target: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:joint-visit-of:{task_id}:{target}")

    @staticmethod
    def create_id(task_id: UUID, target: str, joint_visit_id: UUID) -> UUID:
        return VisitMerged.id_for(task_id, target)

    @event(Created)
    def __init__(self, task_id: UUID, target: str, joint_visit_id: UUID) -> None:
        self.task_id = task_id
        self.target = target
        self.joint_visit_id = joint_visit_id


def indexes_of(visit: JointVisit) -> list[VisitMerged]:
    """The index entries saved with a joint visit, one per task."""
    return [
        VisitMerged(task_id=t, target=visit.target, joint_visit_id=visit.id) for t in visit.task_ids
    ]
