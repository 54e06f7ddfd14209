"""The console's authorization matrix, generated from the app's own routes: every console route
(every page and form the app serves outside /api/) is named in `ROUTES` with the permission
actions it takes and the area it belongs to, and for every role (the task's lead, a cooperating
department, an uninvolved one, an inspector assigned to the target and one of another department,
the office, the auditor, the public) each task-scoped form and page refuses exactly whom
services/permissions.py's `allows` refuses, on 迁安市's joint task matched and ready for its
visits, as the API's matrix (tests/http/test_authorization.py) does for /api/v1.

A console page or form is refused in one of three ways, each counted as refused:
- `signin`: no session, to /signin (a staff page or form asked by the public);
- `area`: signed in, but the page belongs to another kind of account (a department's pages for the
  office, the office's for a department): back to the visitor's own home page;
- `forbidden`: in the area, refused by the policy (403, the refusal shown with
  `data-code="forbidden"`).
Any other answer (done, or a 404/409/422 rule refusal) is "not refused by the policy".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from adapters.bootstrap import Service
from adapters.documents.kinds import KINDS, About
from adapters.http.app import create_app
from adapters.http.console.documents import slug
from services.accounts import AccountKind
from services.actors import Actor, Role
from services.permissions import Action, allows
from services.tasks import parties_of
from tests.console.conftest import BEACON, BEACON_SOURCE, Page, Visitor, text_of
from tests.http.conftest import PASSWORD, World, service_at
from tests.services.conftest import JointInspection

A = Action
# Who a page's area admits at all (before the policy is asked): kinds of signed-in principal.
DEPT = frozenset({AccountKind.DEPARTMENT, AccountKind.INSPECTOR})
OVERSIGHT = frozenset({AccountKind.OFFICE, AccountKind.AUDITOR})
"""/office and /audit admit every account without a department (`office.overseer`): the office
reads the auditor's pages and the auditor the office's, as far as the policy lets them."""
STAFF = DEPT | OVERSIGHT
EVERYONE = None
"""A public page (or authentication): the public too."""


@dataclass(frozen=True)
class Entry:
    actions: tuple[Action, ...]
    """What the route asks the policy, in order (all must be allowed); () for authentication,
    for everyone."""
    area: frozenset[AccountKind] | None
    """Which principals the route's area admits at all (None: everyone, the public too)."""


def E(area: frozenset[AccountKind] | None, *actions: Action) -> Entry:
    return Entry(actions, area)


T = "/dept/tasks/{task_id}"
TASK_KINDS = [kind for kind in KINDS.values() if kind.about in (About.TASK_TARGET, About.TASK)]
DOCUMENT_PAGES = [
    T
    + ("/targets/{target}" if kind.about is About.TASK_TARGET else "")
    + f"/documents/{slug(kind)}"
    for kind in TASK_KINDS
]
"""Each download of a task's document (adapters/http/console/documents.py), by kind."""
OFFICE_DOCUMENT_PAGES = [p.replace(T, "/office/tasks/{task_id}", 1) for p in DOCUMENT_PAGES]
"""The same downloads on the office's page of the task (the office issues them too)."""
PLAN_DOCUMENT_PAGES = [
    f"/dept/plans/{{plan_id}}/documents/{slug(k)}" for k in KINDS.values() if k.about is About.PLAN
]
YEAR_DOCUMENT_PAGES = [
    f"/office/years/{{year}}/documents/{slug(k)}" for k in KINDS.values() if k.about is About.YEAR
]
ROUTES: dict[tuple[str, str], Entry] = {
    # authentication, for everyone
    ("GET", "/"): E(EVERYONE),
    ("GET", "/signin"): E(EVERYONE),
    ("POST", "/signin"): E(EVERYONE),
    ("GET", "/signout"): E(EVERYONE),
    ("POST", "/signout"): E(EVERYONE),
    # a department's pages
    ("GET", "/dept"): E(DEPT, A.READ_INBOX),
    ("GET", "/dept/inbox"): E(DEPT, A.READ_INBOX),
    ("GET", "/dept/plans"): E(DEPT, A.LIST_TASKS),
    ("POST", "/dept/plans/import"): E(DEPT, A.REGISTER_PLAN),
    ("GET", T): E(DEPT, A.READ_TASK),
    ("GET", T + "/targets/{target}"): E(DEPT, A.READ_TASK),
    ("GET", T + "/population"): E(DEPT, A.READ_TASK, A.COMMIT_SEED),
    ("GET", T + "/draw"): E(DEPT, A.READ_TASK),
    # a department's forms
    ("POST", T + "/confirm"): E(DEPT, A.CONFIRM),
    ("POST", T + "/decline"): E(DEPT, A.DECLINE),
    ("POST", T + "/inspectors"): E(DEPT, A.DRAW_INSPECTORS),
    ("POST", T + "/grouping"): E(DEPT, A.FILE_GROUPING),
    ("POST", T + "/targets/{target}/notice"): E(DEPT, A.SERVE_NOTICE),
    ("POST", T + "/targets/{target}/visit"): E(DEPT, A.RECORD_VISIT),
    ("POST", T + "/targets/{target}/result"): E(DEPT, A.RECORD_RESULT),
    ("POST", T + "/targets/{target}/correction"): E(DEPT, A.CORRECT_RESULT),
    ("POST", T + "/follow-ups"): E(DEPT, A.OPEN_FOLLOW_UP),
    ("POST", T + "/follow-ups/{number}/transfer"): E(DEPT, A.TRANSFER_FOLLOW_UP),
    ("POST", T + "/follow-ups/{number}/close"): E(DEPT, A.CLOSE_FOLLOW_UP),
    ("POST", T + "/commit"): E(DEPT, A.COMMIT_SEED),
    ("POST", T + "/draw"): E(DEPT, A.DRAW_TARGETS),
    ("POST", T + "/match"): E(DEPT, A.MATCH_GROUPS),
    ("POST", T + "/publish"): E(DEPT, A.PUBLISH),
    ("POST", T + "/close"): E(DEPT, A.CLOSE_TASK),
    ("POST", T + "/exemptions"): E(DEPT, A.GRANT_CAP_EXEMPTION),
    # the office's pages
    ("GET", "/office"): E(OVERSIGHT, A.LIST_TASKS),
    ("GET", "/office/tasks/{task_id}"): E(OVERSIGHT, A.READ_TASK),
    ("GET", "/office/filings"): E(OVERSIGHT, A.LIST_TASKS),
    ("GET", "/office/statistics"): E(OVERSIGHT, A.READ_STATISTICS),
    ("GET", "/office/visits"): E(OVERSIGHT, A.READ_JOINT_VISIT_OFFERS),
    ("POST", "/office/visits/merge"): E(OVERSIGHT, A.MERGE_VISITS),
    ("GET", "/office/caps"): E(OVERSIGHT, A.READ_INSPECTION_LEDGER),
    ("POST", "/office/caps"): E(OVERSIGHT, A.SET_INSPECTION_CAPS),
    # 企业检查台账 (国办发〔2024〕54号): any staff
    ("GET", "/enterprises/{credit_code}"): E(STAFF, A.READ_INSPECTION_LEDGER),
    ("POST", "/enterprises/{credit_code}/exemptions"): E(STAFF, A.GRANT_CAP_EXEMPTION),
    # the auditor's pages
    ("GET", "/audit"): E(OVERSIGHT, A.LIST_TASKS),
    ("GET", "/audit/tasks/{task_id}"): E(OVERSIGHT, A.READ_TASK, A.READ_HISTORY),
    ("GET", "/audit/verify"): E(OVERSIGHT, A.VERIFY_LOG),
    ("GET", "/audit/export"): E(OVERSIGHT, A.EXPORT_LOG),
    # the public pages
    ("GET", "/public"): E(EVERYONE, A.READ_REGISTER),
    ("GET", "/public/search"): E(EVERYONE, A.READ_REGISTER),
    ("GET", "/public/targets/{credit_code}"): E(EVERYONE, A.READ_REGISTER),
    ("GET", "/public/tasks/{task_id}"): E(EVERYONE, A.READ_REGISTER),
    ("GET", "/public/draws/{task_id}"): E(EVERYONE, A.READ_REGISTER),
    ("GET", "/public/items"): E(EVERYONE, A.READ_ITEM_LIST),
    ("GET", "/public/results/export"): E(EVERYONE, A.EXPORT_RESULTS),
    # documents: a department's downloads (one per kind of document), the public check
    ("GET", "/check"): E(EVERYONE),
    ("GET", "/check/{code}"): E(EVERYONE, A.CHECK_DOCUMENT),
    ("POST", "/check/{code}"): E(EVERYONE, A.CHECK_DOCUMENT),
    **{("GET", path): E(DEPT, A.ISSUE_DOCUMENT) for path in DOCUMENT_PAGES},
    **{("GET", path): E(OVERSIGHT, A.ISSUE_DOCUMENT) for path in OFFICE_DOCUMENT_PAGES},
    **{("GET", path): E(DEPT, A.ISSUE_DOCUMENT) for path in PLAN_DOCUMENT_PAGES},
    **{("GET", path): E(OVERSIGHT, A.ISSUE_DOCUMENT) for path in YEAR_DOCUMENT_PAGES},
}

TASK_PAGES = [
    T,
    T + "/targets/{target}",
    T + "/population",
    T + "/draw",
    "/office/tasks/{task_id}",
    "/audit/tasks/{task_id}",
    *DOCUMENT_PAGES,
    *OFFICE_DOCUMENT_PAGES,
]
"""The task-scoped pages compared with the policy (the forms: every POST under /dept/tasks/)."""


def console_routes() -> set[tuple[str, str]]:
    service = service_at()
    try:
        app = create_app(service)
        found = set()
        for context in iter_route_contexts(app.routes):
            route, path = context.original_route, str(context.path)
            if isinstance(route, APIRoute) and not path.startswith("/api/"):
                found |= {(method, path) for method in context.methods or ()}
        return found
    finally:
        service.close()


APP_ROUTES = console_routes()
FORMS = sorted(k for k in ROUTES if k[0] == "POST" and k[1].startswith(T + "/"))


def test_every_console_route_is_in_the_table() -> None:
    missing = sorted(APP_ROUTES - ROUTES.keys())
    assert not missing, f"console routes the table does not name: {missing}"


def test_the_table_names_no_route_the_app_no_longer_has() -> None:
    gone = sorted(ROUTES.keys() - APP_ROUTES)
    assert not gone, f"the table names routes the app does not serve: {gone}"


def test_every_task_scoped_route_is_compared() -> None:
    scoped = {k for k in APP_ROUTES if "{task_id}" in k[1] and not k[1].startswith("/public/")}
    compared = set(FORMS) | {("GET", p) for p in TASK_PAGES}
    assert scoped == compared


# ---------------------------------------------------------------------------- who asks
@dataclass(frozen=True)
class Who:
    name: str
    kind: AccountKind | None
    """None: the public, without a session."""
    user: str | None = None


PEOPLE = [
    Who("lead (education)", AccountKind.DEPARTMENT, "edu_zhang"),
    Who("cooperating (police)", AccountKind.DEPARTMENT, "police_wu"),
    Who("uninvolved (market)", AccountKind.DEPARTMENT, "market_sun"),
    Who("inspector, police, assigned to the target", AccountKind.INSPECTOR, "ga_inspector"),
    Who("inspector, market", AccountKind.INSPECTOR, "sc_inspector"),
    Who("office", AccountKind.OFFICE, "office_li"),
    Who("auditor", AccountKind.AUDITOR, "auditor_wang"),
    Who("public", None),
]


@dataclass
class Matrix:
    service: Service
    world: World
    joint: JointInspection
    target: str
    visitors: dict[str, Visitor]
    tokens: dict[str, str]
    """user name -> the CSRF token of that visitor's session."""

    def actor(self, who: Who) -> Actor:
        """As the console makes it (adapters/http/auth.py `actor_for` on the task)."""
        if who.user is None:
            return Actor.public()
        principal = self.service.accounts.principal_of_user(who.user)
        assert principal is not None
        role: Role | None = None
        if principal.department is not None and Role.INSPECTOR not in principal.roles:
            role = self.service.tasks.role_in(principal.department, self.joint.task_id)
        return principal.actor(role)

    def allowed(self, who: Who, entry: Entry, path: str) -> bool:
        task = self.joint.task()
        target = self.target if "{target}" in path else None
        actor = self.actor(who)
        return all(allows(actor, action, parties_of(task, target)) for action in entry.actions)

    def fill(self, path: str) -> str:
        return path.format(task_id=self.joint.task_id, target=self.target, number="1")


@pytest.fixture(scope="module")
def matrix() -> Iterator[Matrix]:
    service = service_at()
    world = World.of(service)
    joint = JointInspection(service).matched()
    target = joint.targets[0]
    [sheet] = [s for s in joint.task().record_sheets if s.target == target]
    world.add_user("police_wu", kind=AccountKind.DEPARTMENT, department="police")
    world.add_inspector("ga_inspector", "police", sheet.inspectors["police"][0])
    world.add_inspector("sc_inspector", "market", "SC001")
    visitors, tokens, clients = asyncio.run(_sign_in(world))
    yield Matrix(service, world, joint, target, visitors, tokens)
    asyncio.run(_close(clients))
    service.close()


async def _sign_in(
    world: World,
) -> tuple[dict[str, Visitor], dict[str, str], list[httpx.AsyncClient]]:
    visitors, tokens, clients = {}, {}, []
    for who in PEOPLE:
        client = world.client()
        clients.append(client)
        visitor = Visitor(client)
        if who.user is not None:
            answer = await visitor.sign_in(who.user, PASSWORD)
            assert answer.status_code == 303, text_of(answer.text)
            page = Page((await visitor.get("/signout")).text)
            [token] = {f.fields["csrf_token"] for f in page.all_forms() if "csrf_token" in f.fields}
            tokens[who.name] = token
        visitors[who.name] = visitor
    return visitors, tokens, clients


async def _close(clients: list[httpx.AsyncClient]) -> None:
    for client in clients:
        await client.aclose()


# ---------------------------------------------------------------------------- what each form sends
FIELDS: dict[str, dict[str, str]] = {
    "/confirm": {},
    "/decline": {"reason": "本部门人手不足"},
    "/inspectors": {},
    "/grouping": {"vehicle:1": "冀B·12345"},
    "/notice": {"method": "letter", "recipient": "法定代表人"},
    "/visit": {"signed": "yes", "note": ""},
    "/result": {"category": "未发现问题"},
    "/correction": {"category": "未发现问题", "reason": "录入笔误"},
    "/follow-ups": {"problem": "2 名教师无教师资格证", "due": "2024-02-20"},
    "/transfer": {"to": "迁安市市场监管局", "reason": "涉及无照经营线索"},
    "/close": {"outcome": "复查合格"},  # a follow-up's close; the task's close ignores it
    "/commit": {"beacon_source": BEACON_SOURCE},
    "/draw": {"beacon": BEACON},
    "/match": {},
    "/publish": {},
    "/exemptions": {"year": "2023", "reason_kind": "投诉举报", "reason": "12345 热线举报"},
}


def fields_of(matrix: Matrix, path: str) -> dict[str, str]:
    [suffix] = [s for s in FIELDS if path.endswith(s)]
    fields = dict(FIELDS[suffix])
    if suffix == "/follow-ups":
        fields["target"] = matrix.target
    if suffix == "/exemptions":
        fields["credit_code"] = matrix.target
    return fields


def outcome(answer: httpx.Response) -> str:
    """`signin`, `area`, `forbidden`, or `other` (not refused by the policy)."""
    if answer.status_code == 401:
        return "signin"
    if answer.status_code in (302, 303, 307):
        location = answer.headers["location"]
        if location.startswith("/signin"):
            return "signin"
        if location.split("?")[0] in ("/dept", "/office", "/audit", "/public"):
            return "area"
        return "other"  # post/redirect/get: done
    if answer.status_code == 403 or 'data-code="forbidden"' in answer.text:
        return "forbidden"
    return "other"


def expected(matrix: Matrix, who: Who, entry: Entry, path: str) -> str:
    if entry.area is not None:
        if who.kind is None:
            return "signin"
        if who.kind not in entry.area:
            return "area"
    return "other" if matrix.allowed(who, entry, path) else "forbidden"


def compare(matrix: Matrix, method: str, path: str, answers: dict[str, httpx.Response]) -> None:
    entry = ROUTES[(method, path)]
    wrong = []
    for who in PEOPLE:
        answer = answers[who.name]
        assert answer.status_code < 500, f"{who.name}: {answer.status_code} {answer.text[:300]}"
        want, got = expected(matrix, who, entry, path), outcome(answer)
        if want != got:
            wrong.append(
                f"{who.name}: expected {want}, got {got} "
                f"({answer.status_code} {text_of(answer.text)[:200]})"
            )
    assert not wrong, f"{method} {path} {[a.value for a in entry.actions]}:\n" + "\n".join(wrong)


# ---------------------------------------------------------------------------- the forms
XFAIL: dict[tuple[str, str], str] = {}
"""Routes whose answer disagrees with the policy, each with the disagreement (none known)."""


def _case(key: tuple[str, str]) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
    return pytest.param(*key, id=f"{key[0]} {key[1]}", marks=marks)


@pytest.mark.parametrize(("method", "path"), [_case(k) for k in FORMS])
async def test_each_form_refuses_exactly_whom_the_policy_refuses(
    matrix: Matrix, method: str, path: str
) -> None:
    url = matrix.fill(path)
    answers = {}
    for who in PEOPLE:
        data = {"command_id": str(uuid4()), **fields_of(matrix, path)}
        if who.name in matrix.tokens:
            data["csrf_token"] = matrix.tokens[who.name]
        answers[who.name] = await matrix.visitors[who.name].client.post(url, data=data)
    compare(matrix, method, path, answers)


@pytest.mark.parametrize(("method", "path"), [_case(("GET", p)) for p in TASK_PAGES])
async def test_each_task_page_refuses_exactly_whom_the_policy_refuses(
    matrix: Matrix, method: str, path: str
) -> None:
    url = matrix.fill(path)
    answers = {}
    for who in PEOPLE:
        answers[who.name] = await matrix.visitors[who.name].client.get(url)
    compare(matrix, method, path, answers)


def test_the_matrix_covers_every_role_of_the_task_and_outside_it(matrix: Matrix) -> None:
    actors = {who.name: matrix.actor(who) for who in PEOPLE}
    roles = {a.role for a in actors.values()}
    assert roles >= {Role.LEAD, Role.COOPERATING, Role.INSPECTOR, Role.OFFICE, Role.AUDITOR}
    assert Role.PUBLIC in roles
    task = matrix.joint.task()
    assert actors["lead (education)"] == Actor.lead(task.lead)
    assert actors["cooperating (police)"].department in task.cooperating
    assert actors["uninvolved (market)"].department not in {task.lead, *task.cooperating}
    inspector = actors["inspector, police, assigned to the target"].inspector
    assert inspector in task.inspectors_of(matrix.target)
