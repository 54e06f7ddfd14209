"""A served console has no worker beside it: `ssj serve` runs the deadline watch itself, so that a
department letting its two working days pass reaches the office without anyone typing a command."""

from __future__ import annotations

import time

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli import demo
from adapters.clock import ManualClock
from adapters.http.deadline_timer import DeadlineTimer
from services.actors import Actor

SECRET = "ab" * 32


def drawn_and_dispatched(clock: ManualClock) -> Service:
    service = bootstrap(load_settings(), memory=True, clock=clock)
    clock.set(demo.at("2023-10-30", "17:00"))
    task_id = demo._prepare(service)
    clock.set(demo.at("2023-11-01", "09:30"))
    tasks = service.tasks
    tasks.commit_seed(demo.EDUCATION, task_id, SECRET, "", at=demo.at("2023-10-31", "16:00"))
    tasks.draw_targets(demo.EDUCATION, task_id, SECRET, "482913", at=demo.at("2023-11-01", "09:30"))
    service.settle()  # dispatched to police and fire, due 2023-11-03
    return service


def test_a_round_escalates_the_confirmations_whose_deadline_passed_and_the_inbox_shows_it() -> None:
    clock = ManualClock(demo.at("2023-10-30"))
    service = drawn_and_dispatched(clock)
    timer = DeadlineTimer(service, 60)
    try:
        clock.set(demo.at("2023-11-03", "17:00"))
        assert timer.round() == 0  # the last day is not over
        clock.set(demo.at("2023-11-06", "08:30"))
        assert timer.round() == 2  # police and fire both let it pass
        escalated = service.queries.escalations(Actor.office()).items
        assert sorted(e.department for e in escalated) == ["fire", "police"]
        assert timer.round() == 0  # passed once, recorded once
        [item] = service.queries.inbox(Actor.cooperating("fire"), "fire").items
        assert any("已逾期" in owed for owed in item.owes)
    finally:
        service.close()


def test_the_started_timer_watches_by_itself_until_stopped() -> None:
    clock = ManualClock(demo.at("2023-10-30"))
    service = drawn_and_dispatched(clock)
    clock.set(demo.at("2023-11-06", "08:30"))
    timer = DeadlineTimer(service, 0.05).start()
    try:
        deadline = time.monotonic() + 10
        while not service.queries.escalations(Actor.office()).items:
            assert time.monotonic() < deadline, "no round ran"
            time.sleep(0.05)
    finally:
        timer.stop()
        service.close()
    assert not timer.running
