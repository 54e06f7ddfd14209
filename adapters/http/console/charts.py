"""The office's statistics as charts on its console page: the figures of the read models (the
plan statistics, the task views) drawn by adapters/documents/charts.py, the module that draws the
printed report's charts too, so the page and the report never draw a figure two ways. The same
figures stand in a table beside the charts for those who do not read charts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from adapters.cli.words import DEPARTMENTS, dept
from adapters.documents.charts import Chart, by_label, by_month, completion_bar
from domain.values import local_day
from services.statistics import MonthlyWorkload
from services.task_views import TaskView


def _ordered(departments: Iterable[str]) -> list[str]:
    known = list(DEPARTMENTS)
    return sorted(set(departments), key=lambda d: (known.index(d) if d in known else len(known), d))


def workload_charts(rows: Iterable[MonthlyWorkload]) -> tuple[Chart, ...]:
    """Per month, stacked by department: tasks taken part in, targets to inspect, deadlines
    let pass."""
    ordered = sorted(rows, key=lambda r: (r.month, r.department))
    labels = [dept(d) for d in _ordered(r.department for r in ordered)]

    def chart(title: str, unit: str, values: list[tuple[str, str, int]]) -> Chart:
        return by_month(title, unit, values, labels)

    return (
        chart(
            "各部门每月抽取检查对象数",
            "个",
            [(r.month, dept(r.department), r.targets_drawn) for r in ordered],
        ),
        chart(
            "各部门每月参与任务数", "项", [(r.month, dept(r.department), r.tasks) for r in ordered]
        ),
        chart(
            "各部门每月逾期次数（确认、结果录入）",
            "次",
            [(r.month, dept(r.department), r.overdue) for r in ordered],
        ),
    )


def category_chart(results: Mapping[tuple[str, str], int]) -> Chart:
    """Results by category, stacked by department: (category, department) -> how many."""
    departments = _ordered(d for _, d in results)
    categories = sorted({c for c, _ in results})
    rows = [(c, [results.get((c, d), 0) for d in departments]) for c in categories]
    return by_label("检查结果分类（按部门）", "户次", rows, [dept(d) for d in departments])


@dataclass(frozen=True)
class Completion:
    """The plan's tasks against their window (纳入计划的抽查任务应于11月30日前全部完成)."""

    deadline: date
    total: int
    on_time: int
    """Closed (结案) by 30 November."""
    late: int
    """Closed after 30 November."""
    open_in_window: int
    open_overdue: int
    """Not closed, and 30 November has passed."""
    days_left: int

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def segments(self) -> list[tuple[str, str, int, float, float]]:
        """(class, label, count, x, width) of the stacked bar, in percent of its width."""
        parts = [
            ("done-on-time", "按期结案", self.on_time),
            ("done-late", "逾期结案", self.late),
            ("open", "进行中", self.open_in_window),
            ("open-overdue", "超期未结案", self.open_overdue),
        ]
        found, x = [], 0.0
        for css, label, count in parts:
            width = 100 * count / self.total if self.total else 0
            if count:
                found.append((css, label, count, x, width))
            x += width
        return found

    def chart(self) -> Chart:
        parts = [
            ("done-on-time", "按期结案", self.on_time),
            ("done-late", "逾期结案", self.late),
            ("open", "进行中", self.open_in_window),
            ("open-overdue", "超期未结案", self.open_overdue),
        ]
        return completion_bar(f"计划完成情况（应于 {self.deadline} 前全部完成）", parts)


def completion(views: Iterable[TaskView], year: int, today: date) -> Completion:
    """Against 30 November (纳入计划的抽查任务应于11月30日前全部完成), as the report judges it."""
    deadline = date(year, 11, 30)
    on_time = late = open_in_window = open_overdue = total = 0
    for view in views:
        if view.window_end.year != year:
            continue
        total += 1
        if view.closed:
            closed_on = local_day(view.last_at) if view.last_at else view.window_end
            if closed_on <= deadline:
                on_time += 1
            else:
                late += 1
        elif today > deadline:
            open_overdue += 1
        else:
            open_in_window += 1
    return Completion(
        deadline, total, on_time, late, open_in_window, open_overdue, (deadline - today).days
    )
