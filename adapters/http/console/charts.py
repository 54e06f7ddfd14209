"""The office's statistics as charts drawn on the server: SVG with its geometry computed here, its
colours in console.css (no style attributes, no script, no chart library), and the same figures
in a table beside each chart for those who do not read charts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from adapters.cli.words import dept
from domain.values import local_day
from services.statistics import MonthlyWorkload
from services.task_views import TaskView

WIDTH = 360
LABEL = 118
"""Room on the left for a row's label (month and department)."""
PLOT = WIDTH - LABEL - 40
ROW = 22
PALETTE = 6
"""console.css colours departments `series-0` … `series-5`."""


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    series: int

    @property
    def text_y(self) -> int:
        return self.y + 15

    @property
    def value_x(self) -> float:
        return LABEL + self.width + 4


@dataclass(frozen=True)
class BarChart:
    title: str
    unit: str
    bars: tuple[Bar, ...]
    height: int
    legend: tuple[tuple[str, int], ...]
    """Department label -> its series."""

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def label_width(self) -> int:
        return LABEL

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(
    title: str, unit: str, rows: Sequence[tuple[str, str, int]], departments: Sequence[str]
) -> BarChart:
    """One horizontal bar per (month, department, value), grouped by month: a month that
    spikes stands out at a glance, on a phone as on a desk."""
    series = {d: n % PALETTE for n, d in enumerate(departments)}
    biggest = max((value for _, _, value in rows), default=0) or 1
    bars = []
    y = 0
    last_month = None
    for month, department, value in rows:
        if last_month is not None and month != last_month:
            y += 6  # a gap between months
        shown_month = month if month != last_month else ""
        label = f"{shown_month} {dept(department)}".strip()
        bars.append(Bar(label, value, y, PLOT * value / biggest, series[department]))
        y += ROW
        last_month = month
    legend = tuple((dept(d), series[d]) for d in departments)
    return BarChart(title, unit, tuple(bars), max(y, ROW), legend)


def workload_charts(rows: Iterable[MonthlyWorkload]) -> tuple[BarChart, ...]:
    ordered = sorted(rows, key=lambda r: (r.month, r.department))
    departments = sorted({r.department for r in ordered})
    return (
        bar_chart(
            "各部门每月抽取检查对象数",
            "个",
            [(r.month, r.department, r.targets_drawn) for r in ordered],
            departments,
        ),
        bar_chart(
            "各部门每月参与任务数",
            "项",
            [(r.month, r.department, r.tasks) for r in ordered],
            departments,
        ),
        bar_chart(
            "各部门每月逾期次数（确认、结果录入）",
            "次",
            [(r.month, r.department, r.overdue) for r in ordered if r.overdue],
            departments,
        ),
    )


@dataclass(frozen=True)
class Completion:
    """The plan's tasks against their window (纳入计划的抽查任务应于11月30日前全部完成)."""

    deadline: date
    total: int
    on_time: int
    """Closed (结案) by the end of its window."""
    late: int
    """Closed after its window ended."""
    open_in_window: int
    open_overdue: int
    """Not closed, and its window has ended."""
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


def completion(views: Iterable[TaskView], year: int, today: date) -> Completion:
    deadline = date(year, 11, 30)
    on_time = late = open_in_window = open_overdue = total = 0
    for view in views:
        if view.window_end.year != year:
            continue
        total += 1
        if view.closed:
            closed_on = local_day(view.last_at) if view.last_at else view.window_end
            if closed_on <= view.window_end:
                on_time += 1
            else:
                late += 1
        elif today > view.window_end:
            open_overdue += 1
        else:
            open_in_window += 1
    return Completion(
        deadline, total, on_time, late, open_in_window, open_overdue, (deadline - today).days
    )
