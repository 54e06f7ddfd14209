"""The directories (名录库): a department's target directories and its inspectors' directory.

Rows come as JSON objects, one per target or inspector, with the fields of the directory files
(adapters/importing/rows.py names them); each is checked by the domain as it is built, and a row at
fault is named by its place (`targets.3.credit_code`). A directory takes all the rows or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.api.common import ERRORS, Done, action
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from domain.directory import Inspector, RiskGrade, Target
from domain.errors import InvalidValueError
from services.permissions import Action

T = TypeVar("T")
R = TypeVar("R")

router = APIRouter(tags=["名录库"], responses=ERRORS)

TARGET_EXAMPLE = {
    "credit_code": "52130283MJ00000010",
    "name": "迁安市第1培训学校",
    "category": "校外培训机构",
    "region": "迁安市",
    "risk_grade": "A",
    "tags": ["持校车"],
    "active": True,
}
INSPECTOR_EXAMPLE = {
    "inspector_id": "XF001",
    "name": "王消防",
    "certificate_no": "13028300001",
    "certificate_expiry": "2026-12-31",
    "phone": "13920000001",
    "specialties": ["消防"],
    "expert": False,
}
MAX_ROWS = 100_000
"""Rows per request: a larger directory is sent in several requests."""


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class TargetRow(BaseModel):
    model_config = _examples(TARGET_EXAMPLE)
    credit_code: str = Field(description="统一社会信用代码（18 位）或注册号（15 位）")
    name: str
    category: str = Field(description="对象类别，如 校外培训机构")
    region: str
    risk_grade: RiskGrade = Field(description="信用风险分类 A、B、C、D")
    tags: list[str] = Field(default_factory=list, description="标签，如 持校车")
    active: bool = Field(default=True, description="在营；注销、停业的对象留在名录库但不被抽取")

    def to_target(self) -> Target:
        return Target(
            self.credit_code,
            self.name,
            self.category,
            self.region,
            self.risk_grade,
            frozenset(self.tags),
            self.active,
        )


class InspectorRow(BaseModel):
    model_config = _examples(INSPECTOR_EXAMPLE)
    inspector_id: str = Field(description="人员编号")
    name: str
    certificate_no: str = Field(default="", description="执法证号（专业技术人员可不填）")
    certificate_expiry: date
    phone: str = ""
    specialties: list[str] = Field(default_factory=list)
    expert: bool = Field(default=False, description="专业技术人员（协助检查，不被抽取）")
    on_leave: bool = False
    active: bool = True
    conflicts: list[str] = Field(default_factory=list, description="须回避对象的统一社会信用代码")

    def to_inspector(self, department: str) -> Inspector:
        return Inspector(
            inspector_id=self.inspector_id,
            name=self.name,
            department=department,
            certificate_no=self.certificate_no,
            certificate_expiry=self.certificate_expiry,
            phone=self.phone,
            specialties=frozenset(self.specialties),
            expert=self.expert,
            on_leave=self.on_leave,
            active=self.active,
            conflicts=frozenset(self.conflicts),
        )


def rows(field: str, given: Sequence[T], build: Callable[[T], R]) -> list[R]:
    """Each row as the domain builds it; a refusal names the row (`targets.3.credit_code`)."""
    built = []
    for n, row in enumerate(given):
        try:
            built.append(build(row))
        except InvalidValueError as error:
            # The same kind of refusal (its code), named by its place in the request.
            raise type(error)(f"{field}.{n}.{error.field}", error.expected, error.got) from None
    return built


class DirectoryOpened(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"directory_id": "3f0c6d1e-7b2a-5c4d-9e8f-1a2b3c4d5e6f"}]}
    )
    directory_id: UUID


class Count(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 45}]})
    count: int = Field(description="导入或变更的行数")


DirectoryId = Annotated[UUID, Path(description="名录库编号（新建时应答的 directory_id）")]
InspectorId = Annotated[str, Path(max_length=64, description="人员编号", examples=["XF001"])]


# ---------------------------------------------------------------------------- targets
class OpenTargetDirectory(CommandBody):
    model_config = _examples(
        {"name": "迁安市校外培训机构名录库", "at": "2023-10-20T09:00:00+08:00"}
    )
    name: str = Field(min_length=1, max_length=200, description="名录库名称（全局唯一）")


@router.post(
    "/target-directories",
    openapi_extra=action(Action.OPEN_TARGET_DIRECTORY),
    response_model=DirectoryOpened | AlreadyApplied,
    status_code=201,
    summary="新建抽查对象名录库",
)
def open_target_directory(body: OpenTargetDirectory, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> DirectoryOpened:
        directory_id = command.service.directories.open_target_directory(
            command.actor(), body.name, at=at, command_id=command_id
        )
        return DirectoryOpened(directory_id=directory_id)

    return command.run(body, apply, status=201)


class RegisterTargets(CommandBody):
    model_config = _examples({"targets": [TARGET_EXAMPLE], "at": "2023-10-20T10:00:00+08:00"})
    targets: list[TargetRow] = Field(min_length=1, max_length=MAX_ROWS)


class UpdateTargets(RegisterTargets):
    model_config = _examples(
        {
            "targets": [{**TARGET_EXAMPLE, "risk_grade": "C"}],
            "reason": "2023 年第三季度信用风险分类结果调整",
            "at": "2023-10-25T10:00:00+08:00",
        }
    )
    reason: str = Field(min_length=1, max_length=2000, description="变更原因")


@router.post(
    "/target-directories/{directory_id}/targets",
    openapi_extra=action(Action.REGISTER_TARGETS),
    response_model=Count | AlreadyApplied,
    summary="导入检查对象（全部或全不）",
)
def register_targets(directory_id: DirectoryId, body: RegisterTargets, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Count:
        targets = rows("targets", body.targets, TargetRow.to_target)
        count = command.service.directories.register_targets(
            command.actor(), directory_id, targets, at=at, command_id=command_id
        )
        return Count(count=count)

    return command.run(body, apply)


@router.post(
    "/target-directories/{directory_id}/updates",
    openapi_extra=action(Action.UPDATE_TARGETS),
    response_model=Count | AlreadyApplied,
    summary="更新检查对象（风险等级、状态等）",
)
def update_targets(directory_id: DirectoryId, body: UpdateTargets, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Count:
        targets = rows("targets", body.targets, TargetRow.to_target)
        count = command.service.directories.update_targets(
            command.actor(), directory_id, targets, body.reason, at=at, command_id=command_id
        )
        return Count(count=count)

    return command.run(body, apply)


# ---------------------------------------------------------------------------- inspectors
class At(CommandBody):
    model_config = _examples({"at": "2023-10-20T09:00:00+08:00"}, {})


class RegisterInspectors(CommandBody):
    model_config = _examples({"inspectors": [INSPECTOR_EXAMPLE], "at": "2023-10-20T11:00:00+08:00"})
    inspectors: list[InspectorRow] = Field(min_length=1, max_length=MAX_ROWS)


class Conflict(CommandBody):
    model_config = _examples(
        {
            "credit_code": "52130283MJ00000010",
            "reason": "其配偶为该机构举办者",
            "at": "2023-11-06T16:30:00+08:00",
        }
    )
    credit_code: str = Field(description="须回避对象的统一社会信用代码")
    reason: str = Field(min_length=1, max_length=2000, description="回避事由")


@router.post(
    "/inspector-directory",
    openapi_extra=action(Action.OPEN_INSPECTOR_DIRECTORY),
    response_model=DirectoryOpened | AlreadyApplied,
    status_code=201,
    summary="新建本部门执法检查人员名录库",
)
def open_inspector_directory(body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> DirectoryOpened:
        directory_id = command.service.directories.open_inspector_directory(
            command.actor(), at=at, command_id=command_id
        )
        return DirectoryOpened(directory_id=directory_id)

    return command.run(body, apply, status=201)


@router.post(
    "/inspector-directory/inspectors",
    openapi_extra=action(Action.REGISTER_INSPECTORS),
    response_model=Count | AlreadyApplied,
    summary="导入本部门执法检查人员",
)
def register_inspectors(body: RegisterInspectors, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Count:
        actor = command.actor()
        department = actor.department
        # An actor that speaks for no department brings no inspectors: the service refuses it.
        inspectors = (
            rows("inspectors", body.inspectors, lambda r: r.to_inspector(department))
            if department is not None
            else []
        )
        count = command.service.directories.register_inspectors(
            actor, inspectors, at=at, command_id=command_id
        )
        return Count(count=count)

    return command.run(body, apply)


@router.post(
    "/inspector-directory/inspectors/{inspector_id}/leave",
    openapi_extra=action(Action.CHANGE_INSPECTOR),
    response_model=Done | AlreadyApplied,
    summary="登记请假",
)
def take_leave(inspector_id: InspectorId, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.directories.take_leave(
            command.actor(), inspector_id, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/inspector-directory/inspectors/{inspector_id}/return",
    openapi_extra=action(Action.CHANGE_INSPECTOR),
    response_model=Done | AlreadyApplied,
    summary="登记销假",
)
def end_leave(inspector_id: InspectorId, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.directories.end_leave(
            command.actor(), inspector_id, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/inspector-directory/inspectors/{inspector_id}/conflicts",
    openapi_extra=action(Action.CHANGE_INSPECTOR),
    response_model=Done | AlreadyApplied,
    summary="登记回避",
)
def declare_conflict(inspector_id: InspectorId, body: Conflict, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.directories.declare_conflict(
            command.actor(),
            inspector_id,
            body.credit_code,
            body.reason,
            at=at,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)
