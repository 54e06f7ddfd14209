"""What an attacker meets: a session cookie scripts cannot read nor other sites send, no change
without the CSRF token, no inline script the page could be made to run, guesses slowed down and
then locked out, keys that stop working when revoked, and logs that keep no secret."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.bootstrap import load_settings
from adapters.http.secret_key import session_secret
from services.accounts import FIRST_DELAY, MAX_FAILURES
from tests.http.conftest import PASSWORD, World, problem


async def sign_in(world: World, username: str, password: str) -> tuple[int, dict[str, object]]:
    async with world.client() as client:
        answer = await client.post(
            "/api/v1/session", json={"username": username, "password": password}
        )
    return answer.status_code, answer.json()


async def test_the_session_cookie_is_httponly_and_samesite(world: World) -> None:
    async with world.client() as client:
        answer = await client.post(
            "/api/v1/session", json={"username": "office_li", "password": PASSWORD}
        )

    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("ssj_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert PASSWORD.lower() not in cookie
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_cookie_is_secure_when_the_service_is_served_over_https(world: World) -> None:
    from starlette.middleware.sessions import SessionMiddleware

    from adapters.http.app import create_app

    world.service.settings = world.service.settings.model_copy(update={"session_https_only": True})
    app = create_app(world.service)
    [session] = [m for m in app.user_middleware if m.cls is SessionMiddleware]
    assert session.kwargs["https_only"] is True


async def test_a_change_by_cookie_without_the_csrf_token_is_refused(world: World) -> None:
    client = await world.user("fire_zhao")
    token = client.headers.pop("X-CSRF-Token")

    refused = await client.post("/api/v1/target-directories", json={"name": "消防名录库"})
    wrong = await client.post(
        "/api/v1/target-directories",
        json={"name": "消防名录库"},
        headers={"X-CSRF-Token": token[:-2] + "xx"},
    )
    allowed = await client.post(
        "/api/v1/target-directories", json={"name": "消防名录库"}, headers={"X-CSRF-Token": token}
    )
    signed_out = await client.delete("/api/v1/session")
    await client.aclose()

    assert refused.status_code == wrong.status_code == 403
    assert problem(refused)["code"] == "csrf_failed"
    assert problem(refused)["field"] == "csrf_token"
    assert allowed.status_code == 201, allowed.text
    assert signed_out.status_code == 403  # signing out is a change too


async def test_an_api_key_needs_no_csrf_token(world: World) -> None:
    async with world.key("education") as education:
        answer = await education.post("/api/v1/target-directories", json={"name": "教育名录库"})
    assert answer.status_code == 201


async def test_every_answer_carries_the_security_headers(world: World) -> None:
    async with world.client() as public:
        answer = await public.get("/api/v1/register")

    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "Cache-Control" not in answer.headers  # the public register may be cached


async def test_an_authenticated_answer_is_never_stored(world: World) -> None:
    async with world.key("education") as education:
        answer = await education.get("/api/v1/tasks")
    assert answer.headers["Cache-Control"] == "no-store"


async def test_the_packages_own_files_are_kept_by_the_browser_of_a_signed_in_clerk(
    world: World,
) -> None:
    """htmx and the CSS are the same for everyone: a page does not fetch them again each time."""
    clerk = await world.user("fire_zhao")
    try:
        script = await clerk.get("/static/htmx-2.0.11.min.js")
        page = await clerk.get("/api/v1/session")
    finally:
        await clerk.aclose()
    assert script.status_code == 200 and "no-store" not in script.headers.get("Cache-Control", "")
    assert script.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


async def test_failures_slow_down_then_lock_even_the_right_password(world: World) -> None:
    statuses = [(await sign_in(world, "office_li", "wrong password!"))[0] for _ in range(5)]
    locked, body = await sign_in(world, "office_li", PASSWORD)

    assert statuses == [401] * (MAX_FAILURES - 1) + [429]
    assert world.slept == [FIRST_DELAY * 2**n for n in range(MAX_FAILURES - 1)]
    assert locked == 429
    assert body["error"]["code"] == "account_locked"  # type: ignore[index]

    world.service.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    assert (await sign_in(world, "office_li", PASSWORD))[0] == 200


async def test_a_locked_answer_says_when_to_try_again(world: World) -> None:
    for _ in range(MAX_FAILURES):
        await sign_in(world, "office_li", "wrong password!")
    async with world.client() as client:
        answer = await client.post(
            "/api/v1/session", json={"username": "office_li", "password": PASSWORD}
        )
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60


async def test_a_sign_in_posted_by_another_site_s_form_is_refused(world: World) -> None:
    """A form can send JSON-looking text as text/plain without the browser asking first: the
    API takes JSON as JSON only, so no other site signs a browser in under its own account."""
    body = f'{{"username": "office_li", "password": "{PASSWORD}"}}'
    async with world.client() as client:
        answer = await client.post(
            "/api/v1/session", content=body.encode(), headers={"Content-Type": "text/plain"}
        )

    assert answer.status_code == 422
    assert problem(answer) == {
        "code": "invalid_request",
        "field": "body",
        "message": "应为 JSON 对象",
    }
    assert "set-cookie" not in answer.headers


async def test_an_unknown_user_is_answered_as_a_wrong_password(world: World) -> None:
    unknown = await sign_in(world, "nobody_here", PASSWORD)
    wrong = await sign_in(world, "office_li", "wrong password!")
    assert unknown == wrong
    assert unknown[0] == 401


async def test_a_disabled_account_is_signed_out_at_once(world: World) -> None:
    client = await world.user("fire_zhao")
    assert (await client.get("/api/v1/tasks")).status_code == 200
    world.service.accounts.disable_user("fire_zhao", at=world.service.clock.now())

    answer = await client.get("/api/v1/tasks")
    session = await client.get("/api/v1/session")
    await client.aclose()

    assert answer.status_code == 401
    assert session.json()["signed_in"] is False


async def test_a_revoked_key_is_refused(world: World) -> None:
    key_id = world.tokens["market"].split("_")[1]
    world.service.accounts.revoke_key(key_id, at=world.service.clock.now())
    async with world.key("market") as market:
        answer = await market.get("/api/v1/tasks")
    async with world.client(**{"X-API-Key": "ssj_0000_not-a-key"}) as forged:
        forged_answer = await forged.get("/api/v1/register")

    assert answer.status_code == forged_answer.status_code == 401
    assert problem(answer)["code"] == "invalid_key"
    assert problem(forged_answer)["field"] == "api_key"


async def test_the_logs_keep_no_password_token_or_cookie(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ssj.http"):
        await sign_in(world, "office_li", "wrong password!")
        client = await world.user("office_li")
        await client.get("/api/v1/tasks")
        await client.delete("/api/v1/session")
        cookie = str(client.cookies.get("ssj_session", ""))
        await client.aclose()
        async with world.key("education") as education:
            await education.get("/api/v1/tasks")
            await education.get("/api/v1/escalations")

    events = [r.getMessage() for r in caplog.records]
    assert {"sign_in_failed", "sign_in", "sign_out", "key_used", "refused"} <= set(events)
    from adapters.http.logs import JsonFormatter

    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert all(json.loads(line)["logger"] == "ssj.http" for line in lines)  # one JSON object each
    text = "\n".join(lines)
    secret = world.tokens["education"].split("_", 2)[2]
    for leak in (PASSWORD, "wrong password!", secret, *([cookie] if cookie else [])):
        assert leak not in text
    assert world.tokens["education"].split("_")[1] in text  # the key's id is logged


def test_the_session_secret_is_made_once_and_kept_for_the_service_alone(tmp_path: Path) -> None:
    settings = load_settings(db=tmp_path / "ssj.db")
    first = session_secret(settings, memory=False)
    again = session_secret(settings, memory=False)
    [kept] = [p for p in tmp_path.iterdir() if "session" in p.name]

    assert first == again
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600


def test_a_short_or_sample_session_secret_stops_the_start() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SSJ_SESSION_SECRET"):
        load_settings(session_secret="too short")
    with pytest.raises(ValidationError, match="SSJ_SESSION_SECRET"):
        load_settings(session_secret="changethis" * 4)
