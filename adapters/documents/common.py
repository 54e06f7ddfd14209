"""What several documents print alike: departments by name, a task's target and its group's
inspectors as the log records them, dates as clerks write them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from adapters.cli.words import dept
from domain.errors import InvalidValueError
from domain.task import Task
from domain.values import CHINA
from services.documents import Source

LEGAL_BASIS = (
    "《国务院办公厅关于推广随机抽查规范事中事后监管的通知》（国办发〔2015〕58号）、"
    "《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》（国发〔2019〕5号）"
)
"""What every joint inspection rests on, before the items' own legal bases."""


def department_name(code: str) -> str:
    return dept(code)


def chinese_date(value: date | datetime) -> str:
    """2023年11月8日, in Beijing time."""
    day = value.astimezone(CHINA).date() if isinstance(value, datetime) else value
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_moment(value: datetime) -> str:
    local = value.astimezone(CHINA)
    return f"{chinese_date(local)} {local:%H:%M}"


def matched_target(task: Task, target: str) -> dict[str, Any]:
    """The 一企一表 the matching made for `target` (name, group, inspectors and items)."""
    for sheet in task.matching.sheets if task.matching else ():
        if sheet["target"] == target:
            return dict(sheet)
    drawn = "、".join(task.matches) or "（本任务尚未匹配检查组）"
    raise InvalidValueError("target", f"本任务已匹配检查组的检查对象之一：{drawn}", target)


def inspectors_of(
    source: Source, task: Task, department: str, ids: list[str]
) -> list[dict[str, str]]:
    """The group's inspectors of one department: name, certificate and phone, from the
    department's directory as of the version its draw was made from."""
    draw = task.inspector_draws.get(department)
    directory = source.inspectors(department, draw.directory_position if draw else None)
    people = []
    for inspector_id in ids:
        person = directory.inspectors.get(inspector_id)
        people.append(
            {
                "id": inspector_id,
                "name": person.name if person else inspector_id,
                "certificate": person.certificate_no if person else "",
                "phone": person.phone if person else "",
            }
        )
    return people
