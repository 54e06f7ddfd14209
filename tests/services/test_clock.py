"""A command's time cannot run ahead of the service's clock: one department's `at` of 2099 would
otherwise freeze the task for everyone, since a task's moments only move forward. Past work can
still be entered afterwards, in each task's order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adapters.bootstrap import bootstrap, load_settings
from adapters.clock import ManualClock
from services.errors import AheadOfClockError
from tests.services.conftest import AUDITOR, EDUCATION, JointInspection, department

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2023, 11, 2, 10, 0, tzinfo=BEIJING)


def events(joint: JointInspection) -> int:
    return sum(1 for _ in joint.service.auditor.export(AUDITOR))


@pytest.fixture
def joint() -> JointInspection:
    clock = ManualClock(NOW)
    service = bootstrap(load_settings(), memory=True, clock=clock)
    joint = JointInspection(service).drawn()
    yield joint
    service.close()


def test_a_confirmation_dated_2099_is_refused_and_the_task_stays_open_to_everyone(
    joint: JointInspection,
) -> None:
    before = events(joint)

    with pytest.raises(AheadOfClockError) as refused:
        joint.tasks.confirm(
            department("police"), joint.task_id, at=datetime(2099, 1, 1, tzinfo=BEIJING)
        )

    assert refused.value.field == "at"
    assert "2099-01-01 00:00:00（北京时间）" in str(refused.value)
    assert "最晚 2023-11-02 10:05:00（北京时间）" in str(refused.value)
    assert events(joint) == before
    # Nothing froze: fire confirms now, and the lead goes on.
    joint.tasks.confirm(department("fire"), joint.task_id, at=NOW)
    joint.tasks.draw_inspectors(EDUCATION, joint.task_id, at=NOW)


def test_a_clock_a_little_ahead_is_within_the_tolerance(joint: JointInspection) -> None:
    joint.tasks.confirm(department("police"), joint.task_id, at=NOW + timedelta(minutes=4))

    assert "police" in joint.task().answers


def test_the_tolerance_is_a_setting(joint: JointInspection) -> None:
    strict = bootstrap(
        load_settings(clock_tolerance=timedelta(seconds=30)),
        memory=True,
        clock=ManualClock(NOW),
    )
    try:
        JointInspection(strict).open_directories()
        with pytest.raises(AheadOfClockError):
            strict.directories.take_leave(
                department("police"), "GA001", at=NOW + timedelta(minutes=1)
            )
    finally:
        strict.close()


def test_past_work_is_entered_afterwards_in_the_tasks_order(joint: JointInspection) -> None:
    """Today is the 2nd; police confirmed on paper yesterday and it is entered now."""
    yesterday = NOW - timedelta(days=1)

    joint.tasks.confirm(department("police"), joint.task_id, at=yesterday)

    confirmed = joint.task().answers["police"]
    assert confirmed.at == yesterday
