"""A plan as a TOML file: the 抽查工作计划 table, one `[[tasks]]` per row.

department = "education"
year = 2023
title = "2023年度跨部门联合抽查工作计划"

[[tasks]]
name = "校外培训机构跨部门联合抽查"
lead = "education"
cooperating = ["police", "fire"]
directory = "迁安市校外培训机构名录库"
scope = { category = "校外培训机构" }
ratios = { A = "0.03", B = "0.03", C = "0.03", D = "0.03" }
window = ["2023-11-01", "2023-11-30"]
exclusion_days = 90        # optional: what its departments drew in the last 90 days is left out
[[tasks.items.education]]
code = "JY-1"
name = "从业人员资质"
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.plan_items import ItemSource, plan_items
from domain.directories import TargetDirectory
from domain.errors import InvalidValueError
from domain.task_definition import TaskDefinition
from domain.values import Scope


class PlanFileError(Exception):
    """The plan file cannot be read; names the file, the place and what was expected."""


class PlanItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    legal_basis: str = ""
    method: str = ""


class PlanScope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = None
    region: str | None = None
    tags: list[str] = []


class PlanTask(BaseModel):
    """One row of a plan, as a plan file or a plan workbook (adapters/importing/plan_xlsx.py)
    states it; `to_definition` is the one way either becomes a `TaskDefinition`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    lead: str
    cooperating: list[str] = []
    directory: str
    scope: PlanScope = PlanScope()
    ratios: dict[str, str] = {}
    directed: bool = False
    window: tuple[date, date]
    frequency: str = "1次/年"
    per_group: int = 2
    groups: int | None = None
    confirm_days: int = 2
    result_days: int = 3
    exclusion_days: int | None = None
    """国办发〔2024〕54号: targets its departments drew within this many days are left out."""
    items: dict[str, list[PlanItem | str]]
    """Per department: items stated inline, or codes ("JY-1") of its 抽查事项清单."""
    notes: str = ""

    @field_validator("ratios", mode="before")
    @classmethod
    def _ratios_as_text(cls, value: object) -> object:
        # TOML writes 0.03 as a float; the rule keeps ratios as the decimal text the plan shows.
        if isinstance(value, dict):
            return {k: repr(v) if isinstance(v, float) else v for k, v in value.items()}
        return value

    def to_definition(self, catalogue: ItemSource | None = None) -> TaskDefinition:
        """Raises the domain's `InvalidValueError`, naming the field the domain refused; items
        named by code are taken from the departments' lists (`catalogue`)."""
        return TaskDefinition(
            name=self.name,
            lead=self.lead,
            cooperating=tuple(self.cooperating),
            items=plan_items(self.items, catalogue),
            directory_id=TargetDirectory.id_for(self.directory),
            scope=Scope(self.scope.category, self.scope.region, frozenset(self.scope.tags)),
            ratios=self.ratios,
            directed=self.directed,
            window_start=self.window[0],
            window_end=self.window[1],
            frequency=self.frequency,
            per_group=self.per_group,
            groups=self.groups,
            confirm_days=self.confirm_days,
            result_days=self.result_days,
            exclusion_days=self.exclusion_days,
            notes=self.notes,
        )


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str
    year: int
    title: str
    document: str = ""
    tasks: list[PlanTask] = Field(min_length=1)


class PlanFile(BaseModel):
    department: str
    year: int
    title: str
    document: str
    definitions: list[TaskDefinition]
    model_config = ConfigDict(arbitrary_types_allowed=True)


def read_plan(path: Path, catalogue: ItemSource | None = None) -> PlanFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PlanFileError(f"{path}: 无法读取（{error}）") from None
    except tomllib.TOMLDecodeError as error:
        raise PlanFileError(f"{path}: 不是有效的 TOML（{error}）") from None
    try:
        plan = _Plan.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanFileError(f"{path}: {where}: {first['msg']}") from None
    definitions = []
    for n, task in enumerate(plan.tasks):
        try:
            definitions.append(task.to_definition(catalogue))
        except InvalidValueError as error:
            raise PlanFileError(f"{path}: tasks.{n}.{error}") from None
    return PlanFile(
        department=plan.department,
        year=plan.year,
        title=plan.title,
        document=plan.document,
        definitions=definitions,
    )
