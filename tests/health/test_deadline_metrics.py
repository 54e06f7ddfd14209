"""The deadline watch's metrics: every round counted, every deadline it finds passed counted by
kind (a confirmation: ConfirmationOverdue), each once however often the watch runs again."""

from __future__ import annotations

from prometheus_client import REGISTRY

from adapters.cli import demo
from adapters.clock import ManualClock
from adapters.http.deadline_timer import DeadlineTimer
from tests.http.test_deadline_timer import drawn_and_dispatched


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_rounds_and_passed_deadlines_are_counted_by_kind() -> None:
    clock = ManualClock(demo.at("2023-10-30"))
    service = drawn_and_dispatched(clock)
    timer = DeadlineTimer(service, 60)
    rounds = value("ssj_deadline_checks_total")
    confirmations = value("ssj_overdue_total", kind="confirmation")
    try:
        clock.set(demo.at("2023-11-06", "08:30"))
        assert timer.round() == 2  # police and fire both let their confirmation pass
        assert timer.round() == 0
    finally:
        service.close()

    assert value("ssj_deadline_checks_total") == rounds + 2
    assert value("ssj_overdue_total", kind="confirmation") == confirmations + 2
