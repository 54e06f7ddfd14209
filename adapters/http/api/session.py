"""Signing in and out: POST, GET and DELETE /api/v1/session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http import auth
from adapters.http.api.common import ERRORS, Done, Who, action
from services.accounts import Principal
from services.permissions import Action

router = APIRouter(tags=["登录"], responses=ERRORS)


class SignIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "jy_zhang", "password": "迁安教育2023!"}]}
    )
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class Me(BaseModel):
    name: str = Field(description="用户名，或 API 密钥的 key:<编号>")
    kind: str = Field(description="user 或 key")
    roles: list[str] = Field(description="lead、cooperating、inspector、office、auditor")
    department: str | None
    inspector: str | None
    display_name: str

    @classmethod
    def of(cls, who: Principal) -> Me:
        return cls(
            name=who.name,
            kind=who.kind,
            roles=sorted(role.value for role in who.roles),
            department=who.department,
            inspector=who.inspector,
            display_name=who.display_name,
        )


class SessionInfo(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "signed_in": True,
                    "principal": {
                        "name": "jy_zhang",
                        "kind": "user",
                        "roles": ["cooperating", "lead"],
                        "department": "education",
                        "inspector": None,
                        "display_name": "教育局 张老师",
                    },
                    "csrf_token": "kq3…",
                }
            ]
        }
    )
    signed_in: bool
    principal: Me | None
    csrf_token: str | None = Field(
        description="会话的 CSRF 令牌：修改类请求以 X-CSRF-Token 头发送（API 密钥请求不需要）"
    )


@router.post(
    "/session", openapi_extra=action(Action.READ_REGISTER), summary="登录（用户名 + 密码）"
)
async def sign_in(request: Request, body: SignIn) -> SessionInfo:
    """成功后设置会话 Cookie；失败时延迟应答，连续 5 次失败锁定 15 分钟（即使密码正确）。"""
    who = await auth.sign_in(request, body.username, body.password)
    return SessionInfo(signed_in=True, principal=Me.of(who), csrf_token=auth.csrf_token(request))


@router.get("/session", openapi_extra=action(Action.READ_REGISTER), summary="当前身份")
def who_am_i(request: Request, who: Who) -> SessionInfo:
    if who is None:
        return SessionInfo(signed_in=False, principal=None, csrf_token=None)
    token = auth.csrf_token(request) if getattr(request.state, "via", "") == "session" else None
    return SessionInfo(signed_in=True, principal=Me.of(who), csrf_token=token)


@router.delete("/session", openapi_extra=action(Action.READ_REGISTER), summary="退出登录")
def sign_out(request: Request) -> Done:
    auth.end_session(request)
    return Done()
