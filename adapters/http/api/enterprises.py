"""/api/v1/enterprises: the inspection ledger of each enterprise, the caps, the exemptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from adapters.http.api.common import ERRORS, Reader, action
from adapters.http.auth import service_of
from services.inspection_ledger import Inspection, InspectionLedgers, joint_visits_in
from services.permissions import Action

router = APIRouter(prefix="/enterprises", tags=["企业检查台账"], responses=ERRORS)

Code = Annotated[
    str,
    Path(
        min_length=15,
        max_length=18,
        description="统一社会信用代码",
        examples=["52130283MJ00000010"],
    ),
]


class InspectionModel(BaseModel):
    task_id: UUID
    task_name: str
    plan_id: str
    departments: list[str] = Field(description="发起部门在前")
    drawn_at: datetime
    year: int
    grade: str = Field(description="抽取时的信用风险等级")
    visited_on: date | None
    signed: bool | None
    results: dict[str, str] = Field(description="部门 -> 结果类别；未公示的他部门结果不显示")
    corrected: int
    published_on: date | None
    joint_visit_id: UUID | None = Field(
        default=None, description="并入的联合检查（进一次门、查多项事）：同一联合检查的各任务计一次"
    )

    @classmethod
    def of(cls, r: Inspection) -> InspectionModel:
        return cls(
            task_id=r.task_id,
            task_name=r.task_name,
            plan_id=r.plan_id,
            departments=list(r.departments),
            drawn_at=r.drawn_at,
            year=r.year,
            grade=r.grade,
            visited_on=r.visited_on,
            signed=r.signed,
            results=dict(r.results),
            corrected=r.corrected,
            published_on=r.published_on,
            joint_visit_id=r.joint_visit_id,
        )


class YearCount(BaseModel):
    year: int
    total: int = Field(description="该年抽查次数（联合抽查计一次）")
    departments: dict[str, int] = Field(description="部门 -> 该年抽查次数")


class LedgerModel(BaseModel):
    credit_code: str
    inspections: list[InspectionModel]
    years: list[YearCount]


@router.get(
    "/{target}/inspections",
    openapi_extra=action(Action.READ_INSPECTION_LEDGER),
    summary="企业检查台账：该企业历年的每一次抽查",
)
def inspections(request: Request, target: Code, actor: Reader) -> LedgerModel:
    service = service_of(request)
    ledger = InspectionLedgers(service.read_models, joint_visits_in(service.tasks)).ledger(
        actor, target
    )
    years = []
    for year in ledger.by_year():
        per, total = ledger.counts(year)
        years.append(YearCount(year=year, total=total, departments=per))
    return LedgerModel(
        credit_code=ledger.credit_code,
        inspections=[InspectionModel.of(r) for r in ledger.inspections],
        years=years,
    )
