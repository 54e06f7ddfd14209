"""The HTTP front on the in-memory store, as its users reach it: departments' systems with API
keys, staff signed in with a session (and its CSRF token), and the public with nothing.

`Api` opens one client per principal over httpx's ASGI transport; `world` holds 迁安市's
departments and accounts (tests/services/conftest.py's joint inspection supplies the data).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.clock import ManualClock
from adapters.http.app import create_app
from domain.values import CHINA
from services.accounts import AccountKind, Accounts
from services.actors import Role
from tests.accounts.conftest import cheap_hasher

NOW = datetime(2024, 1, 10, 9, 0, tzinfo=CHINA)
"""The service's clock: after every moment of the 2023 joint inspection, which each command dates."""
PASSWORD = "迁安市联合抽查2023"

KEYS = {
    "education": ("education", Role.LEAD),
    "police": ("police", Role.COOPERATING),
    "fire": ("fire", Role.COOPERATING),
    "market": ("market", Role.COOPERATING),
    "police_lead": ("police", Role.LEAD),
    "market_lead": ("market", Role.LEAD),
}
"""API keys: a department's system, in one role."""
USERS: dict[str, dict[str, Any]] = {
    "office_li": {"kind": AccountKind.OFFICE},
    "auditor_wang": {"kind": AccountKind.AUDITOR},
    "fire_zhao": {"kind": AccountKind.DEPARTMENT, "department": "fire"},
    "edu_zhang": {"kind": AccountKind.DEPARTMENT, "department": "education"},
    "market_sun": {"kind": AccountKind.DEPARTMENT, "department": "market"},
}
"""Staff who sign in; inspectors are added once their ids are known (`World.add_inspector`)."""


def service_at(now: datetime = NOW) -> Service:
    """The in-memory service on a clock of its own, with argon2 made cheap for tests."""
    service = bootstrap(load_settings(), memory=True, clock=ManualClock(now))
    service.__dict__["accounts"] = Accounts(service.account_store, cheap_hasher())
    return service


@dataclass
class World:
    service: Service
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)
    """API key name -> its token."""
    slept: list[float] = field(default_factory=list)
    """What each failed sign-in waited before its answer (the test's sleep does not wait)."""

    @classmethod
    def of(cls, service: Service) -> World:
        world = cls(service, create_app(service))
        world.app.state.sleep = _no_wait(world)
        for name, (department, role) in KEYS.items():
            _, world.tokens[name] = service.accounts.create_key(
                department, role, name, at=service.clock.now()
            )
        for username, account in USERS.items():
            world.add_user(username, **account)
        return world

    def add_user(self, username: str, **account: Any) -> None:
        self.service.accounts.add_user(username, PASSWORD, at=self.service.clock.now(), **account)

    def add_inspector(self, username: str, department: str, inspector: str) -> None:
        self.add_user(
            username, kind=AccountKind.INSPECTOR, department=department, inspector=inspector
        )

    def client(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app), base_url="http://ssj.test", headers=headers
        )

    def key(self, name: str) -> httpx.AsyncClient:
        """A department's system with its API key."""
        return self.client(Authorization=f"Bearer {self.tokens[name]}")

    async def user(self, username: str) -> httpx.AsyncClient:
        """Staff signed in: the session cookie, and the CSRF token every change must carry."""
        client = self.client()
        answer = await client.post(
            "/api/v1/session", json={"username": username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client


def _no_wait(world: World) -> Any:
    async def sleep(seconds: float) -> None:
        world.slept.append(seconds)

    return sleep


@pytest.fixture
def service() -> Iterator[Service]:
    service = service_at()
    yield service
    service.close()


@pytest.fixture
def world(service: Service) -> World:
    return World.of(service)


@pytest.fixture
async def public(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client() as client:
        yield client


def problem(answer: httpx.Response) -> dict[str, Any]:
    """The error of a refusal: code, field, message."""
    body = answer.json()
    assert set(body["error"]) == {"code", "field", "message"}, body
    error: dict[str, Any] = body["error"]
    return error
