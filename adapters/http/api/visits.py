"""/api/v1/joint-visits: offers of one visit for many items (进一次门、查多项事), and their merging.

The office reads the offers (auditors too) and merges; a task's target says which joint visit
it is part of, for whoever reads the task.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Reader, Who, action
from adapters.http.auth import actor_for, service_of
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from services.errors import NotFoundError
from services.joint_visits import JointVisitView, Offer, OfferedTask
from services.permissions import Action

router = APIRouter(tags=["联合检查（进一次门、查多项事）"], responses=ERRORS)


class Item(BaseModel):
    code: str
    name: str


class TaskModel(BaseModel):
    task_id: UUID
    name: str
    lead: str
    departments: list[str] = Field(description="发起部门在前")
    items: dict[str, list[Item]] = Field(description="部门 -> 本任务该部门的抽查事项")
    window_start: date
    window_end: date

    @classmethod
    def of(cls, t: OfferedTask) -> TaskModel:
        return cls(
            task_id=t.task_id,
            name=t.name,
            lead=t.lead,
            departments=list(t.departments),
            items={d: [Item(code=c, name=n) for c, n in found] for d, found in t.items.items()},
            window_start=t.window_start,
            window_end=t.window_end,
        )


class OfferModel(BaseModel):
    target: str
    name: str
    tasks: list[TaskModel]
    window_start: date = Field(description="各任务检查时间重叠的起始日")
    window_end: date

    @classmethod
    def of(cls, o: Offer) -> OfferModel:
        return cls(
            target=o.target,
            name=o.name,
            tasks=[TaskModel.of(t) for t in o.tasks],
            window_start=o.window_start,
            window_end=o.window_end,
        )


class JointVisitModel(BaseModel):
    joint_visit_id: UUID
    target: str
    name: str
    tasks: list[TaskModel]
    office: str = Field(description="合并检查的双随机办账号")
    reason: str
    window_start: date = Field(description="商定的检查时间：各任务检查时间的重叠部分")
    window_end: date
    merged_at: datetime
    items: list[dict[str, str]] = Field(description="一企一表的全部事项：任务、部门、编号、名称")

    @classmethod
    def of(cls, v: JointVisitView) -> JointVisitModel:
        return cls(
            joint_visit_id=v.joint_visit_id,
            target=v.target,
            name=v.name,
            tasks=[TaskModel.of(t) for t in v.tasks],
            office=v.office,
            reason=v.reason,
            window_start=v.window_start,
            window_end=v.window_end,
            merged_at=v.merged_at,
            items=[
                {"task": task, "department": d, "code": code, "name": name}
                for task, d, code, name in v.items
            ],
        )


class Offers(BaseModel):
    offers: list[OfferModel]
    merged: list[JointVisitModel] = Field(description="已合并、尚未办完的联合检查")


class Merge(CommandBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target": "52130283MJ00000010",
                    "tasks": [
                        "6f0c7e4e-2c59-5d7c-9a55-1d8f2f6a8b01",
                        "0b7f1a52-8a0d-5a43-b0d6-7e1d9c3f2a02",
                    ],
                    "reason": "同一机构，教育、市场监管一次入户检查",
                    "at": "2023-11-02T09:00:00+08:00",
                }
            ]
        },
    )
    target: str = Field(min_length=15, max_length=18, description="统一社会信用代码")
    tasks: list[UUID] = Field(min_length=2, max_length=20, description="要合并的抽查任务")
    reason: str = Field(default="", max_length=2000, description="合并理由")


@router.get(
    "/joint-visits/offers",
    openapi_extra=action(Action.READ_JOINT_VISIT_OFFERS),
    summary="可合并的联合检查：不同部门或计划的任务抽中同一对象且检查时间重叠",
)
def offers(request: Request, actor: Reader) -> Offers:
    visits = service_of(request).joint_visits
    return Offers(
        offers=[OfferModel.of(o) for o in visits.offers(actor)],
        merged=[JointVisitModel.of(v) for v in visits.merged(actor)],
    )


@router.post(
    "/joint-visits",
    openapi_extra=action(Action.MERGE_VISITS),
    response_model=JointVisitModel | AlreadyApplied,
    status_code=201,
    summary="合并检查（进一次门、查多项事）",
)
def merge(body: Merge, command: CommandDep) -> Any:
    """双随机办将这些任务对该对象的检查合并为一次；各任务仍分别登记检查、录入结果并公示。"""

    def apply(command_id: UUID | None, at: Any) -> JointVisitModel:
        who = command.principal
        merged = command.service.joint_visits.merge(
            command.actor(),
            body.target,
            body.tasks,
            at=at,
            reason=body.reason,
            by=who.name if who is not None else "",
            command_id=command_id,
        )
        return JointVisitModel.of(merged)

    return command.run(body, apply, status=201)


TargetCode = Annotated[str, Path(min_length=15, max_length=18, description="统一社会信用代码")]


@router.get(
    "/tasks/{task_id}/targets/{target}/joint-visit",
    openapi_extra=action(Action.READ_TASK),
    summary="该任务对此对象的检查所并入的联合检查",
)
def of_task(request: Request, task_id: UUID, target: TargetCode, who: Who) -> JointVisitModel:
    reader = actor_for(request, who, task_id)
    found = service_of(request).joint_visits.of_task(reader, task_id, target)
    if found is None:
        raise NotFoundError("联合检查", f"{task_id} / {target}")
    return JointVisitModel.of(found)
