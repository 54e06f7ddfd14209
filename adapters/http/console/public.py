"""公示: what anyone may see without signing in. Each task's published results, a search by
统一社会信用代码 or by name, each enterprise's results in the national publicity system's
categories, and each draw's inputs with a button that re-runs it in the browser (draw.js).

Only the public register is read, as the public (the policy's READ_REGISTER): it holds nothing
unpublished and never an inspector's name, id or phone. Whoever is signed in sees here what the
public sees.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapters.http.console.views import strata_rows
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    listing,
    page,
    refused_page,
    service_of,
)
from domain import draw
from services.inspection_caps import exclusion_period
from services.read_models import MAX_LIMIT

if TYPE_CHECKING:
    from services.actors import Actor

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"[0-9A-Za-z]{15}|[0-9A-Za-z]{18}")
"""What a search that is a 统一社会信用代码 (or a legacy 15-digit 注册号) looks like."""
SEARCH_MAX = 50


def public(request: Request) -> Actor:
    """The public's actor, whoever is signed in: these pages show what everyone sees."""
    return actor(request, None)


@router.get("/public")
def public_home(request: Request, after: str | None = None) -> Response:
    service = service_of(request)
    draws = attempt(lambda: service.queries.draws(public(request), 50, after))
    return page(
        request,
        "public/home.html",
        {"title": "公示查询", "draws": listing(draws), "q": ""},
    )


@router.get("/public/search")
def public_search(request: Request, q: str = "", after: str | None = None) -> Response:
    """By 统一社会信用代码 when the words look like one, else by a part of the name."""
    service = service_of(request)
    words = q.strip()[:SEARCH_MAX]
    if not words:
        return public_home(request)
    reader = public(request)
    if _CODE.fullmatch(words):
        code = words.upper()
        found = attempt(lambda: service.queries.register(reader, code, 50, after))
    else:
        found = attempt(lambda: service.queries.register(reader, None, 50, after, name=words))
    return page(
        request,
        "public/search.html",
        {"title": f"查询：{words}", "q": words, "entries": listing(found)},
        refusal=found if isinstance(found, Refusal) else None,
    )


@router.get("/public/targets/{credit_code}")
def public_target(request: Request, credit_code: str, after: str | None = None) -> Response:
    """One enterprise's published results, task by task."""
    service = service_of(request)
    found = attempt(
        lambda: service.queries.register(public(request), credit_code.upper(), 50, after)
    )
    if isinstance(found, Refusal):
        return refused_page(request, found)
    name = next((e.name for e in found.items if e.name), credit_code)
    return page(
        request,
        "public/target.html",
        {"title": name, "credit_code": credit_code.upper(), "entries": listing(found)},
    )


@router.get("/public/tasks/{task_id}")
def public_task(request: Request, task_id: UUID, after: str | None = None) -> Response:
    """A task's 公示表: every target's results, department by department."""
    service = service_of(request)
    reader = public(request)
    drawn = attempt(lambda: service.queries.draw(reader, task_id))
    if isinstance(drawn, Refusal):
        return refused_page(request, drawn)
    found = attempt(
        lambda: service.queries.register(reader, None, MAX_LIMIT, after, task_id=task_id)
    )
    entries = listing(found)
    departments: list[str] = []
    for entry in entries.items:
        departments.extend(d for d in entry.results if d not in departments)
    return page(
        request,
        "public/task.html",
        {
            "title": f"公示 · {drawn.task_name}",
            "task_id": task_id,
            "drawn": drawn,
            "entries": entries,
            "departments": departments,
            "published_on": entries.items[0].published_on if entries.items else None,
        },
    )


@router.get("/public/draws/{task_id}")
def public_draw(request: Request, task_id: UUID) -> Response:
    """The draw's inputs, each stratum's N, r, k, the drawn ids with their ranks, and the button
    that re-runs it all in the visitor's own browser."""
    service = service_of(request)
    reader = public(request)
    drawn = attempt(lambda: service.queries.draw(reader, task_id))
    if isinstance(drawn, Refusal):
        return refused_page(request, drawn)
    inputs = attempt(lambda: service.queries.draw_inputs(reader, task_id))
    if isinstance(inputs, Refusal):
        return refused_page(request, inputs)
    ranks = {
        grade: [(code, draw.rank(drawn.seed, "targets", code)) for code in ids]
        for grade, ids in drawn.drawn.items()
    }
    return page(
        request,
        "public/draw.html",
        {
            "title": f"随机抽取 · {drawn.task_name}",
            "task_id": task_id,
            "drawn": drawn,
            "strata": strata_rows(drawn.strata),
            "ranks": ranks,
            "population_size": len(inputs["population"]),
            "inputs": inputs,
            "exclusion_days": exclusion_period(service.tasks, reader, task_id),
        },
    )
