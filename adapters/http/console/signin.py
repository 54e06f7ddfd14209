"""Signing in and out, and the front door: `/` sends each user to the pages of his or her role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from adapters.http import auth
from adapters.http.console.web import (
    REFUSED,
    Refusal,
    attempt,
    form_of,
    page,
    principal,
    refusal_of,
)
from services.actors import Role

router = APIRouter(include_in_schema=False)

HOMES = ((Role.OFFICE, "/office"), (Role.AUDITOR, "/audit"))


def home_of(roles: frozenset[Role]) -> str:
    for role, home in HOMES:
        if role in roles:
            return home
    if roles & {Role.LEAD, Role.COOPERATING, Role.INSPECTOR}:
        return "/dept"
    return "/public"


def safe_next(value: str | None) -> str | None:
    """Only a path of this site: a link to /signin?next=https://elsewhere must not lead away."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


@router.get("/")
def front_door(request: Request) -> Response:
    who = principal(request)
    return RedirectResponse(home_of(who.roles) if who else "/public", status_code=303)


def _signin_page(
    request: Request,
    next_path: str | None,
    username: str = "",
    status: int = 200,
    refusal: Refusal | None = None,
) -> HTMLResponse:
    return page(
        request,
        "signin.html",
        {"title": "登录", "next": next_path or "", "username": username, "csrf": _token(request)},
        status=status,
        refusal=refusal,
    )


def _token(request: Request) -> str:
    """The sign-in form carries a token too, so that another site cannot sign a visitor in
    under its own account (the HTTP layer checks it like every other form)."""
    found = attempt(lambda: auth.csrf_token(request))
    return found if isinstance(found, str) else ""


@router.get("/signin")
def signin_form(request: Request, next: str | None = None) -> Response:
    who = principal(request)
    if who is not None:
        return RedirectResponse(safe_next(next) or home_of(who.roles), status_code=303)
    return _signin_page(request, safe_next(next))


@router.post("/signin")
async def signin(request: Request) -> Response:
    """The HTTP layer checks the form's CSRF token and the password, waits out a failure's
    delay and starts the session (auth.sign_in_form); the page says why it did not."""
    form = await form_of(request)
    next_path = safe_next(form.get("next"))
    try:
        who = await auth.sign_in_form(request)
    except REFUSED as error:
        refused = refusal_of(error)
        username = form.get("username", "").strip()[:64]
        return _signin_page(request, next_path, username, refusal=refused)
    return RedirectResponse(next_path or home_of(who.roles), status_code=303)


@router.get("/signout")
def signout_form(request: Request) -> Response:
    if principal(request) is None:
        return RedirectResponse("/signin", status_code=303)
    return page(request, "signout.html", {"title": "退出登录"})


@router.post("/signout")
async def signout(request: Request) -> Response:
    auth.end_session(request)
    return RedirectResponse("/signin", status_code=303)
