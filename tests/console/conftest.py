"""The console as its users meet it: pages fetched and forms sent over HTTP (httpx's ASGI
transport on `create_app`), on the in-memory service with a clock the test moves.

The world is `ssj demo`'s: 迁安市's 2023 joint inspection of off-campus training institutions,
education leading, police and fire cooperating (adapters/cli/demo.py prepares the directories and
the plan). Each department, the office and the auditor have an account; `Visitor` signs one in,
reads pages, and sends a page's form the way a browser would: the fields the page rendered
(its CSRF token and command id among them) plus what the user typed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from uuid import UUID

import httpx
import pytest

from adapters.accounts.hashing import Argon2PasswordHasher
from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli import demo
from adapters.clock import ManualClock
from adapters.http.app import create_app
from domain.values import CHINA
from services.accounts import AccountKind, Accounts

PASSWORD = "demo-password-2023"
ACCOUNTS = {
    "jiaoyu": (AccountKind.DEPARTMENT, "education", None, "教育局 王老师"),
    "gongan": (AccountKind.DEPARTMENT, "police", None, "公安局 李警官"),
    "xiaofang": (AccountKind.DEPARTMENT, "fire", None, "消防救援大队 张队长"),
    "shichang": (AccountKind.DEPARTMENT, "market", None, "市场监管局 赵科长"),
    "bangongshi": (AccountKind.OFFICE, None, None, "双随机办 郭玲玲"),
    "shenji": (AccountKind.AUDITOR, None, None, "审计 裴子郡"),
}
TASK_NAME = "2023年迁安市校外培训机构跨部门联合抽查"
BEACON = demo.BEACON
BEACON_SOURCE = demo.BEACON_SOURCE


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


# ---------------------------------------------------------------------------- reading pages
@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    """What the page filled in: hidden inputs, values, checked radios, selected options."""
    names: set[str] = field(default_factory=set)
    """Every field the form has, filled in or not."""


class Page(HTMLParser):
    """The forms of a page by id, and its scripts and attributes (for the CSP checks)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, Form] = {}
        self.anonymous_forms: list[Form] = []
        self.scripts: list[dict[str, str | None]] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.ids: set[str] = set()
        self._form: Form | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, value in attrs:
            self.attributes.append((tag, name, value))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "script":
            self.scripts.append(a)
        if tag == "form":
            self._form = Form(str(a.get("action") or ""), str(a.get("method") or "get").lower())
            if a.get("id"):
                self.forms[str(a["id"])] = self._form
            else:
                self.anonymous_forms.append(self._form)
        form = self._form
        if form is None:
            return
        name = a.get("name") or ""
        if tag == "input" and name:
            form.names.add(name)
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    form.fields[name] = str(a.get("value") or "on")
            elif a.get("value") is not None:
                form.fields[name] = str(a["value"])
        elif tag == "textarea" and name:
            form.names.add(name)
        elif tag == "select" and name:
            form.names.add(name)
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = str(a.get("value") or "")
            if self._first_option is None:
                self._first_option = value
                form.fields.setdefault(self._select, value)
            if "selected" in a:
                form.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def all_forms(self) -> list[Form]:
        return [*self.forms.values(), *self.anonymous_forms]


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------------------- a visitor
class Visitor:
    """One browser: its own cookies, signed in as one account (or none: the public)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.pages: list[tuple[str, httpx.Response]] = []

    async def get(self, path: str, **params: str) -> httpx.Response:
        response = await self.client.get(path, params=params or None)
        self.pages.append((path, response))
        return response

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = Page((await self.get("/signin")).text)
        form = page.forms["signin-form"]
        return await self.client.post(
            "/signin", data={**form.fields, "username": username, "password": password}
        )

    async def submit(self, path: str, form_id: str, **typed: str) -> httpx.Response:
        """Open the page, fill in its form `form_id` as a user would, send it; the answer
        after the redirect (the page again, with what was done or why not)."""
        response = await self.get(path)
        assert response.status_code == 200, (path, response.status_code, text_of(response.text))
        page = Page(response.text)
        assert form_id in page.forms, f"{path} has no form #{form_id}: {sorted(page.forms)}"
        form = page.forms[form_id]
        unknown = set(typed) - form.names
        assert not unknown, f"form #{form_id} has no field {unknown}"
        answer = await self.client.post(form.action, data={**form.fields, **typed})
        if answer.status_code == 303:
            answer = await self.get(answer.headers["location"])
        return answer


@dataclass
class World:
    service: Service
    clock: ManualClock
    task_id: UUID
    visitors: dict[str, Visitor]
    public: Visitor
    browser: Callable[[], httpx.AsyncClient]
    """Another browser, with no cookie yet (closed with the world)."""

    def at(self, day: str, clock: str = "09:00") -> None:
        self.clock.set(at(day, clock))

    def __getitem__(self, username: str) -> Visitor:
        return self.visitors[username]

    async def signed_in(self, username: str) -> Visitor:
        visitor = Visitor(self.browser())
        answer = await visitor.sign_in(username)
        assert answer.status_code == 303, text_of(answer.text)
        return visitor

    @property
    def task_path(self) -> str:
        return f"/dept/tasks/{self.task_id}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at("2023-10-20", "08:00"))


def with_accounts(service: Service, clock: ManualClock) -> Service:
    """The service with an account for each of `ACCOUNTS`, hashed at argon2's test strength
    (the accounts' own tests measure the real cost)."""
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    service.__dict__["accounts"] = Accounts(service.account_store, cheap)
    for username, (kind, department, inspector, name) in ACCOUNTS.items():
        service.accounts.add_user(
            username,
            PASSWORD,
            kind,
            department=department,
            inspector=inspector,
            display_name=name,
            at=clock.now(),
        )
    return service


@pytest.fixture
def service(clock: ManualClock) -> Iterator[Service]:
    service = with_accounts(bootstrap(load_settings(), memory=True, clock=clock), clock)
    yield service
    service.close()


@pytest.fixture
async def world(service: Service, clock: ManualClock) -> AsyncIterator[World]:
    """The demo's directories and plan registered (2023-10-30), nothing drawn yet; everyone
    signed in in a browser of their own."""
    clock.set(at("2023-10-30", "17:00"))
    task_id = demo._prepare(service)
    service.settle()
    app = create_app(service)
    app.state.sleep = _no_wait
    transport = httpx.ASGITransport(app=app)
    clients: list[httpx.AsyncClient] = []

    def client() -> httpx.AsyncClient:
        made = httpx.AsyncClient(transport=transport, base_url="http://ssj.test")
        clients.append(made)
        return made

    world = World(service, clock, task_id, {}, Visitor(client()), client)
    for username in ACCOUNTS:
        world.visitors[username] = await world.signed_in(username)
    yield world
    for made in clients:
        await made.aclose()


async def _no_wait(seconds: float) -> None:
    """Sign-in failures wait before answering; the tests need not."""


# ---------------------------------------------------------------------------- the demo, through the pages
async def commit_and_draw(world: World) -> None:
    """The lead fixes the population, commits, and draws with the beacon of 2023-11-01 09:30;
    the task goes out to police and fire (deadline: two working days, 2023-11-03)."""
    edu = world["jiaoyu"]
    world.at("2023-10-31", "16:00")
    answer = await edu.submit(world.task_path, "commit-form", beacon_source=BEACON_SOURCE)
    assert "已固定抽取总体" in answer.text, text_of(answer.text)
    world.at("2023-11-01", "09:30")
    answer = await edu.submit(world.task_path, "draw-form", beacon=BEACON)
    assert "已随机抽取检查对象" in answer.text, text_of(answer.text)


async def confirm_and_draw_inspectors(world: World) -> None:
    """Police confirm in time; fire lets its deadline pass (the watch escalates it) and confirms
    late; each department draws its inspectors; the lead matches the groups; all file."""
    world.at("2023-11-02", "10:15")
    await world["gongan"].submit(world.task_path, "confirm-form")
    world.at("2023-11-06", "08:30")
    world.service.deadlines.check(world.clock.now())
    world.service.settle()
    world.at("2023-11-06", "10:00")
    await world["xiaofang"].submit(world.task_path, "confirm-form")
    for n, username in enumerate(("jiaoyu", "gongan", "xiaofang")):
        world.at("2023-11-06", f"14:{n}0")
        answer = await world[username].submit(world.task_path, "draw-inspectors-form")
        assert "已随机抽取本部门执法检查人员" in answer.text, text_of(answer.text)
    world.at("2023-11-07", "09:00")
    answer = await world["jiaoyu"].submit(world.task_path, "match-form")
    assert "已随机匹配检查组" in answer.text, text_of(answer.text)
    world.at("2023-11-07", "15:00")
    for username in ("jiaoyu", "gongan", "xiaofang"):
        answer = await world[username].submit(
            world.task_path, "grouping-form", **{"vehicle:1": "冀B·12345"}
        )
        assert "已报备" in answer.text, text_of(answer.text)


def targets(world: World) -> list[str]:
    from services.actors import Actor

    return list(world.service.tasks.task(Actor.office(), world.task_id).matches)


PROBLEM = "2 名教师无教师资格证"
FIRE_PROBLEM = "疏散通道堆放杂物，灭火器过期"
DEPARTMENTS = (("jiaoyu", "education"), ("gongan", "police"), ("xiaofang", "fire"))


ON_SITE_REASON = "从业人员资质须当面核验证件原件，网络监测不能代替"
"""The demo's JY-3 is checked online: a visit says why it went on site (国办发〔2024〕54号)."""


async def visit_every_target(world: World) -> list[str]:
    """The lead serves every notice (2023-11-08), then the joint groups visit (11-09)."""
    found = targets(world)
    for n, target in enumerate(found):
        world.at("2023-11-08", f"{9 + n // 6:02d}:{(n % 6) * 10:02d}")
        answer = await world["jiaoyu"].submit(
            f"{world.task_path}/targets/{target}", "notice-form", recipient="法定代表人"
        )
        assert "已登记送达告知书" in answer.text, text_of(answer.text)
    for n, target in enumerate(found):
        world.at("2023-11-09", f"{9 + n // 6:02d}:{(n % 6) * 10:02d}")
        answer = await world["jiaoyu"].submit(
            f"{world.task_path}/targets/{target}", "visit-form", on_site_reason=ON_SITE_REASON
        )
        assert "已登记实地检查" in answer.text, text_of(answer.text)
    return found


def result_fields(department: str, n: int) -> dict[str, str]:
    """What a department types on the n-th target's sheet: education finds a problem at the
    first, fire at the second; everything else 符合要求."""
    from adapters.cli.demo_data import ITEMS

    fields = {f"finding:{item.code}": "符合要求" for item in ITEMS[department]}
    fields["category"] = "未发现问题"
    if n == 0 and department == "education":
        fields.update({"category": "发现问题待后续处理", "finding:JY-1": PROBLEM})
    if n == 1 and department == "fire":
        fields.update({"category": "发现问题已责令改正", "finding:XF-1": FIRE_PROBLEM})
    return fields


async def record_every_result(world: World, found: list[str]) -> None:
    world.at("2023-11-09", "17:00")
    for n, target in enumerate(found):
        sheet = f"{world.task_path}/targets/{target}"
        for username, department in DEPARTMENTS:
            if (department, target) in _recorded(world):
                continue
            answer = await world[username].submit(
                sheet, "result-form", **result_fields(department, n)
            )
            assert "已录入检查结果" in answer.text, text_of(answer.text)


def _recorded(world: World) -> set[tuple[str, str]]:
    from services.actors import Actor

    return set(world.service.tasks.task(Actor.office(), world.task_id).results)


async def inspect_every_target(world: World) -> list[str]:
    found = await visit_every_target(world)
    await record_every_result(world, found)
    return found


async def publish_and_close(world: World, found: list[str]) -> None:
    """Published 2023-11-10; education orders its problem rectified and closes it when fixed,
    fire hands its own over to the market regulator; the lead closes the task 2023-12-20."""
    edu, fire = world["jiaoyu"], world["xiaofang"]
    world.at("2023-11-10", "15:00")
    answer = await edu.submit(world.task_path, "publish-form")
    assert "已公示检查结果" in answer.text, text_of(answer.text)
    world.at("2023-11-10", "16:00")
    answer = await edu.submit(
        world.task_path, "follow-up-form", target=found[0], problem=PROBLEM, due="2023-12-20"
    )
    assert "已开启后续处置" in answer.text, text_of(answer.text)
    answer = await fire.submit(
        world.task_path, "follow-up-form", target=found[1], problem=FIRE_PROBLEM, due="2023-12-01"
    )
    assert "已开启后续处置" in answer.text, text_of(answer.text)
    world.at("2023-11-20", "10:00")
    answer = await fire.submit(
        world.task_path, "transfer-form-2", to="迁安市市场监管局", reason="涉及无照经营线索，抄告"
    )
    assert "已移送（抄告）处理" in answer.text, text_of(answer.text)
    world.at("2023-12-12", "10:00")
    answer = await edu.submit(
        world.task_path, "close-follow-up-form-1", outcome="已辞退无证人员并补充持证教师，复查合格"
    )
    assert "后续处置已办结" in answer.text, text_of(answer.text)
    world.at("2023-12-20", "17:00")
    answer = await edu.submit(world.task_path, "close-task-form")
    assert "已结案" in answer.text, text_of(answer.text)


async def the_whole_demo(world: World) -> list[str]:
    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    found = await inspect_every_target(world)
    await publish_and_close(world, found)
    return found
