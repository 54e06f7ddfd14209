"""抽查任务: one inspection task, from its plan to its closing, as the documents lay it out.

Each public method is a step of the procedure. It checks the rules first and only then records
an event, so a refused command leaves nothing behind. Whatever is random or depends on the clock
(the secret, the beacon, the time, the calendar's deadline) is decided by the caller or computed
here before the event, and recorded in it: replaying the log never draws again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import draw
from domain.calendar import WorkCalendar
from domain.errors import (
    AlreadyAnsweredError,
    AlreadyPublishedError,
    AlreadyVisitedError,
    CommitmentMismatchError,
    ConfirmationPendingError,
    FollowUpNotOpenError,
    FollowUpsOpenError,
    GroupsAlreadyMatchedError,
    GroupsNotMatchedError,
    InspectorsAlreadyDrawnError,
    InspectorsNotDrawnError,
    InvalidValueError,
    NotACooperatingDepartmentError,
    NotADepartmentOfTheTaskError,
    NoticeNotServedError,
    NotOwnItemError,
    NotPublishedError,
    NotVisitedError,
    PopulationChangedError,
    ResultAlreadyRecordedError,
    ResultNotRecordedError,
    ResultsMissingError,
    SeedAlreadyCommittedError,
    SeedNotCommittedError,
    TargetNotMatchedError,
    TargetsAlreadyDrawnError,
    TargetsNotDrawnError,
    TaskClosedError,
    UnknownFollowUpError,
)
from domain.task_definition import TaskDefinition
from domain.values import NoticeMethod, ResultCategory, department_code, local_day, moment, text

Record = dict[str, Any]


class Step(Aggregate.Event):
    """Every step of a task happens at a business moment (`at`), and a task's moments only move
    forward: a command dated before what the log already says would rewrite the story."""

    at: datetime

    def mutate(self, aggregate: Any) -> Any:
        task = super().mutate(aggregate)
        if task is not None:
            task.last_at = self.at
        return task


class Task(Aggregate):
    """The central aggregate: what is drawn, who inspects, what was found, what was published."""

    # ----------------------------------------------------------------- planned
    class Planned(Aggregate.Created):
        """The task as the plan states it (the rows of the 抽查工作计划 table)."""

        plan_id: UUID
        number: int
        definition: Record
        """TaskDefinition.as_record(): name, departments, items, scope, ratios, window, settings."""
        at: datetime

    @classmethod
    def plan(cls, plan_id: UUID, number: int, definition: TaskDefinition, at: datetime) -> Task:
        return cls(plan_id=plan_id, number=number, definition=definition.as_record(), at=moment(at))

    @staticmethod
    def create_id(plan_id: UUID, number: int, definition: Record, at: datetime) -> UUID:
        return Task.id_for(plan_id, number)

    @staticmethod
    def id_for(plan_id: UUID, number: int) -> UUID:
        """One task per row of a plan: a plan registered twice cannot double its tasks."""
        return uuid5(NAMESPACE_URL, f"ssj:task:{plan_id}:{number}")

    @event(Planned)
    def __init__(self, plan_id: UUID, number: int, definition: Record, at: datetime) -> None:
        self.plan_id = plan_id
        self.number = number
        self.definition = TaskDefinition.from_record(definition)
        self.planned_at = at
        self.last_at = at
        self.commitment: Task.SeedCommitted | None = None
        self.target_draw: Task.TargetsDrawn | None = None
        self.dispatches: dict[str, Task.TaskDispatched] = {}
        self.answers: dict[str, Task.DepartmentConfirmed | Task.DepartmentDeclined] = {}
        self.confirmation_overdue: set[str] = set()
        self.inspector_draws: dict[str, Task.InspectorsDrawn] = {}
        self.matching: Task.GroupsMatched | None = None
        self.filings: dict[str, Task.GroupingFiled] = {}
        self.notices: dict[str, Task.NoticeServed] = {}
        self.visits: dict[str, Task.InspectionVisited] = {}
        self.results: dict[tuple[str, str], Task.ResultRecorded | Task.ResultCorrected] = {}
        self.result_overdue: set[tuple[str, str]] = set()
        self.publication: Task.ResultsPublished | None = None
        self.follow_ups: dict[int, Record] = {}
        self.closed_at: datetime | None = None

    # ----------------------------------------------------------------- what the state says
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
        confirmed = [
            d for d in self.cooperating if isinstance(self.answers.get(d), Task.DepartmentConfirmed)
        ]
        return (self.lead, *confirmed)

    @property
    def unanswered(self) -> tuple[str, ...]:
        return tuple(d for d in self.cooperating if d not in self.answers)

    @property
    def matches(self) -> dict[str, int]:
        return dict(self.matching.matches) if self.matching else {}

    def group_count(self) -> int:
        return self.definition.groups or draw.default_group_count(len(self.drawn_targets))

    def missing_results(self) -> list[tuple[str, str]]:
        """(department, target) pairs still owed before publication."""
        return [
            (dept, target)
            for target in self.matches
            for dept in self.participating
            if (dept, target) not in self.results
        ]

    def open_follow_ups(self) -> list[int]:
        return [n for n, f in self.follow_ups.items() if f["status"] == "open"]

    # ----------------------------------------------------------------- guards
    def _when(self, at: datetime) -> datetime:
        at = moment(at)
        if at < self.last_at:
            raise InvalidValueError(
                "at", f"不早于本任务最近一次记录的时间 {self.last_at.isoformat()}", at
            )
        return at

    def _require_open(self) -> None:
        if self.is_closed:
            raise TaskClosedError(self.name)

    def _require_drawn(self) -> Task.TargetsDrawn:
        self._require_open()
        if self.target_draw is None:
            raise TargetsNotDrawnError(self.name)
        return self.target_draw

    def _require_matched(self) -> Task.GroupsMatched:
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

    # ----------------------------------------------------------------- 2. commit
    class SeedCommitted(Step):
        """The population and H(secret) are fixed before anyone can know the beacon."""

        commitment: str
        """H(secret): the secret itself is revealed only at the draw."""
        directory_id: UUID
        directory_position: int
        """The directory's version the population was taken from."""
        population_digest: str
        strata: dict[str, dict[str, Any]]
        """grade -> {"N": size, "r": minimum ratio}."""
        beacon_source: str
        """What public value will be used as the beacon, and when it is published."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.commitment = self

    def commit_seed(
        self,
        commitment: str,
        directory_position: int,
        population: Mapping[str, str],
        beacon_source: str,
        at: datetime,
    ) -> None:
        self._require_open()
        if self.commitment is not None:
            raise SeedAlreadyCommittedError(self.name)
        if len(commitment) != 64 or any(c not in "0123456789abcdef" for c in commitment):
            raise InvalidValueError("commitment", "64 位小写十六进制 SHA-256 值", commitment)
        if not population:
            raise InvalidValueError(
                "scope", "至少匹配名录库中一个在营对象的抽查范围", self.definition.scope.as_record()
            )
        ratios = self.definition.ratio_by_grade()
        sizes: dict[str, int] = {}
        for grade in population.values():
            sizes[grade] = sizes.get(grade, 0) + 1
        for grade in sizes:
            if grade not in ratios:
                raise InvalidValueError(f"ratios.{grade}", f"{grade} 类对象的抽查比例", None)
        strata = {g: {"N": sizes.get(g, 0), "r": ratios[g]} for g in sorted(ratios)}
        self.trigger_event(
            self.SeedCommitted,
            commitment=commitment,
            directory_id=self.definition.directory_id,
            directory_position=directory_position,
            population_digest=draw.population_digest(population),
            strata=strata,
            beacon_source=text(beacon_source, "beacon_source", "信标来源说明（例如见证人现场报数）")
            if beacon_source
            else "",
            at=self._when(at),
        )

    # ----------------------------------------------------------------- 3. draw targets
    class TargetsDrawn(Step):
        """The draw of targets, with everything needed to re-run it by hand (DRAW-SPEC.md)."""

        rule: str
        directory_id: UUID
        directory_position: int
        population_digest: str
        strata: dict[str, dict[str, Any]]
        """grade -> {"N", "r", "k"}."""
        commitment: str
        secret: str
        beacon: str
        seed: str
        drawn: dict[str, list[str]]
        """grade -> credit codes in rank order."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.target_draw = self

    def draw_targets(
        self, population: Mapping[str, str], secret: str, beacon: str, at: datetime
    ) -> draw.TargetDraw:
        self._require_open()
        if self.commitment is None:
            raise SeedNotCommittedError(self.name)
        if self.target_draw is not None:
            raise TargetsAlreadyDrawnError(self.name)
        revealed = draw.commitment_of(draw.checked_secret(secret))
        if revealed != self.commitment.commitment:
            raise CommitmentMismatchError(self.commitment.commitment, revealed)
        digest = draw.population_digest(population)
        if digest != self.commitment.population_digest:
            raise PopulationChangedError(self.commitment.population_digest, digest)
        result = draw.draw_targets(
            population, self.definition.ratio_by_grade(), draw.seed_of(secret, beacon)
        )
        self.trigger_event(
            self.TargetsDrawn,
            rule=draw.RULE,
            directory_id=self.commitment.directory_id,
            directory_position=self.commitment.directory_position,
            population_digest=result.population_digest,
            strata={s.grade: {"N": s.size, "r": s.ratio, "k": s.count} for s in result.strata},
            commitment=self.commitment.commitment,
            secret=secret,
            beacon=beacon,
            seed=result.seed,
            drawn={grade: list(ids) for grade, ids in result.drawn.items()},
            at=self._when(at),
        )
        return result

    # ----------------------------------------------------------------- 4. dispatch
    class TaskDispatched(Step):
        """派发 to a cooperating department, which must confirm by the deadline."""

        department: str
        targets: list[str]
        deadline: date
        """The last working day to confirm (两个工作日内)."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.dispatches[self.department] = self

    def dispatch(self, department: str, calendar: WorkCalendar, at: datetime) -> None:
        self._require_drawn()
        department = department_code(department)
        if department not in self.cooperating:
            raise NotACooperatingDepartmentError(department)
        if department in self.dispatches:
            return  # dispatching is a reaction to the draw: doing it again changes nothing
        at = self._when(at)
        deadline = calendar.deadline(local_day(at), self.definition.confirm_days)
        self.trigger_event(
            self.TaskDispatched,
            department=department,
            targets=list(self.drawn_targets),
            deadline=deadline,
            at=at,
        )

    # ----------------------------------------------------------------- 5. confirm
    class DepartmentConfirmed(Step):
        department: str
        late: bool
        """Confirmed after the deadline had passed."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.answers[self.department] = self

    class DepartmentDeclined(Step):
        department: str
        reason: str
        at: datetime

        def apply(self, task: Task) -> None:
            task.answers[self.department] = self

    def _require_answerable(self, department: str) -> str:
        self._require_drawn()
        department = department_code(department)
        if department not in self.cooperating:
            raise NotACooperatingDepartmentError(department)
        if department not in self.dispatches:
            raise NotACooperatingDepartmentError(f"{department} 尚未收到派发")
        if department in self.answers:
            raise AlreadyAnsweredError(department)
        return department

    def confirm(self, department: str, at: datetime) -> None:
        department = self._require_answerable(department)
        at = self._when(at)
        late = local_day(at) > self.dispatches[department].deadline
        self.trigger_event(self.DepartmentConfirmed, department=department, late=late, at=at)

    def decline(self, department: str, reason: str, at: datetime) -> None:
        department = self._require_answerable(department)
        reason = text(reason, "reason", "拒绝的理由")
        self.trigger_event(
            self.DepartmentDeclined, department=department, reason=reason, at=self._when(at)
        )

    # ----------------------------------------------------------------- deadlines
    class ConfirmationOverdue(Step):
        """The department let the deadline pass: escalated to the office (双随机办)."""

        department: str
        deadline: date
        at: datetime

        def apply(self, task: Task) -> None:
            task.confirmation_overdue.add(self.department)

    class ResultOverdue(Step):
        """No result three working days after the visit."""

        department: str
        target: str
        deadline: date
        at: datetime

        def apply(self, task: Task) -> None:
            task.result_overdue.add((self.department, self.target))

    def check_deadlines(self, at: datetime) -> int:
        """Append every overdue event due at `at` and not yet recorded; returns how many."""
        at = moment(at)
        if self.is_closed or at < self.last_at:
            # The task's record is already past this moment: a watch that runs behind (or a
            # clock that lags a department's) has nothing to judge here, and must not hold up
            # the other tasks; the next check, at a later moment, judges this one.
            return 0
        today = local_day(at)
        count = 0
        for department, dispatch in self.dispatches.items():
            if (
                department not in self.answers
                and department not in self.confirmation_overdue
                and today > dispatch.deadline
            ):
                self.trigger_event(
                    self.ConfirmationOverdue,
                    department=department,
                    deadline=dispatch.deadline,
                    at=at,
                )
                count += 1
        if self.publication is None:
            for target, visit in self.visits.items():
                for department in self.participating:
                    key = (department, target)
                    if key in self.results or key in self.result_overdue:
                        continue
                    if today > visit.results_due:
                        self.trigger_event(
                            self.ResultOverdue,
                            department=department,
                            target=target,
                            deadline=visit.results_due,
                            at=at,
                        )
                        count += 1
        return count

    # ----------------------------------------------------------------- 6. draw inspectors
    class InspectorsDrawn(Step):
        """A department's own draw from its 执法检查人员名录库 (purpose inspectors:<dept>)."""

        department: str
        rule: str
        directory_position: int
        """The version of the department's inspector directory the pool came from."""
        pool_digest: str
        pool_size: int
        groups: list[list[str]]
        """Group g's inspectors of this department, in rank order."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.inspector_draws[self.department] = self

    def draw_inspectors(
        self, department: str, pool: Iterable[str], directory_position: int, at: datetime
    ) -> tuple[tuple[str, ...], ...]:
        self._require_drawn()
        department = department_code(department)
        if department in self.cooperating and department not in self.answers:
            raise ConfirmationPendingError(department)
        self._require_participant(department)
        if department in self.inspector_draws:
            raise InspectorsAlreadyDrawnError(department)
        pool = sorted(set(pool))
        groups = draw.draw_inspectors(
            pool, department, self.group_count(), self.definition.per_group, self.seed
        )
        self.trigger_event(
            self.InspectorsDrawn,
            department=department,
            rule=draw.RULE,
            directory_position=directory_position,
            pool_digest=draw.pool_digest(pool),
            pool_size=len(pool),
            groups=[list(g) for g in groups],
            at=self._when(at),
        )
        return groups

    # ----------------------------------------------------------------- 7. match
    class GroupsMatched(Step):
        """联合检查组 and their targets, and one 一企一表 per target."""

        rule: str
        groups: list[dict[str, list[str]]]
        """Group g: department -> its inspectors."""
        conflicts: dict[str, list[str]]
        """Declared recusals of the drawn inspectors that concern drawn targets."""
        directory_positions: dict[str, int]
        """The inspector directories' versions the recusals were read from."""
        matches: dict[str, int]
        """Target -> group, in match order."""
        sheets: list[Record]
        """一企一表: target, name, group, inspectors per department, items per department."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.matching = self

    def match_groups(
        self,
        conflicts: Mapping[str, Iterable[str]],
        directory_positions: Mapping[str, int],
        target_names: Mapping[str, str],
        at: datetime,
    ) -> dict[str, int]:
        self._require_drawn()
        if self.matching is not None:
            raise GroupsAlreadyMatchedError(self.name)
        if self.unanswered:
            raise ConfirmationPendingError("、".join(self.unanswered))
        undrawn = [d for d in self.participating if d not in self.inspector_draws]
        if undrawn:
            raise InspectorsNotDrawnError("、".join(undrawn))
        targets = set(self.drawn_targets)
        groups = [
            {dept: list(self.inspector_draws[dept].groups[g]) for dept in self.participating}
            for g in range(self.group_count())
        ]
        members = {m for group in groups for ids in group.values() for m in ids}
        relevant = {
            inspector: sorted(set(recused) & targets)
            for inspector, recused in conflicts.items()
            if inspector in members and set(recused) & targets
        }
        matches = draw.match_groups(
            self.drawn_targets,
            [[m for ids in group.values() for m in ids] for group in groups],
            relevant,
            self.seed,
        )
        items = {d: [i.as_record() for i in self.definition.items[d]] for d in self.participating}
        sheets = [
            {
                "target": target,
                "name": target_names.get(target, ""),
                "group": g,
                "inspectors": groups[g],
                "items": items,
            }
            for target, g in matches.items()
        ]
        self.trigger_event(
            self.GroupsMatched,
            rule=draw.RULE,
            groups=groups,
            conflicts=relevant,
            directory_positions=dict(directory_positions),
            matches=matches,
            sheets=sheets,
            at=self._when(at),
        )
        return matches

    # ----------------------------------------------------------------- 8. file the grouping
    class GroupingFiled(Step):
        """人员分组及车辆安排情况表, filed with the office by each department."""

        department: str
        members: list[Record]
        """One row per inspector: group, id, name, phone."""
        vehicles: dict[str, str]
        """Group number -> vehicle arrangement."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.filings[self.department] = self

    def file_grouping(
        self,
        department: str,
        contacts: Mapping[str, Mapping[str, str]],
        vehicles: Mapping[str, str],
        at: datetime,
    ) -> None:
        matching = self._require_matched()
        department = self._require_participant(department)
        rows = []
        for g, group in enumerate(matching.groups):
            for inspector in group[department]:
                contact = contacts.get(inspector, {})
                rows.append(
                    {
                        "group": g,
                        "inspector": inspector,
                        "name": contact.get("name", ""),
                        "phone": contact.get("phone", ""),
                    }
                )
        self.trigger_event(
            self.GroupingFiled,
            department=department,
            members=rows,
            vehicles=dict(vehicles),
            at=self._when(at),
        )

    # ----------------------------------------------------------------- 9. notify and visit
    class NoticeServed(Step):
        """告知书 served on the target before the visit, on paper or by phone."""

        target: str
        method: str
        recipient: str
        """Who received it: the legal representative or staff, by name."""
        department: str
        at: datetime

        def apply(self, task: Task) -> None:
            task.notices[self.target] = self

    def serve_notice(
        self, department: str, target: str, method: str, recipient: str, at: datetime
    ) -> None:
        self._require_matched_target(target)
        department = self._require_participant(department)
        self.trigger_event(
            self.NoticeServed,
            target=target,
            method=NoticeMethod.parse(method).value,
            recipient=text(recipient, "recipient", "受送达人姓名"),
            department=department,
            at=self._when(at),
        )

    class InspectionVisited(Step):
        """实地核查 by the joint group; the target signs the sheet or refuses (如实记录)."""

        target: str
        group: int
        signed: bool
        note: str
        results_due: date
        """Last working day for every department to record its result (3 个工作日内)."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.visits[self.target] = self

    def record_visit(
        self, target: str, signed: bool, note: str, calendar: WorkCalendar, at: datetime
    ) -> None:
        group = self._require_matched_target(target)
        if target not in self.notices:
            raise NoticeNotServedError(target)
        if target in self.visits:
            raise AlreadyVisitedError(target)
        if not signed and not note.strip():
            raise InvalidValueError("note", "拒绝签字时如实记录的情况说明", note)
        at = self._when(at)
        due = calendar.deadline(local_day(at), self.definition.result_days)
        self.trigger_event(
            self.InspectionVisited,
            target=target,
            group=group,
            signed=signed,
            note=note.strip(),
            results_due=due,
            at=at,
        )

    # ----------------------------------------------------------------- 10. results
    class ResultRecorded(Step):
        """谁检查、谁录入: one department's result for one target."""

        department: str
        target: str
        category: str
        """A category of 国家企业信用信息公示系统."""
        findings: dict[str, str]
        """Check item code -> what was found."""
        late: bool
        at: datetime

        def apply(self, task: Task) -> None:
            task.results[(self.department, self.target)] = self

    class ResultCorrected(Step):
        """A mistake fixed by a new fact, never by changing the past."""

        department: str
        target: str
        category: str
        findings: dict[str, str]
        reason: str
        at: datetime

        def apply(self, task: Task) -> None:
            task.results[(self.department, self.target)] = self

    def _check_result(
        self, department: str, target: str, category: str, findings: Mapping[str, str]
    ) -> tuple[str, str, dict[str, str]]:
        self._require_matched_target(target)
        department = self._require_participant(department)
        parsed = ResultCategory.parse(category).value
        own = {item.code for item in self.definition.items[department]}
        foreign = sorted(set(findings) - own)
        if foreign:
            raise NotOwnItemError(f"{department} 的事项中没有 {'、'.join(foreign)}")
        if target not in self.visits:
            raise NotVisitedError(target)
        return department, parsed, {code: str(v) for code, v in findings.items()}

    def record_result(
        self, department: str, target: str, category: str, findings: Mapping[str, str], at: datetime
    ) -> None:
        department, parsed, clean = self._check_result(department, target, category, findings)
        if (department, target) in self.results:
            raise ResultAlreadyRecordedError(f"{department} / {target}")
        at = self._when(at)
        late = local_day(at) > self.visits[target].results_due
        self.trigger_event(
            self.ResultRecorded,
            department=department,
            target=target,
            category=parsed,
            findings=clean,
            late=late,
            at=at,
        )

    def correct_result(
        self,
        department: str,
        target: str,
        category: str,
        findings: Mapping[str, str],
        reason: str,
        at: datetime,
    ) -> None:
        department, parsed, clean = self._check_result(department, target, category, findings)
        if (department, target) not in self.results:
            raise ResultNotRecordedError(f"{department} / {target}")
        self.trigger_event(
            self.ResultCorrected,
            department=department,
            target=target,
            category=parsed,
            findings=clean,
            reason=text(reason, "reason", "更正理由"),
            at=self._when(at),
        )

    # ----------------------------------------------------------------- 11. publish
    class ResultsPublished(Step):
        """公示: every target's results, department by department, for the public register."""

        entries: list[Record]
        """target, name, results (department -> category)."""
        at: datetime

        def apply(self, task: Task) -> None:
            task.publication = self

    def publish(self, at: datetime) -> None:
        matching = self._require_matched()
        if self.publication is not None:
            raise AlreadyPublishedError(self.name)
        unvisited = [t for t in self.matches if t not in self.visits]
        if unvisited:
            raise NotVisitedError("、".join(unvisited))
        missing = self.missing_results()
        if missing:
            raise ResultsMissingError("、".join(f"{d}/{t}" for d, t in missing))
        names = {sheet["target"]: sheet["name"] for sheet in matching.sheets}
        entries = [
            {
                "target": target,
                "name": names.get(target, ""),
                "results": {d: self.results[(d, target)].category for d in self.participating},
            }
            for target in self.matches
        ]
        self.trigger_event(self.ResultsPublished, entries=entries, at=self._when(at))

    # ----------------------------------------------------------------- 12. follow up
    class FollowUpOpened(Step):
        """后续处置: 责令整改 with a rectification deadline."""

        number: int
        department: str
        target: str
        problem: str
        due: date
        at: datetime

        def apply(self, task: Task) -> None:
            task.follow_ups[self.number] = {"opened": self, "status": "open"}

    class FollowUpTransferred(Step):
        """抄告 / 移送 to another department or to the judiciary."""

        number: int
        to: str
        reason: str
        at: datetime

        def apply(self, task: Task) -> None:
            task.follow_ups[self.number].update(status="transferred", transferred=self)

    class FollowUpClosed(Step):
        number: int
        outcome: str
        at: datetime

        def apply(self, task: Task) -> None:
            task.follow_ups[self.number].update(status="closed", closed=self)

    def open_follow_up(
        self, department: str, target: str, problem: str, due: date, at: datetime
    ) -> int:
        self._require_matched_target(target)
        department = self._require_participant(department)
        result = self.results.get((department, target))
        if result is None:
            raise ResultNotRecordedError(f"{department} / {target}")
        if not ResultCategory(result.category).is_problem:
            raise InvalidValueError("target", "检查结果为发现问题的对象", target)
        at = self._when(at)
        if isinstance(due, datetime) or not isinstance(due, date) or due < local_day(at):
            raise InvalidValueError("due", "不早于今天的整改期限", due)
        number = len(self.follow_ups) + 1
        self.trigger_event(
            self.FollowUpOpened,
            number=number,
            department=department,
            target=target,
            problem=text(problem, "problem", "发现的问题"),
            due=due,
            at=at,
        )
        return number

    def _require_follow_up(self, number: int) -> Record:
        self._require_open()
        if number not in self.follow_ups:
            raise UnknownFollowUpError(str(number))
        follow_up = self.follow_ups[number]
        if follow_up["status"] != "open":
            raise FollowUpNotOpenError(str(number))
        return follow_up

    def transfer_follow_up(self, number: int, to: str, reason: str, at: datetime) -> None:
        self._require_follow_up(number)
        self.trigger_event(
            self.FollowUpTransferred,
            number=number,
            to=text(to, "to", "接收部门或司法机关"),
            reason=text(reason, "reason", "移送理由"),
            at=self._when(at),
        )

    def close_follow_up(self, number: int, outcome: str, at: datetime) -> None:
        self._require_follow_up(number)
        self.trigger_event(
            self.FollowUpClosed,
            number=number,
            outcome=text(outcome, "outcome", "整改结果"),
            at=self._when(at),
        )

    # ----------------------------------------------------------------- 13. close
    class Closed(Step):
        """结案: published, and every follow-up closed or handed over."""

        at: datetime

        def apply(self, task: Task) -> None:
            task.closed_at = self.at

    def close(self, at: datetime) -> None:
        self._require_open()
        if self.publication is None:
            raise NotPublishedError(self.name)
        if self.open_follow_ups():
            raise FollowUpsOpenError("、".join(str(n) for n in self.open_follow_ups()))
        self.trigger_event(self.Closed, at=self._when(at))
