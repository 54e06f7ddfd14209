"""/api/v1/item-lists and /api/v1/results/export: the 抽查事项清单 and the published results.

Both are public: the lists are published by the departments, and the export holds only what the
public register shows (services/result_export.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from adapters.http.api.common import ERRORS, Reader, action
from adapters.http.auth import service_of
from domain.item_catalogue import ListedItem
from domain.publicity import InspectionMethod, ResultCategory
from domain.values import department_code
from services.item_catalogues import CatalogueView
from services.permissions import Action

router = APIRouter(tags=["抽查事项清单与公示结果"], responses=ERRORS)


class ListedItemModel(BaseModel):
    code: str = Field(description="事项编号")
    name: str = Field(description="抽查事项")
    legal_basis: str = Field(description="检查依据")
    subject: str = Field(description="检查对象")
    methods: list[InspectionMethod] = Field(description="检查方式")
    ratio: str = Field(description="抽查比例")
    frequency: str = Field(description="抽查频次")

    @classmethod
    def of(cls, item: ListedItem) -> ListedItemModel:
        return cls(
            code=item.code,
            name=item.name,
            legal_basis=item.legal_basis,
            subject=item.subject,
            methods=list(item.methods),
            ratio=item.ratio,
            frequency=item.frequency,
        )


class ItemListModel(BaseModel):
    """一个部门的随机抽查事项清单."""

    department: str
    title: str
    version: int = Field(description="清单的版本（事件序号）")
    items: list[ListedItemModel] = Field(description="现行事项")
    withdrawn: list[ListedItemModel] = Field(description="已撤销的事项")

    @classmethod
    def of(cls, view: CatalogueView) -> ItemListModel:
        return cls(
            department=view.department,
            title=view.title,
            version=view.version,
            items=[ListedItemModel.of(i) for i in view.items],
            withdrawn=[ListedItemModel.of(i) for i in view.withdrawn],
        )


class CategoryModel(BaseModel):
    value: str = Field(description="本系统记录的文字")
    label: str = Field(description="公示系统的文字")
    code: str = Field(description="结果代码（5-XX 为本系统补充的部门类别，公示系统按 5 接收）")
    national_code: str
    kind_of: str | None = Field(description="所属的上级类别")
    is_problem: bool = Field(description="是否需要后续处置")


@router.get(
    "/item-lists/{department}",
    openapi_extra=action(Action.READ_ITEM_LIST),
    summary="部门的随机抽查事项清单",
)
def item_list(request: Request, department: str, actor: Reader) -> ItemListModel:
    code = department_code(department)
    return ItemListModel.of(service_of(request).item_catalogues.catalogue(actor, code))


@router.get(
    "/result-categories",
    openapi_extra=action(Action.READ_ITEM_LIST),
    summary="检查结果类别及代码（国家企业信用信息公示系统）",
)
def result_categories() -> list[CategoryModel]:
    return [
        CategoryModel(
            value=c.value,
            label=c.label,
            code=c.code,
            national_code=c.national_code,
            kind_of=c.kind_of.value if c.kind_of else None,
            is_problem=c.is_problem,
        )
        for c in ResultCategory
    ]


@router.get(
    "/results/export",
    openapi_extra=action(Action.EXPORT_RESULTS),
    summary="导出已公示的抽查结果（XLSX、CSV、JSON）",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "text/csv": {},
                "application/json": {},
            },
            "description": "按公示系统结构：计划、任务、抽查机关、完成日期、各对象各事项的结果",
        }
    },
)
def export_results(
    request: Request,
    actor: Reader,
    format: Annotated[Literal["xlsx", "csv", "json"], Query(description="文件格式")] = "xlsx",
    year: Annotated[int | None, Query(ge=2000, le=2100, description="只导出该计划年度")] = None,
) -> Response:
    from adapters.results_file import ExportFormat, export_bytes
    from services.result_export import ResultExport

    kind = ExportFormat(format)
    tasks = ResultExport(service_of(request).tasks).published(actor, year)
    name = f"抽查结果{year or ''}.{kind.value}"
    return Response(
        export_bytes(tasks, kind),
        media_type=kind.media_type,
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return (
        f"attachment; filename=\"results.{name.rsplit('.', 1)[1]}\"; filename*=UTF-8''{quote(name)}"
    )
