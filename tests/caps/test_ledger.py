"""企业检查台账 (国办发〔2024〕54号): every inspection of an enterprise, by any department and task,
across years, folded from the log; on the enterprise's console page and in the API. And the
stored log of an earlier version still loads, folds its ledger and verifies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain.task_definition import TaskDefinition
from domain.values import CHINA, Scope
from services.actors import Actor
from services.errors import ForbiddenError
from services.inspection_ledger import InspectionLedgers
from tests.console.conftest import text_of
from tests.http.conftest import World, service_at
from tests.services.conftest import EDUCATION, ITEMS, JointInspection, at

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OFFICE, AUDITOR = Actor.office(), Actor.auditor()


@pytest.fixture
def service() -> Iterator[Service]:
    service = service_at(datetime(2024, 6, 1, 9, 0, tzinfo=CHINA))
    yield service
    service.close()


@pytest.fixture
def two_years(service: Service) -> JointInspection:
    """迁安市's 2023 joint inspection, published; then education alone checks every institution
    in March 2024."""
    joint = JointInspection(service).published()
    definition = TaskDefinition(
        name="2024年迁安市校外培训机构专项检查",
        lead="education",
        cooperating=(),
        items={"education": ITEMS["education"]},
        directory_id=joint.directory_id,
        scope=Scope(category="校外培训机构", region="迁安市"),
        ratios={},
        directed=True,
        window_start=date(2024, 3, 1),
        window_end=date(2024, 11, 30),
        exclusion_days=None,
    )
    [task_id] = service.tasks.register_plan(
        EDUCATION, 2024, "2024年度专项检查计划", [definition], at=at("2024-02-20")
    ).task_ids
    service.tasks.commit_seed(EDUCATION, task_id, joint.SECRET, "见证人", at=at("2024-03-04"))
    service.tasks.draw_targets(EDUCATION, task_id, joint.SECRET, "482913", at=at("2024-03-05"))
    service.settle()
    return joint


def test_the_ledger_lists_an_enterprises_inspections_across_tasks_and_years(
    service: Service, two_years: JointInspection
) -> None:
    target = two_years.targets[1]  # fire found a problem there in 2023
    ledger = InspectionLedgers(service.read_models).ledger(OFFICE, target.lower())

    assert ledger.credit_code == target
    assert [(r.year, r.departments) for r in ledger.inspections] == [
        (2023, ("education", "police", "fire")),
        (2024, ("education",)),
    ]
    then, now = ledger.inspections
    assert then.task_id == two_years.task_id
    assert then.visited_on == date(2023, 11, 9)
    assert then.results["fire"] == "发现问题已责令改正"
    assert set(then.results) == {"education", "police", "fire"}
    assert then.published_on is not None
    assert (now.visited_on, now.results, now.published_on) == (None, {}, None)
    assert ledger.counts(2023) == ({"education": 1, "police": 1, "fire": 1}, 1)


def test_a_department_reads_the_ledger_but_not_another_tasks_unpublished_results(
    service: Service, two_years: JointInspection
) -> None:
    target = two_years.targets[1]
    ledgers = InspectionLedgers(service.read_models)
    market = ledgers.ledger(Actor.lead("market"), target)  # took no part in either task
    assert len(market.inspections) == 2
    assert market.inspections[0].results  # 2023's were published
    with pytest.raises(ForbiddenError):
        ledgers.ledger(Actor.public(), target)


async def test_the_enterprise_page_and_the_api_show_the_ledger(
    service: Service, two_years: JointInspection
) -> None:
    target = two_years.targets[1]
    world = World.of(service)
    office = await world.user("office_li")
    async with world.key("police") as police, world.client() as public:
        shown = await office.get(f"/enterprises/{target}")
        assert shown.status_code == 200
        text = text_of(shown.text)
        assert "2023 年：共 1 次" in text and "2024 年：共 1 次" in text
        assert "发现问题已责令改正" in text
        task_page = await office.get(f"/office/tasks/{two_years.task_id}")
        assert f'href="/enterprises/{target}"' in task_page.text

        answer = await police.get(f"/api/v1/enterprises/{target}/inspections")
        assert answer.status_code == 200
        body = answer.json()
        assert [i["year"] for i in body["inspections"]] == [2023, 2024]
        assert body["years"][0] == {
            "year": 2023,
            "total": 1,
            "departments": {"education": 1, "police": 1, "fire": 1},
        }
        refused = await public.get(f"/api/v1/enterprises/{target}/inspections")
        assert refused.status_code in (401, 403)
        signin = await public.get(f"/enterprises/{target}")
        assert signin.status_code == 303
    await office.aclose()


def test_the_old_log_still_loads_folds_its_ledger_and_verifies(tmp_path: Path) -> None:
    copy = tmp_path / "ssj.db"
    shutil.copy(FIXTURES / "log-2026-12-01.db", copy)
    service = bootstrap(load_settings(db=copy))
    try:
        report = service.auditor.verify(AUDITOR)
        assert report.ok, [str(d) for d in report.differences]
        service.settle()  # the file's read models predate the ledger: they are folded again
        [task] = [v for v in service.queries.tasks(OFFICE).items if v.targets][:1]
        ledger = InspectionLedgers(service.read_models).ledger(OFFICE, task.targets[0])
        assert [r.task_id for r in ledger.inspections][:1] == [task.task_id]
        draw = service.queries.draw(Actor.public(), task.task_id)
        assert draw.excluded == ()
    finally:
        service.close()


def test_another_department_sees_the_draw_but_not_the_visit_until_published(
    service: Service,
) -> None:
    joint = JointInspection(service).matched().visit().record_results()
    target = joint.targets[2]  # refused to sign; police found a problem there
    ledgers = InspectionLedgers(service.read_models)

    [own] = ledgers.ledger(Actor.lead("education"), target).inspections
    assert (own.visited_on, own.signed) == (date(2023, 11, 9), False)
    assert own.results["police"] == "发现问题待后续处理"

    [other] = ledgers.ledger(Actor.lead("market"), target).inspections  # in neither task
    assert other.task_id == joint.task_id and other.drawn_at == own.drawn_at  # the draw is public
    assert (other.visited_on, other.signed, other.results, other.corrected) == (None, None, {}, 0)

    joint.late_result_and_correction().publish()
    [published] = ledgers.ledger(Actor.lead("market"), target).inspections
    assert (published.visited_on, published.signed) == (date(2023, 11, 9), False)
    assert published.results["police"] == "发现问题待后续处理"
