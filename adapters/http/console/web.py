"""What every page of the console shares: the templates, who asks, the service's clock, the one
way a command is run and a refusal shown.

Pages ask the same services, through the same permission policy, as the API: the actor comes
from `adapters.http.auth.actor_for`, a refusal is worded by `adapters.http.errors.problem`, and
nothing here decides who may do what. What a page shows of its forms is only a convenience: the
service refuses a command the actor may not make, whatever the page offered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode
from uuid import UUID, uuid4

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from adapters.cli.words import dept, when
from adapters.http import auth
from adapters.http.auth import service_of as service_of  # the console's modules take it from here
from adapters.http.commands import settle
from adapters.http.errors import HttpProblem, problem
from domain.errors import DomainError, InvalidValueError
from domain.values import CHINA, local_day
from services.actors import Actor, Role
from services.errors import CommandAlreadyAppliedError, ServiceError

if TYPE_CHECKING:
    from services.accounts import Principal
    from services.read_models import Page

T = TypeVar("T")

TEMPLATES = Path(__file__).parent / "templates"

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every page, every fragment: nothing a user typed is ever markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _data_block(value: Any) -> Markup:
    """JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped so that no
    value can close the block, whatever a directory holds."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _correction(text: str) -> str:
    """A register's correction ("2023-11-13 police 更正：…") with the department's name."""
    day, sep, rest = text.partition(" ")
    code, sep2, reason = rest.partition(" ")
    return f"{day} {dept(code)} {reason}" if sep and sep2 else text


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_day(value).isoformat()
    return value.isoformat()


environment.filters.update(
    dept=dept,
    when=lambda moment: when(moment) if isinstance(moment, datetime) else str(moment or ""),
    day=_day,
    data_block=_data_block,
    correction=_correction,
)
environment.globals.update(role_label=lambda role: Role(role).label)


# ---------------------------------------------------------------------------- who asks
def now(request: Request) -> datetime:
    """The service's clock: the moment every command of the console is made at."""
    return service_of(request).clock.now().astimezone(CHINA)


def today(request: Request) -> date:
    return local_day(now(request))


def principal(request: Request) -> Principal | None:
    return auth.principal(request)


def actor(
    request: Request, who: Principal | None, task_id: UUID | None = None, write: bool = False
) -> Actor:
    """As whom the principal acts (on a task: in the role the task gives its department), as the
    HTTP layer decides it for the API and the pages alike; the public without a principal."""
    return auth.actor_for(request, who, task_id, write)


def to_signin(request: Request) -> RedirectResponse:
    """A staff page asked without a session: to the sign-in page, and back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def done(path: str, message: str, **anchor: str) -> RedirectResponse:
    """After a command: back to the page it was made on (post/redirect/get), saying what was done.
    Only a key goes in the address; the words are ours (`DONE`), never echoed from the input."""
    query = urlencode({"done": message})
    fragment = f"#{anchor['at']}" if "at" in anchor else ""
    return RedirectResponse(f"{path}?{query}{fragment}", status_code=303)


DONE = {
    "confirmed": "已确认派发任务",
    "declined": "已拒绝派发任务，理由已记录",
    "committed": "已固定抽取总体并提交随机种子承诺，密钥由服务器保管至抽取时公开",
    "drawn": "已随机抽取检查对象，并派发配合部门",
    "inspectors": "已随机抽取本部门执法检查人员",
    "matched": "已随机匹配检查组，生成一企一表",
    "filed": "已报备人员分组及车辆安排",
    "notice": "已登记送达告知书",
    "visit": "已登记实地检查",
    "result": "已录入检查结果",
    "correction": "已更正检查结果，原记录保留",
    "published": "已公示检查结果",
    "follow_up": "已开启后续处置，处置措施与整改期限已记录",
    "transferred": "已移送（抄告）处理",
    "follow_up_closed": "后续处置已办结",
    "closed": "已结案",
    "merged": "已合并为一次联合检查（一企一表列出各任务的全部事项）",
    "again": "此前已办理，未重复执行",
    "caps_set": "已设定该年度企业检查次数上限，此后提交承诺的抽取按新上限排除",
    "exempted": "已登记检查上限例外，此后提交承诺的抽取不因上限或排除期排除该对象",
    "plan_imported": "已按计划工作簿登记抽查工作计划",
}


@dataclass(frozen=True)
class Refusal:
    """A command or read the service refused, as the page shows it."""

    status: int
    code: str
    field: str | None
    message: str


def refusal_of(error: Exception) -> Refusal:
    status, body = problem(error)
    return Refusal(status, str(body.get("code", "")), body.get("field"), str(body["message"]))


REFUSED = (ServiceError, DomainError, HttpProblem)
"""What the services and the domain refuse with, each worded by the one mapping."""


@dataclass(frozen=True)
class Listing:
    """A page of a list as a template shows it, or why it cannot be shown."""

    items: tuple[Any, ...] = ()
    next: str | None = None
    refused: str = ""


def listing(found: Page[Any] | Refusal) -> Listing:
    if isinstance(found, Refusal):
        return Listing(refused=found.message)
    return Listing(found.items, found.next)


def attempt(work: Callable[[], T]) -> T | Refusal:
    """A read: its answer, or the refusal as the page shows it."""
    try:
        return work()
    except REFUSED as error:
        return refusal_of(error)


async def command(request: Request, work: Callable[[], object]) -> Refusal | None:
    """A command from a form, off the event loop (the write side is synchronous), then the read
    models and the processes brought up to it as the API does. None when it was applied (or had
    been already: a form sent twice carries the same command id)."""
    try:
        await run_in_threadpool(_applied, request, work)
    except CommandAlreadyAppliedError:
        return None
    except REFUSED as error:
        return refusal_of(error)
    return None


def _applied(request: Request, work: Callable[[], object]) -> None:
    work()
    settle(service_of(request))  # as the API does: the read models and dispatch take it in


async def form_of(request: Request) -> dict[str, str]:
    """The form's fields as text (a field sent twice: its last value)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def command_id(form: Mapping[str, str]) -> UUID | None:
    """The id a form was rendered with: sent twice, it is applied once (where the store keeps
    command ids)."""
    value = form.get("command_id", "")
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValueError(field, "日期，格式为 YYYY-MM-DD", value) from None


def parse_int(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidValueError(field, "整数", value) from None


# ---------------------------------------------------------------------------- pages
NAV = (
    (Role.LEAD, "/dept", "本部门"),
    (Role.COOPERATING, "/dept", "本部门"),
    (Role.INSPECTOR, "/dept", "我的任务"),
    (Role.OFFICE, "/office", "双随机办"),
    (Role.AUDITOR, "/audit", "审计"),
)


def nav_of(who: Principal | None) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for role, href, label in NAV:
        if who is not None and role in who.roles and (href, label) not in links:
            links.append((href, label))
    links.append(("/public", "公示查询"))
    return links


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    who: Principal | None = None,
) -> HTMLResponse:
    """A whole page: the layout with who is signed in, the CSRF token every form carries, what
    the last command did (`?done=`), and a refusal in Chinese when there is one."""
    who = who if who is not None else principal(request)
    token = auth.csrf_token(request) if who is not None else ""
    message = DONE.get(request.query_params.get("done", ""), "")
    values = {
        "request": request,
        "who": who,
        "csrf": token,
        "nav": nav_of(who),
        "done": message,
        "refusal": refusal,
        "fresh_id": lambda: str(uuid4()),
        **(context or {}),
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=refusal.status if refusal and status == 200 else status)


def fragment(request: Request, template: str, context: Mapping[str, Any]) -> HTMLResponse:
    """Part of a page, for htmx to swap in."""
    values = {"request": request, "fresh_id": lambda: str(uuid4()), **context}
    return HTMLResponse(environment.get_template(template).render(values))


def refused_page(request: Request, refusal: Refusal, who: Principal | None = None) -> HTMLResponse:
    """A read refused (not found, forbidden, bad input): the reason, in Chinese, alone."""
    return page(request, "refused.html", {"title": "无法显示"}, refusal=refusal, who=who)
