"""The caps and exemptions on the console and the API (国办发〔2024〕54号): the office sets a year's
caps on /office/caps and sees them with their history; the office grants an exemption on the
enterprise's page, the lead on its task's page before the commitment; errors name the field and
leave no event. The API's GET/PUT /caps/{year}, GET/POST /caps/{year}/exemptions and the lead's
POST /tasks/{id}/exemptions. The lead's task page links each drawn target to its ledger and
shows the task's exclusion period, as the public draw page does."""

from __future__ import annotations

import pytest

from adapters.bootstrap import Service
from services.actors import Actor
from services.inspection_caps import Caps
from tests.console.conftest import World, commit_and_draw, targets, text_of
from tests.http.conftest import World as ApiWorld
from tests.http.conftest import service_at

CODE = "52130283MJ00000010"


def log_length(service: Service) -> int:
    return sum(1 for _ in service.auditor.export(Actor.auditor()))


async def test_the_office_sets_a_years_caps_on_its_page_and_sees_them_with_their_history(
    world: World,
) -> None:
    office = world["bangongshi"]
    home = await office.get("/office")
    assert 'href="/office/caps"' in home.text
    answer = await office.submit(
        "/office/caps?year=2023", "caps-form", **{"dept:education": "1", "total": "2"}
    )
    assert "已设定该年度企业检查次数上限" in answer.text, text_of(answer.text)
    found = Caps(world.service.tasks).caps(Actor.office(), 2023)
    assert found is not None and dict(found.departments) == {"education": 1} and found.total == 2
    text = text_of(answer.text)
    assert "教育局" in text and "1 次" in text and "第 2 版" in text

    answer = await office.submit("/office/caps?year=2023", "caps-form", total="3")
    text = text_of(answer.text)
    history = text[text.index("变更记录") :]
    assert "第 3 版" in history and "第 2 版" in history  # the set before stays on record
    assert history.index("第 3 版") < history.index("第 2 版")  # newest first


@pytest.mark.parametrize(
    ("typed", "field"),
    [({"dept:education": "0"}, "departments.education"), ({"total": "两次"}, "total")],
)
async def test_a_bad_cap_on_the_form_is_refused_naming_the_field_and_leaves_no_event(
    world: World, typed: dict[str, str], field: str
) -> None:
    before = log_length(world.service)
    answer = await world["bangongshi"].submit("/office/caps?year=2023", "caps-form", **typed)
    assert f'data-field="{field}"' in answer.text, text_of(answer.text)
    assert log_length(world.service) == before


async def test_a_department_may_not_set_caps_and_the_auditor_reads_them_without_the_form(
    world: World,
) -> None:
    lead = world["jiaoyu"]
    shown = await lead.get("/office/caps")
    assert shown.status_code == 303  # the office's area: back to the department's own pages
    audit = await world["shenji"].get("/office/caps?year=2023")
    assert audit.status_code == 200 and 'id="caps-form"' not in audit.text


async def test_the_office_grants_an_exemption_on_the_enterprises_page(world: World) -> None:
    office = world["bangongshi"]
    page = f"/enterprises/{CODE}"
    before = log_length(world.service)
    refused = await office.submit(page, "exemption-form", reason_kind="投诉举报", reason=" ")
    assert 'data-field="reason"' in refused.text and log_length(world.service) == before
    refused = await office.submit(page, "exemption-form", reason_kind="", reason="举报")
    assert 'data-field="reason_kind"' in refused.text

    answer = await office.submit(
        page, "exemption-form", year="2023", reason_kind="投诉举报", reason="12345 热线举报 0412"
    )
    assert "已登记检查上限例外" in answer.text, text_of(answer.text)
    assert "12345 热线举报 0412" in text_of(answer.text)
    caps = Caps(world.service.tasks).caps(Actor.office(), 2023)
    assert caps is not None
    [exemption] = caps.exemptions
    assert (exemption.credit_code, exemption.reason_kind) == (CODE, "投诉举报")
    assert exemption.department is None and exemption.task_id is None


async def test_the_lead_grants_an_exemption_for_its_task_before_the_commitment(
    world: World,
) -> None:
    lead = world["jiaoyu"]
    answer = await lead.submit(
        world.task_path,
        "exemption-form",
        credit_code=CODE,
        reason_kind="转办交办",
        reason="市场监管局转办线索 2023-17",
    )
    assert "已登记检查上限例外" in answer.text, text_of(answer.text)
    caps = Caps(world.service.tasks).caps(Actor.office(), 2023)
    assert caps is not None
    [exemption] = caps.exemptions
    assert exemption.task_id == world.task_id and exemption.reason_kind == "转办交办"
    refused = await lead.submit(
        world.task_path, "exemption-form", credit_code=CODE, reason_kind="其它原因", reason="x"
    )
    assert 'data-field="reason_kind"' in refused.text

    police = await world["gongan"].get(world.task_path)  # a cooperating department: no form
    assert 'id="exemption-form"' not in police.text


async def test_the_leads_task_page_links_each_drawn_target_to_its_ledger(world: World) -> None:
    page = await world["jiaoyu"].get(world.task_path)
    assert "排除期限" in text_of(page.text) and 'id="exemption-form"' in page.text
    await commit_and_draw(world)
    drawn = targets(world)
    page = await world["jiaoyu"].get(world.task_path)
    assert 'id="exemption-form"' not in page.text  # committed: the population is fixed
    for target in drawn:
        assert f'href="/enterprises/{target}"' in page.text
    public = await world.public.get(f"/public/draws/{world.task_id}")
    assert 'data-testid="exclusion-days"' in public.text and "不设" in text_of(public.text)


async def test_the_api_sets_and_reads_caps_and_exemptions() -> None:
    service = service_at()
    try:
        api = ApiWorld.of(service)
        office = await api.user("office_li")
        async with api.key("education") as education:
            missing = await office.get("/api/v1/caps/2025")
            assert missing.status_code == 404
            done = await office.put(
                "/api/v1/caps/2025", json={"departments": {"education": 1}, "total": 2}
            )
            assert done.status_code == 200, done.text
            bad = await office.put("/api/v1/caps/2025", json={"departments": {"education": 0}})
            assert (
                bad.status_code == 422 and bad.json()["error"]["field"] == "departments.education"
            )
            refused = await education.put("/api/v1/caps/2025", json={"total": 9})
            assert refused.status_code == 403

            granted = await office.post(
                "/api/v1/caps/2025/exemptions",
                json={"credit_code": CODE, "reason_kind": "complaint", "reason": "举报 2025-01"},
            )
            assert granted.status_code == 201, granted.text
            own = await education.post(
                "/api/v1/caps/2025/exemptions",
                json={
                    "credit_code": CODE,
                    "reason_kind": "企业申请",
                    "reason": "企业自愿申请复查",
                    "department": "education",
                },
            )
            assert own.status_code == 201, own.text
            other = await education.post(
                "/api/v1/caps/2025/exemptions",
                json={
                    "credit_code": CODE,
                    "reason_kind": "其他",
                    "reason": "x",
                    "department": "fire",
                },
            )
            assert other.status_code == 403
            unnamed = await office.post(
                "/api/v1/caps/2025/exemptions",
                json={"credit_code": CODE, "reason_kind": "投诉举报", "reason": ""},
            )
            assert unnamed.status_code == 422 and unnamed.json()["error"]["field"] == "reason"

            body = (await education.get("/api/v1/caps/2025")).json()
            assert body["departments"] == {"education": 1} and body["total"] == 2
            assert [c["kind"] for c in body["history"]] == ["caps_set", "exemption", "exemption"]
            listed = (await education.get("/api/v1/caps/2025/exemptions")).json()
            assert [(e["reason_kind"], e["department"]) for e in listed] == [
                ("投诉举报", None),
                ("企业申请", "education"),
            ]
        await office.aclose()
    finally:
        service.close()
