"""The public pages are kept for a moment for visitors without credentials: what anyone sees is
the same, a command settled here drops them at once, and nothing of a signed-in visitor or a
department's key is ever kept or given to another."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from adapters.http import commands
from adapters.http.public_cache import PublicCache
from tests.http.conftest import World


def counting_app(answers: list[str]) -> Starlette:
    async def page(request: Request) -> Response:
        answers.append(request.url.path)
        headers = {"set-cookie": "a=b"} if "cookie" in request.url.path else {}
        return PlainTextResponse(f"answer {len(answers)}", headers=headers)

    return Starlette(routes=[Route("/{path:path}", page)])


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def get(app: Any, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        return await client.get(path, headers=headers)


async def test_an_anonymous_public_answer_is_kept_for_its_seconds_then_made_anew() -> None:
    answers: list[str] = []
    clock = Clock()
    app = PublicCache(counting_app(answers), seconds=2, clock=clock)
    first = await get(app, "/public/search?q=91130283MA00000097")
    again = await get(app, "/public/search?q=91130283MA00000097")
    other = await get(app, "/public/search?q=52130283MJ00000010")
    assert first.text == again.text == "answer 1" and other.text == "answer 2"
    clock.now += 2.5
    assert (await get(app, "/public/search?q=91130283MA00000097")).text == "answer 3"
    commands._changes += 1  # a command settled in this process
    assert (await get(app, "/public/search?q=91130283MA00000097")).text == "answer 4"


async def test_credentials_other_paths_and_cookies_are_never_kept() -> None:
    answers: list[str] = []
    app = PublicCache(counting_app(answers), seconds=60, clock=Clock())
    for _ in range(2):
        await get(app, "/public/x", authorization="Bearer ssj_key")
        await get(app, "/public/x", **{"x-api-key": "ssj_key"})
        await get(app, "/public/x", cookie="ssj_session=signed")
        await get(app, "/dept")
        await get(app, "/public/cookie")
    assert len(answers) == 10


async def test_a_visitor_never_gets_what_a_signed_in_clerk_was_shown(world: World) -> None:
    clerk = await world.user("fire_zhao")
    try:
        seen = await clerk.get("/public", headers={"accept": "text/html"})
    finally:
        await clerk.aclose()
    assert "退出登录" in seen.text
    async with world.client() as visitor:
        public = await visitor.get("/public", headers={"accept": "text/html"})
        again = await visitor.get("/public", headers={"accept": "text/html"})
    assert public.status_code == 200 and "退出登录" not in public.text
    assert again.text == public.text
    assert again.headers["Content-Security-Policy"] == public.headers["Content-Security-Policy"]


async def test_past_its_time_an_entry_is_given_while_one_request_makes_it_anew() -> None:
    answers: list[str] = []
    clock = Clock()
    app = PublicCache(counting_app(answers), seconds=2, clock=clock)
    assert (await get(app, "/public")).text == "answer 1"
    clock.now += 3
    app.renewing.add("/public?")  # another visitor's request is making it anew
    assert (await get(app, "/public")).text == "answer 1"
    app.renewing.clear()
    assert (await get(app, "/public")).text == "answer 2"
    commands._changes += 1
    app.renewing.add("/public?")  # after a command, nobody is given the answer before it
    assert (await get(app, "/public")).text == "answer 3"
