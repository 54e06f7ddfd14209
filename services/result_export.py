"""The published results in the structure of 国家企业信用信息公示系统's 抽查检查结果: per task its
plan, its name, the 抽查机关, the 完成日期, and per target each item's result, by category and code.

Only what was published is read: the tasks that have a `ResultsPublished` event, and of each only
the targets and departments that publication names, with the corrections made since (which the
public register shows too). Nothing of a task that has not published is touched, and nothing the
public register keeps out (inspectors, findings) is put in. Anyone may export (EXPORT_RESULTS).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.plan import Plan
from domain.publicity import ResultCategory
from domain.task import Task
from domain.values import local_day
from services.actors import Actor
from services.log import raw_log
from services.permissions import Action, require

if TYPE_CHECKING:
    from services.tasks import Tasks


@dataclass(frozen=True)
class ItemResult:
    """One row of the export: one item of one department at one target."""

    credit_code: str
    name: str
    department: str
    item_code: str
    item_name: str
    category: ResultCategory
    """The department's result at this target, which covers each of its items."""


@dataclass(frozen=True)
class PublishedTask:
    task_id: UUID
    plan_title: str
    plan_document: str
    year: int
    task_name: str
    authorities: tuple[str, ...]
    """抽查机关: the lead, then the cooperating departments that took part (codes)."""
    completed_on: date
    """完成日期: the day the last result of the task was recorded."""
    published_on: date
    results: tuple[ItemResult, ...]


COLUMNS = (
    ("plan", "抽查计划"),
    ("task", "抽查任务"),
    ("authorities", "抽查机关"),
    ("completed_on", "完成日期"),
    ("published_on", "公示日期"),
    ("credit_code", "统一社会信用代码"),
    ("name", "企业（机构）名称"),
    ("department", "检查部门"),
    ("item_code", "事项编号"),
    ("item_name", "抽查事项"),
    ("result", "检查结果"),
    ("result_code", "结果代码"),
    ("national_code", "公示系统结果代码"),
)
"""The flat table of the export (XLSX, CSV): one row per task, target and item."""


class ResultExport:
    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def published(self, actor: Actor, year: int | None = None) -> list[PublishedTask]:
        """Every published task (of the plan year `year`), in the order published."""
        require(actor, Action.EXPORT_RESULTS)
        found = []
        for task_id in self._published_ids():
            task = self.tasks.load(Task, task_id, "抽查任务")
            plan = self.tasks.load(Plan, task.plan_id, "抽查工作计划")
            if year is not None and plan.year != year:
                continue
            found.append(_exported(task, plan))
        return found

    def _published_ids(self) -> Iterator[UUID]:
        seen: set[UUID] = set()
        topic = get_topic(Task.ResultsPublished)
        for row in raw_log(self.tasks.recorder, topics=(topic,)):
            task_id = getattr(row, "originator_id", None)
            if isinstance(task_id, UUID) and task_id not in seen:
                seen.add(task_id)
                yield task_id


def _exported(task: Task, plan: Plan) -> PublishedTask:
    publication = task.publication
    if publication is None:  # only tasks with ResultsPublished are read
        raise ValueError(f"{task.id} 尚未公示")
    definition = task.definition
    results: list[ItemResult] = []
    days: list[date] = []
    for entry in publication.entries:
        target = str(entry["target"])
        for department, published in dict(entry["results"]).items():
            # A correction after publication is public (the register shows it); none before is
            # missing from the entry, which holds the results as published.
            current = task.results.get((department, target))
            stored = current.category if current is not None else published
            if current is not None:
                days.append(local_day(current.at))
            category = ResultCategory(stored)
            for item in definition.items.get(department, ()):
                results.append(
                    ItemResult(
                        target, str(entry["name"]), department, item.code, item.name, category
                    )
                )
    published_on = local_day(publication.at)
    departments = {r.department for r in results}
    authorities = tuple(d for d in definition.departments if d in departments)
    return PublishedTask(
        task_id=task.id,
        plan_title=plan.title,
        plan_document=plan.document,
        year=plan.year,
        task_name=definition.name,
        authorities=authorities,
        completed_on=max(days, default=published_on),
        published_on=published_on,
        results=tuple(results),
    )


def rows(tasks: list[PublishedTask], name_of: Any = str) -> list[dict[str, str]]:
    """The flat table (COLUMNS), departments named by `name_of` (code -> 中文名称)."""
    table = []
    for task in tasks:
        authorities = "、".join(name_of(d) for d in task.authorities)
        plan = (
            f"{task.plan_title}（{task.plan_document}）" if task.plan_document else task.plan_title
        )
        for r in task.results:
            table.append(
                {
                    "plan": plan,
                    "task": task.task_name,
                    "authorities": authorities,
                    "completed_on": task.completed_on.isoformat(),
                    "published_on": task.published_on.isoformat(),
                    "credit_code": r.credit_code,
                    "name": r.name,
                    "department": name_of(r.department),
                    "item_code": r.item_code,
                    "item_name": r.item_name,
                    "result": r.category.label,
                    "result_code": r.category.code,
                    "national_code": r.category.national_code,
                }
            )
    return table


def document(tasks: list[PublishedTask], name_of: Any = str) -> dict[str, Any]:
    """The nested form (JSON): task by task, target by target, item by item."""
    out = []
    for task in tasks:
        targets: dict[str, dict[str, Any]] = {}
        for r in task.results:
            target = targets.setdefault(
                r.credit_code, {"credit_code": r.credit_code, "name": r.name, "items": []}
            )
            target["items"].append(
                {
                    "department": r.department,
                    "department_name": name_of(r.department),
                    "item_code": r.item_code,
                    "item_name": r.item_name,
                    "result": r.category.label,
                    "result_code": r.category.code,
                    "national_code": r.category.national_code,
                }
            )
        out.append(
            {
                "task_id": str(task.task_id),
                "plan": {
                    "title": task.plan_title,
                    "document": task.plan_document,
                    "year": task.year,
                },
                "task": task.task_name,
                "authorities": [{"code": d, "name": name_of(d)} for d in task.authorities],
                "completed_on": task.completed_on.isoformat(),
                "published_on": task.published_on.isoformat(),
                "targets": list(targets.values()),
            }
        )
    return {
        "format": "ssj-results/1",
        "source": "国家企业信用信息公示系统 抽查检查结果",
        "tasks": out,
    }
