"""抽查工作计划: a department registers its plan with the tasks it lists, as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Who, action
from adapters.http.auth import actor_for, service_of
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from adapters.plan_items import ItemSource, plan_items
from domain.errors import InvalidValueError
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.permissions import Action, Parties, require

router = APIRouter(tags=["计划"], responses=ERRORS)

DIRECTORY_ID = "3f0c6d1e-7b2a-5c4d-9e8f-1a2b3c4d5e6f"
TASK_EXAMPLE: dict[str, Any] = {
    "name": "2023年迁安市校外培训机构跨部门联合抽查",
    "cooperating": ["police", "fire"],
    "items": {
        "education": [
            {"code": "JY-1", "name": "从业人员资质"},
            {"code": "JY-2", "name": "教材使用情况"},
        ],
        "police": [{"code": "GA-1", "name": "单位内部治安保卫情况"}],
        "fire": [{"code": "XF-1", "name": "履行法定消防安全职责情况"}],
    },
    "directory_id": DIRECTORY_ID,
    "scope": {"category": "校外培训机构", "region": "迁安市"},
    "ratios": {"A": "0.03", "B": "0.03", "C": "0.03", "D": "0.03"},
    "window_start": "2023-11-01",
    "window_end": "2023-11-30",
}


class CheckItemModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="事项编号")
    name: str
    legal_basis: str = ""
    method: str = Field(default="", description="检查方式，如 实地核查、书面检查")


class ScopeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(default=None, description="对象类别")
    region: str | None = None
    tags: list[str] = Field(default_factory=list, description="须具备的全部标签，如 持校车")


class TaskDefinitionModel(BaseModel):
    """抽查工作计划表的一行."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [TASK_EXAMPLE]})
    name: str
    lead: str | None = Field(default=None, description="发起部门；不填为登记计划的部门")
    cooperating: list[str] = Field(default_factory=list, description="配合部门；内部抽查为空")
    items: dict[str, list[CheckItemModel | str]] = Field(
        description='部门 → 抽查事项：写明的事项，或该部门抽查事项清单中的事项编号（如 "JY-1"）'
    )
    directory_id: UUID = Field(description="抽查对象名录库编号")
    scope: ScopeModel = Field(default_factory=ScopeModel)
    ratios: dict[str, str] = Field(
        default_factory=dict, description="风险等级 → 最低抽查比例（如 0.03 表示不低于3%）"
    )
    directed: bool = Field(default=False, description="定向抽查：范围内对象全部检查")
    window_start: date
    window_end: date = Field(description="完成期限")
    frequency: str = "1次/年"
    per_group: int = Field(default=2, description="每组各部门派出人数")
    groups: int | None = Field(default=None, description="检查组数；不填按每组 5 个对象计算")
    confirm_days: int = Field(default=2, description="配合部门确认期限（工作日）")
    result_days: int = Field(default=3, description="结果录入期限（工作日）")
    exclusion_days: int | None = Field(
        default=None,
        description="排除期限（天，国办发〔2024〕54号）：本任务部门在此期间内已抽查的对象不再抽取；"
        "不填为不设",
    )
    notes: str = ""

    def to_definition(self, lead: str, catalogue: ItemSource | None = None) -> TaskDefinition:
        """Items named by code come from the departments' lists (`catalogue`)."""
        return TaskDefinition(
            name=self.name,
            lead=self.lead or lead,
            cooperating=tuple(self.cooperating),
            items=plan_items(self.items, catalogue),
            directory_id=self.directory_id,
            scope=Scope(self.scope.category, self.scope.region, frozenset(self.scope.tags)),
            ratios=dict(self.ratios),
            directed=self.directed,
            window_start=self.window_start,
            window_end=self.window_end,
            frequency=self.frequency,
            per_group=self.per_group,
            groups=self.groups,
            confirm_days=self.confirm_days,
            result_days=self.result_days,
            exclusion_days=self.exclusion_days,
            notes=self.notes,
        )


class RegisterPlan(CommandBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2023,
                    "title": "2023年度跨部门“双随机”联合抽查工作计划",
                    "document": "迁双随机办〔2023〕30号",
                    "tasks": [TASK_EXAMPLE],
                    "at": "2023-10-30T09:00:00+08:00",
                }
            ]
        },
    )
    year: int = Field(ge=2000, le=2100, description="计划年度")
    title: str = Field(min_length=1, max_length=200)
    document: str = Field(default="", max_length=200, description="印发文号")
    tasks: list[TaskDefinitionModel] = Field(min_length=1, max_length=500)


class PlanRegistered(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"plan_id": DIRECTORY_ID, "task_ids": [DIRECTORY_ID]}]}
    )
    plan_id: UUID
    task_ids: list[UUID]


class PlanTask(BaseModel):
    number: int
    name: str
    task_id: UUID


class PlanModel(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": DIRECTORY_ID,
                    "department": "education",
                    "year": 2023,
                    "title": "2023年度跨部门“双随机”联合抽查工作计划",
                    "document": "迁双随机办〔2023〕30号",
                    "tasks": [{"number": 1, "name": TASK_EXAMPLE["name"], "task_id": DIRECTORY_ID}],
                    "registered_at": "2023-10-30T09:00:00+08:00",
                }
            ]
        }
    )
    plan_id: UUID
    department: str
    year: int
    title: str
    document: str
    tasks: list[PlanTask]
    registered_at: datetime


@router.post(
    "/plans",
    openapi_extra=action(Action.REGISTER_PLAN),
    response_model=PlanRegistered | AlreadyApplied,
    status_code=201,
    summary="登记抽查工作计划及其任务",
)
def register_plan(body: RegisterPlan, command: CommandDep) -> Any:
    """以发起部门身份登记；计划中每项任务均由本部门发起。"""

    def apply(command_id: UUID | None, at: Any) -> PlanRegistered:
        actor = command.actor()
        # The policy before the rows: who may not plan learns nothing of what is wrong in them.
        require(actor, Action.REGISTER_PLAN, Parties(lead=actor.department))
        definitions: list[TaskDefinition] = []
        for n, task in enumerate(body.tasks):
            try:
                definitions.append(
                    task.to_definition(actor.speaks_for, command.service.item_catalogues)
                )
            except InvalidValueError as error:
                field = f"tasks.{n}.{error.field}"
                raise type(error)(field, error.expected, error.got) from None
        summary = command.service.tasks.register_plan(
            actor,
            body.year,
            body.title,
            definitions,
            at=at,
            document=body.document,
            command_id=command_id,
        )
        return PlanRegistered(plan_id=summary.plan_id, task_ids=list(summary.task_ids))

    return command.run(body, apply, status=201)


@router.get("/plans/{plan_id}", openapi_extra=action(Action.LIST_TASKS), summary="计划详情")
def plan(request: Request, plan_id: UUID, who: Who) -> PlanModel:
    p = service_of(request).tasks.plan(actor_for(request, who), plan_id)
    return PlanModel(
        plan_id=p.id,
        department=p.department,
        year=p.year,
        title=p.title,
        document=p.document,
        tasks=[PlanTask(**row) for row in p.tasks],
        registered_at=p.registered_at,
    )
