"""The queries: every list a page at a time (`limit`, `after` → `{"items", "next"}`), each read
through services/queries.py, which asks the policy who sees what."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from adapters.http.api.common import DEFAULT, ERRORS, After, Limit, Page, Reader, Who, action
from adapters.http.api.views import (
    DrawModel,
    EscalationModel,
    FaultModel,
    HistoryModel,
    InboxModel,
    LedgerRowModel,
    PopulationMemberModel,
    RegisterEntryModel,
    SheetModel,
    TaskModel,
    WorkloadModel,
)
from adapters.http.auth import actor_for, service_of
from domain.values import department_code
from services.permissions import Action

router = APIRouter(tags=["查询"], responses=ERRORS)


@router.get("/tasks", openapi_extra=action(Action.LIST_TASKS), summary="任务列表")
def tasks(
    request: Request, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[TaskModel]:
    """部门只见本部门参与的任务；双随机办、审计可见全部。"""
    page = service_of(request).queries.tasks(actor, limit, after)
    return Page(items=[TaskModel.of(v, actor.department) for v in page.items], next=page.next)


@router.get("/tasks/{task_id}", openapi_extra=action(Action.READ_TASK), summary="任务详情")
def task(request: Request, task_id: UUID, who: Who) -> TaskModel:
    actor = actor_for(request, who, task_id)
    view = service_of(request).queries.task(actor, task_id)
    return TaskModel.of(view, actor.department)


@router.get(
    "/tasks/{task_id}/history", openapi_extra=action(Action.READ_TASK), summary="任务事件记录"
)
def history(request: Request, task_id: UUID, who: Who) -> Page[HistoryModel]:
    """任务的全部事件（一页给出，next 为 null）。"""
    actor = actor_for(request, who, task_id)
    entries = service_of(request).queries.history(actor, task_id)
    return Page(items=[HistoryModel.of(h) for h in entries], next=None)


@router.get("/tasks/{task_id}/sheets", openapi_extra=action(Action.READ_TASK), summary="一企一表")
def sheets(request: Request, task_id: UUID, who: Who) -> Page[SheetModel]:
    """每个检查对象的联合检查记录表：检查组、各部门执法检查人员和抽查事项（匹配后才有）。"""
    actor = actor_for(request, who, task_id)
    task = service_of(request).tasks.task(actor, task_id)
    return Page(items=[SheetModel.of(s) for s in task.record_sheets], next=None)


@router.get(
    "/departments/{department}/inbox", openapi_extra=action(Action.READ_INBOX), summary="部门待办"
)
def inbox(
    request: Request, department: str, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[InboxModel]:
    code = department_code(department)
    page = service_of(request).queries.inbox(actor, code, limit, after)
    return Page(items=[InboxModel.of(i) for i in page.items], next=page.next)


@router.get("/escalations", openapi_extra=action(Action.READ_ESCALATIONS), summary="逾期上报")
def escalations(
    request: Request, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[EscalationModel]:
    page = service_of(request).queries.escalations(actor, limit, after)
    return Page(items=[EscalationModel.of(e) for e in page.items], next=page.next)


@router.get("/faults", openapi_extra=action(Action.READ_ESCALATIONS), summary="自动流程故障")
def faults(
    request: Request, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[FaultModel]:
    page = service_of(request).queries.faults(actor, limit, after)
    return Page(items=[FaultModel.of(f) for f in page.items], next=page.next)


@router.get("/register", openapi_extra=action(Action.READ_REGISTER), summary="公示结果")
def register(
    request: Request,
    actor: Reader,
    credit_code: Annotated[
        str | None, Query(max_length=18, description="只看该对象（统一社会信用代码）")
    ] = None,
    name: Annotated[str | None, Query(max_length=50, description="对象名称中的片段")] = None,
    task_id: Annotated[UUID | None, Query(description="只看该任务的公示")] = None,
    limit: Limit = DEFAULT,
    after: After = None,
) -> Page[RegisterEntryModel]:
    """按公示顺序；可按统一社会信用代码、名称片段或任务查找。"""
    page = service_of(request).queries.register(
        actor, credit_code, limit, after, name=name, task_id=task_id
    )
    return Page(items=[RegisterEntryModel.of(e) for e in page.items], next=page.next)


@router.get("/draws", openapi_extra=action(Action.READ_REGISTER), summary="各任务抽取的复算依据")
def draws(
    request: Request, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[DrawModel]:
    page = service_of(request).queries.draws(actor, limit, after)
    return Page(items=[DrawModel.of(d) for d in page.items], next=page.next)


@router.get(
    "/draws/{task_id}", openapi_extra=action(Action.READ_REGISTER), summary="一个任务抽取的复算依据"
)
def published_draw(request: Request, task_id: UUID, actor: Reader) -> DrawModel:
    return DrawModel.of(service_of(request).queries.draw(actor, task_id))


@router.get(
    "/draws/{task_id}/population",
    openapi_extra=action(Action.READ_REGISTER),
    summary="抽取总体（承诺时的名录库版本）",
)
def draw_population(
    request: Request, task_id: UUID, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[PopulationMemberModel]:
    """按统一社会信用代码排序的总体及各对象风险等级：任何人可据此复算总体摘要与抽取结果。"""
    page = service_of(request).queries.draw_population(actor, task_id, limit, after)
    items = [PopulationMemberModel(credit_code=m.credit_code, grade=m.grade) for m in page.items]
    return Page(items=items, next=page.next)


@router.get("/ledger", openapi_extra=action(Action.READ_LEDGER), summary="后续处置台账")
def ledger(
    request: Request, actor: Reader, limit: Limit = DEFAULT, after: After = None
) -> Page[LedgerRowModel]:
    page = service_of(request).queries.ledger(actor, limit, after)
    return Page(items=[LedgerRowModel.of(r) for r in page.items], next=page.next)


@router.get("/statistics", openapi_extra=action(Action.READ_STATISTICS), summary="计划统计")
def statistics(
    request: Request,
    actor: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度；不填为全部")] = None,
) -> Page[WorkloadModel]:
    """各部门每月的任务数、抽取对象数、结案数、逾期数（一页给出，next 为 null）。"""
    rows = service_of(request).queries.statistics(actor, year)
    return Page(items=[WorkloadModel.of(w) for w in rows], next=None)
