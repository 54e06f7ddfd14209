"""What the pages show, built from the read models and the task as stored: deadlines counted in
working days, each target's 一企一表 as one department receives it, where a task stands.

Plain functions of plain values: the routes fetch through the services (and the policy), these
only arrange what was fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.directory import RiskGrade
from domain.errors import CalendarUnknownError
from domain.values import FollowUp, NoticeMethod, ResultCategory, local_day
from services.permissions import Action, allows
from services.tasks import parties_of

if TYPE_CHECKING:
    from domain.calendar import WorkCalendar
    from domain.directory import CheckItem
    from domain.task import Task
    from services.actors import Actor
    from services.task_views import TaskView

CATEGORIES = tuple(c.value for c in ResultCategory)
"""国家企业信用信息公示系统's result categories, in the order the form offers them."""
NOTICE_METHODS = tuple((m.value, m.label) for m in NoticeMethod)


# ---------------------------------------------------------------------------- deadlines
@dataclass(frozen=True)
class Countdown:
    """How far a deadline is, in working days, as staff count them (the start day never counts)."""

    what: str
    deadline: date
    text: str
    overdue: bool
    today: bool = False
    known: bool = True
    """False when the work calendar does not know a year of the count yet."""

    @property
    def css(self) -> str:
        if self.overdue:
            return "overdue"
        return "due-today" if self.today else "running"


def countdown(calendar: WorkCalendar, today: date, what: str, deadline: date) -> Countdown:
    try:
        if deadline < today:
            late = calendar.working_days_between(deadline, today)
            text = (
                f"已逾期 {late} 个工作日（期限 {deadline}）"
                if late
                else f"已逾期（期限 {deadline}）"
            )
            return Countdown(what, deadline, text, overdue=True)
        if deadline == today:
            return Countdown(what, deadline, f"今天截止（{deadline}）", overdue=False, today=True)
        left = calendar.working_days_between(today, deadline)
        return Countdown(what, deadline, f"剩余 {left} 个工作日（{deadline} 前）", overdue=False)
    except CalendarUnknownError as unknown:
        return Countdown(
            what,
            deadline,
            f"期限 {deadline}（{unknown.year} 年工作日历尚未导入，暂无法计算工作日）",
            overdue=deadline < today,
            known=False,
        )


def window_countdown(today: date, end: date) -> Countdown:
    """The task's own window (e.g. 11月30日前全部完成) is counted in calendar days."""
    if end < today:
        return Countdown("完成期限", end, f"已超过完成期限 {(today - end).days} 天（{end}）", True)
    if end == today:
        return Countdown("完成期限", end, f"今天为完成期限（{end}）", False, today=True)
    return Countdown("完成期限", end, f"距完成期限 {(end - today).days} 天（{end} 前）", False)


def deadlines_of(
    view: TaskView, department: str, calendar: WorkCalendar, today: date
) -> list[Countdown]:
    """Every deadline the department still has to meet on the task, soonest first."""
    found: list[Countdown] = []
    deadline = view.dispatch_deadlines.get(department)
    if deadline is not None and department not in view.answers:
        found.append(countdown(calendar, today, "确认派发任务（两个工作日内）", deadline))
    if department in view.participating and not view.published:
        for target, due in view.visits.items():
            if due is not None and (department, target) not in view.results:
                found.append(countdown(calendar, today, f"录入 {target} 的检查结果", due))
    for number, follow_up in view.follow_ups.items():
        if follow_up.department == department and follow_up.is_open:
            found.append(countdown(calendar, today, f"后续处置 #{number} 整改期限", follow_up.due))
    found.sort(key=lambda c: c.deadline)
    if not view.closed and (department == view.lead or department in view.participating):
        found.append(window_countdown(today, view.window_end))
    return found


# ---------------------------------------------------------------------------- a task's page
@dataclass(frozen=True)
class SheetRow:
    """One target of the task, as the department's page lists it."""

    target: str
    name: str
    group: int
    noticed: bool
    visited: bool
    own_result: str
    """The department's result category, or "" while none is recorded."""
    results_due: date | None


@dataclass
class Permitted:
    """Which steps the page offers the actor, asked of the one policy and the task's state. The
    service decides again when the form is sent."""

    confirm: bool = False
    commit: bool = False
    draw: bool = False
    draw_inspectors: bool = False
    match: bool = False
    file_grouping: bool = False
    publish: bool = False
    open_follow_up: bool = False
    close_task: bool = False
    fieldwork: bool = False
    """Serve notices and record visits."""


def permitted(actor: Actor, task: Task) -> Permitted:
    parties = parties_of(task)
    department = actor.department or ""
    drawn = task.target_draw is not None
    open_ = not task.is_closed
    allowed = Permitted()
    allowed.confirm = (
        open_
        and allows(actor, Action.CONFIRM, parties)
        and department in task.dispatches
        and department not in task.answers
    )
    allowed.commit = (
        open_ and allows(actor, Action.COMMIT_SEED, parties) and task.commitment is None
    )
    allowed.draw = (
        open_ and allows(actor, Action.DRAW_TARGETS, parties) and task.commitment is not None
    ) and not drawn
    allowed.draw_inspectors = (
        open_
        and drawn
        and allows(actor, Action.DRAW_INSPECTORS, parties)
        and department in task.participating
        and department not in task.inspector_draws
    )
    allowed.match = (
        open_
        and drawn
        and task.matching is None
        and allows(actor, Action.MATCH_GROUPS, parties)
        and not task.unanswered
        and all(d in task.inspector_draws for d in task.participating)
    )
    matched = task.matching is not None
    allowed.file_grouping = (
        open_
        and matched
        and allows(actor, Action.FILE_GROUPING, parties)
        and department in task.participating
        and department not in task.filings
    )
    allowed.fieldwork = (
        open_
        and matched
        and allows(actor, Action.RECORD_VISIT, parties)
        and department in task.participating
    )
    allowed.publish = (
        open_
        and matched
        and task.publication is None
        and allows(actor, Action.PUBLISH, parties)
        and not task.missing_results()
        and all(t in task.visits for t in task.matches)
    )
    allowed.open_follow_up = (
        open_
        and allows(actor, Action.OPEN_FOLLOW_UP, parties)
        and bool(problems_of(task, department))
    )
    allowed.close_task = (
        open_
        and task.publication is not None
        and allows(actor, Action.CLOSE_TASK, parties)
        and not task.open_follow_ups()
    )
    return allowed


def sheet_rows(task: Task, department: str, assigned_to: str | None = None) -> list[SheetRow]:
    """The task's 一企一表, one row per target (an inspector sees only the targets of his or her
    group)."""
    rows = []
    for sheet in task.record_sheets:
        if assigned_to is not None and assigned_to not in task.inspectors_of(sheet.target):
            continue
        result = task.results.get((department, sheet.target))
        rows.append(
            SheetRow(
                sheet.target,
                sheet.name,
                sheet.group,
                sheet.target in task.notices,
                sheet.target in task.visits,
                result.category if result is not None else "",
                task.results_due.get(sheet.target),
            )
        )
    return rows


def problems_of(task: Task, department: str) -> list[str]:
    """Targets where the department found a problem and has not opened a follow-up yet."""
    followed = {f.target for f in task.follow_ups.values() if f.department == department}
    return [
        target
        for (d, target), result in task.results.items()
        if d == department and ResultCategory(result.category).is_problem and target not in followed
    ]


def own_follow_ups(task: Task, department: str) -> list[FollowUp]:
    return [f for f in task.follow_ups.values() if f.department == department]


def group_of_department(task: Task, department: str) -> list[tuple[int, tuple[str, ...]]]:
    """The department's own inspectors in each joint group, as drawn (its business alone)."""
    drawn = task.inspector_draws.get(department)
    if drawn is None:
        return []
    return [(n, tuple(ids)) for n, ids in enumerate(drawn.groups)]


@dataclass(frozen=True)
class SheetPage:
    """One target's 一企一表 as the department receives it: its own inspectors and items."""

    target: str
    name: str
    group: int
    inspectors: tuple[str, ...]
    items: tuple[CheckItem, ...]
    notice: dict[str, Any] | None
    visit: dict[str, Any] | None
    result: dict[str, Any] | None
    results_due: date | None
    others: tuple[str, ...] = field(default_factory=tuple)
    """The other departments on the sheet (their items are their business)."""


def sheet_page(task: Task, department: str, target: str) -> SheetPage | None:
    for sheet in task.record_sheets:
        if sheet.target != target:
            continue
        own = sheet.for_department(department)
        notice = task.notices.get(target)
        visit = task.visits.get(target)
        result = task.results.get((department, target))
        return SheetPage(
            sheet.target,
            sheet.name,
            sheet.group,
            own.inspectors.get(department, ()),
            own.items.get(department, ()),
            {
                "method": NoticeMethod(notice.method).label,
                "recipient": notice.recipient,
                "department": notice.department,
                "day": local_day(notice.at),
            }
            if notice
            else None,
            {
                "signed": visit.signed,
                "note": visit.note,
                "on_site_reason": visit.on_site_reason,
                "department": visit.department,
                "day": local_day(visit.at),
            }
            if visit
            else None,
            {
                "category": result.category,
                "findings": dict(result.findings),
                "corrected": hasattr(result, "reason"),
                "reason": getattr(result, "reason", ""),
                "late": getattr(result, "late", False),
                "day": local_day(result.at),
            }
            if result
            else None,
            task.results_due.get(target),
            tuple(d for d in sheet.departments if d != department),
        )
    return None


def strata_rows(strata: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stratum's N, r, k as DRAW-SPEC.md names them, with the grade's label."""
    return [{"grade": g, "label": _grade_label(g), **figures} for g, figures in strata.items()]


def _grade_label(grade: str) -> str:
    """信用风险分类's words for a grade, as the domain names them (a grade it does not know, as is)."""
    try:
        return RiskGrade(grade).label
    except ValueError:
        return grade
