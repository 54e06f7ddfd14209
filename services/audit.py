"""The auditor's tools: replay a task's history, see it as of any event, export the whole log,
and verify every draw by re-running it from the log alone.

Verification trusts nothing but the events: the population is rebuilt from the directory's own
events at the recorded version, the secret is checked against the commitment, and every id,
group and match is recomputed with the public rule (DRAW-SPEC.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain import draw
from domain.task import Task
from domain.task.groups import recusals_by_inspector
from domain.values import local_day
from services.actors import Actor
from services.directories import Directories
from services.log import aggregate_name, event_name, read_log
from services.permissions import Action, require
from services.tasks import Tasks

_INTERNAL_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")


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
    return {k: plain(v) for k, v in vars(event).items() if k not in _INTERNAL_FIELDS}


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    recorded_at: datetime
    fields: dict[str, Any]


@dataclass(frozen=True)
class Difference:
    task_id: UUID
    task_name: str
    event: str
    version: int
    what: str
    expected: Any
    got: Any
    first_id: str | None = None

    def __str__(self) -> str:
        at = f"，首个不同的编号 {self.first_id}" if self.first_id else ""
        return (
            f"任务「{self.task_name}」({self.task_id}) 事件 {self.event} #{self.version}："
            f"{self.what} 应为 {self.expected!r}，记录为 {self.got!r}{at}"
        )


@dataclass
class VerificationReport:
    tasks: int = 0
    draws: int = 0
    inspector_draws: int = 0
    matchings: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def first_difference(expected: Sequence[str], got: Sequence[str]) -> str | None:
    for a, b in zip(expected, got, strict=False):
        if a != b:
            return b
    if len(expected) != len(got):
        longer = expected if len(expected) > len(got) else got
        return longer[min(len(expected), len(got))]
    return None


class Auditor:
    """Reads everything, writes nothing."""

    def __init__(self, tasks: Tasks, directories: Directories) -> None:
        self.tasks = tasks
        self.directories = directories

    # ------------------------------------------------------------------ replay
    def history(self, actor: Actor, task_id: UUID) -> list[HistoryEntry]:
        require(actor, Action.READ_HISTORY)
        self.tasks._load(task_id)  # a clear "not found" rather than an empty history
        return [
            HistoryEntry(e.originator_version, event_name(e), e.timestamp, fields_of(e))
            for e in self.tasks.events_of(task_id)
        ]

    def state_as_of(self, actor: Actor, task_id: UUID, version: int) -> Task:
        require(actor, Action.READ_HISTORY)
        return self.tasks._load(task_id, version)

    def export(self, actor: Actor) -> Iterator[dict[str, Any]]:
        """Every stored event, in log order: position, aggregate, version, type, time, fields."""
        require(actor, Action.EXPORT_LOG)
        return self._export()

    def _export(self) -> Iterator[dict[str, Any]]:
        for logged in read_log(self.tasks):
            e = logged.event
            yield {
                "position": logged.position,
                "aggregate_id": str(e.originator_id),
                "aggregate": aggregate_name(e),
                "version": e.originator_version,
                "type": event_name(e),
                "recorded_at": e.timestamp.isoformat(),
                "fields": fields_of(e),
            }

    # ------------------------------------------------------------------ verify
    def task_ids(self) -> list[UUID]:
        return [
            x.event.originator_id for x in read_log(self.tasks, topics=(get_topic(Task.Planned),))
        ]

    def verify(self, actor: Actor) -> VerificationReport:
        require(actor, Action.VERIFY_LOG)
        report = VerificationReport()
        for task_id in self.task_ids():
            report.tasks += 1
            self._verify_task(task_id, report)
        return report

    def _verify_task(self, task_id: UUID, report: VerificationReport) -> None:
        history = self.tasks.events_of(task_id)
        task = self.tasks._load(task_id, version=1)  # as planned: the definition never changes
        check = _Checker(task_id, task.name, report)
        committed: Task.SeedCommitted | None = None
        drawn: Task.TargetsDrawn | None = None
        inspector_draws: dict[str, Task.InspectorsDrawn] = {}
        for event in history:
            check.event = event
            if isinstance(event, Task.SeedCommitted):
                committed = event
            elif isinstance(event, Task.TargetsDrawn):
                report.draws += 1
                drawn = event
                self._verify_targets(task, committed, event, check)
            elif isinstance(event, Task.InspectorsDrawn) and drawn is not None:
                report.inspector_draws += 1
                inspector_draws[event.department] = event
                self._verify_inspectors(task, drawn, event, check)
            elif isinstance(event, Task.GroupsMatched) and drawn is not None:
                report.matchings += 1
                self._verify_matching(task, drawn, inspector_draws, event, check)

    def _verify_targets(
        self,
        task: Task,
        committed: Task.SeedCommitted | None,
        e: Task.TargetsDrawn,
        check: _Checker,
    ) -> None:
        if committed is None:
            check("SeedCommitted 先于抽取", "存在", "不存在")
            return
        check("commitment", committed.commitment, e.commitment)
        check("H(secret)", e.commitment, draw.commitment_of(e.secret))
        check("seed = H(secret|beacon)", draw.seed_of(e.secret, e.beacon), e.seed)
        check("directory_position", committed.directory_position, e.directory_position)
        population = self.directories.population(
            committed.directory_id, task.definition.scope, e.directory_position
        ).members
        result = draw.draw_targets(population, task.definition.ratio_by_grade(), e.seed)
        check("population_digest（按名录库重建）", result.population_digest, e.population_digest)
        check("population_digest（承诺时）", committed.population_digest, e.population_digest)
        for stratum in result.strata:
            recorded = e.strata.get(stratum.grade, {})
            expected = {"N": stratum.size, "r": stratum.ratio, "k": stratum.count}
            check(f"strata.{stratum.grade}", expected, recorded)
            got = e.drawn.get(stratum.grade, [])
            want = list(result.drawn.get(stratum.grade, ()))
            check(f"drawn.{stratum.grade}", want, got, first_difference(want, got))

    def _verify_inspectors(
        self, task: Task, drawn: Task.TargetsDrawn, e: Task.InspectorsDrawn, check: _Checker
    ) -> None:
        pool = self.directories.pool(e.department, local_day(e.at), e.directory_position).inspectors
        check(f"{e.department} pool_digest", draw.pool_digest(pool), e.pool_digest)
        check(f"{e.department} pool_size", len(pool), e.pool_size)
        targets = sum(len(ids) for ids in drawn.drawn.values())
        groups = task.definition.groups or draw.default_group_count(targets)
        try:
            expected = [
                list(g)
                for g in draw.draw_inspectors(
                    pool, e.department, groups, task.definition.per_group, drawn.seed
                )
            ]
        except draw.NotEnoughInspectorsError as error:
            check(f"{e.department} 可抽人数", str(error), e.groups)
            return
        flat_want = [i for g in expected for i in g]
        flat_got = [i for g in e.groups for i in g]
        check(f"{e.department} groups", expected, e.groups, first_difference(flat_want, flat_got))

    def _verify_matching(
        self,
        task: Task,
        drawn: Task.TargetsDrawn,
        inspector_draws: dict[str, Task.InspectorsDrawn],
        e: Task.GroupsMatched,
        check: _Checker,
    ) -> None:
        departments = [d for d in (task.lead, *task.cooperating) if d in inspector_draws]
        count = len(inspector_draws[task.lead].groups) if task.lead in inspector_draws else 0
        groups = [{d: inspector_draws[d].groups[g] for d in departments} for g in range(count)]
        check("groups", groups, e.groups)
        targets = [t for g in sorted(drawn.drawn) for t in drawn.drawn[g]]
        members = {m for group in groups for ids in group.values() for m in ids}
        conflicts = recusals_by_inspector(
            r
            for r in self.directories.recusals(e.directory_positions)
            if r.inspector in members and r.target in set(targets)
        )
        check("conflicts（按名录库重建）", conflicts, e.conflicts)
        try:
            matches = draw.match_groups(
                targets,
                [[m for ids in g.values() for m in ids] for g in groups],
                conflicts,
                drawn.seed,
            )
        except draw.UnmatchableTargetError as error:
            check("matches", str(error), e.matches)
            return
        check("matches", matches, e.matches, first_difference(list(matches), list(e.matches)))
        sheets = {s.target: s.group for s in e.record_sheets()}
        check("一企一表", matches, sheets, first_difference(sorted(matches), sorted(sheets)))


class _Checker:
    """Records a difference; only the first per task is kept, as the auditor reads them in order."""

    def __init__(self, task_id: UUID, task_name: str, report: VerificationReport) -> None:
        self.task_id = task_id
        self.task_name = task_name
        self.report = report
        self.event: Any = None
        self.found = False

    def __call__(self, what: str, expected: Any, got: Any, first_id: str | None = None) -> None:
        if self.found or plain(expected) == plain(got):
            return
        self.found = True
        self.report.differences.append(
            Difference(
                self.task_id,
                self.task_name,
                event_name(self.event),
                self.event.originator_version,
                what,
                plain(expected),
                plain(got),
                first_id,
            )
        )
