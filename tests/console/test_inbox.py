"""A cooperating department's inbox: the dispatch appears by itself (the page polls a fragment
that answers 204 while nothing moved), with the working days left to confirm, and an overdue
confirmation said in words, not colour alone."""

from __future__ import annotations

import re

from tests.console.conftest import TASK_NAME, World, commit_and_draw, text_of


def poll_of(html: str) -> tuple[str, str, str]:
    """The inbox's own poll, as htmx reads it from the page."""
    section = re.search(r'<section id="inbox"[^>]*>', html)
    assert section is not None, "the department's page has no inbox"
    tag = section.group(0)
    get = re.search(r'hx-get="([^"]+)"', tag)
    trigger = re.search(r'hx-trigger="([^"]+)"', tag)
    swap = re.search(r'hx-swap="([^"]+)"', tag)
    assert get and trigger and swap
    return get.group(1).replace("&amp;", "&"), trigger.group(1), swap.group(1)


async def test_the_inbox_answers_204_until_a_dispatch_arrives_then_shows_it(
    world: World,
) -> None:
    police = world["gongan"]
    page = await police.get("/dept")
    assert 'data-testid="inbox-empty"' in page.text
    poll, trigger, swap = poll_of(page.text)
    assert trigger == "every 5s"
    assert swap == "outerHTML"

    quiet = await police.client.get(poll, headers={"HX-Request": "true"})
    assert quiet.status_code == 204  # htmx 2 swaps nothing: the page stays as it is
    assert quiet.content == b""

    await commit_and_draw(world)  # the lead draws; the dispatch goes out to police and fire

    arrived = await police.client.get(poll, headers={"HX-Request": "true"})
    assert arrived.status_code == 200
    assert TASK_NAME in arrived.text
    assert "确认派发任务" in text_of(arrived.text)
    assert arrived.text.lstrip().startswith('<section id="inbox"')  # the fragment alone
    assert "<html" not in arrived.text
    next_poll, _, _ = poll_of(arrived.text)
    assert next_poll != poll  # it now waits from where the read models stand
    again = await police.client.get(next_poll, headers={"HX-Request": "true"})
    assert again.status_code == 204


async def test_the_inbox_counts_working_days_to_the_confirmation_deadline(world: World) -> None:
    await commit_and_draw(world)  # dispatched Wednesday 2023-11-01: confirm by Friday 11-03
    world.at("2023-11-01", "10:00")
    fresh = text_of((await world["gongan"].get("/dept")).text)
    assert "剩余 2 个工作日（2023-11-03 前）" in fresh

    world.at("2023-11-03", "09:00")
    today = await world["gongan"].get("/dept")
    assert "今天截止（2023-11-03）" in text_of(today.text)
    assert "due-today" in today.text


async def test_an_overdue_confirmation_is_marked_in_words_and_by_class(world: World) -> None:
    await commit_and_draw(world)
    world.at("2023-11-06", "08:30")  # Monday: the weekend does not count, Monday does
    world.service.deadlines.check(world.clock.now())
    world.service.settle()
    page = await world["xiaofang"].get("/dept")
    shown = text_of(page.text)
    assert "逾期" in shown
    assert "已逾期 1 个工作日（期限 2023-11-03）" in shown
    assert re.search(r'class="deadline overdue"[^>]*data-overdue="true"', page.text)
    assert "确认派发任务（2023-11-03 前，已逾期）" in shown  # what it owes, as the service says


async def test_the_inbox_fragment_is_only_for_a_signed_in_department(world: World) -> None:
    answer = await world.public.client.get("/dept/inbox", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"].startswith("/signin")
