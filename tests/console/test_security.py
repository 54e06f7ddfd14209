"""What the pages promise whoever uses them: every form carries the session's CSRF token, no
page runs or styles anything inline (the CSP allows only this site's files), and the public
never sees an inspector's id, name or phone, nor a result before it is published."""

from __future__ import annotations

import json
import re

import httpx

from adapters.cli.demo_data import inspectors
from services.actors import Actor
from tests.console.conftest import (
    TASK_NAME,
    Page,
    World,
    commit_and_draw,
    confirm_and_draw_inspectors,
    inspect_every_target,
    text_of,
    the_whole_demo,
)

INSPECTORS = [
    person
    for department, prefix in (("education", "JY"), ("police", "GA"), ("fire", "XF"))
    for person in inspectors(department, prefix)
]


async def every_page(world: World, found: list[str]) -> dict[str, list[httpx.Response]]:
    """Every page of every role on the finished demo."""
    task = world.task_id
    sheet = f"{world.task_path}/targets/{found[0]}"
    paths = {
        "jiaoyu": ["/dept", "/dept/plans", world.task_path, sheet, f"{world.task_path}/draw"],
        "gongan": ["/dept", world.task_path, sheet],
        "xiaofang": ["/dept", world.task_path, sheet],
        "shichang": ["/dept"],
        "bangongshi": [
            "/office",
            f"/office/tasks/{task}",
            "/office/filings",
            "/office/statistics",
            "/signout",
        ],
        "shenji": [
            "/audit",
            f"/audit/tasks/{task}",
            f"/audit/tasks/{task}?version=3",
            "/audit/verify",
        ],
    }
    pages: dict[str, list[httpx.Response]] = {}
    for username, visited in paths.items():
        pages[username] = [await world[username].get(path) for path in visited]
    pages["public"] = [await world.public.get(path) for path in public_paths(world, found)]
    for answers in pages.values():
        for answer in answers:
            assert answer.status_code == 200, (answer.url, text_of(answer.text)[:300])
    return pages


def public_paths(world: World, found: list[str]) -> list[str]:
    return [
        "/public",
        f"/public/tasks/{world.task_id}",
        f"/public/draws/{world.task_id}",
        f"/public/targets/{found[0]}",
        f"/public/search?q={found[1]}",
        "/public/search?q=培训",
        "/signin",
    ]


async def test_every_form_carries_the_sessions_csrf_token(world: World) -> None:
    found = await the_whole_demo(world)
    pages = await every_page(world, found)
    for username, answers in pages.items():
        if username == "public":
            continue
        token = None
        for answer in answers:
            page = Page(answer.text)
            headers = re.search(r"<body hx-headers='([^']+)'>", answer.text)
            assert headers, answer.url
            sent = json.loads(headers.group(1).replace("&#34;", '"'))["X-CSRF-Token"]
            token = token or sent
            assert sent == token  # the session's one token, for htmx's requests too
            for form in page.all_forms():
                if form.method == "post":
                    assert form.fields.get("csrf_token") == token, (answer.url, form.action)


async def test_a_form_sent_without_its_token_changes_nothing(world: World) -> None:
    await commit_and_draw(world)
    police = world["gongan"]
    form = Page((await police.get(world.task_path)).text).forms["confirm-form"]
    events = len(world.service.queries.history(_office(), world.task_id))
    for forged in ({}, {"csrf_token": "not-the-token"}):
        fields = {k: v for k, v in form.fields.items() if k != "csrf_token"} | forged
        answer = await police.client.post(form.action, data=fields)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "csrf_failed"
    assert len(world.service.queries.history(_office(), world.task_id)) == events
    again = Page((await police.get(world.task_path)).text)
    assert "confirm-form" in again.forms  # still to be confirmed


def _office() -> Actor:
    return Actor.office()


INLINE_HANDLER = re.compile(r"^on[a-z]+$")


async def test_no_page_has_an_inline_script_style_or_handler(world: World) -> None:
    found = await the_whole_demo(world)
    pages = await every_page(world, found)
    for answers in pages.values():
        for answer in answers:
            csp = answer.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp
            assert "unsafe-inline" not in csp
            page = Page(answer.text)
            for script in page.scripts:
                # a script is a file of this site, or data that never runs
                assert str(script.get("src") or "").startswith("/static/") or (
                    script.get("type") == "application/json"
                ), (answer.url, script)
            for tag, name, _ in page.attributes:
                assert name != "style", (answer.url, tag)
                assert not INLINE_HANDLER.match(name), (answer.url, tag, name)
                assert not (name == "href" and str(_ or "").startswith("javascript:"))
            assert "<style" not in answer.text, answer.url
            assert '<html lang="zh-CN">' in answer.text


async def test_the_public_never_sees_an_inspector_nor_an_unpublished_result(
    world: World,
) -> None:
    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    found = await inspect_every_target(world)  # every result in, none published yet
    before = [await world.public.get(path) for path in public_paths(world, found)]
    task_page = text_of(before[1].text)
    assert TASK_NAME in task_page
    assert "检查结果尚未公示" in task_page
    for answer in before:
        shown = answer.text
        assert "未发现问题" not in shown and "发现问题待后续处理" not in shown, answer.url
        assert 'data-testid="entry"' not in shown

    await world["jiaoyu"].submit(world.task_path, "publish-form")
    after = [await world.public.get(path) for path in public_paths(world, found)]
    assert "未发现问题" in after[1].text  # published: now the public sees the results
    assert "发现问题待后续处理" in after[1].text
    for answer in [*before, *after]:
        for person in INSPECTORS:
            assert person.inspector_id not in answer.text, (answer.url, person.inspector_id)
            assert person.phone not in answer.text, (answer.url, person.phone)
            assert person.name not in answer.text, (answer.url, person.name)
            assert person.certificate_no not in answer.text, (answer.url, person.certificate_no)


async def test_a_person_whose_form_fails_the_csrf_check_reads_why_on_a_page_not_json(
    world: World,
) -> None:
    """A stale tab's form (its token from an earlier session) is refused before any command runs,
    and the clerk is told why in Chinese, on the console's own page; the API keeps its JSON."""
    edu = world["jiaoyu"]
    browser = {"accept": "text/html,application/xhtml+xml"}
    answer = await edu.client.post(
        world.task_path + "/commit",
        data={"csrf_token": "stale", "beacon_source": "见证人报数"},
        headers=browser,
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "CSRF 令牌" in text_of(answer.text) and "请刷新页面后重试" in text_of(answer.text)
    assert world.service.tasks.task(Actor.lead("education"), world.task_id).commitment is None

    missing = await edu.client.get("/dept/no-such-page", headers=browser)
    assert missing.status_code == 404
    assert "没有这个地址" in text_of(missing.text)
    api = await edu.client.get("/api/v1/no-such-route", headers=browser)
    assert api.status_code == 404 and api.json()["error"]["code"] == "route_not_found"
