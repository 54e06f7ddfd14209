"""What the office and the auditor read: the statistics as charts, each task's timeline, its
state as of any event, the verification of the whole log, and the export."""

from __future__ import annotations

import json
import re

from tests.console.conftest import TASK_NAME, World, commit_and_draw, text_of, the_whole_demo


async def test_the_office_reads_the_plans_statistics_as_charts_and_figures(world: World) -> None:
    await the_whole_demo(world)
    answer = await world["bangongshi"].get("/office/statistics")
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert "2023 年计划统计" in page
    assert "应于 2023-11-30 前全部完成" in page
    assert "已结案 1 / 1 项（100%）" in page
    assert answer.text.count("<svg") >= 3  # drawn on the server: no script, no chart library
    assert re.search(
        r'<rect x="\d+" y="\d+" width="[\d.]+" height="16" class="series-\d"', answer.text
    )
    assert '<meter min="0" max="1" value="1">' in answer.text
    for department in ("教育局", "公安局", "消防救援大队"):
        assert department in page
    assert "2023-11" in page  # the month the targets were drawn and dispatched
    assert "逾期结案 1" in page  # closed on 2023-12-20, after its window's end


async def test_the_auditor_replays_a_task_and_reads_it_as_of_any_event(world: World) -> None:
    await commit_and_draw(world)
    auditor = world["shenji"]
    answer = await auditor.get(f"/audit/tasks/{world.task_id}")
    assert answer.status_code == 200
    page = text_of(answer.text)
    for step in ("任务列入计划", "提交随机种子承诺", "随机抽取检查对象", "派发配合部门"):
        assert step in page
    assert 'data-testid="as-of-2"' in answer.text

    committed = await auditor.get(f"/audit/tasks/{world.task_id}", version="2")
    state = text_of(committed.text)
    assert 'data-testid="state" data-version="2"' in committed.text
    assert "截至第 2 版" in state
    assert "种子承诺 已提交" in state
    assert "抽取检查对象 未抽取" in state

    drawn = await auditor.get(f"/audit/tasks/{world.task_id}", version="3")
    assert "已抽取" in text_of(drawn.text)

    beyond = await auditor.get(f"/audit/tasks/{world.task_id}", version="999")
    assert beyond.status_code == 200  # the timeline still shows; the state is refused in words
    assert 'data-testid="state"' not in beyond.text
    assert "应为 1 至" in text_of(beyond.text)


async def test_the_auditor_verifies_everything_and_exports_the_log(world: World) -> None:
    await the_whole_demo(world)
    auditor = world["shenji"]
    verified = await auditor.get("/audit/verify")
    assert verified.status_code == 200
    assert 'data-testid="log-report" data-ok="true"' in verified.text
    assert 'data-testid="verification" data-ok="true"' in verified.text
    assert "全部与重算结果一致" in text_of(verified.text)

    exported = await auditor.client.get("/audit/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in exported.headers["content-disposition"]
    lines = [json.loads(line) for line in exported.text.splitlines()]
    kinds = {line.get("type") for line in lines}
    assert {"Planned", "TargetsDrawn", "ResultsPublished", "Closed"} <= kinds
    assert [line["position"] for line in lines] == sorted(line["position"] for line in lines)


async def test_only_the_auditor_exports_and_verifies(world: World) -> None:
    for username in ("jiaoyu", "bangongshi"):
        exported = await world[username].client.get("/audit/export")
        assert exported.status_code in (303, 403), username
        verified = await world[username].client.get("/audit/verify")
        assert verified.status_code in (303, 403), username
        assert TASK_NAME not in verified.text
