"""A department's pages: its inbox (which updates itself when a dispatch arrives), its tasks, each
task's page with the steps it owes, and each target's 一企一表.

The same pages serve the department as the lead of its own tasks (lead.py has the lead's steps)
and as a cooperating department of others': the service says how it takes part in each task
(`auth.actor_for`), and the policy what that role may do.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from adapters.cli.words import dept
from adapters.http.commands import SETTLE_LOCK
from adapters.http.console.signin import home_of
from adapters.http.console.views import (
    CATEGORIES,
    NOTICE_METHODS,
    deadlines_of,
    group_of_department,
    own_follow_ups,
    permitted,
    problems_of,
    sheet_page,
    sheet_rows,
    strata_rows,
)
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    fragment,
    listing,
    page,
    principal,
    refused_page,
    service_of,
    to_signin,
    today,
)
from services.actors import Role
from services.errors import NotFoundError

if TYPE_CHECKING:
    from services.accounts import Principal
    from services.task_views import TaskView

router = APIRouter(include_in_schema=False)


def staff(request: Request) -> Principal | Response:
    """Who asks, for a department's page: no session → sign in; office or auditor → their own."""
    who = principal(request)
    if who is None:
        return to_signin(request)
    if who.department is None:
        return RedirectResponse(home_of(who.roles), status_code=303)
    return who


# ---------------------------------------------------------------------------- the inbox
def position(request: Request) -> int:
    """Where the read models stand in the log, brought up to it first (under the lock the
    commands settle under): what the inbox's poll compares against."""
    with SETTLE_LOCK:
        return service_of(request).read_models.catch_up()


def inbox_context(
    request: Request, who: Principal, at: int | None = None
) -> dict[str, Any] | Refusal:
    """The inbox as of the read models' position `at` (brought up to the log when not given)."""
    service = service_of(request)
    department = who.department or ""
    reader = actor(request, who)
    at = position(request) if at is None else at
    if Role.INSPECTOR in who.roles:
        return {"inbox": [], "position": at, "inspector": True}
    found = attempt(lambda: service.queries.inbox(reader, department, limit=100))
    if isinstance(found, Refusal):
        return found
    calendar, day = service.calendars.calendar(), today(request)

    def read_view(task_id: UUID) -> TaskView:
        return service.queries.task(actor(request, who, task_id), task_id)

    items = []
    for item in found.items:
        view = attempt(partial(read_view, item.task_id))
        deadlines = (
            [] if isinstance(view, Refusal) else deadlines_of(view, department, calendar, day)
        )
        items.append({"item": item, "deadlines": deadlines})
    return {"inbox": items, "position": at, "inspector": False, "more": found.next}


@router.get("/dept")
def department_home(request: Request, after: str | None = None) -> Response:
    who = staff(request)
    if isinstance(who, Response):
        return who
    service = service_of(request)
    inbox = inbox_context(request, who)
    if isinstance(inbox, Refusal):
        return refused_page(request, inbox, who)
    reader = actor(request, who)
    tasks = attempt(lambda: service.queries.tasks(reader, limit=50, after=after))
    ledger = attempt(lambda: service.queries.ledger(reader, limit=100))
    return page(
        request,
        "dept/home.html",
        {
            "title": f"{_name(who)}工作台",
            **inbox,
            "tasks": listing(tasks),
            "ledger": listing(ledger),
        },
        who=who,
    )


@router.get("/dept/inbox")
def inbox_fragment(request: Request, since: int | None = None) -> Response:
    """The inbox alone, for its poll (every 5 s): 204, which htmx 2 does not swap, while the
    read models have not moved; the inbox anew once they have (a dispatch came in)."""
    who = principal(request)
    if who is None or who.department is None:
        return Response(status_code=401, headers={"HX-Redirect": "/signin?next=/dept"})
    at = position(request)
    if since is not None and since == at:
        return Response(status_code=204)
    inbox = inbox_context(request, who, at)  # folded once for the poll, not again
    if isinstance(inbox, Refusal):
        return Response(status_code=inbox.status)
    return fragment(request, "dept/inbox.html", inbox)


def _name(who: Principal) -> str:
    return dept(who.department or "")


# ---------------------------------------------------------------------------- a task
def task_context(request: Request, who: Principal, task_id: UUID) -> dict[str, Any] | Refusal:
    """Everything a task's page shows the department, read through the policy."""
    service = service_of(request)
    reader = actor(request, who, task_id)
    view = attempt(lambda: service.queries.task(reader, task_id))
    if isinstance(view, Refusal):
        return view
    task = attempt(lambda: service.tasks.task(reader, task_id))
    if isinstance(task, Refusal):
        return task
    plan = attempt(lambda: service.tasks.plan(reader, task.plan_id))
    department = reader.department or ""
    writer = actor(request, who, task_id, write=True)
    inspector = reader.inspector if reader.role is Role.INSPECTOR else None
    definition = task.definition
    committed = task.commitment
    return {
        "title": view.name,
        "task_id": task_id,
        "view": view,
        "task": task,
        "definition": definition,
        "plan": None if isinstance(plan, Refusal) else plan,
        "department": department,
        "role": reader.role,
        "can": permitted(writer, task),
        "owes": view.owes(department) if reader.role is not Role.INSPECTOR else [],
        "deadlines": deadlines_of(view, department, service.calendars.calendar(), today(request)),
        "committed_strata": strata_rows(committed.strata) if committed else [],
        "drawn_strata": strata_rows(task.target_draw.strata) if task.target_draw else [],
        "groups": group_of_department(task, department),
        "sheets": sheet_rows(task, department, inspector),
        "follow_ups": own_follow_ups(task, department),
        "problems": problems_of(task, department),
        "group_numbers": list(range(task.group_count())) if task.matching else [],
        "answer": task.answers.get(department),
        "filing": task.filings.get(department),
        **caps_context(reader, writer, task),
    }


def caps_context(reader: Any, writer: Any, task: Any) -> dict[str, Any]:
    """国办发〔2024〕54号 on the task's page: each drawn target's ledger link, and the lead's
    exemption form before the commitment (adapters/http/console/caps.py takes it)."""
    from domain.inspection_caps import ExemptionKind
    from services.permissions import Action, allows
    from services.tasks import parties_of

    return {
        "may_read_ledger": allows(reader, Action.READ_INSPECTION_LEDGER),
        "may_exempt": task.commitment is None
        and not task.is_closed
        and allows(writer, Action.GRANT_CAP_EXEMPTION, parties_of(task)),
        "exemption_kinds": list(ExemptionKind),
    }


def task_page(
    request: Request, who: Principal, task_id: UUID, refusal: Refusal | None = None
) -> Response:
    context = task_context(request, who, task_id)
    if isinstance(context, Refusal):
        return refused_page(request, context, who)
    return page(request, "dept/task.html", context, refusal=refusal, who=who)


@router.get("/dept/tasks/{task_id}")
def department_task(request: Request, task_id: UUID) -> Response:
    who = staff(request)
    if isinstance(who, Response):
        return who
    return task_page(request, who, task_id)


# ---------------------------------------------------------------------------- a target's sheet
def sheet_context(
    request: Request, who: Principal, task_id: UUID, target: str
) -> dict[str, Any] | Refusal:
    context = task_context(request, who, task_id)
    if isinstance(context, Refusal):
        return context
    task, department = context["task"], context["department"]
    inspector = context["role"] is Role.INSPECTOR
    sheet = sheet_page(task, department, target)
    if sheet is None or (inspector and not any(r.target == target for r in context["sheets"])):
        return Refusal(404, "not_found", "target", str(NotFoundError("一企一表", target)))
    writer = actor(request, who, task_id, write=True)
    can_record = _may_record(writer, task, target)
    reader = actor(request, who, task_id)
    joint = attempt(lambda: service_of(request).joint_visits.of_task(reader, task_id, target))
    return {
        **context,
        "title": f"一企一表 · {sheet.name or target}",
        "sheet": sheet,
        "categories": CATEGORIES,
        "methods": NOTICE_METHODS,
        "may_record": can_record and sheet.visit is not None and not task.is_closed,
        "off_site_items": task.off_site_items(),
        "joint_visit": None if isinstance(joint, Refusal) else joint,
    }


def _may_record(writer: Any, task: Any, target: str) -> bool:
    from services.permissions import Action, allows
    from services.tasks import parties_of

    return allows(writer, Action.RECORD_RESULT, parties_of(task, target))


def sheet_page_response(
    request: Request, who: Principal, task_id: UUID, target: str, refusal: Refusal | None = None
) -> Response:
    context = sheet_context(request, who, task_id, target)
    if isinstance(context, Refusal):
        return refused_page(request, context, who)
    return page(request, "dept/sheet.html", context, refusal=refusal, who=who)


@router.get("/dept/tasks/{task_id}/targets/{target}")
def department_sheet(request: Request, task_id: UUID, target: str) -> Response:
    who = staff(request)
    if isinstance(who, Response):
        return who
    return sheet_page_response(request, who, task_id, target)
