"""What a department sends from its pages: confirm or decline a dispatch, draw its inspectors,
file its grouping, serve notices and record visits, record and correct results, follow up.

Each form posts here, the command goes to the same service as the API's (at the service's clock,
with the form's command id), and the page comes back: with what was done, or the refusal in
Chinese on the same page, its input kept where it matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters.http.console.department import sheet_page_response, staff, task_page
from adapters.http.console.web import (
    actor,
    command,
    command_id,
    done,
    form_of,
    now,
    parse_date,
    parse_int,
    service_of,
)
from domain.errors import InvalidValueError
from domain.values import FollowUpMeasure
from services.actors import Actor

router = APIRouter(include_in_schema=False)


def task_path(task_id: UUID) -> str:
    return f"/dept/tasks/{task_id}"


def sheet_path(task_id: UUID, target: str) -> str:
    return f"/dept/tasks/{task_id}/targets/{target}"


async def on_task(
    request: Request,
    task_id: UUID,
    send: Callable[[Actor, Mapping[str, str]], object],
    message: str,
    *,
    target: str | None = None,
) -> Response:
    """Send one command as the signed-in department, then back to the task's page (or the
    target's sheet): what was done, or why not."""
    who = staff(request)
    if isinstance(who, Response):
        return who
    form = await form_of(request)
    refused = await command(request, lambda: send(actor(request, who, task_id, True), form))
    if refused is not None:
        if target is not None:
            return await run_in_threadpool(
                sheet_page_response, request, who, task_id, target, refused
            )
        return await run_in_threadpool(task_page, request, who, task_id, refused)
    return done(sheet_path(task_id, target) if target else task_path(task_id), message)


# ---------------------------------------------------------------------------- 5. confirm
@router.post("/dept/tasks/{task_id}/confirm")
async def confirm(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.confirm(who, task_id, at=now(request), command_id=command_id(form)),
        "confirmed",
    )


@router.post("/dept/tasks/{task_id}/decline")
async def decline(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.decline(
            who, task_id, form.get("reason", ""), at=now(request), command_id=command_id(form)
        ),
        "declined",
    )


# ---------------------------------------------------------------------------- 6–8. inspectors, grouping
@router.post("/dept/tasks/{task_id}/inspectors")
async def draw_inspectors(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.draw_inspectors(
            who, task_id, at=now(request), command_id=command_id(form)
        ),
        "inspectors",
    )


def vehicles_of(form: Mapping[str, str]) -> dict[str, str]:
    """`vehicle:1`, `vehicle:2`, …: each group's vehicle arrangement, numbered as staff do."""
    vehicles = {}
    for key, value in form.items():
        if key.startswith("vehicle:") and value.strip():
            vehicles[key.removeprefix("vehicle:")] = value.strip()
    return vehicles


@router.post("/dept/tasks/{task_id}/grouping")
async def file_grouping(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.file_grouping(
            who, task_id, vehicles_of(form), at=now(request), command_id=command_id(form)
        ),
        "filed",
    )


# ---------------------------------------------------------------------------- 9. notice and visit
@router.post("/dept/tasks/{task_id}/targets/{target}/notice")
async def serve_notice(request: Request, task_id: UUID, target: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.serve_notice(
            who,
            task_id,
            target,
            form.get("method", ""),
            form.get("recipient", ""),
            at=now(request),
            command_id=command_id(form),
        ),
        "notice",
        target=target,
    )


def signed_of(form: Mapping[str, str]) -> bool:
    value = form.get("signed", "")
    if value not in ("yes", "no"):
        raise InvalidValueError("signed", "yes（已签字）或 no（拒绝签字）", value)
    return value == "yes"


@router.post("/dept/tasks/{task_id}/targets/{target}/visit")
async def record_visit(request: Request, task_id: UUID, target: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.record_visit(
            who,
            task_id,
            target,
            signed_of(form),
            form.get("note", ""),
            at=now(request),
            on_site_reason=form.get("on_site_reason", ""),
            command_id=command_id(form),
        ),
        "visit",
        target=target,
    )


# ---------------------------------------------------------------------------- 10. results
def findings_of(form: Mapping[str, str]) -> dict[str, str]:
    """`finding:<item code>`: what was found on each of the department's own items."""
    return {
        key.removeprefix("finding:"): value.strip()
        for key, value in form.items()
        if key.startswith("finding:")
    }


@router.post("/dept/tasks/{task_id}/targets/{target}/result")
async def record_result(request: Request, task_id: UUID, target: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.record_result(
            who,
            task_id,
            target,
            form.get("category", ""),
            findings_of(form),
            at=now(request),
            command_id=command_id(form),
        ),
        "result",
        target=target,
    )


@router.post("/dept/tasks/{task_id}/targets/{target}/correction")
async def correct_result(request: Request, task_id: UUID, target: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.correct_result(
            who,
            task_id,
            target,
            form.get("category", ""),
            findings_of(form),
            form.get("reason", ""),
            at=now(request),
            command_id=command_id(form),
        ),
        "correction",
        target=target,
    )


# ---------------------------------------------------------------------------- 12. follow-up
@router.post("/dept/tasks/{task_id}/follow-ups")
async def open_follow_up(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.open_follow_up(
            who,
            task_id,
            form.get("target", ""),
            form.get("problem", ""),
            parse_date(form.get("due", ""), "due"),
            at=now(request),
            measure=form.get("measure", "") or FollowUpMeasure.ORDER_RECTIFICATION.value,
            command_id=command_id(form),
        ),
        "follow_up",
    )


@router.post("/dept/tasks/{task_id}/follow-ups/{number}/transfer")
async def transfer_follow_up(request: Request, task_id: UUID, number: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.transfer_follow_up(
            who,
            task_id,
            parse_int(number, "number"),
            form.get("to", ""),
            form.get("reason", ""),
            at=now(request),
            measure=form.get("measure", "") or FollowUpMeasure.TRANSFER.value,
            command_id=command_id(form),
        ),
        "transferred",
    )


@router.post("/dept/tasks/{task_id}/follow-ups/{number}/close")
async def close_follow_up(request: Request, task_id: UUID, number: str) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.close_follow_up(
            who,
            task_id,
            parse_int(number, "number"),
            form.get("outcome", ""),
            at=now(request),
            measure=form.get("measure", "") or None,
            command_id=command_id(form),
        ),
        "follow_up_closed",
    )
