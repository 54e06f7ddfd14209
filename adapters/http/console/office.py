"""双随机办's pages: every task and where it stands, the deadlines let pass and the escalations,
what the processes could not do, the filings of grouping and vehicles, and the statistics.

The office oversees: it reads every task and files, and its only command here is none (the
deadline watch runs by itself). The policy lets the office read all of it; the pages ask it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from adapters.cli.render import describe
from adapters.http.console.charts import category_chart, completion, workload_charts
from adapters.http.console.signin import home_of
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    listing,
    page,
    principal,
    refused_page,
    service_of,
    to_signin,
    today,
)
from services.actors import Role
from services.read_models import MAX_LIMIT, Page

if TYPE_CHECKING:
    from domain.task import Task
    from services.accounts import Principal
    from services.task_views import TaskView

router = APIRouter(include_in_schema=False)


def overseer(request: Request, role: Role) -> Principal | Response:
    """Who asks, for the office's (or the auditor's) pages; a department goes to its own."""
    who = principal(request)
    if who is None:
        return to_signin(request)
    if role not in who.roles and who.department is not None:
        return RedirectResponse(home_of(who.roles), status_code=303)
    return who


def every_task(request: Request, who: Principal) -> list[TaskView] | Refusal:
    """Every task the actor sees, page after page (the office's overview holds them all)."""
    service = service_of(request)
    reader = actor(request, who)
    views: list[TaskView] = []
    after: str | None = None
    while True:
        found = attempt(partial(service.queries.tasks, reader, MAX_LIMIT, after))
        if isinstance(found, Refusal):
            return found
        views.extend(found.items)
        if found.next is None:
            return views
        after = found.next


def overdue_rows(views: list[TaskView]) -> list[dict[str, Any]]:
    """Each confirmation and result let pass, task by task (the office follows them up)."""
    rows: list[dict[str, Any]] = []
    for view in views:
        for department in view.overdue:
            answered = department in view.answers
            rows.append(
                {
                    "view": view,
                    "department": department,
                    "what": "确认派发任务",
                    "deadline": view.dispatch_deadlines.get(department),
                    "settled": "已补确认" if answered else "仍未确认",
                }
            )
        for department, target in sorted(view.result_overdue):
            recorded = (department, target) in view.results
            rows.append(
                {
                    "view": view,
                    "department": department,
                    "what": f"录入 {target} 的检查结果",
                    "deadline": view.visits.get(target),
                    "settled": "已补录" if recorded else "仍未录入",
                }
            )
    return rows


@router.get("/office")
def office_home(request: Request) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who)
    views = every_task(request, who)
    if isinstance(views, Refusal):
        return refused_page(request, views, who)
    escalations = attempt(lambda: service.queries.escalations(reader, MAX_LIMIT))
    faults = attempt(lambda: service.queries.faults(reader, MAX_LIMIT))
    ledger = attempt(lambda: service.queries.ledger(reader, MAX_LIMIT))
    return page(
        request,
        "office/home.html",
        {
            "title": "双随机办",
            "views": views,
            "overdue": overdue_rows(views),
            "escalations": listing(escalations),
            "faults": listing(faults),
            "ledger": listing(ledger),
        },
        who=who,
    )


@router.get("/office/tasks/{task_id}")
def office_task(request: Request, task_id: UUID) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who, task_id)
    view = attempt(lambda: service.queries.task(reader, task_id))
    if isinstance(view, Refusal):
        return refused_page(request, view, who)
    task = attempt(lambda: service.tasks.task(reader, task_id))
    history = attempt(lambda: service.queries.history(reader, task_id))
    faults = attempt(lambda: service.queries.task_faults(reader, task_id))
    return page(
        request,
        "office/task.html",
        {
            "title": view.name,
            "task_id": task_id,
            "view": view,
            "task": None if isinstance(task, Refusal) else task,
            "history": [] if isinstance(history, Refusal) else history,
            "describe": describe,
            "faults": listing(faults if isinstance(faults, Refusal) else Page(faults)),
            "overdue": overdue_rows([view]),
        },
        who=who,
    )


@router.get("/office/filings")
def office_filings(request: Request) -> Response:
    """人员分组及车辆安排情况表 of every task, as each department filed it."""
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    views = every_task(request, who)
    if isinstance(views, Refusal):
        return refused_page(request, views, who)

    def read_task(task_id: UUID) -> Task:
        return service.tasks.task(actor(request, who, task_id), task_id)

    filed = []
    for view in views:
        if not view.matched:
            continue
        task = attempt(partial(read_task, view.task_id))
        if isinstance(task, Refusal) or not task.filings:
            continue
        filed.append({"view": view, "filings": list(task.filings.values())})
    return page(
        request, "office/filings.html", {"title": "人员分组及车辆安排", "filed": filed}, who=who
    )


def results_by_category(
    request: Request, who: Principal, views: list[TaskView]
) -> dict[tuple[str, str], int]:
    """(category, department) -> results, as last recorded: read from each task with results
    (the task views count results, not their categories)."""
    service = service_of(request)
    counted: dict[tuple[str, str], int] = {}
    for view in views:
        if not view.results:
            continue
        task = attempt(partial(service.tasks.task, actor(request, who, view.task_id), view.task_id))
        if isinstance(task, Refusal):
            continue
        for (department, _), result in task.results.items():
            key = (result.category, department)
            counted[key] = counted.get(key, 0) + 1
    return counted


@router.get("/office/statistics")
def office_statistics(request: Request, year: int | None = None) -> Response:
    who = overseer(request, Role.OFFICE)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    reader = actor(request, who)
    rows = attempt(lambda: service.queries.statistics(reader, None))
    if isinstance(rows, Refusal):
        return refused_page(request, rows, who)
    years = sorted({int(r.month[:4]) for r in rows})
    day = today(request)
    chosen = year or (years[-1] if years else day.year)
    shown = [r for r in rows if r.month.startswith(f"{chosen}-")]
    views = every_task(request, who)
    seen = [] if isinstance(views, Refusal) else views
    of_year = [v for v in seen if v.window_end.year == chosen]
    return page(
        request,
        "office/statistics.html",
        {
            "title": f"{chosen} 年计划统计",
            "year": chosen,
            "today": day,
            "years": years,
            "rows": sorted(shown, key=lambda r: (r.month, r.department)),
            "charts": workload_charts(shown),
            "completion": completion(seen, chosen, day),
            "categories": category_chart(results_by_category(request, who, of_year)),
            "pending": [v for v in of_year if not v.closed],
        },
        who=who,
    )
