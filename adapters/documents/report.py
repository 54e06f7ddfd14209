"""The office's statistics report of a year (抽查工作统计报告), with its charts.

A document is made from events alone, at versions it records: so the figures are counted here
from the tasks as of their versions (each a fold of its own events), not read from the statistics
read model, which moves on as the log grows. The report is dated by the latest of those events
and judges what is still open as of that moment, never as of the clock: the same versions give
the same report, byte for byte.

Months are Beijing-time months. A department's month counts: the tasks it takes part in, in the
month they were planned (as lead or as a cooperating department the plan names); the targets the
lead drew, in the month of the draw; the targets dispatched to a cooperating department, in the
month they went out; and each deadline it let pass (a confirmation, a result), in the month of
that deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from adapters.cli.words import DEPARTMENTS, dept, when
from adapters.documents.charts import Chart, by_label, by_month, completion_bar
from adapters.documents.grid import TABLE, Column, Grid
from domain.errors import InvalidValueError
from domain.values import local_day

if TYPE_CHECKING:
    from adapters.documents.press import Press
    from domain.task import Task
    from services.documents import Source, Subject

DEADLINE = (11, 30)
"""纳入《抽查计划》的抽查任务应于11月30日前全部完成."""


@dataclass
class Workload:
    planned: int = 0
    drawn: int = 0
    dispatched: int = 0
    overdue: int = 0

    @property
    def targets(self) -> int:
        """Targets it must inspect that month: drawn as lead, dispatched as cooperating."""
        return self.drawn + self.dispatched


@dataclass(frozen=True)
class Completion:
    """The year's tasks against 30 November, as of the report's moment."""

    deadline: date
    on_time: int
    late: int
    open: int
    open_overdue: int

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.open + self.open_overdue

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def parts(self) -> list[tuple[str, str, int]]:
        return [
            ("done-on-time", "按期结案", self.on_time),
            ("done-late", "逾期结案", self.late),
            ("open", "进行中", self.open),
            ("open-overdue", "超期未结案", self.open_overdue),
        ]


@dataclass(frozen=True)
class Overdue:
    task: str
    department: str
    what: str
    deadline: date | None
    settled: str


@dataclass
class Figures:
    year: int
    as_of: datetime
    tasks: list[Task] = field(default_factory=list)
    months: dict[tuple[str, str], Workload] = field(default_factory=dict)
    """(department, YYYY-MM) -> its work that month."""
    overdue: list[Overdue] = field(default_factory=list)
    categories: dict[str, dict[str, int]] = field(default_factory=dict)
    """Result category -> department -> how many results (as last recorded, corrections in)."""
    completion: Completion | None = None

    @property
    def departments(self) -> list[str]:
        """In the order ssj names departments (教育局, 公安局, 消防救援大队 …), then by code."""
        found = {d for d, _ in self.months} | {d for c in self.categories.values() for d in c}
        known = list(DEPARTMENTS)
        return sorted(found, key=lambda d: (known.index(d) if d in known else len(known), d))

    def _month(self, department: str, at: date | datetime | None) -> Workload | None:
        if at is None:
            return None
        day = local_day(at) if isinstance(at, datetime) else at
        if day.year != self.year:
            return None
        key = (department, day.strftime("%Y-%m"))
        return self.months.setdefault(key, Workload())


def figures(tasks: Sequence[Task], year: int) -> Figures:
    """The year's figures from the tasks (whose window ends in that year) as given."""
    chosen = sorted(
        (t for t in tasks if t.definition.window_end.year == year), key=lambda t: str(t.id)
    )
    as_of = max((t.last_at for t in tasks), default=datetime(year, 1, 1).astimezone())
    found = Figures(year, as_of, list(chosen))
    deadline = date(year, *DEADLINE)
    on_time = late = still_open = open_overdue = 0
    for task in chosen:
        _count(found, task)
        if task.closed_at is not None:
            if local_day(task.closed_at) <= deadline:
                on_time += 1
            else:
                late += 1
        elif local_day(as_of) > deadline:
            open_overdue += 1
        else:
            still_open += 1
    found.completion = Completion(deadline, on_time, late, still_open, open_overdue)
    return found


def _count(found: Figures, task: Task) -> None:
    for department in task.definition.departments:
        if month := found._month(department, task.planned_at):
            month.planned += 1
    if task.target_draw is not None and (month := found._month(task.lead, task.target_draw.at)):
        month.drawn += len(task.drawn_targets)
    for department, dispatch in task.dispatches.items():
        if month := found._month(department, dispatch.at):
            month.dispatched += len(dispatch.targets)
    for department in sorted(task.confirmation_overdue):
        dispatched = task.dispatches.get(department)
        due = dispatched.deadline if dispatched else None
        if month := found._month(department, due):
            month.overdue += 1
        answered = task.answers.get(department)
        settled = "已补确认" if answered is not None else "仍未确认"
        found.overdue.append(Overdue(task.name, department, "确认派发任务", due, settled))
    names = (
        {str(s["target"]): str(s["name"]) for s in task.matching.sheets} if task.matching else {}
    )
    for department, target in sorted(task.result_overdue):
        due = task.results_due.get(target)
        if month := found._month(department, due):
            month.overdue += 1
        settled = "已补录" if (department, target) in task.results else "仍未录入"
        what = f"录入 {names.get(target) or target} 的检查结果"
        found.overdue.append(Overdue(task.name, department, what, due, settled))
    for (department, _), result in sorted(task.results.items()):
        per = found.categories.setdefault(result.category, {})
        per[department] = per.get(department, 0) + 1


# ---------------------------------------------------------------------------- as facts
def facts(found: Figures) -> dict[str, Any]:
    """The figures as plain facts (what the document records it printed), in a fixed order."""
    completion = found.completion
    assert completion is not None
    return {
        "year": found.year,
        "as_of": when(found.as_of),
        "departments": found.departments,
        "completion": {
            "deadline": completion.deadline.isoformat(),
            "parts": [list(part) for part in completion.parts()],
        },
        "tasks": [
            {
                "name": t.name,
                "lead": t.lead,
                "window": f"{t.definition.window_start} 至 {t.definition.window_end}",
                "closed": local_day(t.closed_at).isoformat() if t.closed_at else "",
            }
            for t in found.tasks
        ],
        "months": [
            [d, month, w.planned, w.drawn, w.dispatched, w.overdue]
            for (d, month), w in sorted(found.months.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
        "overdue": [
            [o.task, o.department, o.what, str(o.deadline or ""), o.settled] for o in found.overdue
        ],
        "categories": [
            [category, [per.get(d, 0) for d in found.departments]]
            for category, per in sorted(found.categories.items())
        ],
    }


# ---------------------------------------------------------------------------- charts
CONFIRM = "确认派发任务"
OVERDUE_KINDS = (CONFIRM, "录入检查结果")


def charts(record: dict[str, Any]) -> dict[str, Chart]:
    """The report's charts, from its facts: the console draws the same ones (charts.py)."""
    labels = [dept(d) for d in record["departments"]]
    months = record["months"]

    def monthly(title: str, unit: str, pick: Any) -> Chart:
        return by_month(title, unit, [(m[1], dept(m[0]), pick(m)) for m in months], labels)

    overdue_rows = [
        (
            dept(d),
            [
                sum(1 for o in record["overdue"] if o[1] == d and o[2] == CONFIRM),
                sum(1 for o in record["overdue"] if o[1] == d and o[2] != CONFIRM),
            ],
        )
        for d in record["departments"]
    ]
    completion = record["completion"]
    return {
        "completion": completion_bar(
            f"计划完成情况（应于 {completion['deadline']} 前全部完成）",
            [(css, label, count) for css, label, count in completion["parts"]],
        ),
        "planned": monthly("各部门每月参与任务数", "项", lambda m: m[2]),
        "targets": monthly("各部门每月抽取、派发检查对象数", "个", lambda m: m[3] + m[4]),
        "overdue": by_label("各部门逾期次数（确认、结果录入）", "次", overdue_rows, OVERDUE_KINDS),
        "categories": by_label(
            "检查结果分类（按部门）", "户次", [(c, n) for c, n in record["categories"]], labels
        ),
    }


# ---------------------------------------------------------------------------- the report
def title(year: int) -> str:
    return f"{year} 年度“双随机、一公开”抽查工作统计报告"


def sections(record: dict[str, Any]) -> list[dict[str, Any]]:
    """What the report prints, in the order the office reads it: completion, workload,
    deadlines let pass, results; each chart with its figures as a table."""
    parts = {css: count for css, _, count in record["completion"]["parts"]}
    total, done = sum(parts.values()), parts["done-on-time"] + parts["done-late"]
    share = round(100 * done / total) if total else 0
    summary = (
        f"本年度纳入统计的抽查任务 {total} 项，已结案 {done} 项（{share}%），其中按期"
        f"（{record['completion']['deadline']} 前）结案 {parts['done-on-time']} 项、逾期结案 "
        f"{parts['done-late']} 项；进行中 {parts['open']} 项，超期未结案 {parts['open-overdue']} 项。"
    )
    overdue = record["overdue"]
    unsettled = sum(1 for o in overdue if o[4].startswith("仍未"))
    return [
        {
            "heading": "一、计划完成情况",
            "paragraphs": [summary],
            "charts": ["completion"],
            "tables": [_tasks_grid(record)],
        },
        {
            "heading": "二、各部门每月工作量",
            "paragraphs": [],
            "charts": ["planned", "targets"],
            "tables": [_workload_grid(record)],
        },
        {
            "heading": "三、逾期确认与逾期录入",
            "paragraphs": [f"共逾期 {len(overdue)} 次，其中仍未补办 {unsettled} 次。"],
            "charts": ["overdue"],
            "tables": [_overdue_grid(record)],
        },
        {
            "heading": "四、检查结果分类",
            "paragraphs": [],
            "charts": ["categories"],
            "tables": [_category_grid(record)],
        },
    ]


def _table(columns: tuple[Column, ...], rows: Sequence[tuple[str, ...]]) -> dict[str, Any]:
    return Grid("", "", columns, tuple(rows), landscape=False).as_record()


def _tasks_grid(record: dict[str, Any]) -> dict[str, Any]:
    rows = [
        (str(n), t["name"], dept(t["lead"]), t["window"], t["closed"] or "未结案")
        for n, t in enumerate(record["tasks"], start=1)
    ]
    return _table(
        (
            Column("序号", 6, centred=True),
            Column("抽查任务", 40),
            Column("牵头部门", 12, centred=True),
            Column("抽查起止时间", 22, centred=True),
            Column("结案日期", 12, centred=True),
        ),
        rows,
    )


def _workload_grid(record: dict[str, Any]) -> dict[str, Any]:
    rows = [(dept(m[0]), m[1], *(str(v) for v in m[2:])) for m in record["months"]]
    return _table(
        (
            Column("部门", 16, centred=True),
            Column("月份", 10, centred=True),
            Column("参与任务", 10, centred=True),
            Column("抽取对象", 10, centred=True),
            Column("派发对象", 10, centred=True),
            Column("逾期次数", 10, centred=True),
        ),
        rows,
    )


def _overdue_grid(record: dict[str, Any]) -> dict[str, Any]:
    rows = [
        (str(n), o[0], dept(o[1]), o[2], o[3], o[4])
        for n, o in enumerate(record["overdue"], start=1)
    ]
    return _table(
        (
            Column("序号", 6, centred=True),
            Column("抽查任务", 30),
            Column("部门", 12, centred=True),
            Column("逾期事项", 26),
            Column("期限", 11, centred=True),
            Column("处理情况", 10, centred=True),
        ),
        rows,
    )


def _category_grid(record: dict[str, Any]) -> dict[str, Any]:
    rows = [(c, *(str(v) for v in n), str(sum(n))) for c, n in record["categories"]]
    columns = (
        Column("检查结果", 30),
        *(Column(dept(d), 10, centred=True) for d in record["departments"]),
        Column("合计", 8, centred=True),
    )
    return _table(columns, rows)


TEMPLATE = (
    '#import "ssj.typ": *\n#let data = json("data.json")\n'
    + TABLE
    + r"""
#show: house.with(title: data.title)
#set text(size: 10pt)
#set par(justify: false)
#form-title(data.title, subtitle: data.scope)
#for section in data.sections {
  v(0.6em)
  block(text(size: 13pt, weight: "bold", font: sans, section.heading))
  for p in section.paragraphs { par(p) }
  for chart in section.charts {
    block(breakable: false, {
      align(center, text(size: 10pt, weight: "bold", chart.title))
      if chart.file == "" {
        align(center, text(size: 9pt, "（无数据）"))
      } else {
        align(center, image(chart.file, width: 92%))
      }
    })
  }
  for g in section.tables { grid-table(g) }
}
"""
)


@dataclass(frozen=True)
class StatisticsBuilder:
    """The statistics kind: every planned task as the source reads it, the year's counted."""

    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        if subject.year is None:
            raise InvalidValueError("year", "统计年度，例如 2023", None)
        tasks = [source.task(task_id) for task_id in source.planned_tasks()]
        return facts(figures(tasks, subject.year))

    def render(self, record: dict[str, Any], fmt: str, press: Press) -> bytes:
        if fmt != "pdf":
            raise InvalidValueError("format", "pdf", fmt)
        drawn = charts(record)
        files = {f"{name}.svg": c.svg.encode() for name, c in drawn.items() if not c.empty}
        data = {
            "title": title(record["year"]),
            "scope": (
                f"统计范围：抽查起止时间止于 {record['year']} 年的抽查任务 {len(record['tasks'])} 项；"
                f"数据截至 {record['as_of']}（据各任务事件日志）"
            ),
            "sections": [
                {
                    **section,
                    "charts": [
                        {
                            "title": drawn[name].title,
                            "file": "" if drawn[name].empty else f"{name}.svg",
                        }
                        for name in section["charts"]
                    ],
                }
                for section in sections(record)
            ],
        }
        return press.pdf(TEMPLATE, data, files)


BUILDER = StatisticsBuilder()
