"""What every route of /api/v1 shares: the permission action it declares, the error answers it
documents, paging, and the models of plain answers."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.auth import actor_for, who_asks
from services.accounts import Principal
from services.actors import Actor
from services.permissions import Action
from services.read_models import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")

ACTION = "x-ssj-action"
PARTIES = "x-ssj-parties"


def action(taken: Action, parties: str | None = None) -> dict[str, Any]:
    """The permission action a route takes, in its OpenAPI operation (the authorization matrix
    test reads it); a route anyone may call says READ_REGISTER. `parties` says whom it acts on
    where the path does not: "plan-lead", the plan's department as the lead of its tasks (a
    plan's documents), where other plan routes act on the plan's owner."""
    declared = {ACTION: taken.value}
    if parties is not None:
        declared[PARTIES] = parties
    return declared


class ErrorDetail(BaseModel):
    code: str = Field(
        description="稳定的错误代码（见 adapters/http/errors.py）", examples=["forbidden"]
    )
    field: str | None = Field(description="出错的字段", examples=["actor"])
    message: str = Field(description="中文原因", examples=["公安局（配合部门） 无权抽取检查对象"])


class ErrorBody(BaseModel):
    error: ErrorDetail
    request_id: str | None = Field(default=None, description="仅 500：服务器日志中的请求编号")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("未登录、API 密钥无效或登录失败"),
    403: _error("无权进行该操作，或 CSRF 令牌无效"),
    404: _error("没有该任务、计划、名录库或年份"),
    409: _error("违反业务规则（任务所处阶段不允许等）"),
    422: _error("输入不符合要求（指明字段）"),
    429: _error("连续登录失败，账号暂时锁定"),
    500: _error("服务器内部错误（附请求编号）"),
    503: _error("并发写入冲突或服务停止中，请稍后重试"),
}


class Done(BaseModel):
    """A command that answers nothing but that it was done."""

    done: bool = True


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="续页标记：作为 after 取下一页；null 表示已是最后一页")


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页条数")]
After = Annotated[str | None, Query(description="续页标记：上一页应答的 next", pattern=r"^\d*$")]
DEFAULT = DEFAULT_LIMIT

Who = Annotated[Principal | None, Depends(who_asks)]


async def reader(request: Request, who: Who) -> Actor:
    """Who reads, not on one task: the principal's own actor, or the public (no store asked: a
    coroutine, so that a read takes no thread for it)."""
    return actor_for(request, who)


Reader = Annotated[Actor, Depends(reader)]

FROZEN = ConfigDict(frozen=True)
