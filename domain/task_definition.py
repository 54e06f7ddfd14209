"""What a plan says of one task: the row of the 抽查工作计划 table, checked once when planned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.directory import CheckItem, RiskGrade
from domain.draw import ratio_fraction
from domain.errors import InvalidValueError
from domain.values import Scope, department_code, text

GRADES = tuple(g.value for g in RiskGrade)


def _ratio(value: str, field: str) -> str:
    """Ratios stay the plain decimal text of the plan ("0.03"), exactly as the draw reads them."""
    text = value.strip() if isinstance(value, str) else value
    if ratio_fraction(text, field) == 0:
        raise InvalidValueError(field, "大于 0 且不超过 1 的小数，例如 0.03 表示不低于3%", value)
    return text


@dataclass(frozen=True)
class TaskDefinition:
    name: str
    lead: str
    """发起部门 / 牵头部门."""
    cooperating: tuple[str, ...]
    """配合部门; empty for an internal task (内部抽查)."""
    items: Mapping[str, tuple[CheckItem, ...]]
    """Each department's 抽查事项 for this task."""
    directory_id: UUID
    scope: Scope
    ratios: Mapping[str, str]
    """Minimum ratio per risk grade; ignored when directed."""
    directed: bool
    """定向: every target of the scope, 100%."""
    window_start: date
    window_end: date
    """The task is done by this day (e.g. 11月30日前全部完成)."""
    frequency: str = "1次/年"
    per_group: int = 2
    """Inspectors of each department in a joint group (各单位分别派出检查人员2人)."""
    groups: int | None = None
    """Number of joint groups; by default one per five drawn targets."""
    confirm_days: int = 2
    result_days: int = 3
    notes: str = field(default="")
    exclusion_days: int | None = None
    """排除期: a target drawn by a task of one of these departments within so many days before the
    commitment is left out of the population (domain/inspection_caps.py); None: no period."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", text(self.name, "name", "抽查任务名称"))
        lead = department_code(self.lead, "lead")
        cooperating = tuple(department_code(d, "cooperating") for d in self.cooperating)
        if lead in cooperating or len(set(cooperating)) != len(cooperating):
            raise InvalidValueError("cooperating", "不含发起部门、互不重复的配合部门", cooperating)
        object.__setattr__(self, "cooperating", cooperating)
        for department in (lead, *cooperating):
            items = self.items.get(department, ())
            if not items:
                raise InvalidValueError(f"items.{department}", "该部门至少一项抽查事项", None)
            codes = [i.code for i in items]
            if len(set(codes)) != len(codes):
                raise InvalidValueError(f"items.{department}", "互不重复的事项编号", codes)
        extra = sorted(set(self.items) - {lead, *cooperating})
        if extra:
            raise InvalidValueError("items", "仅列发起部门和配合部门的事项", extra)
        if self.directed:
            object.__setattr__(self, "ratios", dict.fromkeys(GRADES, "1"))
        else:
            ratios = {}
            for grade in GRADES:
                if grade not in self.ratios:
                    raise InvalidValueError(
                        f"ratios.{grade}", f"{grade} 类对象的最低抽查比例", None
                    )
                ratios[grade] = _ratio(self.ratios[grade], f"ratios.{grade}")
            unknown = sorted(set(self.ratios) - set(GRADES))
            if unknown:
                raise InvalidValueError("ratios", "仅含风险等级 A、B、C、D", unknown)
            object.__setattr__(self, "ratios", ratios)
        if self.window_end < self.window_start:
            raise InvalidValueError("window_end", "不早于开始日期的截止日期", self.window_end)
        for name, minimum in (("per_group", 1), ("confirm_days", 1), ("result_days", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < minimum:
                raise InvalidValueError(name, f"不小于 {minimum} 的整数", value)
        if self.groups is not None and (not isinstance(self.groups, int) or self.groups < 1):
            raise InvalidValueError(
                "groups", "不小于 1 的整数，或留空按每组 5 个对象计算", self.groups
            )
        days = self.exclusion_days
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            raise InvalidValueError(
                "exclusion_days", "不小于 1 的整数（天），或留空表示不设排除期", days
            )

    @property
    def is_joint(self) -> bool:
        return bool(self.cooperating)

    @property
    def departments(self) -> tuple[str, ...]:
        return (self.lead, *self.cooperating)

    def ratio_by_grade(self) -> dict[str, str]:
        return dict(self.ratios)

    def as_record(self) -> dict[str, Any]:
        record = self._record()
        if self.exclusion_days is not None:  # absent otherwise: a plan's record reads as before
            record["exclusion_days"] = self.exclusion_days
        return record

    def _record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lead": self.lead,
            "cooperating": list(self.cooperating),
            "items": {d: [i.as_record() for i in items] for d, items in self.items.items()},
            "directory_id": str(self.directory_id),
            "scope": self.scope.as_record(),
            "ratios": dict(self.ratios),
            "directed": self.directed,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "frequency": self.frequency,
            "per_group": self.per_group,
            "groups": self.groups,
            "confirm_days": self.confirm_days,
            "result_days": self.result_days,
            "notes": self.notes,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> TaskDefinition:
        items: Mapping[str, Sequence[Mapping[str, str]]] = record["items"]
        return cls(
            name=record["name"],
            lead=record["lead"],
            cooperating=tuple(record["cooperating"]),
            items={d: tuple(CheckItem.from_record(dict(i)) for i in v) for d, v in items.items()},
            directory_id=UUID(str(record["directory_id"])),
            scope=Scope.from_record(record["scope"]),
            ratios=dict(record["ratios"]),
            directed=bool(record["directed"]),
            window_start=date.fromisoformat(record["window_start"]),
            window_end=date.fromisoformat(record["window_end"]),
            frequency=record.get("frequency", "1次/年"),
            per_group=int(record.get("per_group", 2)),
            groups=record.get("groups"),
            confirm_days=int(record.get("confirm_days", 2)),
            result_days=int(record.get("result_days", 3)),
            notes=record.get("notes", ""),
            exclusion_days=record.get("exclusion_days"),
        )
