"""Every task at a glance: the office's overview, each department's inbox, the escalations.

`TaskView` is what a task's page and a department's inbox show, folded from the task's events by
`TaskIndex` (task_index.py); the stores keep each view as a document (`to_record`), with the
columns the queries select on (who may see it, its next deadline, the calendar years it waits for).
Reading one needs nothing of the domain's events, so a query loads none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.values import FollowUp, FollowUpMeasure, FollowUpStatus

STAGES = {
    "closed": "已结案",
    "published_following_up": "已公示，后续处置中",
    "published": "已公示",
    "visiting": "检查及结果录入中",
    "matched": "已匹配检查组",
    "drawn": "已抽取检查对象",
    "committed": "已提交种子承诺",
    "planned": "已计划",
}


def awaiting_calendar(year: int) -> str:
    return f"待补充 {year} 年工作日历"


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
    held: dict[str, int] = field(default_factory=dict)
    """Department -> the year whose calendar its dispatch waits for."""
    answers: dict[str, bool] = field(default_factory=dict)
    overdue: list[str] = field(default_factory=list)
    inspectors_drawn: set[str] = field(default_factory=set)
    matched: bool = False
    visits: dict[str, date | None] = field(default_factory=dict)
    """Target -> the last day for its results (None while its year's calendar is awaited)."""
    awaiting: dict[str, int] = field(default_factory=dict)
    """Target -> the year whose calendar its results' deadline waits for."""
    results: set[tuple[str, str]] = field(default_factory=set)
    result_overdue: set[tuple[str, str]] = field(default_factory=set)
    published: bool = False
    follow_ups: dict[int, FollowUp] = field(default_factory=dict)
    closed: bool = False
    last_at: datetime | None = None
    window_start: date | None = None
    ratios: dict[str, str] = field(default_factory=dict)
    """Minimum ratio per risk grade, as the plan states it; empty when directed (定向)."""

    @property
    def participating(self) -> tuple[str, ...]:
        return (self.lead, *(d for d in self.cooperating if self.answers.get(d)))

    @property
    def stage(self) -> str:
        if self.closed:
            return STAGES["closed"]
        if self.published:
            return STAGES["published_following_up" if self.open_follow_ups() else "published"]
        if self.visits:
            return STAGES["visiting"]
        if self.matched:
            return STAGES["matched"]
        if self.targets:
            return STAGES["drawn"]
        return STAGES["committed" if self.committed else "planned"]

    def visible_to(self) -> tuple[str, ...]:
        """The departments that see the task: its lead, and a cooperating department once the
        task is dispatched to it (or held for it)."""
        received = [d for d in self.cooperating if d in self.dispatch_deadlines or d in self.held]
        return (self.lead, *received)

    def awaited_years(self) -> tuple[int, ...]:
        return tuple(sorted({*self.held.values(), *self.awaiting.values()}))

    def next_due(self) -> date | None:
        """The earliest deadline still running: what the deadline watch looks at next."""
        if self.closed:
            return None
        running = [
            deadline
            for d, deadline in self.dispatch_deadlines.items()
            if d not in self.answers and d not in self.overdue
        ]
        if not self.published:
            running += [
                due
                for target, due in self.visits.items()
                if due is not None
                and any(
                    (d, target) not in self.results and (d, target) not in self.result_overdue
                    for d in self.participating
                )
            ]
        return min(running, default=None)

    def open_follow_ups(self) -> list[int]:
        return [n for n, f in self.follow_ups.items() if f.is_open]

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
        if department in self.held:
            owed.append(f"等待派发（{awaiting_calendar(self.held[department])}）")
        if lead and self.held:
            for cooperating, year in self.held.items():
                owed.append(f"派发 {cooperating} 暂缓（{awaiting_calendar(year)}）")
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
                    when = f"{due} 前" if due else awaiting_calendar(self.awaiting.get(target, 0))
                    owed.append(f"录入 {target} 的检查结果（{when}）")
        if lead and self.matched and not self.published:
            complete = all(
                (d, t) in self.results for t in self.visits for d in self.participating
            ) and len(self.visits) == len(self.targets)
            if complete:
                owed.append("公示检查结果")
        for number, follow_up in self.follow_ups.items():
            if follow_up.department == department and follow_up.is_open:
                owed.append(f"后续处置 #{number}（整改期限 {follow_up.due}）")
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
            "held": [[d, year] for d, year in self.held.items()],
            "answers": [[d, yes] for d, yes in self.answers.items()],
            "overdue": list(self.overdue),
            "inspectors_drawn": sorted(self.inspectors_drawn),
            "matched": self.matched,
            "visits": [[t, due.isoformat() if due else None] for t, due in self.visits.items()],
            "awaiting": [[t, year] for t, year in self.awaiting.items()],
            "results": sorted([d, t] for d, t in self.results),
            "result_overdue": sorted([d, t] for d, t in self.result_overdue),
            "published": self.published,
            "follow_ups": [[n, follow_up_record(f)] for n, f in self.follow_ups.items()],
            "closed": self.closed,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "ratios": [[g, r] for g, r in self.ratios.items()],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TaskView:
        """A stored view; views stored before a field existed read it as empty."""

        def day(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        last_at = record.get("last_at")
        return cls(
            task_id=UUID(record["task_id"]),
            name=record["name"],
            lead=record["lead"],
            cooperating=tuple(record["cooperating"]),
            window_end=date.fromisoformat(record["window_end"]),
            committed=record["committed"],
            targets=tuple(record["targets"]),
            dispatch_deadlines={
                d: date.fromisoformat(deadline) for d, deadline in record["dispatch_deadlines"]
            },
            held={d: int(year) for d, year in record.get("held", [])},
            answers={d: yes for d, yes in record["answers"]},
            overdue=list(record["overdue"]),
            inspectors_drawn=set(record["inspectors_drawn"]),
            matched=record["matched"],
            visits={t: day(due) for t, due in record["visits"]},
            awaiting={t: int(year) for t, year in record.get("awaiting", [])},
            results={(d, t) for d, t in record["results"]},
            result_overdue={(d, t) for d, t in record.get("result_overdue", [])},
            published=record["published"],
            follow_ups={int(n): follow_up_of(int(n), f) for n, f in record["follow_ups"]},
            closed=record["closed"],
            last_at=datetime.fromisoformat(last_at) if last_at else None,
            window_start=day(record.get("window_start")),
            ratios={g: r for g, r in record.get("ratios", [])},
        )


def follow_up_record(follow_up: FollowUp) -> dict[str, Any]:
    """A follow-up as a task view and a ledger row keep it; its number is their key."""
    return {
        "department": follow_up.department,
        "target": follow_up.target,
        "problem": follow_up.problem,
        "due": follow_up.due.isoformat(),
        "status": follow_up.status.value,
        "transferred_to": follow_up.transferred_to,
        "transfer_reason": follow_up.transfer_reason,
        "outcome": follow_up.outcome,
        "measure": follow_up.measure,
        "transfer_measure": follow_up.transfer_measure,
        "closing_measure": follow_up.closing_measure,
    }


def follow_up_of(number: int, record: dict[str, Any]) -> FollowUp:
    """A stored follow-up; one stored before a field existed reads it as empty."""
    return FollowUp(
        number,
        record["department"],
        record.get("target", ""),
        record.get("problem", ""),
        date.fromisoformat(record["due"]),
        FollowUpStatus(record["status"]),
        record.get("transferred_to", ""),
        record.get("transfer_reason", ""),
        record.get("outcome", ""),
        # Rows kept before measures were named: every follow-up then was 责令限期整改.
        record.get("measure", FollowUpMeasure.ORDER_RECTIFICATION.value),
        record.get("transfer_measure", ""),
        record.get("closing_measure", ""),
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
    """What the office (双随机办) is told when a department lets a deadline pass, or when a
    deadline cannot be counted yet."""

    task_id: UUID
    task_name: str
    department: str
    what: str
    deadline: date | None
    at: datetime


def inbox_item(view: TaskView, department: str) -> InboxItem:
    role = "发起部门" if department == view.lead else "配合部门"
    return InboxItem(
        view.task_id,
        view.name,
        role,
        view.stage,
        view.window_end,
        tuple(view.owes(department)),
    )
