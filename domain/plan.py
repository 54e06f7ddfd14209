"""抽查工作计划: a department's annual plan, whose rows become tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValueError
from domain.values import department_code, moment, text


class Plan(Aggregate):
    class Registered(Aggregate.Created):
        """The plan as issued (e.g. 城教函字〔2024〕4号), with its tasks by number."""

        department: str
        year: int
        title: str
        document: str
        """The document number that issued it, if any."""
        tasks: list[dict[str, Any]]
        """number, name, task_id of each row."""
        at: datetime

    @staticmethod
    def id_for(department: str, year: int, title: str) -> UUID:
        """A plan is registered once: the same department, year and title name the same plan."""
        return uuid5(NAMESPACE_URL, f"ssj:plan:{department}:{year}:{title}")

    @staticmethod
    def create_id(
        department: str,
        year: int,
        title: str,
        document: str,
        tasks: list[dict[str, Any]],
        at: datetime,
    ) -> UUID:
        return Plan.id_for(department, year, title)

    @classmethod
    def register(
        cls,
        department: str,
        year: int,
        title: str,
        document: str,
        tasks: list[dict[str, Any]],
        at: datetime,
    ) -> Plan:
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise InvalidValueError("year", "计划年度，例如 2024", year)
        if not tasks:
            raise InvalidValueError("tasks", "至少一项抽查任务", tasks)
        return cls(
            department=department_code(department),
            year=year,
            title=text(title, "title", "计划名称"),
            document=document.strip(),
            tasks=tasks,
            at=moment(at),
        )

    @event(Registered)
    def __init__(
        self,
        department: str,
        year: int,
        title: str,
        document: str,
        tasks: list[dict[str, Any]],
        at: datetime,
    ) -> None:
        self.department = department
        self.year = year
        self.title = title
        self.document = document
        self.tasks = tasks
        self.registered_at = at
