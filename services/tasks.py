"""Tasks: plans and their tasks, step by step, as departments and the office drive them.

Every command takes who asks (`actor`), when it happened (`at`) and, from a front that retries,
its id (`command_id`): the store records the id with the command's events, in the same
transaction, so that a command is applied once however often it arrives. The permission policy
is asked on the task as stored, before the task's own rules; the time guard refuses a moment
ahead of the clock. The application decides nothing random and reads no other clock: the secret
and beacon of a draw come in as arguments, so the demo, the tests and an auditor control them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from domain import draw
from domain.plan import Plan
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import local_day
from services.actors import Actor, Role
from services.calendars import Calendars
from services.clock import TimeGuard
from services.directories import Directories
from services.errors import NotFoundError
from services.group_commit import MAX_BATCH, GroupCommitter
from services.inspection_caps import DrawIndex, exclusions_for
from services.permissions import Action, Parties, require
from services.store import SsjApplication
from services.task_fieldwork import Fieldwork, department_of

R = TypeVar("R")

LEADS_KEPT = 100_000


@dataclass(frozen=True)
class PlanSummary:
    plan_id: UUID
    task_ids: tuple[UUID, ...]


@dataclass(frozen=True)
class CommitSummary:
    commitment: str
    directory_position: int
    population_digest: str
    strata: dict[str, int]
    excluded: tuple[dict[str, Any], ...] = ()
    """What the population left out (国办发〔2024〕54号), each with its reason."""


@dataclass(frozen=True)
class DrawSummary:
    seed: str
    strata: tuple[draw.Stratum, ...]
    drawn: tuple[str, ...]


def parties_of(task: Task, target: str | None = None) -> Parties:
    """Whom the task belongs to, for the permission policy; with a target, who inspects it."""
    assigned = task.inspectors_of(target) if target is not None else frozenset[str]()
    return Parties(
        lead=task.lead,
        cooperating=task.cooperating,
        received=(*task.dispatches, *task.held_dispatches),
        participating=task.participating,
        assigned=assigned,
    )


class Tasks(Fieldwork, SsjApplication):
    def __init__(
        self,
        directories: Directories,
        calendars: Calendars,
        guard: TimeGuard,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.directories = directories
        self.calendars = calendars
        self.guard = guard
        self.committer: GroupCommitter[Task] | None = None
        self._leads: dict[UUID, str] = {}
        self.draw_index: DrawIndex | None = None
        """Where the log's draws of a credit code are (国办发〔2024〕54号), when the store keeps
        such an index (services/inspection_caps.py); without one a commitment reads every draw."""
        super().__init__(env, recorder=directories.recorder)

    def commit_in_groups(self, max_batch: int = MAX_BATCH) -> GroupCommitter[Task]:
        """From now on, task commands arriving together from many threads share transactions
        (services/group_commit.py); each command still answers, or fails, on its own."""
        if self.committer is None:
            self.committer = GroupCommitter(self, Task, "抽查任务", max_batch=max_batch)
        return self.committer

    def close(self) -> None:
        if self.committer is not None:
            self.committer.close()
        if self.draw_index is not None:
            self.draw_index.close()
        super().close()

    # ------------------------------------------------------------------ reading
    def task(self, actor: Actor, task_id: UUID, version: int | None = None) -> Task:
        """The task as stored (as of `version`, for those who may replay its history)."""
        task = self._load(task_id, version)
        if version is None:
            require(actor, Action.READ_TASK, parties_of(task))
        else:
            require(actor, Action.READ_HISTORY, parties_of(task))
        return task

    def _load(self, task_id: UUID, version: int | None = None) -> Task:
        return self.load(Task, task_id, "抽查任务", version)

    def role_in(self, department: str, task_id: UUID) -> Role:
        """How a department takes part in a task: for fronts that know only the department
        (a CLI `--dept`, a bus subject); the policy still decides what that role may do."""
        return Role.LEAD if self._lead_of(task_id) == department else Role.COOPERATING

    def _lead_of(self, task_id: UUID) -> str:
        """A task's lead, which its plan fixed for good: read once per task and process."""
        lead = self._leads.get(task_id)
        if lead is None:
            lead = self._load(task_id, version=1).lead
            if len(self._leads) >= LEADS_KEPT:
                self._leads.clear()
            self._leads[task_id] = lead
        return lead

    def plan(self, actor: Actor, plan_id: UUID) -> Plan:
        plan = self.load(Plan, plan_id, "抽查工作计划")
        require(actor, Action.LIST_TASKS, Parties(owner=plan.department))
        return plan

    def _change(
        self,
        actor: Actor,
        action: Action,
        task_id: UUID,
        command: Callable[[Task], R],
        at: datetime,
        command_id: UUID | None,
        target: str | None = None,
    ) -> R:
        self.guard.admit(at)

        def guarded(task: Task) -> R:
            require(actor, action, parties_of(task, target))
            return command(task)

        if self.committer is not None:
            return self.committer.execute(task_id, guarded, command_id)
        return self.change(Task, task_id, "抽查任务", guarded, command_id)

    # ------------------------------------------------------------------ 1. plan
    def register_plan(
        self,
        actor: Actor,
        year: int,
        title: str,
        definitions: Sequence[TaskDefinition],
        *,
        at: datetime,
        document: str = "",
        command_id: UUID | None = None,
    ) -> PlanSummary:
        """A plan of the actor's department: every task it lists is led by that department."""
        self.guard.admit(at)
        require(actor, Action.REGISTER_PLAN, Parties(lead=actor.department))
        department = actor.speaks_for
        for definition in definitions:
            require(actor, Action.REGISTER_PLAN, Parties(lead=definition.lead))
        plan_id = Plan.id_for(department, year, title)
        tasks = [Task.plan(plan_id, n, d, at) for n, d in enumerate(definitions, start=1)]
        for directory_id in {d.directory_id for d in definitions}:
            self.directories.target_directory(directory_id)  # NotFoundError names a wrong one
        rows = [{"number": t.number, "name": t.name, "task_id": str(t.id)} for t in tasks]
        plan = Plan.register(department, year, title, document, rows, at)
        self.create(plan, *tasks, what="抽查工作计划", command_id=command_id)
        return PlanSummary(plan.id, tuple(t.id for t in tasks))

    # ------------------------------------------------------------------ 2–3. commit and draw
    def commit_seed(
        self,
        actor: Actor,
        task_id: UUID,
        secret: str,
        beacon_source: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> CommitSummary:
        """Fix the population as the directory stands now, and H(secret); keep the secret."""
        task = self._load(task_id)
        require(actor, Action.COMMIT_SEED, parties_of(task))
        definition = task.definition
        population = self.directories.population(definition.directory_id, definition.scope)
        commitment = draw.commitment_of(draw.checked_secret(secret))

        def commit(task: Task) -> CommitSummary:
            # Read again on the task as saved: a draw logged meanwhile counts.
            left_out = exclusions_for(self, task, population.members, at)
            task.commit_seed(
                commitment, population.position, population.members, beacon_source, at, left_out
            )
            committed = cast(Task.SeedCommitted, task.commitment)
            return CommitSummary(
                committed.commitment,
                population.position,
                committed.population_digest,
                {g: s["N"] for g, s in committed.strata.items()},
                tuple(committed.exclusions),
            )

        return self._change(actor, Action.COMMIT_SEED, task_id, commit, at, command_id)

    def draw_targets(
        self,
        actor: Actor,
        task_id: UUID,
        secret: str,
        beacon: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> DrawSummary:
        """The population is rebuilt at the committed directory version, whatever changed since."""
        task = self._load(task_id)
        require(actor, Action.DRAW_TARGETS, parties_of(task))
        committed = task.commitment
        members: dict[str, str] = {}
        if committed is not None:  # without a commitment the task itself refuses the draw
            members = self.directories.population(
                committed.directory_id, task.definition.scope, committed.directory_position
            ).members
        result = self._change(
            actor,
            Action.DRAW_TARGETS,
            task_id,
            lambda t: t.draw_targets(members, secret, beacon, at),
            at,
            command_id,
        )
        return DrawSummary(result.seed, result.strata, result.all_drawn())

    # ------------------------------------------------------------------ 4–5. dispatch and confirm
    def dispatch(self, actor: Actor, task_id: UUID, department: str, *, at: datetime) -> bool:
        """Whether the task went out; held (and recorded so) when its deadline's year is unknown."""
        calendar = self.calendars.calendar()
        return self._change(
            actor,
            Action.DISPATCH,
            task_id,
            lambda t: t.dispatch(department, calendar, at),
            at,
            None,
        )

    def dispatch_drawn(self, actor: Actor, task_id: UUID, *, at: datetime) -> int:
        """派发 to every cooperating department not dispatched yet; how many went out."""
        calendar = self.calendars.calendar()
        return self._change(
            actor, Action.DISPATCH, task_id, lambda t: t.dispatch_drawn(calendar, at), at, None
        )

    def confirm(
        self, actor: Actor, task_id: UUID, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        department = department_of(actor)
        self._change(
            actor, Action.CONFIRM, task_id, lambda t: t.confirm(department, at), at, command_id
        )

    def decline(
        self,
        actor: Actor,
        task_id: UUID,
        reason: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        department = department_of(actor)
        self._change(
            actor,
            Action.DECLINE,
            task_id,
            lambda t: t.decline(department, reason, at),
            at,
            command_id,
        )

    def check_deadlines(self, actor: Actor, task_id: UUID, *, at: datetime) -> int:
        return self._change(
            actor, Action.CHECK_DEADLINES, task_id, lambda t: t.check_deadlines(at), at, None
        )

    def count_held_deadlines(self, actor: Actor, task_id: UUID, *, at: datetime) -> int:
        """Once a year's calendar is loaded: the dispatches and results' deadlines that waited."""
        calendar = self.calendars.calendar()
        return self._change(
            actor,
            Action.COUNT_HELD_DEADLINES,
            task_id,
            lambda t: t.count_held_deadlines(calendar, max(at, t.last_at)),
            at,
            None,
        )

    # ------------------------------------------------------------------ 6–8. inspectors and groups
    def draw_inspectors(
        self, actor: Actor, task_id: UUID, *, at: datetime, command_id: UUID | None = None
    ) -> tuple[tuple[str, ...], ...]:
        department = department_of(actor)

        def draw_from_pool(task: Task) -> tuple[tuple[str, ...], ...]:
            # Read once the policy has let the actor in: an outsider learns nothing of the pool.
            pool = self.directories.pool(department, local_day(at))
            return task.draw_inspectors(department, pool.inspectors, pool.position, at)

        return self._change(actor, Action.DRAW_INSPECTORS, task_id, draw_from_pool, at, command_id)

    def match_groups(
        self, actor: Actor, task_id: UUID, *, at: datetime, command_id: UUID | None = None
    ) -> dict[str, int]:
        task = self._load(task_id)
        require(actor, Action.MATCH_GROUPS, parties_of(task))
        positions, recusals = self.directories.recusals_now(task.inspector_draws)
        names = self.directories.target_names(task.definition.directory_id, task.drawn_targets)
        return self._change(
            actor,
            Action.MATCH_GROUPS,
            task_id,
            lambda t: t.match_groups(recusals, positions, names, at),
            at,
            command_id,
        )

    def file_grouping(
        self,
        actor: Actor,
        task_id: UUID,
        vehicles: Mapping[str, str],
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        department = department_of(actor)

        def file_with_contacts(task: Task) -> None:
            contacts = self.directories.contacts(department)
            task.file_grouping(department, contacts, vehicles, at)

        self._change(actor, Action.FILE_GROUPING, task_id, file_with_contacts, at, command_id)


__all__ = ["CommitSummary", "DrawSummary", "NotFoundError", "PlanSummary", "Tasks", "parties_of"]
