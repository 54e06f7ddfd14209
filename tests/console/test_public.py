"""公示 without signing in: each task's publication table, a search by 统一社会信用代码 or by
name, an enterprise's results in the national publicity system's categories, and each draw's
inputs, ready for the browser's re-run (draw.js)."""

from __future__ import annotations

import json
import re

from domain.values import ResultCategory
from services.actors import Actor
from tests.console.conftest import (
    PROBLEM,
    TASK_NAME,
    World,
    commit_and_draw,
    text_of,
    the_whole_demo,
)


async def test_a_tasks_publication_shows_each_targets_results_by_department(world: World) -> None:
    found = await the_whole_demo(world)
    answer = await world.public.get(f"/public/tasks/{world.task_id}")
    assert answer.status_code == 200
    table = answer.text
    assert table.count("<tr data-credit-code=") == len(found)
    for department in ("教育局", "公安局", "消防救援大队"):
        assert f"<th>{department}</th>" in table
    categories = set(re.findall(r'<td data-label="[^"]+">([^<]+)</td>', table))
    assert categories & {c.value for c in ResultCategory} == {
        "未发现问题",
        "发现问题待后续处理",
        "发现问题已责令改正",
    }
    assert PROBLEM not in table  # what was found in detail stays with the departments


async def test_the_public_finds_an_enterprise_by_credit_code_or_by_name(world: World) -> None:
    found = await the_whole_demo(world)
    code = found[0]
    by_code = await world.public.get("/public/search", q=code.lower())
    assert by_code.status_code == 200
    assert f'data-credit-code="{code}"' in by_code.text
    assert "发现问题待后续处理" in by_code.text  # the education bureau's result there

    name = world.service.queries.register(Actor.public(), code).items[0].name
    fragment = name.removeprefix("迁安市")[:4]
    by_name = await world.public.get("/public/search", q=fragment)
    assert f'data-credit-code="{code}"' in by_name.text
    assert all(
        fragment in n
        for n in re.findall(r'<h3><a href="/public/targets/[^"]+">([^<]+)</a>', by_name.text)
    )

    nothing = await world.public.get("/public/search", q="不存在的机构名称")
    assert 'data-testid="no-entries"' in nothing.text

    enterprise = await world.public.get(f"/public/targets/{code}")
    assert enterprise.status_code == 200
    assert name in enterprise.text
    assert TASK_NAME in enterprise.text


async def test_a_draws_page_publishes_its_inputs_for_the_browsers_rerun(world: World) -> None:
    await commit_and_draw(world)
    answer = await world.public.get(f"/public/draws/{world.task_id}")
    assert answer.status_code == 200
    assert 'id="rerun-draw"' in answer.text
    assert 'id="rerun-result"' in answer.text
    assert '<script src="/static/draw.js" defer></script>' in answer.text
    block = re.search(
        r'<script type="application/json" id="draw-inputs">(.*?)</script>', answer.text, re.S
    )
    assert block is not None
    inputs = json.loads(block.group(1))
    task = world.service.tasks.task(Actor.office(), world.task_id)
    drawn = task.target_draw
    assert drawn is not None
    assert inputs["seed"] == drawn.seed
    assert inputs["secret"] == drawn.secret
    assert inputs["beacon"] == drawn.beacon
    assert inputs["population_digest"] == drawn.population_digest
    from domain import draw

    population = {code: grade for code, grade in inputs["population"]}
    assert draw.population_digest(population) == drawn.population_digest
    assert sum(len(ids) for ids in inputs["drawn"].values()) == len(task.drawn_targets)
    page = text_of(answer.text)
    for grade, stratum in drawn.strata.items():
        assert f"{grade} 类" in page
        assert str(stratum["k"]) in page


async def test_a_task_not_drawn_has_no_public_page(world: World) -> None:
    answer = await world.public.get(f"/public/draws/{world.task_id}")
    assert answer.status_code == 404
    assert "没有" in text_of(answer.text)
    assert TASK_NAME not in answer.text
