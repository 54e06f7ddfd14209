"""The console on PostgreSQL as `ssj db migrate` made it, as the service's role: the demo's
joint inspection through the pages, the inbox's poll against PostgreSQL's read models, the
public's register and draw, and the auditor's verification."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.clock import ManualClock
from tests.conftest import Database
from tests.console.conftest import (
    TASK_NAME,
    World,
    commit_and_draw,
    confirm_and_draw_inspectors,
    inspect_every_target,
    publish_and_close,
    text_of,
    with_accounts,
)
from tests.console.test_inbox import poll_of


@pytest.fixture
def service(database: Database, clock: ManualClock) -> Iterator[Service]:
    settings = load_settings(database_url=database.service_url)
    service = with_accounts(bootstrap(settings, clock=clock), clock)
    yield service
    service.close()


async def test_the_joint_inspection_runs_through_the_pages_on_postgresql(world: World) -> None:
    police = world["gongan"]
    poll, _, _ = poll_of((await police.get("/dept")).text)
    assert (await police.client.get(poll)).status_code == 204

    await commit_and_draw(world)
    arrived = await police.client.get(poll)
    assert arrived.status_code == 200
    assert TASK_NAME in arrived.text

    await confirm_and_draw_inspectors(world)
    found = await inspect_every_target(world)
    await publish_and_close(world, found)

    publication = await world.public.get(f"/public/tasks/{world.task_id}")
    assert publication.text.count("<tr data-credit-code=") == len(found)
    by_name = await world.public.get("/public/search", q="培训")
    assert 'data-testid="entry"' in by_name.text
    drawn = await world.public.get(f"/public/draws/{world.task_id}")
    block = re.search(r'id="draw-inputs">(.*?)</script>', drawn.text, re.S)
    assert block is not None
    assert json.loads(block.group(1))["population"]

    verified = await world["shenji"].get("/audit/verify")
    assert 'data-testid="verification" data-ok="true"' in verified.text
    assert "已结案" in text_of((await world["jiaoyu"].get(world.task_path)).text)
