"""Small values every part of a task speaks in: departments, times, scopes, result categories.

The national publicity system's words (result categories, inspection methods, follow-up measures)
live in domain/publicity.py and are named here too, where every part has always found them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from domain.errors import InvalidValueError
from domain.publicity import FollowUpMeasure as FollowUpMeasure
from domain.publicity import InspectionMethod as InspectionMethod
from domain.publicity import ResultCategory as ResultCategory

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
"""Deadlines are working days in China: a moment is judged by its date in Beijing time."""

_DEPARTMENT_CODE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def department_code(value: str, field: str = "department") -> str:
    """Departments are named by short codes (`education`, `police`, `fire`, `market`).

    The code also names the department's message subjects, so it is kept to what a subject allows.
    """
    if not isinstance(value, str) or not _DEPARTMENT_CODE.match(value):
        raise InvalidValueError(
            field, "部门代码：小写字母开头，仅含小写字母、数字和 -，至多 32 个字符", value
        )
    return value


def moment(value: datetime, field: str = "at") -> datetime:
    """Every recorded time carries its zone: a naive time would shift deadlines by hours."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(field, "带时区的时间，例如 2023-11-01T09:00+08:00", value)
    return value


def local_day(value: datetime) -> date:
    return value.astimezone(CHINA).date()


def text(value: str, field: str, expected: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(field, expected, value)
    return value.strip()


@dataclass(frozen=True)
class Scope:
    """抽查对象范围: which targets of a directory a task draws from."""

    category: str | None = None
    region: str | None = None
    tags: frozenset[str] = frozenset()
    """Every tag is required, e.g. 持校车 for the school-bus safety check."""

    def admits(self, category: str, region: str, tags: frozenset[str]) -> bool:
        return (
            (self.category is None or category == self.category)
            and (self.region is None or region == self.region)
            and self.tags <= tags
        )

    def as_record(self) -> dict[str, object]:
        return {"category": self.category, "region": self.region, "tags": sorted(self.tags)}

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Scope:
        category, region, tags = record.get("category"), record.get("region"), record.get("tags")
        return cls(
            category=str(category) if category else None,
            region=str(region) if region else None,
            tags=frozenset(str(t) for t in tags) if isinstance(tags, Iterable) else frozenset(),
        )


class NoticeMethod(StrEnum):
    """告知书 served on paper, or a 电话告知 with its record."""

    LETTER = "letter"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return {"letter": "书面送达", "phone": "电话告知"}[self.value]

    @classmethod
    def parse(cls, value: str, field: str = "method") -> NoticeMethod:
        for method in cls:
            if value in (method.value, method.label):
                return method
        raise InvalidValueError(field, "letter（书面送达）或 phone（电话告知）", value)


class FollowUpStatus(StrEnum):
    OPEN = "open"
    TRANSFERRED = "transferred"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """As the 随机抽查后续处置工作台账 writes it."""
        return {"open": "整改中", "transferred": "已移送", "closed": "已办结"}[self.value]


@dataclass(frozen=True)
class FollowUp:
    """One line of the follow-up ledger: what was found, by whom, and what became of it."""

    number: int
    department: str
    """The department that found the problem, and handles it."""
    target: str
    problem: str
    due: date
    """整改期限."""
    status: FollowUpStatus = FollowUpStatus.OPEN
    transferred_to: str = ""
    transfer_reason: str = ""
    outcome: str = ""
    measure: str = FollowUpMeasure.ORDER_RECTIFICATION.value
    """The measure ordered on opening (责令改正 with its 整改期限, 行政处罚, 约谈 …); follow-ups
    opened before measures were named were all 责令限期整改."""
    transfer_measure: str = ""
    """How it was handed over: 移送, 抄告 or 反馈日常监管部门; empty when not handed over, or
    handed over before the measure was named."""
    closing_measure: str = ""
    """A further measure taken on closing (行政处罚 after a rectification that failed …)."""

    @property
    def is_open(self) -> bool:
        return self.status is FollowUpStatus.OPEN

    @property
    def measures(self) -> tuple[str, ...]:
        """Every measure taken, in the order taken."""
        taken = (self.measure, self.transfer_measure, self.closing_measure)
        return tuple(m for m in taken if m)

    def transferred(self, to: str, reason: str, measure: str = "") -> FollowUp:
        """抄告 / 移送: handed to another department or the judiciary, no longer open here."""
        return replace(
            self,
            status=FollowUpStatus.TRANSFERRED,
            transferred_to=to,
            transfer_reason=reason,
            transfer_measure=measure,
        )

    def closed(self, outcome: str, measure: str = "") -> FollowUp:
        """办结, with the result of the rectification (整改结果) as the department found it."""
        return replace(self, status=FollowUpStatus.CLOSED, outcome=outcome, closing_measure=measure)
