"""国办发〔2024〕54号: an on-site visit says why an off-site check would not do, where the task's
items allow one (书面检查, 网络监测, …); where every item is 实地核查 it asks nothing. Visits
stored before the rule still read, with no reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.bootstrap import bootstrap, load_settings
from domain.directory import CheckItem
from domain.errors import InvalidValueError
from domain.task import Task
from tests.joint_visits.conftest import MARKET, OFFICE, TwoPlans
from tests.services.conftest import AUDITOR, at
from tests.unit.builders import ITEMS, LEAD, Run, joint_definition, plan_task, refuse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REASON = "收费公示须现场查看张贴情况，书面材料不能反映"


def test_an_item_checked_off_site_makes_the_visit_say_why_it_went_on_site() -> None:
    run = Run(plan_task()).to("notified")  # education's JY-02 is a 书面检查
    target = run.task.drawn_targets[0]
    error = refuse(run.task, InvalidValueError, run.record_visit, target, True, "", None, LEAD, " ")
    assert isinstance(error, InvalidValueError) and error.field == "on_site_reason"
    assert "JY-02" in str(error) and "国办发〔2024〕54号" in str(error)
    run.record_visit(target, on_site_reason=REASON)
    assert run.task.visits[target].on_site_reason == REASON


def test_items_all_on_site_ask_no_reason() -> None:
    on_site = {
        d: tuple(CheckItem(i.code, i.name, i.legal_basis, "实地核查") for i in items)
        for d, items in ITEMS.items()
    }
    run = Run(plan_task(joint_definition(items=on_site))).to("notified")
    target = run.task.drawn_targets[0]
    run.record_visit(target, on_site_reason="")
    assert run.task.visits[target].on_site_reason == ""


def test_an_item_of_unknown_method_asks_no_reason() -> None:
    """Older lists name no method, or one the system does not know (资料查阅): they do not claim
    that the item may be checked off site."""
    unknown = {
        d: tuple(
            CheckItem(i.code, i.name, i.legal_basis, "资料查阅" if n else "")
            for n, i in enumerate(items)
        )
        for d, items in ITEMS.items()
    }
    run = Run(plan_task(joint_definition(items=unknown))).to("notified")
    run.record_visit(run.task.drawn_targets[0], on_site_reason="")


def test_the_service_records_the_reason_and_refuses_a_visit_without_it(plans: TwoPlans) -> None:
    service = plans.service
    task_id = plans.market_task  # SC-2 收费公示情况 is a 书面检查
    target = plans.shared()[0]
    service.tasks.draw_inspectors(MARKET, task_id, at=at("2023-11-06", "15:00"))
    service.tasks.match_groups(MARKET, task_id, at=at("2023-11-07", "09:30"))
    service.tasks.serve_notice(MARKET, task_id, target, "letter", "法定代表人", at=at("2023-11-08"))
    before = sum(1 for _ in service.auditor.export(AUDITOR))
    with pytest.raises(InvalidValueError) as raised:
        service.tasks.record_visit(MARKET, task_id, target, True, "", at=at("2023-11-09"))
    assert raised.value.field == "on_site_reason" and "SC-2" in str(raised.value)
    assert sum(1 for _ in service.auditor.export(AUDITOR)) == before
    service.tasks.record_visit(
        MARKET, task_id, target, True, "", at=at("2023-11-09"), on_site_reason=REASON
    )
    visit = service.tasks.task(OFFICE, task_id).visits[target]
    assert visit.on_site_reason == REASON
    [stored] = [
        e
        for e in service.auditor.export(AUDITOR)
        if e.get("type") == "InspectionVisited" and e["aggregate_id"] == str(task_id)
    ]
    assert stored["fields"]["on_site_reason"] == REASON


def test_visits_stored_before_the_rule_read_with_no_reason(tmp_path: Path) -> None:
    copy = tmp_path / "ssj.db"
    shutil.copy(FIXTURES / "log-2026-12-01.db", copy)
    old = bootstrap(load_settings(db=copy))
    try:
        old.settle()
        closed = old.queries.tasks(OFFICE).items[0]
        task = old.tasks.task(OFFICE, closed.task_id)
        assert len(task.visits) == 8
        assert all(isinstance(v, Task.InspectionVisited) for v in task.visits.values())
        assert {v.on_site_reason for v in task.visits.values()} == {""}
        assert old.joint_visits.offers(OFFICE) == []  # published tasks are offered nothing
    finally:
        old.close()
