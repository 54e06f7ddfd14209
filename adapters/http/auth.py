"""Who a request comes from, and as which actor it acts.

Two ways in, one principal (services/accounts.py):

- a person signs in with user name and password (POST /api/v1/session, or the console's form):
  the session is a cookie signed with itsdangerous (Starlette's SessionMiddleware), HttpOnly,
  SameSite=Lax, Secure when `SSJ_SESSION_HTTPS_ONLY` is set. It holds the user name and a CSRF
  token, never a password; the user is read again on each request, so a disabled account is out
  at once. Lax rather than Strict: a link from a department's mail or OA system into the console
  opens it signed in (a top-level GET changes nothing), while the browser still keeps the cookie
  off every cross-site POST, frame and sub-request; the CSRF token guards the rest.
- a department's system sends an API key (`Authorization: Bearer ssj_…` or `X-API-Key`); its use
  is logged by key id only.

Every unsafe request (POST, PUT, PATCH, DELETE) that comes with the session cookie must carry the
session's CSRF token (header X-CSRF-Token, or form field csrf_token), else 403 `csrf_failed`; an
API key request needs none, since no browser sends one by itself. The JSON sign-in takes JSON
only (a form's text/plain is refused), and the console's form sign-in checks the token its page
was given, so no other site signs a browser in.

The session lives in the signed cookie alone (no server-side table): signing out clears the
browser's cookie, and a copy taken before stays valid until it expires (SESSION_MAX_AGE) unless
the account is disabled, which ends every session of it at once.

What the principal may do, the services decide (services/permissions.py): `actor_for` only says
as whom it acts, as the CLI's `--dept` does: a department's staff as the task makes them (lead of
the tasks it leads, cooperating for the others), anyone without credentials as the public.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from adapters.http import logs
from adapters.http.errors import HttpProblem
from services.accounts import (
    AccountDisabledError,
    AccountLockedError,
    InvalidKeyError,
    Principal,
    SignInFailedError,
)
from services.actors import Actor, Role

if TYPE_CHECKING:
    from adapters.bootstrap import Service

SESSION_COOKIE = "ssj_session"
SESSION_MAX_AGE = 12 * 3600
"""Seconds a session lasts: a working day, then sign in again."""
SAME_SITE: Literal["lax"] = "lax"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_USER, _CSRF = "user", "csrf"

Sleep = Callable[[float], Awaitable[None]]


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


# ---------------------------------------------------------------------------- who asks
def api_key_of(request: Request) -> str | None:
    """The API key a request carries, if any (a malformed Authorization is one that fails)."""
    key = request.headers.get("x-api-key")
    if key is not None:
        return key
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else authorization


def principal(request: Request) -> Principal | None:
    """The request's principal: by API key, else by session; None for the public. An API key
    that fails is refused (401 invalid_key), never taken for the public."""
    state = request.state
    if getattr(state, "principal_known", False):
        known: Principal | None = state.principal
        return known
    service = service_of(request)
    found: Principal | None = None
    token = api_key_of(request)
    if token is not None:
        try:
            found = service.accounts.authenticate_key(token, at=service.clock.now())
        except InvalidKeyError:
            logs.event("key_refused", path=request.url.path)
            raise
        logs.event("key_used", key_id=found.name.removeprefix("key:"), path=request.url.path)
        state.via = "key"
    else:
        username = request.session.get(_USER)
        if isinstance(username, str):
            found = service.accounts.principal_of_user(username)
            if found is None:  # disabled or removed since signing in: out at once
                request.session.clear()
                logs.event("session_ended", username=username, why="account_unavailable")
            state.via = "session"
    state.principal = found
    state.principal_known = True
    return found


async def who_asks(request: Request) -> Principal | None:
    """`principal` as a route's dependency: the public (no key, no signed-in session) is known
    without a thread; a key or a session is looked up in the store off the event loop."""
    if api_key_of(request) is None and not isinstance(request.session.get(_USER), str):
        request.state.principal = None
        request.state.principal_known = True
        return None
    return await run_in_threadpool(principal, request)


def signed_in(request: Request) -> Principal:
    """The principal; 401 `not_signed_in` for the public."""
    found = principal(request)
    if found is None:
        raise not_signed_in()
    return found


def not_signed_in(reason: str = "") -> HttpProblem:
    return HttpProblem(
        401,
        "not_signed_in",
        "session",
        f"请先登录（或使用 API 密钥）{reason}",
        {"WWW-Authenticate": 'Bearer realm="ssj"'},
    )


def actor_for(
    request: Request,
    who: Principal | None,
    task_id: UUID | None = None,
    write: bool = False,
) -> Actor:
    """As whom the principal acts: on a task, a department in the role the task gives it (asked
    of the store for a write, of the read models for a read); the public without a principal."""
    if who is None:
        return Actor.public()
    role: Role | None = None
    if task_id is not None and who.department is not None and Role.INSPECTOR not in who.roles:
        service = service_of(request)
        role_in = service.tasks.role_in if write else service.queries.role_in
        role = role_in(who.department, task_id)
    return who.actor(role)


# ---------------------------------------------------------------------------- CSRF
def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use, for a page's forms and htmx header)."""
    token = request.session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_CSRF] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every route's guard: an unsafe request riding on the session cookie must carry the token."""
    if request.method not in UNSAFE or api_key_of(request) is not None:
        return
    if _USER not in request.session and _CSRF not in request.session:
        return  # no session: nothing a forged request could ride on
    expected = request.session.get(_CSRF)
    given = request.headers.get(CSRF_HEADER)
    form = await request.form() if given is None and _is_form(request) else None
    if form is not None:
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if (
        not isinstance(expected, str)
        or given is None
        or not secrets.compare_digest(expected.encode(), given.encode())
    ):
        logs.event("csrf_refused", method=request.method, path=request.url.path)
        if form is not None:
            await form.close()  # a refused upload's spooled file, which no route will close
        raise csrf_failed()


def csrf_failed() -> HttpProblem:
    return HttpProblem(
        403,
        "csrf_failed",
        CSRF_FIELD,
        "请求缺少有效的 CSRF 令牌（请刷新页面后重试）",
    )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


# ---------------------------------------------------------------------------- signing in and out
def start_session(request: Request, who: Principal) -> str:
    """A fresh session for the user (nothing of an earlier one kept); its new CSRF token."""
    request.session.clear()
    token = secrets.token_urlsafe(32)
    request.session.update({_USER: who.name, _CSRF: token})
    request.state.principal = who
    request.state.principal_known = True
    request.state.via = "session"
    return token


def end_session(request: Request) -> None:
    username = request.session.get(_USER)
    request.session.clear()
    request.state.principal = None
    request.state.principal_known = True
    if isinstance(username, str):
        logs.event("sign_out", username=username)


async def sign_in(request: Request, username: str, password: str) -> Principal:
    """Check the password (in a worker thread: argon2 takes a while), start the session. A
    failure waits the delay the accounts service gives before it is answered, so guessing is
    slow; the errors are the accounts service's, mapped by errors.problem."""
    service = service_of(request)
    sleep: Sleep = getattr(request.app.state, "sleep", asyncio.sleep)
    try:
        who = await run_in_threadpool(
            service.accounts.sign_in, username, password, at=service.clock.now()
        )
    except SignInFailedError as error:
        logs.event("sign_in_failed", username=_shown(username), delay=error.delay)
        await sleep(error.delay)
        raise
    except AccountLockedError as error:
        logs.event("sign_in_locked", username=_shown(username), until=error.until.isoformat())
        raise
    except AccountDisabledError:
        logs.event("sign_in_disabled", username=_shown(username))
        raise
    start_session(request, who)
    logs.event("sign_in", username=who.name, kind=who.kind)
    return who


async def sign_in_form(request: Request) -> Principal:
    """The console's sign-in form (fields username, password, csrf_token): its page was given a
    CSRF token (`csrf_token(request)`), which the form must carry back, so no other site can sign
    a browser in under an account of its own choosing."""
    form = await request.form()
    expected = request.session.get(_CSRF)
    given = form.get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and isinstance(given, str)
        and secrets.compare_digest(expected.encode(), given.encode())
    ):
        logs.event("csrf_refused", method=request.method, path=request.url.path)
        raise csrf_failed()
    username, password = form.get("username"), form.get("password")
    return await sign_in(
        request,
        username if isinstance(username, str) else "",
        password if isinstance(password, str) else "",
    )


def _shown(username: str) -> str:
    """A user name as typed, for the log: bounded, so a pasted password cannot fill it."""
    return username[:64] if isinstance(username, str) else ""
