"""/api/v1/caps: the yearly caps on inspections of one enterprise (国办发〔2024〕54号), set by the
office per department and in total, and their exemptions, granted by the office (any target) or
a task's lead (for its task). The same service and policy as the console and `ssj enterprise`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Done, Reader, action
from adapters.http.auth import service_of
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from domain.inspection_caps import Exemption, ExemptionKind, YearCaps
from services.errors import NotFoundError
from services.inspection_caps import WHAT, Caps, CapsChange
from services.permissions import Action

router = APIRouter(tags=["年度检查次数上限（国办发〔2024〕54号）"], responses=ERRORS)

Year = Annotated[int, Path(ge=2000, le=2100, description="年份", examples=[2025])]
KINDS = "、".join(f"{k.value}（{k.name.lower()}）" for k in ExemptionKind)


class ExemptionModel(BaseModel):
    credit_code: str
    department: str | None = Field(description="仅对该部门参与的任务；null 表示不限")
    task_id: UUID | None = Field(description="仅对该任务；null 表示不限")
    reason_kind: str = Field(description=f"例外事由类别：{KINDS}")
    reason: str
    version: int = Field(description="登记该例外时年度上限的版本")

    @classmethod
    def of(cls, e: Exemption) -> ExemptionModel:
        return cls(
            credit_code=e.credit_code,
            department=e.department,
            task_id=e.task_id,
            reason_kind=e.reason_kind,
            reason=e.reason,
            version=e.version,
        )


class ChangeModel(BaseModel):
    version: int
    at: datetime
    kind: str = Field(description="caps_set（设定上限）或 exemption（登记例外）")
    departments: dict[str, int] | None = None
    total: int | None = None
    exemption: ExemptionModel | None = None
    granted_by: str = ""

    @classmethod
    def of(cls, c: CapsChange) -> ChangeModel:
        if c.exemption is not None:
            return cls(
                version=c.version,
                at=c.at,
                kind="exemption",
                exemption=ExemptionModel.of(c.exemption),
                granted_by=c.granted_by,
            )
        return cls(
            version=c.version,
            at=c.at,
            kind="caps_set",
            departments=dict(c.departments or {}),
            total=c.total,
        )


class CapsModel(BaseModel):
    year: int
    version: int = Field(description="该年上限的当前版本（承诺记录其读取的版本）")
    departments: dict[str, int] = Field(description="部门 -> 每年对同一企业至多检查次数")
    total: int | None = Field(description="各部门合计上限（联合检查、合并的联合检查计一次）")
    exemptions: list[ExemptionModel]
    history: list[ChangeModel] = Field(description="每次变更，先后为序")

    @classmethod
    def of(cls, caps: YearCaps, history: list[CapsChange]) -> CapsModel:
        return cls(
            year=caps.year,
            version=caps.version,
            departments=dict(caps.departments),
            total=caps.total,
            exemptions=[ExemptionModel.of(e) for e in caps.exemptions],
            history=[ChangeModel.of(c) for c in history],
        )


class SetCaps(CommandBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"departments": {"education": 1, "market": 1}, "total": 2}],
        },
    )
    departments: dict[str, int] = Field(
        default_factory=dict,
        max_length=50,
        description="部门 -> 上限（不小于 1）；不列出的部门不设",
    )
    total: int | None = Field(default=None, description="各部门合计上限；null 表示不设")


class GrantExemption(CommandBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "credit_code": "52130283MJ00000010",
                    "reason_kind": "投诉举报",
                    "reason": "12345 热线举报 2025-0412：无证办学",
                }
            ]
        },
    )
    credit_code: str = Field(min_length=15, max_length=18, description="统一社会信用代码")
    reason_kind: str = Field(max_length=40, description=f"例外事由类别：{KINDS}")
    reason: str = Field(max_length=2000, description="例外事由说明（必填）")
    department: str | None = Field(
        default=None, max_length=40, description="仅对该部门参与的任务（发起部门登记时须为本部门）"
    )
    task_id: UUID | None = Field(default=None, description="仅对该任务（其发起部门可登记）")


class TaskExemption(CommandBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "credit_code": "52130283MJ00000010",
                    "year": 2023,
                    "reason_kind": "转办交办",
                    "reason": "市场监管局转办线索 2023-17",
                }
            ]
        },
    )
    credit_code: str = Field(min_length=15, max_length=18, description="统一社会信用代码")
    year: int = Field(ge=2000, le=2100, description="年份（承诺提交之年）")
    reason_kind: str = Field(max_length=40, description=f"例外事由类别：{KINDS}")
    reason: str = Field(max_length=2000, description="例外事由说明（必填）")


@router.get(
    "/caps/{year}",
    openapi_extra=action(Action.READ_INSPECTION_LEDGER),
    summary="一年的企业检查次数上限、例外及其变更记录",
)
def caps_of_year(request: Request, year: Year, actor: Reader) -> CapsModel:
    caps = Caps(service_of(request).tasks)
    found = caps.caps(actor, year)
    if found is None:
        raise NotFoundError(WHAT, year)
    return CapsModel.of(found, caps.history(actor, year))


@router.put(
    "/caps/{year}",
    openapi_extra=action(Action.SET_INSPECTION_CAPS),
    response_model=Done | AlreadyApplied,
    summary="设定一年的检查次数上限（整套取代上一版；双随机办）",
)
def set_caps(year: Year, body: SetCaps, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: datetime) -> Done:
        Caps(command.service.tasks).set_caps(
            command.actor(), year, body.departments, body.total, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


@router.get(
    "/caps/{year}/exemptions",
    openapi_extra=action(Action.READ_INSPECTION_LEDGER),
    summary="一年的检查上限例外",
)
def exemptions(request: Request, year: Year, actor: Reader) -> list[ExemptionModel]:
    found = Caps(service_of(request).tasks).caps(actor, year)
    return [] if found is None else [ExemptionModel.of(e) for e in found.exemptions]


@router.post(
    "/caps/{year}/exemptions",
    openapi_extra=action(Action.GRANT_CAP_EXEMPTION),
    response_model=Done | AlreadyApplied,
    status_code=201,
    summary="登记检查上限例外（双随机办；或发起部门对本部门、本任务）",
)
def grant_exemption(year: Year, body: GrantExemption, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: datetime) -> Done:
        Caps(command.service.tasks).grant_exemption(
            command.actor(body.task_id),
            body.credit_code,
            year,
            body.reason_kind,
            body.reason,
            at=at,
            department=body.department,
            task_id=body.task_id,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply, status=201)


@router.post(
    "/tasks/{task_id}/exemptions",
    openapi_extra=action(Action.GRANT_CAP_EXEMPTION),
    response_model=Done | AlreadyApplied,
    status_code=201,
    summary="登记本任务的检查上限例外（发起部门，提交承诺前）",
)
def grant_task_exemption(task_id: UUID, body: TaskExemption, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: datetime) -> Done:
        Caps(command.service.tasks).grant_exemption(
            command.actor(task_id),
            body.credit_code,
            body.year,
            body.reason_kind,
            body.reason,
            at=at,
            task_id=task_id,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply, status=201)
