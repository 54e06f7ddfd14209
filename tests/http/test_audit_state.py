"""The auditor replays a task over the API: its state as of any one of its events, from the log."""

from __future__ import annotations

from tests.http.conftest import World, problem
from tests.services.conftest import JointInspection


async def test_the_auditor_reads_a_task_as_it_stood_at_each_of_its_events(world: World) -> None:
    joint = JointInspection(world.service).matched()
    task = joint.task()
    auditor = await world.user("auditor_wang")
    try:
        path = f"/api/v1/audit/tasks/{joint.task_id}/state"
        planned = (await auditor.get(path, params={"version": 1})).json()
        now = (await auditor.get(path, params={"version": task.version})).json()
        beyond = await auditor.get(path, params={"version": 0})
    finally:
        await auditor.aclose()

    assert planned["version"] == 1
    assert not planned["committed"] and planned["drawn"] == [] and planned["seed"] == ""
    assert now["version"] == task.version
    assert now["committed"] and now["matched"]
    assert task.target_draw is not None and now["seed"] == task.target_draw.seed
    assert now["drawn"] == list(task.drawn_targets)
    assert set(now["answers"]) == {"police", "fire"}
    assert beyond.status_code == 422 and problem(beyond)["field"] == "version"

    async with world.key("police") as police:  # a department reads its task, not its past states
        refused = await police.get(path, params={"version": 1})
    assert refused.status_code == 403 and problem(refused)["code"] == "forbidden"
