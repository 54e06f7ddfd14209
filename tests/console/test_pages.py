"""Each role's pages, at their addresses, in Chinese, with the demo's task: what a department,
the office, the auditor and the public open first."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import (
    PASSWORD,
    TASK_NAME,
    Page,
    World,
    commit_and_draw,
    confirm_and_draw_inspectors,
    text_of,
)


def chinese_page(html: str) -> None:
    assert html.lstrip().startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


async def test_each_role_sees_its_pages_in_chinese_with_the_demo_task(world: World) -> None:
    await commit_and_draw(world)
    pages = {
        "jiaoyu": ["/dept", world.task_path, f"{world.task_path}/draw"],
        "gongan": ["/dept", world.task_path],
        "xiaofang": ["/dept", world.task_path],
        "bangongshi": ["/office", f"/office/tasks/{world.task_id}", "/office/statistics"],
        "shenji": ["/audit", f"/audit/tasks/{world.task_id}"],
    }
    for username, paths in pages.items():
        for path in paths:
            answer = await world[username].get(path)
            assert answer.status_code == 200, (username, path, text_of(answer.text))
            chinese_page(answer.text)
            assert TASK_NAME in answer.text, (username, path)
    for path in ("/public", f"/public/tasks/{world.task_id}", f"/public/draws/{world.task_id}"):
        answer = await world.public.get(path)
        assert answer.status_code == 200, (path, text_of(answer.text))
        chinese_page(answer.text)
        assert TASK_NAME in answer.text


@pytest.mark.parametrize(
    ("username", "home"),
    [("jiaoyu", "/dept"), ("gongan", "/dept"), ("bangongshi", "/office"), ("shenji", "/audit")],
)
async def test_the_front_door_sends_each_role_to_its_own_pages(
    world: World, username: str, home: str
) -> None:
    answer = await world[username].client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == home


async def test_the_public_is_sent_to_the_register_and_staff_pages_ask_to_sign_in(
    world: World,
) -> None:
    answer = await world.public.client.get("/")
    assert (answer.status_code, answer.headers["location"]) == (303, "/public")
    for path in ("/dept", world.task_path, "/office", "/audit", "/audit/export"):
        answer = await world.public.client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/signin?next=")


async def test_signing_in_goes_back_to_the_page_asked_for(world: World) -> None:
    visitor = world.public
    asked = await visitor.client.get(world.task_path)
    signin = await visitor.client.get(asked.headers["location"])
    form = Page(signin.text).forms["signin-form"]
    assert form.fields["next"] == world.task_path
    answer = await visitor.client.post(
        "/signin", data={**form.fields, "username": "jiaoyu", "password": PASSWORD}
    )
    assert answer.headers["location"] == world.task_path


async def test_a_wrong_password_is_refused_in_chinese_on_the_sign_in_page(world: World) -> None:
    answer = await world.public.sign_in("jiaoyu", "not-the-password")
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    assert 'data-testid="refusal"' in answer.text
    assert "signin-form" in answer.text  # the form again, to try once more


async def test_signing_out_ends_the_session(world: World) -> None:
    edu = world["jiaoyu"]
    answer = await edu.submit("/dept", "signout-form")
    assert "signin-form" in answer.text
    again = await edu.client.get("/dept")
    assert again.status_code == 303


async def test_a_department_does_not_see_a_task_it_has_no_part_in(world: World) -> None:
    await commit_and_draw(world)
    answer = await world["shichang"].get(world.task_path)
    assert answer.status_code == 403
    assert "无权查看任务" in text_of(answer.text)
    assert TASK_NAME not in answer.text
    inbox = await world["shichang"].get("/dept")
    assert TASK_NAME not in inbox.text


async def test_a_refused_command_is_shown_in_chinese_on_the_same_page(world: World) -> None:
    await commit_and_draw(world)
    world.at("2023-11-02", "10:00")
    police = world["gongan"]
    page = Page((await police.get(world.task_path)).text)
    form = page.forms["decline-form"]
    answer = await police.client.post(form.action, data={**form.fields, "reason": "   "})
    assert answer.status_code == 422
    assert "拒绝的理由" in text_of(answer.text)
    assert "decline-form" in answer.text  # nothing recorded: the page still offers both
    assert "confirm-form" in answer.text


async def test_the_lead_sees_the_population_and_strata_before_committing(world: World) -> None:
    answer = await world["jiaoyu"].get(f"{world.task_path}/population")
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert "迁安市校外培训机构名录库" in page
    rows = re.findall(
        r'<tr data-grade="([ABCD])"><td>[^<]*</td><td>(\d+)</td><td>([0-9.]+)</td><td>(\d+)</td>',
        answer.text,
    )
    assert [grade for grade, *_ in rows] == ["A", "B", "C", "D"]
    for _, n, r, k in rows:
        assert r == "0.03"
        assert int(k) == -(-int(n) * 3 // 100)  # k = ceil(r × N)
    police = await world["gongan"].get(f"{world.task_path}/population")
    assert police.status_code == 403


async def test_the_lead_sees_the_draws_proof_with_each_stratum_and_rank(world: World) -> None:
    from domain import draw
    from services.actors import Actor

    await commit_and_draw(world)
    answer = await world["jiaoyu"].get(f"{world.task_path}/draw")
    task = world.service.tasks.task(Actor.office(), world.task_id)
    drawn = task.target_draw
    assert drawn is not None
    assert drawn.seed in answer.text
    assert drawn.secret in answer.text
    for code in task.drawn_targets:
        assert draw.rank(drawn.seed, "targets", code) in answer.text


async def test_the_office_sees_every_task_overdue_confirmations_and_escalations(
    world: World,
) -> None:
    await commit_and_draw(world)
    await confirm_and_draw_inspectors(world)
    answer = await world["bangongshi"].get("/office")
    page = text_of(answer.text)
    assert TASK_NAME in page
    assert "逾期 确认派发任务" in page  # fire confirmed late: said in words, not colour alone
    assert "消防救援大队" in page
    assert "已补确认" in page
    assert 'class="overdue"' in answer.text
    assert "上报双随机办" in page
    filings = await world["bangongshi"].get("/office/filings")
    assert filings.status_code == 200
    assert "冀B·12345" in filings.text
    assert filings.text.count('data-testid="filing"') == 3


async def test_the_lead_sees_its_plans_with_their_tasks(world: World) -> None:
    await commit_and_draw(world)
    answer = await world["jiaoyu"].get("/dept/plans")
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert "2023年度跨部门“双随机”联合抽查工作计划" in page
    assert "迁双随机办〔2023〕30号" in page
    assert f'<a href="/dept/tasks/{world.task_id}">{TASK_NAME}</a>' in answer.text
    assert "已抽取检查对象" in page
    police = await world["gongan"].get("/dept/plans")
    assert 'data-testid="no-plans"' in police.text  # it cooperates; the plan is education's
