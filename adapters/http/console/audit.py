"""The auditor's pages: any task's timeline, its state as of any of its events, the verification
of the whole log (every row read, every draw re-run, every deadline counted again) with each
finding, and the export of every event to take away.

The auditor reads everything and writes nothing: these pages only read, through the policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from adapters.cli.render import describe
from adapters.http.console.office import every_task, overseer
from adapters.http.console.views import strata_rows
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    page,
    refused_page,
    service_of,
    today,
)
from services.actors import Role

if TYPE_CHECKING:
    from domain.task import Task

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_home(request: Request) -> Response:
    who = overseer(request, Role.AUDITOR)
    if isinstance(who, Response):
        return who
    views = every_task(request, who)
    if isinstance(views, Refusal):
        return refused_page(request, views, who)
    return page(request, "audit/home.html", {"title": "审计", "views": views}, who=who)


def state_of(task: Task) -> dict[str, Any]:
    """A task as of one version, in the words of its record: what had happened by then."""
    return {
        "version": task.version,
        "committed": task.commitment is not None,
        "strata": strata_rows(task.target_draw.strata) if task.target_draw else [],
        "seed": task.target_draw.seed if task.target_draw else "",
        "drawn": task.drawn_targets,
        "dispatched": {d: e.deadline for d, e in task.dispatches.items()},
        "answers": {
            d: ("已拒绝：" + a.reason) if hasattr(a, "reason") else "已确认"
            for d, a in task.answers.items()
        },
        "overdue": sorted(task.confirmation_overdue),
        "inspectors": {d: e.groups for d, e in task.inspector_draws.items()},
        "matches": task.matches,
        "notices": sorted(task.notices),
        "visits": sorted(task.visits),
        "results": sorted(
            (department, target, result.category)
            for (department, target), result in task.results.items()
        ),
        "published": task.publication is not None,
        "follow_ups": list(task.follow_ups.values()),
        "closed": task.is_closed,
    }


@router.get("/audit/tasks/{task_id}")
def audit_task(request: Request, task_id: UUID, version: int | None = None) -> Response:
    who = overseer(request, Role.AUDITOR)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who, task_id)
    view = attempt(lambda: service.queries.task(reader, task_id))
    if isinstance(view, Refusal):
        return refused_page(request, view, who)
    history = attempt(lambda: service.queries.history(reader, task_id))
    if isinstance(history, Refusal):
        return refused_page(request, history, who)
    state: dict[str, Any] | Refusal | None = None
    if version is not None and not 1 <= version <= len(history):
        state = Refusal(422, "invalid_value", "version", f"应为 1 至 {len(history)} 之间的版本")
    elif version is not None:
        found = attempt(lambda: service.tasks.task(reader, task_id, version))
        state = found if isinstance(found, Refusal) else state_of(found)
    return page(
        request,
        "audit/task.html",
        {
            "title": f"回放 · {view.name}",
            "task_id": task_id,
            "view": view,
            "history": history,
            "describe": describe,
            "as_of": version,
            "state": None if isinstance(state, Refusal) else state,
            "state_refused": state.message if isinstance(state, Refusal) else "",
            "state_link": f"/audit/tasks/{task_id}",
        },
        who=who,
    )


@router.get("/audit/verify")
async def audit_verify(request: Request) -> Response:
    """The raw log read row by row, then every draw re-run from it: slow on a long log, so off
    the event loop."""
    who = overseer(request, Role.AUDITOR)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who)

    def verify() -> dict[str, Any] | Refusal:
        log = attempt(lambda: service.auditor.check_log(reader))
        if isinstance(log, Refusal):
            return log
        report = attempt(lambda: service.auditor.verify(reader, log))
        if isinstance(report, Refusal):
            return report
        return {"log": log, "report": report}

    found = await run_in_threadpool(verify)
    if isinstance(found, Refusal):
        return await run_in_threadpool(refused_page, request, found, who)
    return await run_in_threadpool(
        page, request, "audit/verify.html", {"title": "核验事件日志", **found}, who=who
    )


@router.get("/audit/export")
def audit_export(request: Request) -> Response:
    """Every stored event, one JSON object a line, as `ssj audit export` writes it."""
    who = overseer(request, Role.AUDITOR)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    events = attempt(lambda: service.auditor.export(actor(request, who)))
    if isinstance(events, Refusal):
        return refused_page(request, events, who)

    def lines() -> Iterator[bytes]:
        for event in events:
            yield (json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n").encode()

    name = f"ssj-events-{today(request).isoformat()}.jsonl"
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
