"""The offers and the merge over HTTP: the API under /api/v1 and the office's console page,
whose merge form carries its CSRF token like every other form."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import httpx
import pytest

from domain.joint_visit import JointVisit
from tests.console.conftest import Page, Visitor, text_of
from tests.http.conftest import PASSWORD, World, problem
from tests.joint_visits.conftest import MARKET, OFFICE, TwoPlans
from tests.services.conftest import at


async def test_the_api_offers_and_merges_for_the_office_only(plans: TwoPlans, web: World) -> None:
    office = await web.user("office_li")
    auditor = await web.user("auditor_wang")
    try:
        await offers_and_merge(plans, web, office, auditor)
    finally:
        await office.aclose()
        await auditor.aclose()


async def offers_and_merge(
    plans: TwoPlans, web: World, office: httpx.AsyncClient, auditor: httpx.AsyncClient
) -> None:
    target = plans.shared()[0]
    tasks = [str(plans.joint_task), str(plans.market_task)]
    async with web.key("education") as education, web.client() as public:
        offered = await office.get("/api/v1/joint-visits/offers")
        assert offered.status_code == 200, offered.text
        body = offered.json()
        assert sorted(o["target"] for o in body["offers"]) == sorted(plans.shared())
        first = next(o for o in body["offers"] if o["target"] == target)
        assert [t["task_id"] for t in first["tasks"]] == tasks
        assert (first["window_start"], first["window_end"]) == ("2023-11-06", "2023-11-30")
        assert [i["code"] for i in first["tasks"][1]["items"]["market"]] == ["SC-1", "SC-2"]
        assert (await auditor.get("/api/v1/joint-visits/offers")).status_code == 200
        assert (await education.get("/api/v1/joint-visits/offers")).status_code == 403
        assert (await public.get("/api/v1/joint-visits/offers")).status_code == 401

        merge = {"target": target, "tasks": tasks, "reason": "一次入户"}
        refused = await education.post("/api/v1/joint-visits", json=merge)
        assert refused.status_code == 403 and problem(refused)["code"] == "forbidden"
        merged = await office.post(
            "/api/v1/joint-visits", json=merge, headers={"Idempotency-Key": str(uuid4())}
        )
        assert merged.status_code == 201, merged.text
        visit = merged.json()
        expected = JointVisit.id_for(target, [plans.joint_task, plans.market_task])
        assert visit["joint_visit_id"] == str(expected)
        assert visit["office"] == "office_li" and visit["reason"] == "一次入户"
        assert len(visit["items"]) == 6

        again = await office.post("/api/v1/joint-visits", json=merge)
        assert again.status_code == 409
        assert problem(again)["code"] == "already_merged" and "已合并" in problem(again)["message"]
        apart = await office.post(
            "/api/v1/joint-visits",
            json={"target": plans.shared()[1], "tasks": [tasks[0], str(plans.fire_task)]},
        )
        assert apart.status_code == 409 and problem(apart)["code"] == "windows_do_not_overlap"

        shown = await education.get(
            f"/api/v1/tasks/{plans.joint_task}/targets/{target}/joint-visit"
        )
        assert (
            shown.status_code == 200 and shown.json()["joint_visit_id"] == visit["joint_visit_id"]
        )
        none = await education.get(
            f"/api/v1/tasks/{plans.joint_task}/targets/{plans.shared()[1]}/joint-visit"
        )
        assert none.status_code == 404
        later = (await office.get("/api/v1/joint-visits/offers")).json()
        assert target not in {o["target"] for o in later["offers"]}
        assert [v["target"] for v in later["merged"]] == [target]


SignIn = Callable[[str], Awaitable[Visitor]]


@pytest.fixture
async def sign_in(web: World) -> AsyncIterator[SignIn]:
    """A browser of its own signed in as the user; closed with the test."""
    made: list[Visitor] = []

    async def signed_in(username: str) -> Visitor:
        visitor = Visitor(web.client())
        made.append(visitor)
        answer = await visitor.sign_in(username, PASSWORD)
        assert answer.status_code == 303, text_of(answer.text)
        return visitor

    yield signed_in
    for visitor in made:
        await visitor.client.aclose()


async def test_the_office_merges_through_the_console_form(plans: TwoPlans, sign_in: SignIn) -> None:
    target = plans.shared()[0]
    office = await sign_in("office_li")
    home = await office.get("/office")
    assert 'href="/office/visits"' in home.text
    answer = await office.get("/office/visits")
    assert answer.status_code == 200
    page = Page(answer.text)
    [form_id] = [f for f in page.forms if f.startswith(f"merge-{target}-")]
    form = page.forms[form_id]
    assert form.fields["tasks"] == f"{plans.joint_task},{plans.market_task}"
    assert "csrf_token" in form.fields
    assert "2023-11-06 至 2023-11-30" in text_of(answer.text)

    without_token = {k: v for k, v in form.fields.items() if k != "csrf_token"}
    forged = await office.client.post(form.action, data=without_token)
    assert forged.status_code == 403
    assert plans.service.joint_visits.merged(OFFICE) == []

    sent = await office.client.post(form.action, data={**form.fields, "reason": "一次入户"})
    assert sent.status_code == 303
    after = await office.get(sent.headers["location"])
    shown = text_of(after.text)
    assert "已合并为一次联合检查" in shown
    assert f'data-testid="merged" data-target="{target}"' in after.text
    assert f'data-testid="offer" data-target="{target}"' not in after.text
    [visit] = plans.service.joint_visits.merged(OFFICE)
    assert visit.office == "office_li" and visit.reason == "一次入户"

    twice = await office.client.post(form.action, data={**form.fields, "command_id": str(uuid4())})
    assert twice.status_code == 409 and "已合并" in text_of(twice.text)


async def test_the_auditor_reads_the_offers_without_a_form_and_a_department_is_sent_home(
    plans: TwoPlans, sign_in: SignIn
) -> None:
    auditor = await sign_in("auditor_wang")
    education = await sign_in("edu_zhang")
    answer = await auditor.get("/office/visits")
    assert answer.status_code == 200 and 'data-testid="offer"' in answer.text
    assert not [f for f in Page(answer.text).forms if f.startswith("merge-")]
    sent_home = await education.get("/office/visits")
    assert sent_home.status_code == 303 and sent_home.headers["location"] == "/dept"


async def test_each_task_target_page_shows_the_merged_visit(
    plans: TwoPlans, sign_in: SignIn
) -> None:
    target = plans.shared()[0]
    plans.service.joint_visits.merge(
        OFFICE, target, [plans.joint_task, plans.market_task], at=plans.joint.task().last_at
    )
    plans.joint.confirm().draw_inspectors().match()
    education = await sign_in("edu_zhang")
    sheet = await education.get(f"/dept/tasks/{plans.joint_task}/targets/{target}")
    assert sheet.status_code == 200, text_of(sheet.text)
    assert 'data-testid="joint-visit"' in sheet.text
    shown = text_of(sheet.text)
    assert "2023年校外培训机构收费及食品安全抽查" in shown and "SC-2" in shown
    other = next(t for t in plans.joint.targets if t != target)
    unmerged = await education.get(f"/dept/tasks/{plans.joint_task}/targets/{other}")
    assert unmerged.status_code == 200 and 'data-testid="joint-visit"' not in unmerged.text
    plain = [a for a in document_hrefs(unmerged.text) if "joint-record-sheet" in a]
    assert plain == []  # only a merged target links its joint sheet
    [href] = [a for a in document_hrefs(sheet.text) if "joint-record-sheet" in a]
    early = await education.get(href)  # market has not matched its groups yet
    assert early.status_code == 422 and "收费及食品安全抽查 尚未为其匹配检查组" in early.text
    service = plans.service
    service.tasks.draw_inspectors(MARKET, plans.market_task, at=at("2023-11-06", "15:00"))
    service.tasks.match_groups(MARKET, plans.market_task, at=at("2023-11-07", "09:30"))
    service.settle()
    download = await education.get(href)
    assert download.status_code == 200, text_of(download.text)
    assert download.content.startswith(b"%PDF")


def document_hrefs(html: str) -> list[str]:
    return [v or "" for tag, name, v in Page(html).attributes if tag == "a" and name == "href"]
