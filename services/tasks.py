"""Tasks: plans and their tasks, step by step, as departments and the office drive them.

The application decides nothing random and reads no clock: the time (`at`) and the draw's secret
and beacon come in as arguments, so the demo, the tests and an auditor control them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar, cast
from uuid import UUID

from domain import draw
from domain.calendar import WorkCalendar
from domain.plan import Plan
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import local_day
from services.directories import Directories
from services.group_commit import MAX_BATCH, GroupCommitter
from services.store import SsjApplication

R = TypeVar("R")

COMMAND_ID: ContextVar[UUID | None] = ContextVar("command_id", default=None)
"""The id of the command being applied, set by the bus intake: the store records it with the
command's events, in the same transaction, so that a command is applied once however often it
arrives. Every task command below passes it on without naming it."""


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


@dataclass(frozen=True)
class DrawSummary:
    seed: str
    strata: tuple[draw.Stratum, ...]
    drawn: tuple[str, ...]


class Tasks(SsjApplication):
    def __init__(
        self,
        directories: Directories,
        calendar: WorkCalendar,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.directories = directories
        self.calendar = calendar
        self.committer: GroupCommitter[Task] | None = None
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
        super().close()

    # ------------------------------------------------------------------ reading
    def task(self, task_id: UUID, version: int | None = None) -> Task:
        return self.load(Task, task_id, "抽查任务", version)

    def plan(self, plan_id: UUID) -> Plan:
        return self.load(Plan, plan_id, "抽查工作计划")

    def _change(self, task_id: UUID, command: Callable[[Task], R]) -> R:
        command_id = COMMAND_ID.get()
        if self.committer is not None:
            return self.committer.execute(task_id, command, command_id)
        return self.change(Task, task_id, "抽查任务", command, command_id)

    # ------------------------------------------------------------------ 1. plan
    def register_plan(
        self,
        department: str,
        year: int,
        title: str,
        definitions: Sequence[TaskDefinition],
        at: datetime,
        document: str = "",
    ) -> PlanSummary:
        plan_id = Plan.id_for(department, year, title)
        tasks = [Task.plan(plan_id, n, d, at) for n, d in enumerate(definitions, start=1)]
        for task in tasks:
            self.directories.target_directory(task.definition.directory_id)
        rows = [{"number": t.number, "name": t.name, "task_id": str(t.id)} for t in tasks]
        plan = Plan.register(department, year, title, document, rows, at)
        self.create(plan, *tasks, what="抽查工作计划")
        return PlanSummary(plan.id, tuple(t.id for t in tasks))

    # ------------------------------------------------------------------ 2–3. commit and draw
    def commit_seed(
        self, task_id: UUID, secret: str, beacon_source: str, at: datetime
    ) -> CommitSummary:
        """Fix the population as the directory stands now, and H(secret); keep the secret."""
        definition = self.task(task_id).definition
        population = self.directories.population(definition.directory_id, definition.scope)

        def commit(task: Task) -> CommitSummary:
            task.commit_seed(
                draw.commitment_of(draw.checked_secret(secret)),
                population.position,
                population.members,
                beacon_source,
                at,
            )
            committed = cast(Task.SeedCommitted, task.commitment)
            return CommitSummary(
                committed.commitment,
                population.position,
                committed.population_digest,
                {g: s["N"] for g, s in committed.strata.items()},
            )

        return self._change(task_id, commit)

    def draw_targets(self, task_id: UUID, secret: str, beacon: str, at: datetime) -> DrawSummary:
        """The population is rebuilt at the committed directory version, whatever changed since."""
        task = self.task(task_id)
        committed = task.commitment
        members: dict[str, str] = {}
        if committed is not None:  # without a commitment the task itself refuses the draw
            members = self.directories.population(
                committed.directory_id, task.definition.scope, committed.directory_position
            ).members
        result = self._change(task_id, lambda t: t.draw_targets(members, secret, beacon, at))
        return DrawSummary(result.seed, result.strata, result.all_drawn())

    # ------------------------------------------------------------------ 4–5. dispatch and confirm
    def dispatch(self, task_id: UUID, department: str, at: datetime) -> None:
        self._change(task_id, lambda t: t.dispatch(department, self.calendar, at))

    def confirm(self, task_id: UUID, department: str, at: datetime) -> None:
        self._change(task_id, lambda t: t.confirm(department, at))

    def decline(self, task_id: UUID, department: str, reason: str, at: datetime) -> None:
        self._change(task_id, lambda t: t.decline(department, reason, at))

    def check_deadlines(self, task_id: UUID, at: datetime) -> int:
        return self._change(task_id, lambda t: t.check_deadlines(at))

    # ------------------------------------------------------------------ 6–8. inspectors and groups
    def draw_inspectors(
        self, task_id: UUID, department: str, at: datetime
    ) -> tuple[tuple[str, ...], ...]:
        pool = self.directories.pool(department, local_day(at))
        return self._change(
            task_id, lambda t: t.draw_inspectors(department, pool.inspectors, pool.position, at)
        )

    def match_groups(self, task_id: UUID, at: datetime) -> dict[str, int]:
        task = self.task(task_id)
        positions = {
            d: self.directories.inspector_directory(d).version for d in task.inspector_draws
        }
        conflicts = self.directories.conflicts(positions)
        names = self.directories.target_names(task.definition.directory_id, task.drawn_targets)
        return self._change(task_id, lambda t: t.match_groups(conflicts, positions, names, at))

    def file_grouping(
        self, task_id: UUID, department: str, vehicles: Mapping[str, str], at: datetime
    ) -> None:
        contacts = self.directories.contacts(department)
        self._change(task_id, lambda t: t.file_grouping(department, contacts, vehicles, at))

    # ------------------------------------------------------------------ 9–10. visit and results
    def serve_notice(
        self, task_id: UUID, department: str, target: str, method: str, recipient: str, at: datetime
    ) -> None:
        self._change(task_id, lambda t: t.serve_notice(department, target, method, recipient, at))

    def record_visit(
        self, task_id: UUID, target: str, signed: bool, note: str, at: datetime
    ) -> None:
        self._change(task_id, lambda t: t.record_visit(target, signed, note, self.calendar, at))

    def record_result(
        self,
        task_id: UUID,
        department: str,
        target: str,
        category: str,
        findings: Mapping[str, str],
        at: datetime,
    ) -> None:
        self._change(task_id, lambda t: t.record_result(department, target, category, findings, at))

    def correct_result(
        self,
        task_id: UUID,
        department: str,
        target: str,
        category: str,
        findings: Mapping[str, str],
        reason: str,
        at: datetime,
    ) -> None:
        self._change(
            task_id, lambda t: t.correct_result(department, target, category, findings, reason, at)
        )

    # ------------------------------------------------------------------ 11–13. publish, follow up, close
    def publish(self, task_id: UUID, at: datetime) -> None:
        self._change(task_id, lambda t: t.publish(at))

    def open_follow_up(
        self, task_id: UUID, department: str, target: str, problem: str, due: date, at: datetime
    ) -> int:
        return self._change(
            task_id, lambda t: t.open_follow_up(department, target, problem, due, at)
        )

    def transfer_follow_up(
        self, task_id: UUID, number: int, to: str, reason: str, at: datetime
    ) -> None:
        self._change(task_id, lambda t: t.transfer_follow_up(number, to, reason, at))

    def close_follow_up(self, task_id: UUID, number: int, outcome: str, at: datetime) -> None:
        self._change(task_id, lambda t: t.close_follow_up(number, outcome, at))

    def close_task(self, task_id: UUID, at: datetime) -> None:
        self._change(task_id, lambda t: t.close(at))
