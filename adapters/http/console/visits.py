"""The office's offers of one joint visit for tasks that drew the same target (进一次门、查多项事).

The page lists what the service offers (never merged by itself) with a form for each; the office
merges with it, as an event, and the page then lists the joint visit among those still to be
made. An auditor reads the same page without the forms: the policy refuses it the merge anyway.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

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
    refused_page,
    service_of,
)
from domain.errors import InvalidValueError
from services.accounts import Principal
from services.actors import Role
from services.permissions import Action, allows

router = APIRouter(include_in_schema=False)

PATH = "/office/visits"


def visits_page(request: Request, who: Principal, refusal: Refusal | None = None) -> Response:
    service = service_of(request)
    reader = actor(request, who)
    offers = attempt(lambda: service.joint_visits.offers(reader))
    if isinstance(offers, Refusal):
        return refused_page(request, offers, who)
    merged = attempt(lambda: service.joint_visits.merged(reader))
    return page(
        request,
        "visits/offers.html",
        {
            "title": "进一次门、查多项事",
            "offers": offers,
            "merged": [] if isinstance(merged, Refusal) else merged,
            "may_merge": allows(reader, Action.MERGE_VISITS),
        },
        refusal=refusal,
        who=who,
    )


@router.get(PATH)
def offers_page(request: Request) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    return visits_page(request, who)


def task_ids_of(value: str) -> list[UUID]:
    """The form's `tasks`: the offer's task ids, comma-separated."""
    try:
        return [UUID(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError:
        raise InvalidValueError("tasks", "以逗号分隔的任务编号（UUID）", value) from None


@router.post(PATH + "/merge")
async def merge(request: Request) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    form = await form_of(request)
    merger = actor(request, who, write=True)
    service = service_of(request)
    refused = await command(
        request,
        lambda: service.joint_visits.merge(
            merger,
            form.get("target", ""),
            task_ids_of(form.get("tasks", "")),
            at=now(request),
            reason=form.get("reason", ""),
            by=who.name,
            command_id=command_id(form),
        ),
    )
    if refused is not None:
        return await run_in_threadpool(visits_page, request, who, refused)
    return done(PATH, "merged")
