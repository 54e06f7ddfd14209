"""The lead department's steps on its own tasks: the population and strata before the commit, the
commitment (the server makes and keeps the secret), the draw with the beacon typed in, its proof,
the matching of groups, publication and closing.

Who may take each step is the policy's to say (the lead of the task); the pages only show the
steps the task is ready for.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapters.http import drawing
from adapters.http.console.department import staff
from adapters.http.console.department_commands import on_task
from adapters.http.console.office import every_task
from adapters.http.console.views import strata_rows
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    command_id,
    now,
    page,
    refused_page,
    service_of,
)
from domain import draw
from services.directory_listing import target_directories
from services.permissions import Action, require
from services.tasks import parties_of

if TYPE_CHECKING:
    from domain.plan import Plan
    from services.accounts import Principal

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------------------- plans
@router.get("/dept/plans")
def plans(request: Request) -> Response:
    """The 抽查工作计划 the department issued, each with its tasks and where they stand. A plan
    is read once for all its rows; a task leads to its plan."""
    who = staff(request)
    if isinstance(who, Response):
        return who
    context = plans_context(request, who)
    if isinstance(context, Refusal):
        return refused_page(request, context, who)
    return page(request, "dept/plans.html", context, who=who)


def plans_context(request: Request, who: Principal) -> dict[str, Any] | Refusal:
    """The plans page's context (the plan import's form shows its errors on the same page)."""
    service = service_of(request)
    reader = actor(request, who)
    views = every_task(request, who)
    if isinstance(views, Refusal):
        return views
    led = {v.task_id: v for v in views if v.lead == who.department}
    found: dict[UUID, Plan] = {}
    for task_id in led:
        if any(str(task_id) in {row["task_id"] for row in p.tasks} for p in found.values()):
            continue
        task = attempt(partial(service.tasks.task, reader, task_id))
        if isinstance(task, Refusal):
            continue
        plan = attempt(partial(service.tasks.plan, reader, task.plan_id))
        if not isinstance(plan, Refusal):
            found[plan.id] = plan
    shown = [
        {
            "plan": plan,
            "rows": [
                {
                    "number": row["number"],
                    "name": row["name"],
                    "view": led.get(UUID(row["task_id"])),
                }
                for row in plan.tasks
            ],
        }
        for plan in sorted(found.values(), key=lambda p: (-p.year, p.title))
    ]
    directories = attempt(partial(target_directories, service.directories, reader))
    return {
        "title": "本部门抽查工作计划",
        "plans": shown,
        "directories": [] if isinstance(directories, Refusal) else directories,
        "import_problems": [],
        "chosen_directory": "",
        "document": "",
    }


# ---------------------------------------------------------------------------- the population
def population_context(request: Request, who: Principal, task_id: UUID) -> dict[str, Any] | Refusal:
    """The directory's targets in the task's scope, per risk grade, with each stratum's minimum
    ratio and the count k = ceil(r × N) the draw will take: what the lead commits to. Once
    committed, as of the directory version the commitment fixed."""
    service = service_of(request)
    reader = actor(request, who, task_id)

    def read() -> dict[str, Any]:
        task = service.tasks.task(reader, task_id)
        require(reader, Action.COMMIT_SEED, parties_of(task))  # the lead's, whoever else reads
        definition = task.definition
        committed = task.commitment
        position = committed.directory_position if committed else None
        population = service.directories.population(
            definition.directory_id, definition.scope, position
        )
        sizes: dict[str, int] = {}
        for grade in population.members.values():
            sizes[grade] = sizes.get(grade, 0) + 1
        ratios = definition.ratio_by_grade()
        strata = {
            grade: {
                "N": sizes.get(grade, 0),
                "r": ratios[grade],
                "k": draw.required_count(sizes.get(grade, 0), ratios[grade]),
            }
            for grade in sorted(ratios)
        }
        directory = service.directories.target_directory(definition.directory_id, position)
        return {
            "title": f"抽取总体 · {task.name}",
            "task_id": task_id,
            "task": task,
            "definition": definition,
            "directory_name": directory.name,
            "position": population.position,
            "strata": strata_rows(strata),
            "total_n": sum(s["N"] for s in strata.values()),
            "total_k": sum(s["k"] for s in strata.values()),
            "digest": committed.population_digest if committed else "",
            "committed": committed is not None,
        }

    return attempt(read)


@router.get("/dept/tasks/{task_id}/population")
def population(request: Request, task_id: UUID) -> Response:
    who = staff(request)
    if isinstance(who, Response):
        return who
    context = population_context(request, who, task_id)
    if isinstance(context, Refusal):
        return refused_page(request, context, who)
    return page(request, "dept/population.html", context, who=who)


# ---------------------------------------------------------------------------- commit and draw
@router.post("/dept/tasks/{task_id}/commit")
async def commit_seed(request: Request, task_id: UUID) -> Response:
    """The server makes the secret and keeps it until the draw (adapters/http/drawing.py), as
    for the API: only H(secret) goes into the log until the draw reveals it."""
    service = service_of(request)
    return await on_task(
        request,
        task_id,
        lambda who, form: drawing.commit(
            service,
            who,
            task_id,
            form.get("beacon_source", ""),
            at=now(request),
            command_id=command_id(form),
        ),
        "committed",
    )


@router.post("/dept/tasks/{task_id}/draw")
async def draw_targets(request: Request, task_id: UUID) -> Response:
    """The beacon, typed in as it was made public, and the kept secret revealed: the draw."""
    service = service_of(request)
    return await on_task(
        request,
        task_id,
        lambda who, form: drawing.draw(
            service,
            who,
            task_id,
            form.get("beacon", ""),
            at=now(request),
            command_id=command_id(form),
        ),
        "drawn",
    )


@router.get("/dept/tasks/{task_id}/draw")
def draw_proof(request: Request, task_id: UUID) -> Response:
    """The draw as recorded, for the lead: the same inputs the public page publishes."""
    who = staff(request)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who, task_id)
    task = attempt(lambda: service.tasks.task(reader, task_id))
    if isinstance(task, Refusal):
        return refused_page(request, task, who)
    drawn = task.target_draw
    if drawn is None:
        return refused_page(
            request, Refusal(409, "targets_not_drawn", "task_id", "尚未抽取检查对象"), who
        )
    ranks = {
        grade: [(code, draw.rank(drawn.seed, "targets", code)) for code in ids]
        for grade, ids in drawn.drawn.items()
    }
    return page(
        request,
        "dept/draw.html",
        {
            "title": f"抽取结果 · {task.name}",
            "task_id": task_id,
            "task": task,
            "drawn": drawn,
            "strata": strata_rows(drawn.strata),
            "ranks": ranks,
            "beacon_source": task.commitment.beacon_source if task.commitment else "",
        },
        who=who,
    )


# ---------------------------------------------------------------------------- match, publish, close
@router.post("/dept/tasks/{task_id}/match")
async def match_groups(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.match_groups(
            who, task_id, at=now(request), command_id=command_id(form)
        ),
        "matched",
    )


@router.post("/dept/tasks/{task_id}/publish")
async def publish(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.publish(who, task_id, at=now(request), command_id=command_id(form)),
        "published",
    )


@router.post("/dept/tasks/{task_id}/close")
async def close_task(request: Request, task_id: UUID) -> Response:
    tasks = service_of(request).tasks
    return await on_task(
        request,
        task_id,
        lambda who, form: tasks.close_task(
            who, task_id, at=now(request), command_id=command_id(form)
        ),
        "closed",
    )
