"""The demo's joint inspection, from the commitment to the closing, through the console's forms
alone: what each department does on its pages, and what it then sees."""

from __future__ import annotations

from tests.console.conftest import (
    FIRE_PROBLEM,
    PROBLEM,
    TASK_NAME,
    World,
    commit_and_draw,
    confirm_and_draw_inspectors,
    inspect_every_target,
    result_fields,
    text_of,
    the_whole_demo,
    visit_every_target,
)


async def test_the_joint_inspection_runs_end_to_end_through_the_pages(world: World) -> None:
    found = await the_whole_demo(world)
    page = await world["jiaoyu"].get(world.task_path)
    assert page.status_code == 200
    assert "已结案" in text_of(page.text)
    assert TASK_NAME in page.text
    assert len(found) > 3


async def test_the_ledger_follows_each_problem_to_its_end(world: World) -> None:
    await the_whole_demo(world)
    education = text_of((await world["jiaoyu"].get("/dept")).text)
    assert "随机抽查后续处置工作台账" in education
    assert PROBLEM in education and "已办结" in education
    assert FIRE_PROBLEM not in education  # fire's follow-up is fire's
    fire = text_of((await world["xiaofang"].get("/dept")).text)
    assert FIRE_PROBLEM in fire and "已移送" in fire and "迁安市市场监管局" in fire
    office = text_of((await world["bangongshi"].get("/office")).text)
    assert PROBLEM in office and FIRE_PROBLEM in office


async def test_a_result_is_corrected_with_a_reason_and_the_correction_is_published(
    world: World,
) -> None:
    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    found = await inspect_every_target(world)
    sheet = f"{world.task_path}/targets/{found[2]}"
    world.at("2023-11-10", "10:00")
    fields = result_fields("police", 2)
    fields.update({"category": "未发现开展本次抽查涉及的经营活动", "reason": "复核：该机构已停办"})
    answer = await world["gongan"].submit(sheet, "correction-form", **fields)
    assert "已更正检查结果，原记录保留" in answer.text
    assert "已更正：复核：该机构已停办" in text_of(answer.text)
    no_reason = await world["gongan"].submit(sheet, "correction-form", **{**fields, "reason": ""})
    assert no_reason.status_code == 422
    assert "更正理由" in text_of(no_reason.text)

    world.at("2023-11-10", "15:00")
    await world["jiaoyu"].submit(world.task_path, "publish-form")
    public = text_of((await world.public.get(f"/public/tasks/{world.task_id}")).text)
    assert "未发现开展本次抽查涉及的经营活动" in public  # as corrected before publication

    world.at("2023-11-13", "10:00")  # a correction after publication is published too
    fields.update({"category": "未发现问题", "reason": "复核：停办系误报"})
    await world["gongan"].submit(sheet, "correction-form", **fields)
    public = text_of((await world.public.get(f"/public/tasks/{world.task_id}")).text)
    assert "公安局 更正：复核：停办系误报" in public  # the department by name, not its code


async def test_an_inspector_records_the_results_of_his_group_only(world: World) -> None:
    from services.accounts import AccountKind
    from services.actors import Actor
    from tests.console.conftest import PASSWORD

    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    found = await visit_every_target(world)
    task = world.service.tasks.task(Actor.office(), world.task_id)
    inspector = task.inspector_draws["police"].groups[0][0]
    world.service.accounts.add_user(
        "ga-inspector",
        PASSWORD,
        AccountKind.INSPECTOR,
        department="police",
        inspector=inspector,
        display_name="执法检查人员",
        at=world.clock.now(),
    )
    mine = [t for t in found if task.matches[t] == 0]
    theirs = [t for t in found if task.matches[t] != 0]
    visitor = await world.signed_in("ga-inspector")
    assert "执法检查人员" in (await visitor.get("/dept")).text
    page = await visitor.get(world.task_path)
    assert page.status_code == 200
    for target in mine:
        assert f'data-target="{target}"' in page.text
    for target in theirs:
        assert f'data-target="{target}"' not in page.text
    assert "confirm-form" not in page.text and "match-form" not in page.text

    world.at("2023-11-09", "17:00")
    answer = await visitor.submit(
        f"{world.task_path}/targets/{mine[0]}", "result-form", **result_fields("police", 5)
    )
    assert "已录入检查结果" in answer.text, text_of(answer.text)
    other = await visitor.get(f"{world.task_path}/targets/{theirs[0]}")
    assert other.status_code == 404
