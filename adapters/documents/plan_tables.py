"""The plan as the county prints it (城教函字〔2024〕4号's two attachments): the 部门联合 plan and
the 内部 plan, one sheet each, every cell written the way offices write it — “不低于10%; 1次/年”,
“100%; 1次/年”, “3月-11月”, departments by their Chinese names — so that the workbook reads back
through `ssj plan import` (adapters/importing/plan_xlsx.py) as the same tasks.

Made from the plan's registration and each of its tasks' Planned event (the task definition),
at the versions read.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.cli.words import dept
from adapters.documents.grid import Column, Grid, workbook
from domain.errors import InvalidValueError
from domain.task_definition import TaskDefinition

if TYPE_CHECKING:
    from adapters.documents.press import Press
    from domain.plan import Plan
    from services.documents import Source, Subject

NUMBER = Column("序号", 6, centred=True)
RISK_BY_GRADE = (
    "根据企业信用风险分类结果，对低风险、一般风险、较高风险、高风险企业分别递加抽查比例、频次。"
)
RISK_SAME = "根据企业信用风险分类结果，各风险等级企业按同一比例抽取。"
RISK_DIRECTED = "定向抽查，范围内全部对象均予检查。"
GRADE_WORDS = {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}


def percent(ratio: str) -> str:
    """“0.03” → “3%”, “0.025” → “2.5%”: the plan's decimal as the county writes it."""
    value = (Decimal(ratio) * 100).normalize()
    return f"{value:f}%"


def ratio_cell(definition: TaskDefinition) -> str:
    """抽查比例及频次: “100%; 1次/年” when directed, “不低于3%; 1次/年” for one ratio, each grade's
    ratio by its risk word when they differ."""
    frequency = definition.frequency
    if definition.directed:
        return f"100%; {frequency}"
    ratios = definition.ratio_by_grade()
    if len(set(ratios.values())) == 1:
        return f"不低于{percent(next(iter(ratios.values())))}; {frequency}"
    graded = "、".join(f"{GRADE_WORDS[g]}{percent(r)}" for g, r in sorted(ratios.items()))
    return f"{graded}; {frequency}"


def risk_cell(definition: TaskDefinition) -> str:
    if definition.directed:
        return RISK_DIRECTED
    return RISK_SAME if len(set(definition.ratios.values())) == 1 else RISK_BY_GRADE


def window_cell(definition: TaskDefinition, year: int) -> str:
    """抽查起止时间: “3月-11月” when the window is whole months of the plan's year, else the
    two days in full."""
    start, end = definition.window_start, definition.window_end
    whole = (
        start.day == 1
        and end.day == calendar.monthrange(end.year, end.month)[1]
        and start.year == end.year == year
    )
    return f"{start.month}月-{end.month}月" if whole else f"{start}至{end}"


def items_cell(definition: TaskDefinition) -> str:
    """抽查事项, numbered 1. 2. …; an item checked by one department only is marked with that
    department's name in brackets, as the importer reads it; one every department checks is
    written once, unmarked."""
    departments = definition.departments
    seen: list[tuple[str, tuple[str, ...]]] = []
    for department in departments:
        for item in definition.items.get(department, ()):
            owners = tuple(
                d for d in departments if any(i.name == item.name for i in definition.items[d])
            )
            if (item.name, owners) not in seen:
                seen.append((item.name, owners))
    lines = []
    for n, (name, owners) in enumerate(seen, start=1):
        mark = "" if len(owners) == len(departments) else "".join(f"（{dept(d)}）" for d in owners)
        lines.append(f"{n}. {name}{mark}")
    return "\n".join(lines)


def scope_cell(definition: TaskDefinition) -> str:
    """抽查对象范围 in the directory's own words: region, marks, category."""
    scope = definition.scope
    text = f"{scope.region or ''}{'、'.join(sorted(scope.tags))}{scope.category or ''}"
    return text or "全部对象"


def tables(plan: Plan, definitions: list[TaskDefinition]) -> tuple[Grid, Grid]:
    numbered = list(enumerate(definitions, start=1))
    joint = [d for _, d in numbered if d.is_joint]
    internal = [d for _, d in numbered if not d.is_joint]
    joint_rows = tuple(
        (
            str(n),
            d.name,
            items_cell(d),
            scope_cell(d),
            ratio_cell(d),
            risk_cell(d),
            window_cell(d, plan.year),
            dept(d.lead),
            "、".join(dept(c) for c in d.cooperating),
        )
        for n, d in enumerate(joint, start=1)
    )
    internal_rows = tuple(
        (
            str(n),
            d.name,
            "定向" if d.directed else "不定向",
            items_cell(d),
            scope_cell(d),
            ratio_cell(d),
            risk_cell(d),
            window_cell(d, plan.year),
            dept(d.lead),
            dept(d.lead),
        )
        for n, d in enumerate(internal, start=1)
    )
    # The title line is the plan's own title on both sheets, so that the importer reads one
    # plan back; which table a sheet is, the line above says without the word 计划.
    common = (
        Column("抽查任务名称", 26),
        Column("抽查事项", 40),
        Column("抽查对象范围", 18),
        Column("抽查比例及频次", 16, centred=True),
        Column("信用风险分类管理", 30),
        Column("抽查起止时间", 14, centred=True),
    )
    return (
        Grid(
            title=plan.title,
            sheet="附件1 部门联合",
            columns=(
                NUMBER,
                *common,
                Column("发起部门", 14, centred=True),
                Column("配合部门", 18, centred=True),
            ),
            rows=joint_rows,
            meta=("附件1：部门联合双随机抽查",),
            meta_above=True,
            empty="",
        ),
        Grid(
            title=plan.title,
            sheet="附件2 内部",
            columns=(
                NUMBER,
                common[0],
                Column("抽查类型", 9, centred=True),
                *common[1:],
                Column("发起主体/指导单位", 16, centred=True),
                Column("抽查检查主体", 16, centred=True),
            ),
            rows=internal_rows,
            meta=("附件2：内部双随机抽查",),
            meta_above=True,
            empty="",
        ),
    )


# ---------------------------------------------------------------------------- the kind's builder
@dataclass(frozen=True)
class PlanTablesBuilder:
    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        if subject.plan is None:
            raise InvalidValueError("plan", "抽查工作计划编号", None)
        plan = source.plan(subject.plan)
        rows = sorted(plan.tasks, key=lambda row: int(row["number"]))
        definitions = [source.task(UUID(str(row["task_id"]))).definition for row in rows]
        return {"grids": [grid.as_record() for grid in tables(plan, definitions)]}

    def render(self, facts: dict[str, Any], fmt: str, press: Press) -> bytes:
        if fmt != "xlsx":
            raise InvalidValueError("format", "xlsx", fmt)
        return press.xlsx(workbook([Grid.from_record(g) for g in facts["grids"]]))


BUILDER = PlanTablesBuilder()
