"""A log written before the task was split into parts, before actors and calendars in the log,
still loads, folds, exports and verifies: stored events are never rewritten, so every old topic
and field layout must keep reading (tests/fixtures/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain.task import Task
from tests.services.conftest import AUDITOR, EDUCATION, OFFICE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def old(tmp_path: Path) -> Service:
    copy = tmp_path / "ssj.db"
    shutil.copy(FIXTURES / "log-2026-12-01.db", copy)
    service = bootstrap(load_settings(db=copy))
    yield service
    service.close()


def exported_then() -> list[dict[str, object]]:
    lines = (FIXTURES / "log-2026-12-01.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_the_old_log_exports_the_same_events_in_the_same_order(old: Service) -> None:
    then = exported_then()

    now = list(old.auditor.export(AUDITOR))

    assert [(e["position"], e["type"], e["aggregate_id"]) for e in now] == [
        (e["position"], e["type"], e["aggregate_id"]) for e in then
    ]
    for before, after in zip(then, now, strict=True):
        fields = after["fields"]
        assert isinstance(fields, dict)
        # Every field stored then reads the same now; upcasting only adds what was unknown then.
        assert {k: v for k, v in fields.items() if k in before["fields"]} == before["fields"]
        added = set(fields) - set(before["fields"])  # type: ignore[arg-type]
        assert added <= {
            "calendar",
            "department",
            "awaiting_calendar",
            "on_site_reason",
            "measure",
        }
        if "measure" in added:  # the follow-ups' measures: opening one then was 责令限期整改
            expected = "责令改正" if after["type"] == "FollowUpOpened" else ""
            assert after["type"].startswith("FollowUp") and fields["measure"] == expected


def test_the_old_log_verifies_and_its_tasks_load(old: Service) -> None:
    report = old.auditor.verify(AUDITOR)
    assert report.ok, [str(d) for d in report.differences]
    assert (report.tasks, report.draws, report.matchings) == (2, 2, 1)

    old.settle()  # the read models fold the old log once, from the start
    views = old.queries.tasks(OFFICE).items
    assert [v.stage for v in views] == ["已结案", "已抽取检查对象"]
    closed = old.tasks.task(OFFICE, views[0].task_id)
    assert closed.is_closed and len(closed.record_sheets) == 8
    assert {f.status.value for f in closed.follow_ups.values()} == {"closed", "transferred"}
    # Opened before measures were named: 责令改正; how it was handed over, the log does not say.
    assert {f.measures for f in closed.follow_ups.values()} == {("责令改正",)}
    dispatched = next(iter(closed.dispatches.values()))
    assert isinstance(dispatched, Task.TaskDispatched) and dispatched.calendar == {}


def test_the_old_log_takes_new_events_after_its_old_ones(old: Service) -> None:
    old.settle()
    before = sum(1 for _ in old.auditor.export(AUDITOR))
    kindergarten = old.queries.tasks(OFFICE).items[1].task_id  # market declined it in 2023

    old.tasks.draw_inspectors(EDUCATION, kindergarten, at=old.clock.now())
    old.settle()

    assert sum(1 for _ in old.auditor.export(AUDITOR)) == before + 1
    assert "education" in old.tasks.task(OFFICE, kindergarten).inspector_draws
    assert old.queries.task(OFFICE, kindergarten).inspectors_drawn == {"education"}
    report = old.auditor.verify(AUDITOR)
    assert report.ok and report.inspector_draws == 4
