"""Lists come a page at a time: `limit` items and a `next` cursor to pass as `after`, until
`next` is null; every item once, in order."""

from __future__ import annotations

import pytest

from tests.http.conftest import World, problem
from tests.services.conftest import JointInspection


@pytest.fixture
def joint(world: World) -> JointInspection:
    return JointInspection(world.service).published()


async def test_the_register_pages_through_every_entry_once(
    world: World, joint: JointInspection
) -> None:
    seen: list[str] = []
    pages = 0
    after: str | None = None
    async with world.client() as public:
        while True:
            params = {"limit": 3, **({"after": after} if after else {})}
            answer = await public.get("/api/v1/register", params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert len(page["items"]) <= 3
            seen += [e["credit_code"] for e in page["items"]]
            pages += 1
            after = page["next"]
            if after is None:
                break

    assert sorted(seen) == sorted(joint.targets)
    assert pages == 3  # 8 entries: 3 + 3 + 2


async def test_the_office_pages_through_the_tasks(world: World, joint: JointInspection) -> None:
    office = await world.user("office_li")
    first = (await office.get("/api/v1/tasks", params={"limit": 1})).json()
    second = (await office.get("/api/v1/tasks", params={"limit": 1, "after": first["next"]})).json()
    await office.aclose()

    assert [t["task_id"] for t in first["items"] + second["items"]] == [
        str(joint.task_id),
        str(joint.other_task_id),
    ]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 5000}, "limit"), ({"after": "x"}, "after")],
)
async def test_a_bad_page_is_refused_naming_the_parameter(
    world: World, params: dict[str, object], field: str
) -> None:
    async with world.client() as public:
        answer = await public.get("/api/v1/register", params=params)

    assert answer.status_code == 422
    assert problem(answer)["field"] == field
