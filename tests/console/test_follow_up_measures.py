"""后续处置措施 on the console: each follow-up form offers its step's measures (the domain's, no
other), the one chosen is recorded, and the department's ledger and task page show them."""

from __future__ import annotations

import re

from domain.task.follow_up import CLOSING, HANDING_OVER, OPENING
from services.actors import Actor
from tests.console.conftest import (
    FIRE_PROBLEM,
    PROBLEM,
    World,
    commit_and_draw,
    confirm_and_draw_inspectors,
    inspect_every_target,
    text_of,
)


def options(html: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select #{select_id}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


async def test_the_follow_up_forms_offer_each_steps_measures_and_record_the_chosen(
    world: World,
) -> None:
    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    found = await inspect_every_target(world)
    edu, fire = world["jiaoyu"], world["xiaofang"]
    world.at("2023-11-10", "15:00")
    assert "已公示检查结果" in (await edu.submit(world.task_path, "publish-form")).text

    world.at("2023-11-10", "16:00")
    page = (await edu.get(world.task_path)).text
    assert options(page, "follow-up-measure") == [m.value for m in OPENING]
    answer = await edu.submit(
        world.task_path,
        "follow-up-form",
        target=found[0],
        problem=PROBLEM,
        due="2023-12-20",
        measure="约谈",
    )
    assert "已开启后续处置" in answer.text, text_of(answer.text)
    refused = await fire.submit(
        world.task_path,
        "follow-up-form",
        target=found[1],
        problem=FIRE_PROBLEM,
        due="2023-12-01",
        measure="移送",
    )
    assert "开启后续处置的处置措施之一" in text_of(refused.text)  # and nothing opened: below

    # the form as it comes: its first measure, 责令改正
    answer = await fire.submit(
        world.task_path, "follow-up-form", target=found[1], problem=FIRE_PROBLEM, due="2023-12-01"
    )
    assert "已开启后续处置" in answer.text, text_of(answer.text)
    page = (await fire.get(world.task_path)).text
    assert options(page, "handing-over-2") == [m.value for m in HANDING_OVER]
    assert options(page, "closing-measure-2") == ["", *(m.value for m in CLOSING)]
    world.at("2023-11-20", "10:00")
    answer = await fire.submit(
        world.task_path,
        "transfer-form-2",
        to="迁安市市场监管局",
        reason="涉及无照经营线索",
        measure="抄告",
    )
    assert "抄告 迁安市市场监管局" in text_of(answer.text)
    world.at("2023-12-12", "10:00")
    answer = await edu.submit(
        world.task_path, "close-follow-up-form-1", outcome="逾期未改，已立案", measure="行政处罚"
    )
    assert "后续处置已办结" in answer.text, text_of(answer.text)

    task = world.service.tasks.task(Actor.office(), world.task_id)
    assert [f.measures for _, f in sorted(task.follow_ups.items())] == [
        ("约谈", "行政处罚"),
        ("责令改正", "抄告"),
    ]
    world.service.settle()
    ledger = text_of((await edu.get("/dept")).text)
    assert "处置措施" in ledger and "约谈；行政处罚" in ledger
