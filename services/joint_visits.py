"""JointVisits: the office's offers of one visit for many items (进一次门、查多项事), and its merges.

An offer is found from the read models: the open tasks' views say which targets each drew, which
it visited already and its window, so finding the targets drawn by two tasks or more costs what
the views hold, not the log. Only the few tasks that share a target are then read whole (their
plan and items), and a merge is checked on the tasks as stored, never on a view that may lag.

Nothing is merged by itself: the office merges, and the joint visit is an event. Each task keeps
its own visit record, results and publication; the joint visit says which visits are one, with
one 一企一表 for every item of every task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.joint_visit import (
    AlreadyMergedError,
    JointVisit,
    MergedTask,
    VisitMerged,
    indexes_of,
    mergeable,
    overlap,
)
from domain.task import Task
from services.actors import Actor
from services.clock import TimeGuard
from services.errors import AlreadyExistsError, NotFoundError
from services.permissions import Action, allows, require
from services.read_models import MAX_LIMIT, ReadModels
from services.store import SsjApplication
from services.task_views import TaskView
from services.tasks import Tasks, parties_of


@dataclass(frozen=True)
class OfferedTask:
    task_id: UUID
    name: str
    lead: str
    departments: tuple[str, ...]
    items: dict[str, tuple[tuple[str, str], ...]]
    """Department -> (code, name) of each of its items."""
    window_start: date
    window_end: date


@dataclass(frozen=True)
class Offer:
    """Tasks that drew the same target in windows that meet: the office may merge their visits."""

    target: str
    name: str
    tasks: tuple[OfferedTask, ...]
    window_start: date
    window_end: date

    @property
    def task_ids(self) -> tuple[UUID, ...]:
        return tuple(t.task_id for t in self.tasks)


@dataclass(frozen=True)
class JointVisitView:
    """A merged visit as the pages and the API show it."""

    joint_visit_id: UUID
    target: str
    name: str
    tasks: tuple[OfferedTask, ...]
    office: str
    reason: str
    window_start: date
    window_end: date
    merged_at: datetime
    items: tuple[tuple[str, str, str, str], ...]
    """(task name, department, item code, item name): every item of the one 一企一表."""


def offered_task(task: MergedTask) -> OfferedTask:
    return OfferedTask(
        task.task_id,
        task.name,
        task.lead,
        task.departments,
        {d: tuple((i["code"], i["name"]) for i in items) for d, items in task.items.items()},
        task.window_start,
        task.window_end,
    )


def view_of(visit: JointVisit) -> JointVisitView:
    tasks = tuple(
        OfferedTask(
            UUID(str(t["task_id"])),
            str(t["name"]),
            str(t["lead"]),
            tuple(t["departments"]),
            {d: tuple((i["code"], i["name"]) for i in items) for d, items in t["items"].items()},
            date.fromisoformat(t["window_start"]),
            date.fromisoformat(t["window_end"]),
        )
        for t in visit.tasks
    )
    return JointVisitView(
        visit.id,
        visit.target,
        visit.name,
        tasks,
        visit.office,
        visit.reason,
        visit.window_start,
        visit.window_end,
        visit.merged_at,
        tuple((task, d, item["code"], item["name"]) for task, d, item in visit.items()),
    )


def shared_targets(views: Sequence[TaskView]) -> dict[str, list[TaskView]]:
    """Target -> the open, unpublished tasks that drew it (two or more), in plan order."""
    drawn: dict[str, list[TaskView]] = {}
    for view in views:
        if view.closed or view.published:
            continue
        for target in view.targets:
            drawn.setdefault(target, []).append(view)
    return {target: found for target, found in drawn.items() if len(found) >= 2}


def meeting_groups(tasks: Sequence[MergedTask]) -> list[list[MergedTask]]:
    """The largest sets of tasks whose windows all meet (on a line, windows that meet pairwise
    share a day: each set is the windows holding some task's first day), each mergeable."""
    groups: list[list[MergedTask]] = []
    for first in sorted({t.window_start for t in tasks}):
        holding = [t for t in tasks if t.window_start <= first <= t.window_end]
        ids = {t.task_id for t in holding}
        if any(ids <= {t.task_id for t in g} for g in groups):
            continue
        groups = [g for g in groups if not {t.task_id for t in g} <= ids]
        groups.append(holding)
    return [g for g in groups if mergeable(g)]


class JointVisits(SsjApplication):
    def __init__(
        self,
        tasks: Tasks,
        read_models: ReadModels,
        guard: TimeGuard,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.tasks = tasks
        self.read_models = read_models
        self.guard = guard
        super().__init__(env, recorder=tasks.recorder)

    # ------------------------------------------------------------------ reading
    def offers(self, actor: Actor) -> list[Offer]:
        """Every joint visit the office may still merge, target by target."""
        require(actor, Action.READ_JOINT_VISIT_OFFERS)
        offers: list[Offer] = []
        for target, views in shared_targets(self._views()).items():
            unvisited = [v for v in views if target not in v.visits]
            free = [v for v in unvisited if self._merged(v.task_id, target) is None]
            if len(free) < 2:
                continue
            snapshots = [self._snapshot(v.task_id, target) for v in free]
            for group in meeting_groups(snapshots):
                window = overlap(group)
                assert window is not None  # meeting_groups keeps mergeable groups only
                offers.append(
                    Offer(
                        target,
                        self._name(group[0].task_id, target),
                        tuple(offered_task(t) for t in group),
                        *window,
                    )
                )
        return offers

    def merged(self, actor: Actor) -> list[JointVisitView]:
        """The joint visits of targets still drawn by open tasks: those still to be made."""
        require(actor, Action.READ_JOINT_VISIT_OFFERS)
        found: dict[UUID, JointVisitView] = {}
        for target, views in shared_targets(self._views()).items():
            for view in views:
                visit_id = self._merged(view.task_id, target)
                if visit_id is not None and visit_id not in found:
                    found[visit_id] = view_of(self._visit(visit_id))
        return list(found.values())

    def joint_visit(self, actor: Actor, joint_visit_id: UUID) -> JointVisitView:
        """A joint visit: for the office and auditors, and for whoever reads one of its tasks."""
        visit = self._visit(joint_visit_id)
        readers = [parties_of(self._task(t)) for t in visit.task_ids]
        if not any(allows(actor, Action.READ_TASK, p) for p in readers):
            require(actor, Action.READ_JOINT_VISIT_OFFERS)
        return view_of(visit)

    def of_task(self, actor: Actor, task_id: UUID, target: str) -> JointVisitView | None:
        """The joint visit this task's visit of the target is part of, for its target's page."""
        self.tasks.task(actor, task_id)
        visit_id = self._merged(task_id, target)
        return None if visit_id is None else view_of(self._visit(visit_id))

    # ------------------------------------------------------------------ merging
    def merge(
        self,
        actor: Actor,
        target: str,
        task_ids: Sequence[UUID],
        *,
        at: datetime,
        reason: str = "",
        by: str = "",
        command_id: UUID | None = None,
    ) -> JointVisitView:
        """The office merges the tasks' visits of the target into one; refused when any was
        merged already, did not draw it, visited it, or when their windows do not meet."""
        self.guard.admit(at)
        require(actor, Action.MERGE_VISITS)
        target = target.strip().upper()
        unique = list(dict.fromkeys(task_ids))
        for task_id in unique:
            already = self._merged(task_id, target)
            if already is not None:
                visit = self._visit(already)
                raise AlreadyMergedError(
                    f"{self._task(task_id).name} / {target} 已于 {visit.merged_at.date()} "
                    f"并入联合检查 {already}"
                )
        snapshots = [self._snapshot(t, target) for t in unique]
        name = self._name(unique[0], target) if unique else ""
        visit = JointVisit.merge(target, name, snapshots, by or str(actor), reason, at)
        try:
            self.create(visit, *indexes_of(visit), what="联合检查", command_id=command_id)
        except AlreadyExistsError:
            raise AlreadyMergedError(f"{target}：同时有另一次合并") from None
        return view_of(visit)

    # ------------------------------------------------------------------ helpers
    def _views(self) -> list[TaskView]:
        views: list[TaskView] = []
        after: str | None = None
        while True:
            page = self.read_models.task_views(None, MAX_LIMIT, after)
            views.extend(page.items)
            if page.next is None:
                return views
            after = page.next

    def _merged(self, task_id: UUID, target: str) -> UUID | None:
        try:
            index = self.load(VisitMerged, VisitMerged.id_for(task_id, target), "联合检查")
        except NotFoundError:
            return None
        return index.joint_visit_id

    def _visit(self, joint_visit_id: UUID) -> JointVisit:
        return self.load(JointVisit, joint_visit_id, "联合检查")

    def _task(self, task_id: UUID) -> Task:
        return self.tasks.load(Task, task_id, "抽查任务")

    def _snapshot(self, task_id: UUID, target: str) -> MergedTask:
        task = self._task(task_id)
        definition = task.definition
        return MergedTask(
            task_id=task.id,
            name=task.name,
            plan_id=task.plan_id,
            lead=task.lead,
            departments=definition.departments,
            items={d: [i.as_record() for i in items] for d, items in definition.items.items()},
            window_start=definition.window_start,
            window_end=definition.window_end,
            drew_target=target in task.drawn_targets,
            visited=target in task.visits,
            closed=task.is_closed,
        )

    def _name(self, task_id: UUID, target: str) -> str:
        task = self._task(task_id)
        if task.matching is not None:
            for sheet in task.matching.sheets:
                if sheet["target"] == target:
                    return str(sheet["name"])
        names = self.tasks.directories.target_names(task.definition.directory_id, [target])
        return names.get(target, "")


__all__ = ["JointVisitView", "JointVisits", "Offer", "OfferedTask"]
