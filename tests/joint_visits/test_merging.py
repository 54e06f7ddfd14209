"""进一次门、查多项事 on the service: offers only where tasks of different departments or plans
drew the same target in windows that meet; the office merges as an event; each task keeps its
own visit, results and publication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from adapters.bootstrap import Service
from domain.errors import AlreadyVisitedError, InvalidValueError
from domain.joint_visit import (
    AlreadyMergedError,
    JointVisit,
    NotDrawnHereError,
    WindowsDoNotOverlapError,
)
from services.actors import Actor
from services.errors import ForbiddenError
from tests.joint_visits.conftest import MARKET, OFFICE, TwoPlans
from tests.services.conftest import AUDITOR, EDUCATION, at

MERGED_AT = at("2023-11-07", "11:00")


def log_length(service: Service) -> int:
    return sum(1 for _ in service.auditor.export(AUDITOR))


def test_offers_name_the_targets_both_departments_drew_where_their_windows_meet(
    plans: TwoPlans,
) -> None:
    offers = plans.service.joint_visits.offers(OFFICE)
    assert sorted(o.target for o in offers) == sorted(plans.shared())
    for offer in offers:
        assert offer.task_ids == (plans.joint_task, plans.market_task)
        assert (offer.window_start, offer.window_end) == (date(2023, 11, 6), date(2023, 11, 30))
        joint, market = offer.tasks
        assert joint.departments == ("education", "police", "fire")
        assert [c for c, _ in joint.items["police"]] == ["GA-1"]
        assert [c for c, _ in market.items["market"]] == ["SC-1", "SC-2"]
        assert offer.name.startswith("迁安市第")
    # fire's December task drew every institution too, but meets no other task's window
    assert all(plans.fire_task not in o.task_ids for o in offers)


def test_only_the_office_and_auditors_read_offers_and_only_the_office_merges(
    plans: TwoPlans,
) -> None:
    visits = plans.service.joint_visits
    assert visits.offers(AUDITOR)
    with pytest.raises(ForbiddenError):
        visits.offers(EDUCATION)
    target = plans.shared()[0]
    for who in (AUDITOR, EDUCATION, MARKET, Actor.public()):
        with pytest.raises(ForbiddenError):
            visits.merge(who, target, [plans.joint_task, plans.market_task], at=MERGED_AT)


def test_the_office_merges_as_an_event_and_the_offer_becomes_a_joint_visit(
    plans: TwoPlans,
) -> None:
    service = plans.service
    target = plans.shared()[0]
    merged = service.joint_visits.merge(
        OFFICE,
        target,
        [plans.market_task, plans.joint_task],
        at=MERGED_AT,
        reason="同一机构，教育、公安、消防与市场监管一次入户",
        by="office_li",
    )
    assert merged.joint_visit_id == JointVisit.id_for(target, [plans.joint_task, plans.market_task])
    assert (merged.window_start, merged.window_end) == (date(2023, 11, 6), date(2023, 11, 30))
    assert {code for _, _, code, _ in merged.items} == {
        "JY-1",
        "JY-2",
        "GA-1",
        "XF-1",
        "SC-1",
        "SC-2",
    }
    [event] = [
        e
        for e in service.auditor.export(AUDITOR)
        if e.get("aggregate_id") == str(merged.joint_visit_id)
    ]
    assert event["type"] == "Merged"
    assert event["fields"]["office"] == "office_li"
    assert event["fields"]["target"] == target
    assert event["fields"]["reason"] == "同一机构，教育、公安、消防与市场监管一次入户"
    assert [t["task_id"] for t in event["fields"]["tasks"]] == [
        str(plans.market_task),
        str(plans.joint_task),
    ]
    offers = service.joint_visits.offers(OFFICE)
    assert target not in {o.target for o in offers}
    assert [v.joint_visit_id for v in service.joint_visits.merged(OFFICE)] == [
        merged.joint_visit_id
    ]
    for task_id in (plans.joint_task, plans.market_task):
        shown = service.joint_visits.of_task(OFFICE, task_id, target)
        assert shown is not None and shown.joint_visit_id == merged.joint_visit_id
    assert service.joint_visits.of_task(OFFICE, plans.joint_task, plans.shared()[1]) is None
    # the auditor's raw check and re-run of every draw read past the joint visit's events
    assert service.auditor.check_log(AUDITOR).ok and service.auditor.verify(AUDITOR).ok


def refused(service: Service, work: Callable[[], object], error: type[Exception]) -> str:
    before = log_length(service)
    with pytest.raises(error) as raised:
        work()
    assert log_length(service) == before
    return str(raised.value)


def test_merging_twice_is_refused_and_records_nothing(plans: TwoPlans) -> None:
    service = plans.service
    target = plans.shared()[0]
    tasks = [plans.joint_task, plans.market_task]
    service.joint_visits.merge(OFFICE, target, tasks, at=MERGED_AT)
    message = refused(
        service,
        lambda: service.joint_visits.merge(OFFICE, target, tasks[::-1], at=MERGED_AT),
        AlreadyMergedError,
    )
    assert "已合并" in message and target in message


def test_windows_that_do_not_meet_are_not_merged(plans: TwoPlans) -> None:
    service = plans.service
    target = plans.shared()[0]
    message = refused(
        service,
        lambda: service.joint_visits.merge(
            OFFICE, target, [plans.joint_task, plans.fire_task], at=MERGED_AT
        ),
        WindowsDoNotOverlapError,
    )
    assert "2023-11-30" in message and "2023-12-16" in message


def test_a_task_that_did_not_draw_the_target_is_not_merged(plans: TwoPlans) -> None:
    service = plans.service
    undrawn = next(
        t
        for t in service.tasks.task(OFFICE, plans.market_task).drawn_targets
        if t not in plans.shared()
    )
    message = refused(
        service,
        lambda: service.joint_visits.merge(
            OFFICE, undrawn, [plans.joint_task, plans.market_task], at=MERGED_AT
        ),
        NotDrawnHereError,
    )
    assert undrawn in message


def test_one_task_alone_is_no_merge(plans: TwoPlans) -> None:
    service = plans.service
    with pytest.raises(InvalidValueError) as raised:
        service.joint_visits.merge(
            OFFICE, plans.shared()[0], [plans.joint_task, plans.joint_task], at=MERGED_AT
        )
    assert raised.value.field == "task"


def test_a_target_visited_already_is_no_longer_offered_nor_merged(plans: TwoPlans) -> None:
    service = plans.service
    joint = plans.joint
    joint.confirm().draw_inspectors().match().visit()
    target = joint.targets[0]
    assert target not in {o.target for o in service.joint_visits.offers(OFFICE)}
    refused(
        service,
        lambda: service.joint_visits.merge(
            OFFICE, target, [plans.joint_task, plans.market_task], at=at("2023-11-10")
        ),
        AlreadyVisitedError,
    )
