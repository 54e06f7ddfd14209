"""/api/v1 documents: issue a document from the log (its bytes come back, its code and SHA-256 in
the headers), check a copy against the record, and the auditor's rebuild."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Who, action
from adapters.http.auth import actor_for, service_of
from services.documents import CheckAnswer, IssuedCopy, Subject
from services.permissions import Action

router = APIRouter(tags=["文书"], responses=ERRORS)

MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "文书文件；响应头 X-SSJ-Document-Code 为核验码，X-SSJ-Document-SHA256 为登记的摘要",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA.values()
        },
    }
}


class IssueBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "notice", "format": "pdf", "target": "52130283MJ00000010"}]
        },
    )
    kind: str = Field(
        max_length=40, description="文书种类：notice 告知书、record_sheet 一企一表 等"
    )
    format: str = Field(default="pdf", max_length=8, description="pdf、docx 或 xlsx")
    target: str | None = Field(
        default=None, max_length=40, description="针对某一检查对象的文书：其统一社会信用代码"
    )


class YearBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kind": "statistics", "format": "pdf"}]}
    )
    kind: str = Field(max_length=40, description="文书种类，如 statistics 统计报告")
    format: str = Field(default="pdf", max_length=8)


def _file(copy: IssuedCopy) -> Response:
    record = copy.record
    return Response(
        copy.content,
        media_type=MEDIA[record.format],
        headers={
            "Content-Disposition": f"attachment; filename={record.kind}-{record.code}.{record.format}",
            "X-SSJ-Document-Code": record.code,
            "X-SSJ-Document-SHA256": record.sha256,
            "X-SSJ-Document-Recorded": "new" if copy.appended else "already",
        },
    )


@router.post(
    "/tasks/{task_id}/documents",
    openapi_extra=action(Action.ISSUE_DOCUMENT),
    response_class=Response,
    responses=FILE_RESPONSES,
    summary="出具任务的文书（告知书、一企一表、台账等），返回文件",
)
def issue_task_document(request: Request, task_id: UUID, body: IssueBody, who: Who) -> Response:
    service = service_of(request)
    actor = actor_for(request, who, task_id, write=True)
    target = body.target.strip().upper() if body.target else None
    copy = service.documents.issue(
        actor,
        body.kind,
        body.format,
        Subject(task=task_id, target=target),
        at=service.clock.now(),
    )
    return _file(copy)


class PlanBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kind": "plan_tables", "format": "xlsx"}]}
    )
    kind: str = Field(
        max_length=40, description="文书种类，如 plan_tables 计划表（部门联合、内部）"
    )
    format: str = Field(default="xlsx", max_length=8)


@router.post(
    "/plans/{plan_id}/documents",
    openapi_extra=action(Action.ISSUE_DOCUMENT, parties="plan-lead"),
    response_class=Response,
    responses=FILE_RESPONSES,
    summary="出具计划的文书（如部门联合、内部抽查工作计划表），返回文件",
)
def issue_plan_document(request: Request, plan_id: UUID, body: PlanBody, who: Who) -> Response:
    """The plan's own department (as the lead of its tasks) or the office."""
    service = service_of(request)
    actor = actor_for(request, who)
    copy = service.documents.issue(
        actor, body.kind, body.format, Subject(plan=plan_id), at=service.clock.now()
    )
    return _file(copy)


@router.post(
    "/years/{year}/documents",
    openapi_extra=action(Action.ISSUE_DOCUMENT),
    response_class=Response,
    responses=FILE_RESPONSES,
    summary="出具年度文书（如统计报告），返回文件",
)
def issue_year_document(
    request: Request,
    year: Annotated[int, Path(ge=2000, le=2100, description="年度")],
    body: YearBody,
    who: Who,
) -> Response:
    service = service_of(request)
    actor = actor_for(request, who)
    copy = service.documents.issue(
        actor, body.kind, body.format, Subject(year=year), at=service.clock.now()
    )
    return _file(copy)


class CheckModel(BaseModel):
    code: str
    found: bool = Field(description="是否登记了该核验码的文书")
    matches: bool | None = Field(description="所给文书或摘要是否与登记一致；未给出时为 null")
    title: str
    dated: datetime | None = Field(description="文书日期（据以生成的最近一次记录的时间）")
    department: str = Field(description="出具部门，空为双随机办")
    sha256: str = Field(description="登记的 SHA-256")
    given: str = Field(description="所给文书的 SHA-256")

    @classmethod
    def of(cls, answer: CheckAnswer) -> CheckModel:
        return cls(
            code=answer.code,
            found=answer.found,
            matches=answer.matches,
            title=answer.title,
            dated=answer.dated,
            department=answer.department,
            sha256=answer.sha256,
            given=answer.given,
        )


@router.get(
    "/documents/check",
    openapi_extra=action(Action.CHECK_DOCUMENT),
    response_model=CheckModel,
    summary="核验文书：核验码与（可选）所持文书的 SHA-256",
)
def check_document(
    request: Request,
    who: Who,
    code: Annotated[str, Query(max_length=20, description="文书上的核验码")] = "",
    sha256: Annotated[str, Query(max_length=64, description="所持文书的 SHA-256")] = "",
) -> CheckModel:
    service = service_of(request)
    answer = service.documents.check(actor_for(request, who), code, sha256=sha256 or None)
    return CheckModel.of(answer)


class RebuiltModel(BaseModel):
    code: str
    matches: bool = Field(description="按登记的记录版本重新生成的文书是否与登记的逐字节相同")
    recorded_sha256: str
    rebuilt_sha256: str
    inputs: list[dict[str, Any]] = Field(description="据以生成的记录及其版本")
    differences: list[str]


@router.get(
    "/documents/rebuild",
    openapi_extra=action(Action.READ_HISTORY),
    response_model=RebuiltModel,
    summary="审计：由事件日志按登记的版本重新生成文书并比对 SHA-256",
)
def rebuild_document(
    request: Request,
    who: Who,
    code: Annotated[str, Query(max_length=20, description="文书上的核验码")] = "",
) -> RebuiltModel:
    service = service_of(request)
    rebuilt = service.documents.rebuild(actor_for(request, who), code)
    return RebuiltModel(
        code=rebuilt.record.code,
        matches=rebuilt.matches,
        recorded_sha256=rebuilt.record.sha256,
        rebuilt_sha256=rebuilt.sha256,
        inputs=[i.as_record() for i in rebuilt.record.inputs],
        differences=rebuilt.differences,
    )
