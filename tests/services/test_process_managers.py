"""What the service does by itself: dispatch after a draw, and watch the deadlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from adapters.bootstrap import Service
from domain.errors import DomainError
from services.processes import DispatchProcess
from tests.services.conftest import (
    AUDITOR,
    DIRECTORY,
    EDUCATION,
    department,
    escalations_of,
    institutions,
    joint_task,
)

if TYPE_CHECKING:
    from tests.services.conftest import JointInspection


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone(timedelta(hours=8)))


def of_kind(service: Service, kind: str) -> list[dict[str, object]]:
    return [e["fields"] for e in service.auditor.export(AUDITOR) if e["type"] == kind]


def test_a_draw_dispatches_the_task_to_each_cooperating_department(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn()

    dispatched = sorted(
        (d["department"], d["deadline"])
        for d in of_kind(service, "TaskDispatched")
        if d["department"] != "market"
    )
    assert dispatched == [("fire", "2023-11-03"), ("police", "2023-11-03")]


def test_running_the_dispatch_process_again_changes_nothing(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.drawn()
    before = log_length(service)
    drawn = joint.task().target_draw
    assert drawn is not None

    assert service.dispatch.follow() == 0
    process = DispatchProcess(service.tasks, service.read_models, service.clock)
    assert process.follow() == 0  # a restarted worker, from its recorded position
    assert process._handle(drawn) == 0  # the same draw handled again (a crash before the position)

    assert log_length(service) == before
    assert len(joint.task().dispatches) == 2


def test_the_confirmation_deadline_counts_working_weekends_of_the_holiday_calendar(
    service: Service, joint: JointInspection
) -> None:
    """Drawn on Thursday 28 September 2023: 29 Sep–6 Oct are holidays, 7–8 Oct are worked.

    A task of its own, planned in September: a task's moments only move forward, so the joint
    task planned on 30 October cannot be drawn in September.
    """
    service.directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2023-09-18"))
    service.directories.register_targets(
        EDUCATION, joint.directory_id, institutions(), at=at("2023-09-18", "10:00")
    )
    before_the_holiday = replace(
        joint_task(joint.directory_id),
        name="2023年迁安市校外培训机构节前联合抽查",
        window_start=date(2023, 9, 25),
        window_end=date(2023, 10, 31),
    )
    [task_id] = service.tasks.register_plan(
        EDUCATION,
        2023,
        "2023年国庆节前联合抽查工作计划",
        [before_the_holiday],
        at=at("2023-09-25"),
    ).task_ids
    service.tasks.commit_seed(EDUCATION, task_id, joint.SECRET, "", at=at("2023-09-27"))
    service.tasks.draw_targets(EDUCATION, task_id, joint.SECRET, "", at=at("2023-09-28"))
    service.settle()

    deadlines = {d.department: d.deadline for d in joint.task(task_id).dispatches.values()}
    assert deadlines == {"police": date(2023, 10, 8), "fire": date(2023, 10, 8)}


def test_the_deadline_watch_escalates_an_overdue_confirmation_once(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn()
    service.tasks.confirm(department("police"), joint.task_id, at=at("2023-11-02"))
    service.tasks.confirm(department("market"), joint.other_task_id, at=at("2023-11-02"))
    service.settle()

    assert service.deadlines.check(at("2023-11-03", "23:59")) == []  # the deadline day itself
    [overdue] = service.deadlines.check(at("2023-11-06", "08:30"))
    service.settle()
    assert (overdue.task_id, overdue.appended) == (joint.task_id, 1)
    assert service.deadlines.check(at("2023-11-06", "09:00")) == []
    assert service.deadlines.check(at("2023-11-20")) == []
    service.settle()

    assert [(o["department"], o["deadline"]) for o in of_kind(service, "ConfirmationOverdue")] == [
        ("fire", "2023-11-03")
    ]
    [escalation] = escalations_of(service)
    assert (escalation.task_id, escalation.department, escalation.deadline) == (
        joint.task_id,
        "fire",
        date(2023, 11, 3),
    )
    assert escalation.what == "未在期限内确认派发任务"


def test_the_deadline_watch_flags_a_missing_result_once_and_the_late_result_says_so(
    service: Service, joint: JointInspection
) -> None:
    joint.matched().visit().record_results()
    escalated_before = len(escalations_of(service))

    assert service.deadlines.check(at("2023-11-14", "20:00")) == []  # due the 14th
    assert [o.appended for o in service.deadlines.check(at("2023-11-15", "08:30"))] == [1]
    assert service.deadlines.check(at("2023-11-16", "08:30")) == []
    service.settle()

    [overdue] = of_kind(service, "ResultOverdue")
    assert (overdue["department"], overdue["target"], overdue["deadline"]) == (
        "police",
        joint.targets[-1],
        "2023-11-14",
    )
    [escalation] = escalations_of(service)[escalated_before:]
    assert escalation.what == f"未按时录入 {joint.targets[-1]} 的检查结果"


def test_a_confirmation_recorded_after_the_overdue_cannot_claim_to_be_on_time(
    service: Service, joint: JointInspection
) -> None:
    """Once the log says fire let its deadline pass, a confirmation dated back to before the
    deadline must not come out as on time: refused, or recorded as late."""
    joint.drawn()
    service.deadlines.check(at("2023-11-06", "08:30"))

    try:
        service.tasks.confirm(department("fire"), joint.task_id, at=at("2023-11-02"))
    except DomainError:
        return  # refusing a time earlier than what the task already recorded is right too

    [confirmed] = [c for c in of_kind(service, "DepartmentConfirmed") if c["department"] == "fire"]
    assert confirmed["late"] is True
