"""国办发〔2024〕54号 on the console: the office sets a year's caps on inspections of one enterprise
(per department and in total) on /office/caps, with the caps in force and every change of them;
the office, or a lead for its own task or department, grants an exemption on the enterprise's
page or on the lead's task page. Every form goes through the same service (services/
inspection_caps.py `Caps`) and policy as the CLI and the API; a refusal names the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters.cli.words import DEPARTMENTS
from adapters.http.console.department import staff
from adapters.http.console.department_commands import on_task
from adapters.http.console.office import overseer
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    command,
    command_id,
    done,
    form_of,
    now,
    page,
    parse_int,
    principal,
    refused_page,
    service_of,
    to_signin,
    today,
)
from domain.errors import InvalidValueError
from services.accounts import Principal
from services.actors import Actor, Role
from services.inspection_caps import Caps
from services.permissions import Action, allows

router = APIRouter(include_in_schema=False)

PATH = "/office/caps"
CAPPED = tuple(code for code in DEPARTMENTS if code != "office")
"""The departments whose caps the form offers (the office inspects nothing itself)."""


def year_of(value: str | None, default: int) -> int:
    if value is None or not value.strip():
        return default
    return parse_int(value, "year")


def caps_of(form: Mapping[str, str]) -> tuple[dict[str, int], int | None]:
    """The form's caps: `dept:<code>` per department and `total`, a blank field for no cap."""
    departments = {
        key.removeprefix("dept:"): parse_int(value, f"departments.{key.removeprefix('dept:')}")
        for key, value in form.items()
        if key.startswith("dept:") and value.strip()
    }
    total = form.get("total", "").strip()
    return departments, parse_int(total, "total") if total else None


def caps_page(
    request: Request, who: Principal, year: int, refusal: Refusal | None = None
) -> Response:
    reader = actor(request, who)
    caps = Caps(service_of(request).tasks)
    found = attempt(lambda: caps.caps(reader, year))
    if isinstance(found, Refusal):
        return refused_page(request, found, who)
    history = attempt(lambda: caps.history(reader, year))
    this_year = today(request).year
    return page(
        request,
        "office/caps.html",
        {
            "title": f"{year} 年企业检查次数上限",
            "year": year,
            "years": sorted({this_year - 1, this_year, this_year + 1, year}),
            "caps": found,
            "history": [] if isinstance(history, Refusal) else list(reversed(history)),
            "departments": CAPPED,
            "may_set": allows(reader, Action.SET_INSPECTION_CAPS),
            "may_exempt": allows(reader, Action.GRANT_CAP_EXEMPTION),
        },
        refusal=refusal,
        who=who,
    )


@router.get(PATH)
def caps_view(request: Request, year: str | None = None) -> Response:
    """The year's caps in force (with their version) and every change of them, newest first; the
    office's form to set the whole set again."""
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    chosen = attempt(lambda: year_of(year, today(request).year))
    if isinstance(chosen, Refusal):
        return refused_page(request, chosen, who)
    return caps_page(request, who, chosen)


@router.post(PATH)
async def set_caps(request: Request) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    form = await form_of(request)
    setter = actor(request, who, write=True)
    default = today(request).year
    tasks = service_of(request).tasks

    def send() -> None:
        year = year_of(form.get("year"), default)
        departments, total = caps_of(form)
        Caps(tasks).set_caps(
            setter, year, departments, total, at=now(request), command_id=command_id(form)
        )

    refused = await command(request, send)
    year = attempt(lambda: year_of(form.get("year"), default))
    shown = year if isinstance(year, int) else default
    if refused is not None:
        return await run_in_threadpool(caps_page, request, who, shown, refused)
    return RedirectResponse(f"{PATH}?{urlencode({'year': shown, 'done': 'caps_set'})}", 303)


# ---------------------------------------------------------------------------- exemptions
def task_of(value: str) -> UUID | None:
    if not value.strip():
        return None
    try:
        return UUID(value.strip())
    except ValueError:
        raise InvalidValueError("task", "抽查任务编号（UUID），或留空表示不限任务", value) from None


def grant(request: Request, form: Mapping[str, str], who: Principal, task_id: UUID | None) -> None:
    """An exemption from a form: the office for any target, a lead for its task (or for its own
    department, which a department's form fixes to its own)."""
    granter = actor(request, who, task_id, write=True)
    department = form.get("department", "").strip() or None
    if who.department is not None and task_id is None:
        department = who.department
    Caps(service_of(request).tasks).grant_exemption(
        granter,
        form.get("credit_code", ""),
        year_of(form.get("year"), today(request).year),
        form.get("reason_kind", ""),
        form.get("reason", ""),
        at=now(request),
        department=department,
        task_id=task_id,
        command_id=command_id(form),
    )


@router.post("/enterprises/{credit_code}/exemptions")
async def exempt_enterprise(request: Request, credit_code: str) -> Response:
    """From the enterprise's page: back to it, or the page again with the refusal."""
    from adapters.http.console.enterprises import enterprise_page

    who = principal(request)
    if who is None:
        return to_signin(request)
    form = {**(await form_of(request)), "credit_code": credit_code}
    refused = await command(
        request, lambda: grant(request, form, who, task_of(form.get("task", "")))
    )
    if refused is not None:
        return await run_in_threadpool(enterprise_page, request, who, credit_code, refused)
    return done(f"/enterprises/{credit_code.strip().upper()}", "exempted")


@router.post("/dept/tasks/{task_id}/exemptions")
async def exempt_for_task(request: Request, task_id: UUID) -> Response:
    """From the lead's task page, before its commitment: the target stays in this task's draw."""
    who = staff(request)
    if isinstance(who, Response):
        return who
    tasks = service_of(request).tasks
    year = today(request).year

    def send(granter: Actor, form: Mapping[str, str]) -> None:
        Caps(tasks).grant_exemption(
            granter,
            form.get("credit_code", ""),
            year_of(form.get("year"), year),
            form.get("reason_kind", ""),
            form.get("reason", ""),
            at=now(request),
            task_id=task_id,
            command_id=command_id(form),
        )

    return await on_task(request, task_id, send, "exempted")
