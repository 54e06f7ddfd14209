"""Re-running every draw from the log alone, task by task, and counting every deadline again.

Verification trusts nothing but the events: the population is rebuilt from the directory's own
events at the recorded version, the secret is checked against the commitment, and every id,
group and match is recomputed with the public rule (DRAW-SPEC.md); every deadline is counted
again on the calendar it names. A task whose events cannot be read, or a directory that cannot
be rebuilt as of a draw, is a finding naming the task; the other tasks are verified all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from uuid import UUID

from domain import draw
from domain.task import Task
from domain.task.committed_draw import after_exclusions
from domain.task.groups import recusals_by_inspector
from domain.values import local_day
from services.directories import Directories
from services.exclusion_checks import check_exclusions
from services.integrity import why_unreadable
from services.log import event_name
from services.stored import event_of, plain, shown
from services.tasks import Tasks

DRAW_INPUTS = {
    "TargetsDrawn": frozenset({"SeedCommitted"}),
    "InspectorsDrawn": frozenset({"SeedCommitted", "TargetsDrawn"}),
    "GroupsMatched": frozenset({"SeedCommitted", "TargetsDrawn", "InspectorsDrawn"}),
}
"""The events each draw, and the matching, is recomputed from."""


class _ShortHistory(Exception):
    """A directory rebuilt as of a draw ends before the version the draw recorded."""


class _Unplanned(Exception):
    """Why a task cannot be rebuilt as its plan made it, in the auditor's words."""


def _as_planned(events: Sequence[Any], unread: Mapping[int, tuple[str, str]]) -> Task:
    """The task as its plan made it, from the first of its events already read."""
    if 1 in unread:
        raise _Unplanned(unread[1][1])
    first = events[0] if events else None
    if not isinstance(first, Task.Planned) or first.originator_version != 1:
        raise _Unplanned("第 1 版不是计划事件（已被删除或改动）")
    try:
        return cast(Task, first.mutate(None))
    except Exception as error:
        raise _Unplanned(why_unreadable(error)) from None


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
            f"{self.what} 应为 {shown(self.expected)}，记录为 {shown(self.got)}{at}"
        )


@dataclass(frozen=True)
class Unverifiable:
    """A task, or one of its draws, the log no longer lets the auditor re-run."""

    task_id: UUID
    task_name: str
    what: str
    """What could not be verified: the task, or one event of it (`TargetsDrawn #3`)."""
    why: str

    def __str__(self) -> str:
        name = f"「{self.task_name}」" if self.task_name else ""
        return f"任务{name}({self.task_id}) {self.what}无法核验：{self.why}"


@dataclass
class VerificationReport:
    tasks: int = 0
    draws: int = 0
    inspector_draws: int = 0
    matchings: int = 0
    deadlines: int = 0
    """Deadlines counted again on the calendar each names (dispatch, results)."""
    differences: list[Difference | Unverifiable] = field(default_factory=list)
    undecodable: int = 0
    """Events left unverified because they do not decode, which the raw log's check, run
    beside, names with their positions: counted here, not named twice."""

    @property
    def ok(self) -> bool:
        return not self.differences and not self.undecodable


def first_difference(expected: Sequence[str], got: Sequence[str]) -> str | None:
    for a, b in zip(expected, got, strict=False):
        if a != b:
            return b
    if len(expected) != len(got):
        longer = expected if len(expected) > len(got) else got
        return longer[min(len(expected), len(got))]
    return None


class DrawVerifier:
    """Re-runs one task's draws and counts its deadlines again, into a report."""

    def __init__(
        self, tasks: Tasks, directories: Directories, named: Collection[tuple[UUID, int]] = ()
    ) -> None:
        self.tasks = tasks
        self.directories = directories
        self.named = named
        """(task, version) of the events the raw log's check has named as not decoding."""

    def _events(self, task_id: UUID) -> tuple[list[Any], dict[int, tuple[str, str]]]:
        """The task's events that decode, in version order, and version -> (type, why) of each
        that does not."""
        events, unread = [], {}
        for stored in self.tasks.recorder.select_events(task_id):
            try:
                events.append(self.tasks.mapper.to_domain_event(stored))
            except Exception as error:
                why = why_unreadable(error, stored.topic)
                unread[stored.originator_version] = (event_of(stored.topic), why)
        return events, unread

    def _unread(
        self, report: VerificationReport, task_id: UUID, version: int, finding: Unverifiable
    ) -> None:
        """An event that does not decode is a finding, unless the raw log's check names it."""
        if (task_id, version) in self.named:
            report.undecodable += 1
        else:
            report.differences.append(finding)

    def verify_task(self, task_id: UUID, report: VerificationReport) -> None:
        events, unread = self._events(task_id)
        try:  # as planned: the definition never changes
            task = _as_planned(events, unread)
        except _Unplanned as error:
            why = f"计划事件（第 1 版）无法载入：{error}"
            self._unread(report, task_id, 1, Unverifiable(task_id, "", "", why))
            return
        for version, (kind, why) in unread.items():
            what = f"第 {version} 版事件 {kind} "
            self._unread(report, task_id, version, Unverifiable(task_id, task.name, what, why))
        check = _Checker(task_id, task.name, report)
        check.unread = {version: kind for version, (kind, _) in unread.items()}
        committed: Task.SeedCommitted | None = None
        drawn: Task.TargetsDrawn | None = None
        inspector_draws: dict[str, Task.InspectorsDrawn] = {}
        visits: dict[str, Task.InspectionVisited] = {}
        rules = task.definition
        for event in events:
            check.event = event
            if isinstance(event, Task.InspectionVisited):
                visits[event.target] = event
            counted = _counted_deadline(event, visits, rules.confirm_days, rules.result_days)
            if counted is not None:
                report.deadlines += 1
                check.guarded(self._verify_deadline, *counted, check)
            elif isinstance(event, Task.SeedCommitted):
                committed = event
            elif isinstance(event, Task.TargetsDrawn):
                report.draws += 1
                drawn = event
                check.guarded(self._verify_targets, task, committed, event, check)
            elif isinstance(event, Task.InspectorsDrawn) and drawn is not None:
                report.inspector_draws += 1
                inspector_draws[event.department] = event
                check.guarded(self._verify_inspectors, task, drawn, event, check)
            elif isinstance(event, Task.GroupsMatched) and drawn is not None:
                report.matchings += 1
                check.guarded(self._verify_matching, task, drawn, inspector_draws, event, check)

    def _verify_deadline(
        self,
        what: str,
        recorded: date,
        sources: Mapping[str, str],
        start: date,
        working_days: int,
        check: _Checker,
    ) -> None:
        """Count the deadline again, on the holiday arrangements the log holds: a year loaded into
        the log must be the one the deadline names (its file's SHA-256 is in the name)."""
        calendar = self.tasks.calendars.calendar()
        for year, source in sources.items():
            if "sha256:" in source:
                check(f"{what} 所依据的 {year} 年日历", calendar.source_of(int(year)), source)
        check(f"{what}（按工作日历重算）", calendar.deadline(start, working_days), recorded)

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
        rebuilt = self.directories.population(
            committed.directory_id, task.definition.scope, e.directory_position
        )
        if rebuilt.position != e.directory_position:
            raise _ShortHistory(
                f"抽查对象名录库 {committed.directory_id} 只能重建到第 {rebuilt.position} 版，"
                f"抽取依据的是第 {e.directory_position} 版：其后的事件已被删除或无法读取"
            )
        # 国办发〔2024〕54号: the population is the scope's less the recorded exclusions, each of
        # which must follow from the log (services/exclusion_checks.py).
        check("excluded（与承诺一致）", list(committed.exclusions), list(e.excluded))
        check_exclusions(self.tasks, task, committed, rebuilt.members, check)
        population = after_exclusions(rebuilt.members, committed.exclusions)
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
        rebuilt = self.directories.pool(e.department, local_day(e.at), e.directory_position)
        if rebuilt.position != e.directory_position:
            raise _ShortHistory(
                f"{e.department} 执法检查人员名录库只能重建到第 {rebuilt.position} 版，"
                f"抽取依据的是第 {e.directory_position} 版：其后的事件已被删除或无法读取"
            )
        pool = rebuilt.inspectors
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


def _counted_deadline(
    event: Any, visits: Mapping[str, Any], confirm_days: int, result_days: int
) -> tuple[str, date, Mapping[str, str], date, int] | None:
    """(what, the deadline recorded, the calendars it names, the day counted from, working days)
    of an event that records a deadline; None for any other event."""
    if isinstance(event, Task.TaskDispatched):
        return "deadline", event.deadline, event.calendar, local_day(event.at), confirm_days
    if isinstance(event, Task.InspectionVisited) and event.results_due is not None:
        day = local_day(event.at)
        return "results_due", event.results_due, event.calendar, day, result_days
    if isinstance(event, Task.ResultDeadlineSet) and event.target in visits:
        day = local_day(visits[event.target].at)
        return "results_due", event.results_due, event.calendar, day, result_days
    return None


class _Checker:
    """Records a difference; only the first per task is kept, as the auditor reads them in order."""

    def __init__(self, task_id: UUID, task_name: str, report: VerificationReport) -> None:
        self.task_id = task_id
        self.task_name = task_name
        self.report = report
        self.event: Any = None
        self.found = False
        self.unread: dict[int, str] = {}
        """Version -> type of the task's events that do not decode."""

    def guarded(self, verify: Callable[..., None], *arguments: Any) -> None:
        """One draw's re-run. Not run if an event it rests on does not decode (it would only
        repeat that finding as differences); what stops it (a directory that cannot be rebuilt
        as of the draw, an event missing a field) is a finding naming the event, and the task
        goes on."""
        what = f"事件 {event_name(self.event)} #{self.event.originator_version} "
        rests_on = DRAW_INPUTS.get(event_name(self.event), frozenset())
        inputs = [
            f"第 {version} 版 {kind}"
            for version, kind in sorted(self.unread.items())
            if version < self.event.originator_version and kind in rests_on
        ]
        if inputs:
            why = f"所依据的事件（{'、'.join(inputs)}）无法解读，未能重算"
            self.report.differences.append(Unverifiable(self.task_id, self.task_name, what, why))
            return
        try:
            verify(*arguments)
        except _ShortHistory as error:
            self.report.differences.append(
                Unverifiable(self.task_id, self.task_name, what, str(error))
            )
        except Exception as error:
            self.report.differences.append(
                Unverifiable(self.task_id, self.task_name, what, why_unreadable(error))
            )

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
