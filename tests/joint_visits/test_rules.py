"""The rules of a merge, on the domain alone: which tasks may share one visit, the window they
agree on, and one joint visit per target and set of tasks however they are listed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID, uuid4

import pytest

from domain.errors import AlreadyVisitedError, InvalidValueError
from domain.joint_visit import (
    JointVisit,
    MergedTask,
    NotDrawnHereError,
    SameTaskOwnerError,
    WindowsDoNotOverlapError,
    indexes_of,
    mergeable,
)
from domain.values import CHINA
from services.joint_visits import meeting_groups

AT = datetime(2023, 11, 2, 9, 0, tzinfo=CHINA)
TARGET = "52130283MJ00000010"
PLAN_A, PLAN_B = UUID(int=1), UUID(int=2)


def task(lead: str, plan: UUID, start: str, end: str, **changes: object) -> MergedTask:
    made = MergedTask(
        task_id=uuid4(),
        name=f"{lead} {start}",
        plan_id=plan,
        lead=lead,
        departments=(lead,),
        items={lead: [{"code": f"{lead[:2].upper()}-1", "name": "事项"}]},
        window_start=date.fromisoformat(start),
        window_end=date.fromisoformat(end),
        drew_target=True,
        visited=False,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_tasks_of_one_department_and_plan_are_not_merged() -> None:
    one = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    two = task("education", PLAN_A, "2023-11-10", "2023-12-10")
    assert not mergeable([one, two])
    with pytest.raises(SameTaskOwnerError):
        JointVisit.merge(TARGET, "", [one, two], "双随机办", "", AT)


def test_one_department_s_tasks_of_different_plans_are_merged() -> None:
    one = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    two = task("education", PLAN_B, "2023-11-10", "2023-12-10")
    visit = JointVisit.merge(TARGET, "", [one, two], "双随机办", "", AT)
    assert (visit.window_start, visit.window_end) == (date(2023, 11, 10), date(2023, 11, 30))


def test_windows_that_only_touch_on_one_day_agree_on_that_day() -> None:
    one = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    two = task("market", PLAN_B, "2023-11-30", "2023-12-31")
    visit = JointVisit.merge(TARGET, "", [one, two], "双随机办", "", AT)
    assert visit.window_start == visit.window_end == date(2023, 11, 30)
    three = task("fire", PLAN_B, "2023-12-01", "2023-12-31")
    with pytest.raises(WindowsDoNotOverlapError):
        JointVisit.merge(TARGET, "", [one, three], "双随机办", "", AT)


def test_a_task_that_visited_or_did_not_draw_the_target_is_refused() -> None:
    one = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    with pytest.raises(AlreadyVisitedError):
        JointVisit.merge(
            TARGET,
            "",
            [one, task("market", PLAN_B, "2023-11-01", "2023-11-30", visited=True)],
            "双随机办",
            "",
            AT,
        )
    with pytest.raises(NotDrawnHereError):
        JointVisit.merge(
            TARGET,
            "",
            [one, task("market", PLAN_B, "2023-11-01", "2023-11-30", drew_target=False)],
            "双随机办",
            "",
            AT,
        )
    with pytest.raises(InvalidValueError) as raised:
        JointVisit.merge(TARGET, "", [one], "双随机办", "", AT)
    assert raised.value.field == "task"


def test_the_joint_visit_s_id_does_not_depend_on_the_order_of_its_tasks() -> None:
    one = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    two = task("market", PLAN_B, "2023-11-01", "2023-11-30")
    first = JointVisit.merge(TARGET, "", [one, two], "双随机办", "", AT)
    again = JointVisit.merge(TARGET, "", [two, one], "双随机办", "", AT)
    assert first.id == again.id
    assert {i.id for i in indexes_of(first)} == {i.id for i in indexes_of(again)}
    assert len(first.items()) == 2


def test_overlapping_windows_are_offered_as_the_largest_sets_that_share_a_day() -> None:
    november = task("education", PLAN_A, "2023-11-01", "2023-11-30")
    late_autumn = task("market", PLAN_B, "2023-11-15", "2023-12-15")
    december = task("fire", PLAN_B, "2023-12-01", "2023-12-31")
    spring = task("police", PLAN_B, "2024-03-01", "2024-03-31")
    groups = meeting_groups([november, late_autumn, december, spring])
    assert [{t.lead for t in g} for g in groups] == [
        {"education", "market"},
        {"market", "fire"},
    ]
    everyone = task("health", PLAN_B, "2023-10-01", "2023-12-31")
    groups = meeting_groups([november, late_autumn, december, everyone])
    assert [{t.lead for t in g} for g in groups] == [
        {"education", "market", "health"},
        {"market", "fire", "health"},
    ]
