"""The authorization matrix, generated from the app's own routes: every /api/v1 route declares the
permission action it takes (`x-ssj-action`), and for every role (lead, cooperating, inspector,
office, auditor, public), of the task's own department and of another, the route refuses (401 or
403) exactly when services/permissions.py's `allows` says that actor may not take that action on
迁安市's joint task, matched and ready for its visits. A new route without an action, or without a
sample request here, fails the test."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from adapters.bootstrap import Service
from adapters.http.app import create_app
from services.actors import Actor, Role
from services.permissions import NOBODY, Action, Parties, allows
from services.tasks import parties_of
from tests.http.conftest import PASSWORD, World, service_at
from tests.services.conftest import JointInspection

SESSION = "/api/v1/session"
"""Signing in and out is authentication, for everyone: its routes declare READ_REGISTER and are
left out of the comparison (a sign-in with the sample body is a wrong password)."""


@dataclass(frozen=True)
class Route:
    """One route as the app serves it (FastAPI includes routers without copying their routes)."""

    path: str
    methods: frozenset[str]
    openapi_extra: dict[str, Any]
    body: Any
    """The body's pydantic model, if the route takes one."""


def api_routes(app: FastAPI) -> list[Route]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and str(context.path).startswith("/api/v1/"):
            body = route.body_field.field_info.annotation if route.body_field else None
            found.append(
                Route(
                    str(context.path),
                    frozenset(context.methods or ()),
                    dict(context.openapi_extra or {}),
                    body,
                )
            )
    return found


_SERVICE = service_at()
ROUTES = [
    (method, route)
    for route in api_routes(create_app(_SERVICE))
    for method in sorted(route.methods)
]
_SERVICE.close()


def test_every_api_route_declares_the_action_it_takes() -> None:
    missing = [
        f"{method} {route.path}"
        for method, route in ROUTES
        if route.openapi_extra.get("x-ssj-action") not in {a.value for a in Action}
    ]
    assert not missing, f"routes without x-ssj-action: {missing}"


def test_the_openapi_document_carries_each_action() -> None:
    service = service_at()
    document = create_app(service).openapi()
    service.close()
    for path, operations in document["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in operations.items():
                assert operation.get("x-ssj-action") in {a.value for a in Action}, (method, path)


# ---------------------------------------------------------------------------- who asks
@dataclass(frozen=True)
class Who:
    name: str
    actor: Actor
    key: str | None = None
    user: str | None = None


@dataclass
class Matrix:
    service: Service
    world: World
    joint: JointInspection
    target: str
    sessions: dict[str, tuple[str, str]]
    """user name -> (session cookie, CSRF token)."""
    people: list[Who]

    def client(self, who: Who) -> httpx.AsyncClient:
        if who.key is not None:
            return self.world.key(who.key)
        client = self.world.client()
        if who.user is not None:
            cookie, token = self.sessions[who.user]
            client.cookies.set("ssj_session", cookie)
            client.headers["X-CSRF-Token"] = token
        return client


@pytest.fixture(scope="module")
def matrix() -> Iterator[Matrix]:
    service = service_at()
    world = World.of(service)
    joint = JointInspection(service).matched()
    target = joint.targets[0]
    task = joint.task()
    [sheet] = [s for s in task.record_sheets if s.target == target]
    own_inspector = sheet.inspectors["police"][0]
    world.add_inspector("ga_inspector", "police", own_inspector)
    world.add_inspector("sc_inspector", "market", "SC001")
    people = [
        Who("lead, own", Actor.lead("education"), key="education"),
        Who("lead, other", Actor.lead("market"), key="market_lead"),
        Who("cooperating, own", Actor.cooperating("police"), key="police"),
        Who("cooperating, other", Actor.cooperating("market"), key="market"),
        Who("lead key of a cooperating department", Actor.lead("police"), key="police_lead"),
        Who("inspector, own", Actor.of_inspector("police", own_inspector), user="ga_inspector"),
        Who("inspector, other", Actor.of_inspector("market", "SC001"), user="sc_inspector"),
        Who("office", Actor.office(), user="office_li"),
        Who("auditor", Actor.auditor(), user="auditor_wang"),
        Who("public", Actor.public()),
    ]
    sessions = asyncio.run(_sign_in(world, [w.user for w in people if w.user]))
    yield Matrix(service, world, joint, target, sessions, people)
    service.close()


async def _sign_in(world: World, users: list[str]) -> dict[str, tuple[str, str]]:
    sessions = {}
    for user in users:
        async with world.client() as client:
            answer = await client.post(SESSION, json={"username": user, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            sessions[user] = (client.cookies["ssj_session"], answer.json()["csrf_token"])
    return sessions


# ---------------------------------------------------------------------------- what each route acts on
def parties(matrix: Matrix, route: Route, action: Action, actor: Actor) -> Parties:
    """Whom the route's action acts on, as the service asks the policy."""
    path = route.path
    if "{task_id}" in path:
        target = matrix.target if action in (Action.RECORD_RESULT, Action.CORRECT_RESULT) else None
        return parties_of(matrix.joint.task(), target)
    if path == "/api/v1/target-directories":
        return Parties.owned_by(actor.department or "")  # a department opens its own
    if path.startswith("/api/v1/target-directories"):
        return Parties.owned_by("education")
    if path.startswith("/api/v1/inspector-directory"):
        return Parties.owned_by(actor.department or "")
    if path == "/api/v1/plans":
        return Parties(lead=actor.department)
    if route.openapi_extra.get("x-ssj-parties") == "plan-lead":
        return Parties(lead="education")  # the plan's department, as its tasks' lead
    if path.startswith("/api/v1/plans/"):
        return Parties(owner="education")
    if "{department}" in path:
        return Parties.owned_by("police")
    if action in (Action.LIST_TASKS, Action.READ_LEDGER, Action.READ_STATISTICS):
        return Parties(owner=actor.department)
    return NOBODY


def request_of(matrix: Matrix, method: str, route: Route) -> tuple[str, dict[str, Any] | None]:
    """The route's path filled with the joint task's values, and its body's own first example."""
    values = {
        "task_id": str(matrix.joint.task_id),
        "target": matrix.target,
        "number": "1",
        "directory_id": str(matrix.joint.directory_id),
        "inspector_id": "GA001",
        "department": "police",
        "year": "2023",
        "plan_id": str(matrix.joint.plan_id),
    }
    names = re.findall(r"{(\w+)}", route.path)
    unknown = [n for n in names if n not in values]
    assert not unknown, f"{route.path}: no sample value for {unknown}"
    path = route.path.format(**{n: values[n] for n in names})
    if method in ("GET", "DELETE") or route.body is None:
        return path, None
    schema = route.body.model_json_schema()
    examples = schema.get("examples")
    assert examples, f"{method} {route.path}: its body has no example"
    # Now, by the service's clock: an example's date may be later than the test's clock.
    return path, {k: v for k, v in examples[0].items() if k != "at"}


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for m, r in ROUTES if not r.path.startswith(SESSION)],
    ids=[f"{m} {r.path}" for m, r in ROUTES if not r.path.startswith(SESSION)],
)
async def test_the_route_refuses_exactly_whom_the_policy_refuses(
    matrix: Matrix, method: str, route: Route
) -> None:
    action = Action(route.openapi_extra["x-ssj-action"])
    path, body = request_of(matrix, method, route)
    wrong = []
    for who in matrix.people:
        expected = allows(who.actor, action, parties(matrix, route, action, who.actor))
        async with matrix.client(who) as client:
            answer = await client.request(method, path, json=body)
        assert answer.status_code < 500, f"{who.name}: {answer.status_code} {answer.text}"
        refused = answer.status_code in (401, 403)
        if refused == expected:
            wrong.append(f"{who.name}: {answer.status_code} {answer.text[:160]}")
    assert not wrong, f"{method} {path} ({action.value}):\n" + "\n".join(wrong)


def test_the_matrix_covers_every_role_of_own_and_other_departments(matrix: Matrix) -> None:
    roles = {w.actor.role for w in matrix.people}
    assert roles >= {Role.LEAD, Role.COOPERATING, Role.INSPECTOR, Role.OFFICE, Role.AUDITOR}
    assert Role.PUBLIC in roles
    task = matrix.joint.task()
    departments = {w.actor.department for w in matrix.people} - {None}
    assert departments & {task.lead, *task.cooperating}
    assert departments - {task.lead, *task.cooperating}
