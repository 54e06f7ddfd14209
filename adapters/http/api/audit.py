"""The auditor's tools: re-run every draw and check the raw log, export the log, replay a task."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Page, Reader, action
from adapters.http.api.views import HistoryModel
from adapters.http.auth import service_of
from services.permissions import Action

router = APIRouter(prefix="/audit", tags=["审计"], responses=ERRORS)


class Verification(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "events": 120,
                    "aggregates": 9,
                    "log_findings": [],
                    "tasks": 2,
                    "draws": 2,
                    "inspector_draws": 3,
                    "matchings": 1,
                    "deadlines": 14,
                    "differences": [],
                    "undecodable": 0,
                    "summary": "事件日志：120 条事件（9 个聚合），逐条读取，每条均可解读 ✓",
                }
            ]
        }
    )
    ok: bool
    events: int
    aggregates: int
    log_findings: list[str] = Field(description="原始日志的损坏（位置与说明）")
    tasks: int
    draws: int = Field(description="重算的抽取对象次数")
    inspector_draws: int
    matchings: int
    deadlines: int
    differences: list[str] = Field(description="重算结果与记录不符之处，或无法核验的任务")
    undecodable: int
    summary: str


@router.get(
    "/verification",
    openapi_extra=action(Action.VERIFY_LOG),
    summary="核验事件日志并重算每次抽取",
)
def verify(request: Request, actor: Reader) -> Verification:
    auditor = service_of(request).auditor
    log = auditor.check_log(actor)
    report = auditor.verify(actor, log)
    return Verification(
        ok=log.ok and report.ok,
        events=log.events,
        aggregates=log.aggregates,
        log_findings=[str(f) for f in log.findings],
        tasks=report.tasks,
        draws=report.draws,
        inspector_draws=report.inspector_draws,
        matchings=report.matchings,
        deadlines=report.deadlines,
        differences=[str(d) for d in report.differences],
        undecodable=report.undecodable,
        summary=log.describe(),
    )


NDJSON = "application/x-ndjson"


@router.get(
    "/export",
    openapi_extra=action(Action.EXPORT_LOG),
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "每行一个事件（JSON）：position、aggregate_id、aggregate、version、"
            "type、recorded_at、fields；无法读出的行给出 unreadable",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        }
    },
    summary="导出全部事件（JSON Lines）",
)
def export(request: Request, actor: Reader) -> StreamingResponse:
    events = service_of(request).auditor.export(actor)  # refused here, before the answer starts

    def lines() -> Iterator[bytes]:
        for e in events:
            yield (json.dumps(e, ensure_ascii=False, default=str) + "\n").encode()

    return StreamingResponse(lines(), media_type=NDJSON)


@router.get(
    "/tasks/{task_id}/history",
    openapi_extra=action(Action.READ_HISTORY),
    summary="从事件日志回放任务历史",
)
def history(request: Request, task_id: UUID, actor: Reader) -> Page[HistoryModel]:
    entries = service_of(request).auditor.history(actor, task_id)
    return Page(items=[HistoryModel.of(e) for e in entries], next=None)


class TaskState(BaseModel):
    """A task as of one of its events: what had happened by then, as the log says."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 3,
                    "committed": True,
                    "seed": "c41b…",
                    "drawn": ["52130283MJ00000010"],
                    "dispatched": {"police": "2023-11-03", "fire": "2023-11-03"},
                    "answers": {"police": "confirmed"},
                    "confirmation_overdue": [],
                    "matched": False,
                    "visited": [],
                    "results": [],
                    "published": False,
                    "open_follow_ups": [],
                    "closed": False,
                }
            ]
        }
    )
    version: int = Field(description="该任务的第几个事件（1 为登记计划时）")
    committed: bool
    seed: str = Field(description="抽取种子；未抽取时为空")
    drawn: list[str]
    dispatched: dict[str, date] = Field(description="配合部门 → 确认期限")
    answers: dict[str, str] = Field(description="配合部门 → confirmed 或 declined")
    confirmation_overdue: list[str]
    matched: bool
    visited: list[str]
    results: list[list[str]] = Field(description="[部门, 检查对象, 结果类别]")
    published: bool
    open_follow_ups: list[int]
    closed: bool


@router.get(
    "/tasks/{task_id}/state",
    openapi_extra=action(Action.READ_HISTORY),
    summary="任务在某一事件时的状态（回放）",
)
def state_as_of(
    request: Request,
    task_id: UUID,
    actor: Reader,
    version: Annotated[
        int, Query(ge=1, le=1_000_000, description="事件序号（1 为登记计划时）")
    ] = 1,
) -> TaskState:
    """由事件日志回放到第 version 个事件为止的任务状态。"""
    task = service_of(request).auditor.state_as_of(actor, task_id, version)
    draw = task.target_draw
    return TaskState(
        version=task.version,
        committed=task.commitment is not None,
        seed=draw.seed if draw is not None else "",
        drawn=list(task.drawn_targets),
        dispatched={d: e.deadline for d, e in task.dispatches.items()},
        answers={
            d: "declined" if hasattr(a, "reason") else "confirmed" for d, a in task.answers.items()
        },
        confirmation_overdue=sorted(task.confirmation_overdue),
        matched=task.matching is not None,
        visited=sorted(task.visits),
        results=sorted([d, t, r.category] for (d, t), r in task.results.items()),
        published=task.publication is not None,
        open_follow_ups=[n for n, f in task.follow_ups.items() if f.is_open],
        closed=task.is_closed,
    )
