"""After a merge each task goes on by itself: its own visit record, results and publication; the
merged visit has one 一企一表 for every item of every task, a document like the others."""

from __future__ import annotations

from pathlib import Path

from domain.task import Task
from services.documents import Subject
from tests.joint_visits.conftest import MARKET, OFFICE, TwoPlans
from tests.pdf_pages import pdf_text
from tests.services.conftest import AUDITOR, PUBLIC, at

REASON = "收费公示须现场查看张贴情况，书面材料不能反映"


def merged_and_matched(plans: TwoPlans) -> str:
    service = plans.service
    target = plans.shared()[0]
    service.joint_visits.merge(
        OFFICE, target, [plans.joint_task, plans.market_task], at=at("2023-11-02"), by="office_li"
    )
    plans.joint.confirm().draw_inspectors().match()
    service.tasks.draw_inspectors(MARKET, plans.market_task, at=at("2023-11-06", "15:00"))
    service.tasks.match_groups(MARKET, plans.market_task, at=at("2023-11-07", "09:30"))
    service.settle()
    return target


def test_each_task_records_and_publishes_its_own(plans: TwoPlans) -> None:
    service = plans.service
    target = merged_and_matched(plans)
    plans.joint.visit().record_results().late_result_and_correction().publish()

    joint_view = service.queries.task(OFFICE, plans.joint_task)
    market_view = service.queries.task(OFFICE, plans.market_task)
    assert joint_view.published and not market_view.published
    assert target in joint_view.visits and target not in market_view.visits
    published = service.queries.register(PUBLIC, target).items
    assert [e.task_id for e in published] == [plans.joint_task]

    tasks = service.tasks
    tasks.serve_notice(
        MARKET, plans.market_task, target, "letter", "法定代表人", at=at("2023-11-21")
    )
    tasks.record_visit(
        MARKET, plans.market_task, target, True, "", at=at("2023-11-21"), on_site_reason=REASON
    )
    tasks.record_result(
        MARKET,
        plans.market_task,
        target,
        "未发现问题",
        {"SC-1": "符合要求", "SC-2": "已公示"},
        at=at("2023-11-21", "17:00"),
    )
    service.settle()
    market = tasks.task(OFFICE, plans.market_task)
    joint = tasks.task(OFFICE, plans.joint_task)
    assert set(market.results) == {("market", target)}
    assert ("market", target) not in joint.results
    assert {d for d, t in joint.results if t == target} == {"education", "police", "fire"}
    assert isinstance(joint.publication, Task.ResultsPublished) and market.publication is None
    assert [e.task_id for e in service.queries.register(PUBLIC, target).items] == [plans.joint_task]


def test_the_merged_visit_has_one_record_sheet_with_every_item(
    plans: TwoPlans, tmp_path: Path
) -> None:
    service = plans.service
    target = merged_and_matched(plans)
    copy = service.documents.issue(
        OFFICE,
        "joint_record_sheet",
        "pdf",
        Subject(task=plans.market_task, target=target),
        at=at("2023-11-08"),
    )
    flat = pdf_text(copy.content, tmp_path, "joint-record-sheet")
    for code in ("JY-1", "JY-2", "GA-1", "XF-1", "SC-1", "SC-2"):
        assert code in flat
    for name in ("2023年迁安市校外培训机构跨部门联合抽查", "2023年校外培训机构收费及食品安全抽查"):
        assert name in flat
    assert target in flat and "合并检查" in flat
    inputs = {i.aggregate for i in copy.record.inputs}
    visit = service.joint_visits.of_task(OFFICE, plans.joint_task, target)
    assert visit is not None
    assert {str(plans.joint_task), str(plans.market_task), str(visit.joint_visit_id)} <= inputs
    again = service.documents.issue(
        OFFICE,
        "joint_record_sheet",
        "pdf",
        Subject(task=plans.market_task, target=target),
        at=at("2023-11-08"),
    )
    assert again.content == copy.content and not again.appended
    plans.joint.visit()  # the log moves on; the recorded sheet is still made again the same
    assert service.documents.rebuild(AUDITOR, copy.record.code).matches


def test_a_target_not_merged_has_no_joint_sheet(plans: TwoPlans) -> None:
    import pytest

    from domain.errors import InvalidValueError

    service = plans.service
    merged_and_matched(plans)
    other = plans.shared()[1]
    with pytest.raises(InvalidValueError) as raised:
        service.documents.issue(
            OFFICE,
            "joint_record_sheet",
            "pdf",
            Subject(task=plans.joint_task, target=other),
            at=at("2023-11-08"),
        )
    assert raised.value.field == "target"
