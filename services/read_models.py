"""Read models: what each kind of user looks at, folded from the global log.

Each projection remembers the last position it processed, so catching up never skips nor
doubles an event. Here they live in memory and are rebuilt from zero by replaying the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application

from domain.task import Task
from domain.values import local_day
from services.log import Logged, event_name, read_log, topics_of

TASK_TOPICS = topics_of(Task)
"""Every projection here folds task events only."""


class Projection(Protocol):
    def process(self, logged: Logged) -> None: ...


class ReadModels:
    """Keeps a set of projections caught up with the log."""

    def __init__(self, app: Application[Any], *projections: Projection) -> None:
        self.app = app
        self.projections = projections
        self.position = 0

    def catch_up(self) -> int:
        for logged in read_log(self.app, self.position, topics=TASK_TOPICS):
            for projection in self.projections:
                projection.process(logged)
            self.position = logged.position
        return self.position


class _Dispatching:
    """Calls `when_<EventName>` for the Task events a projection cares about."""

    def process(self, logged: Logged) -> None:
        if isinstance(logged.event, Task.Event):
            handler = getattr(self, f"when_{event_name(logged.event)}", None)
            if handler is not None:
                handler(logged.event)


# ---------------------------------------------------------------------------- task index and inbox
@dataclass
class TaskView:
    task_id: UUID
    name: str
    lead: str
    cooperating: tuple[str, ...]
    window_end: date
    committed: bool = False
    targets: tuple[str, ...] = ()
    dispatch_deadlines: dict[str, date] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)
    overdue: list[str] = field(default_factory=list)
    inspectors_drawn: set[str] = field(default_factory=set)
    matched: bool = False
    visits: dict[str, date] = field(default_factory=dict)
    results: set[tuple[str, str]] = field(default_factory=set)
    published: bool = False
    follow_ups: dict[int, dict[str, Any]] = field(default_factory=dict)
    closed: bool = False

    @property
    def participating(self) -> tuple[str, ...]:
        return (self.lead, *(d for d in self.cooperating if self.answers.get(d)))

    @property
    def stage(self) -> str:
        if self.closed:
            return "已结案"
        if self.published:
            return "已公示，后续处置中" if self.open_follow_ups() else "已公示"
        if self.visits:
            return "检查及结果录入中"
        if self.matched:
            return "已匹配检查组"
        if self.targets:
            return "已抽取检查对象"
        return "已提交种子承诺" if self.committed else "已计划"

    def open_follow_ups(self) -> list[int]:
        return [n for n, f in self.follow_ups.items() if f["status"] == "open"]

    def owes(self, department: str) -> list[str]:
        """What this department still has to do for the task, in the order it must be done."""
        if self.closed:
            return []
        owed: list[str] = []
        lead = department == self.lead
        if lead and not self.committed:
            owed.append("提交随机种子承诺")
        elif lead and not self.targets:
            owed.append("抽取检查对象")
        deadline = self.dispatch_deadlines.get(department)
        if deadline is not None and department not in self.answers:
            late = "，已逾期" if department in self.overdue else ""
            owed.append(f"确认派发任务（{deadline} 前{late}）")
        if (
            self.targets
            and department in self.participating
            and department not in self.inspectors_drawn
        ):
            owed.append("抽取执法检查人员")
        if (
            lead
            and self.targets
            and not self.matched
            and self.inspectors_drawn >= set(self.participating)
        ) and all(d in self.answers for d in self.cooperating):
            owed.append("随机匹配检查组")
        if department in self.participating:
            for target, due in self.visits.items():
                if (department, target) not in self.results:
                    owed.append(f"录入 {target} 的检查结果（{due} 前）")
        if lead and self.matched and not self.published:
            complete = all(
                (d, t) in self.results for t in self.visits for d in self.participating
            ) and len(self.visits) == len(self.targets)
            if complete:
                owed.append("公示检查结果")
        for number, follow_up in self.follow_ups.items():
            if follow_up["department"] == department and follow_up["status"] == "open":
                owed.append(f"后续处置 #{number}（整改期限 {follow_up['due']}）")
        if lead and self.published and not self.open_follow_ups():
            owed.append("结案")
        return owed

    def to_record(self) -> dict[str, Any]:
        """Plain JSON values, for a store that keeps the view as a document.

        Mappings become lists of pairs: a JSON object (JSONB above all) may reorder its keys, and
        the order of visits and follow-ups is the order in which a department is told what it owes.
        """
        return {
            "task_id": str(self.task_id),
            "name": self.name,
            "lead": self.lead,
            "cooperating": list(self.cooperating),
            "window_end": self.window_end.isoformat(),
            "committed": self.committed,
            "targets": list(self.targets),
            "dispatch_deadlines": [
                [d, day.isoformat()] for d, day in self.dispatch_deadlines.items()
            ],
            "answers": [[d, yes] for d, yes in self.answers.items()],
            "overdue": list(self.overdue),
            "inspectors_drawn": sorted(self.inspectors_drawn),
            "matched": self.matched,
            "visits": [[t, due.isoformat()] for t, due in self.visits.items()],
            "results": sorted([d, t] for d, t in self.results),
            "published": self.published,
            "follow_ups": [
                [n, {**f, "due": f["due"].isoformat()}] for n, f in self.follow_ups.items()
            ],
            "closed": self.closed,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TaskView:
        return cls(
            task_id=UUID(record["task_id"]),
            name=record["name"],
            lead=record["lead"],
            cooperating=tuple(record["cooperating"]),
            window_end=date.fromisoformat(record["window_end"]),
            committed=record["committed"],
            targets=tuple(record["targets"]),
            dispatch_deadlines={
                d: date.fromisoformat(day) for d, day in record["dispatch_deadlines"]
            },
            answers={d: yes for d, yes in record["answers"]},
            overdue=list(record["overdue"]),
            inspectors_drawn=set(record["inspectors_drawn"]),
            matched=record["matched"],
            visits={t: date.fromisoformat(due) for t, due in record["visits"]},
            results={(d, t) for d, t in record["results"]},
            published=record["published"],
            follow_ups={
                int(n): {**f, "due": date.fromisoformat(f["due"])} for n, f in record["follow_ups"]
            },
            closed=record["closed"],
        )


@dataclass(frozen=True)
class InboxItem:
    task_id: UUID
    name: str
    role: str
    stage: str
    window_end: date
    owes: tuple[str, ...]


@dataclass(frozen=True)
class Escalation:
    """What the office (双随机办) is told when a department lets a deadline pass."""

    task_id: UUID
    task_name: str
    department: str
    what: str
    deadline: date
    at: datetime


class TaskIndex(_Dispatching):
    """Every task at a glance: the office's overview and each department's inbox."""

    def __init__(self) -> None:
        self.tasks: dict[UUID, TaskView] = {}
        self.escalations: list[Escalation] = []

    def open_tasks(self) -> list[UUID]:
        return [t for t, v in self.tasks.items() if not v.closed]

    def inbox(self, department: str) -> list[InboxItem]:
        items = []
        for view in self.tasks.values():
            if department == view.lead:
                role = "发起部门"
            elif department in view.dispatch_deadlines:
                role = "配合部门"
            else:
                continue  # a cooperating department sees a task once it is dispatched to it
            items.append(
                InboxItem(
                    view.task_id,
                    view.name,
                    role,
                    view.stage,
                    view.window_end,
                    tuple(view.owes(department)),
                )
            )
        return items

    def when_Planned(self, e: Task.Planned) -> None:
        d = e.definition
        self.tasks[e.originator_id] = TaskView(
            e.originator_id,
            d["name"],
            d["lead"],
            tuple(d["cooperating"]),
            date.fromisoformat(d["window_end"]),
        )

    def when_SeedCommitted(self, e: Task.SeedCommitted) -> None:
        self.tasks[e.originator_id].committed = True

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        self.tasks[e.originator_id].targets = tuple(t for g in sorted(e.drawn) for t in e.drawn[g])

    def when_TaskDispatched(self, e: Task.TaskDispatched) -> None:
        self.tasks[e.originator_id].dispatch_deadlines[e.department] = e.deadline

    def when_DepartmentConfirmed(self, e: Task.DepartmentConfirmed) -> None:
        self.tasks[e.originator_id].answers[e.department] = True

    def when_DepartmentDeclined(self, e: Task.DepartmentDeclined) -> None:
        self.tasks[e.originator_id].answers[e.department] = False

    def when_ConfirmationOverdue(self, e: Task.ConfirmationOverdue) -> None:
        view = self.tasks[e.originator_id]
        view.overdue.append(e.department)
        self.escalations.append(
            Escalation(
                e.originator_id, view.name, e.department, "未在期限内确认派发任务", e.deadline, e.at
            )
        )

    def when_ResultOverdue(self, e: Task.ResultOverdue) -> None:
        view = self.tasks[e.originator_id]
        self.escalations.append(
            Escalation(
                e.originator_id,
                view.name,
                e.department,
                f"未按时录入 {e.target} 的检查结果",
                e.deadline,
                e.at,
            )
        )

    def when_InspectorsDrawn(self, e: Task.InspectorsDrawn) -> None:
        self.tasks[e.originator_id].inspectors_drawn.add(e.department)

    def when_GroupsMatched(self, e: Task.GroupsMatched) -> None:
        self.tasks[e.originator_id].matched = True

    def when_InspectionVisited(self, e: Task.InspectionVisited) -> None:
        self.tasks[e.originator_id].visits[e.target] = e.results_due

    def when_ResultRecorded(self, e: Task.ResultRecorded) -> None:
        self.tasks[e.originator_id].results.add((e.department, e.target))

    def when_ResultsPublished(self, e: Task.ResultsPublished) -> None:
        self.tasks[e.originator_id].published = True

    def when_FollowUpOpened(self, e: Task.FollowUpOpened) -> None:
        self.tasks[e.originator_id].follow_ups[e.number] = {
            "department": e.department,
            "due": e.due,
            "status": "open",
        }

    def when_FollowUpTransferred(self, e: Task.FollowUpTransferred) -> None:
        self.tasks[e.originator_id].follow_ups[e.number]["status"] = "transferred"

    def when_FollowUpClosed(self, e: Task.FollowUpClosed) -> None:
        self.tasks[e.originator_id].follow_ups[e.number]["status"] = "closed"

    def when_Closed(self, e: Task.Closed) -> None:
        self.tasks[e.originator_id].closed = True


# ---------------------------------------------------------------------------- public register
@dataclass
class RegisterEntry:
    """One published result of one target, as the public sees it: never an inspector's name."""

    credit_code: str
    name: str
    task_id: UUID
    task_name: str
    results: dict[str, str]
    """Department -> result category."""
    published_on: date
    corrections: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedDraw:
    """What anyone needs to re-run a task's draw of targets (DRAW-SPEC.md)."""

    task_id: UUID
    task_name: str
    rule: str
    directory_position: int
    population_digest: str
    strata: dict[str, dict[str, Any]]
    commitment: str
    secret: str
    beacon: str
    seed: str
    drawn: dict[str, list[str]]


class PublicRegister(_Dispatching):
    """公示: published results under each target, and the inputs of every draw."""

    def __init__(self) -> None:
        self.task_names: dict[UUID, str] = {}
        self.entries: dict[str, list[RegisterEntry]] = {}
        self.draws: dict[UUID, PublishedDraw] = {}

    def of_target(self, credit_code: str) -> list[RegisterEntry]:
        return list(self.entries.get(credit_code, []))

    def all_entries(self) -> list[RegisterEntry]:
        return [e for entries in self.entries.values() for e in entries]

    def when_Planned(self, e: Task.Planned) -> None:
        self.task_names[e.originator_id] = e.definition["name"]

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        self.draws[e.originator_id] = PublishedDraw(
            e.originator_id,
            self.task_names[e.originator_id],
            e.rule,
            e.directory_position,
            e.population_digest,
            e.strata,
            e.commitment,
            e.secret,
            e.beacon,
            e.seed,
            e.drawn,
        )

    def when_ResultsPublished(self, e: Task.ResultsPublished) -> None:
        for entry in e.entries:
            self.entries.setdefault(entry["target"], []).append(
                RegisterEntry(
                    entry["target"],
                    entry["name"],
                    e.originator_id,
                    self.task_names[e.originator_id],
                    dict(entry["results"]),
                    e.at.date(),
                )
            )

    def when_ResultCorrected(self, e: Task.ResultCorrected) -> None:
        for entry in self.entries.get(e.target, []):
            if entry.task_id == e.originator_id:
                entry.results[e.department] = e.category
                entry.corrections.append(f"{e.at.date()} {e.department} 更正：{e.reason}")


# ---------------------------------------------------------------------------- follow-up ledger
@dataclass
class LedgerRow:
    """One line of the 随机抽查后续处置工作台账."""

    task_id: UUID
    task_name: str
    number: int
    department: str
    target: str
    problem: str
    due: date
    status: str = "整改中"
    transferred_to: str = ""
    outcome: str = ""


class FollowUpLedger(_Dispatching):
    def __init__(self) -> None:
        self.task_names: dict[UUID, str] = {}
        self.rows: dict[tuple[UUID, int], LedgerRow] = {}

    def all_rows(self) -> list[LedgerRow]:
        return list(self.rows.values())

    def overdue(self, day: date) -> list[LedgerRow]:
        return [r for r in self.rows.values() if r.status == "整改中" and r.due < day]

    def when_Planned(self, e: Task.Planned) -> None:
        self.task_names[e.originator_id] = e.definition["name"]

    def when_FollowUpOpened(self, e: Task.FollowUpOpened) -> None:
        self.rows[(e.originator_id, e.number)] = LedgerRow(
            e.originator_id,
            self.task_names[e.originator_id],
            e.number,
            e.department,
            e.target,
            e.problem,
            e.due,
        )

    def when_FollowUpTransferred(self, e: Task.FollowUpTransferred) -> None:
        row = self.rows[(e.originator_id, e.number)]
        row.status, row.transferred_to = "已移送", e.to

    def when_FollowUpClosed(self, e: Task.FollowUpClosed) -> None:
        row = self.rows[(e.originator_id, e.number)]
        row.status, row.outcome = "已办结", e.outcome


# ---------------------------------------------------------------------------- plan statistics
@dataclass
class MonthlyWorkload:
    """One department's work in one month: the plan view, so that no month spikes.

    A month is the Beijing-time month of the business moment (`at`) of the events counted. Every
    count is a sum over events, so workloads folded from separate stretches of the log add up.
    """

    department: str
    month: str
    """YYYY-MM."""
    tasks: int = 0
    """Tasks planned this month that the department takes part in, as lead or as a cooperating
    department named by the plan: all of a task's departments count it in the lead's month of
    planning, when the work is committed to, whatever each then answers."""
    targets_drawn: int = 0
    """Targets it must inspect: the lead's when they are drawn, a cooperating department's when
    the task is dispatched to it."""
    done: int = 0
    """Its tasks closed (结案) this month, counted for the same departments as `tasks`."""
    overdue: int = 0
    """Deadlines it let pass: ConfirmationOverdue and ResultOverdue appended this month."""


class PlanStatistics(_Dispatching):
    """Per department and month: tasks, targets drawn, tasks done and deadlines let pass."""

    def __init__(self) -> None:
        self.departments: dict[UUID, tuple[str, ...]] = {}
        """Task -> its lead and the cooperating departments its plan names."""
        self.months: dict[tuple[str, str], MonthlyWorkload] = {}

    def by_month(self, year: int | None = None) -> list[MonthlyWorkload]:
        """Department by department, month by month; only `year`'s months when given."""
        rows = sorted(self.months.values(), key=lambda r: (r.department, r.month))
        return [r for r in rows if year is None or r.month.startswith(f"{year:04d}-")]

    def _of(self, department: str, at: datetime) -> MonthlyWorkload:
        month = local_day(at).strftime("%Y-%m")
        workload = self.months.get((department, month))
        if workload is None:
            workload = self.months[(department, month)] = MonthlyWorkload(department, month)
        return workload

    def when_Planned(self, e: Task.Planned) -> None:
        d = e.definition
        self.departments[e.originator_id] = (d["lead"], *d["cooperating"])
        for department in self.departments[e.originator_id]:
            self._of(department, e.at).tasks += 1

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        lead = self.departments[e.originator_id][0]
        self._of(lead, e.at).targets_drawn += sum(len(ids) for ids in e.drawn.values())

    def when_TaskDispatched(self, e: Task.TaskDispatched) -> None:
        self._of(e.department, e.at).targets_drawn += len(e.targets)

    def when_ConfirmationOverdue(self, e: Task.ConfirmationOverdue) -> None:
        self._of(e.department, e.at).overdue += 1

    def when_ResultOverdue(self, e: Task.ResultOverdue) -> None:
        self._of(e.department, e.at).overdue += 1

    def when_Closed(self, e: Task.Closed) -> None:
        for department in self.departments[e.originator_id]:
            self._of(department, e.at).done += 1
