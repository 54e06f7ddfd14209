"""The auditor: replays a task, sees it as of any event, and re-runs every draw from the log."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.bootstrap import Service
from services.errors import NotFoundError
from tests.services.conftest import (
    AUDITOR,
    OFFICE,
    escalations_of,
    inbox,
    ledger_of,
    register_of,
)

if TYPE_CHECKING:
    from tests.services.conftest import JointInspection, Store

sqlite_only = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def test_history_replays_every_step_of_a_task_in_order(
    service: Service, joint: JointInspection
) -> None:
    joint.closed()

    history = service.auditor.history(AUDITOR, joint.task_id)

    assert [e.version for e in history] == list(range(1, len(history) + 1))
    kinds = [e.type for e in history]
    assert kinds[:4] == ["Planned", "SeedCommitted", "TargetsDrawn", "TaskDispatched"]
    assert kinds[-1] == "Closed"
    for earlier, later in (
        ("TargetsDrawn", "InspectorsDrawn"),
        ("ConfirmationOverdue", "GroupsMatched"),
        ("ResultCorrected", "ResultsPublished"),
        ("ResultsPublished", "FollowUpOpened"),
    ):
        assert kinds.index(earlier) < kinds.index(later)
    drawn = history[2].fields
    assert (drawn["secret"], drawn["beacon"], drawn["rule"]) == (
        joint.SECRET,
        joint.BEACON,
        "ssj-draw-v1",
    )


def test_history_of_a_task_that_does_not_exist_is_not_found(service: Service) -> None:
    with pytest.raises(NotFoundError):
        service.auditor.history(AUDITOR, UUID(int=1))


def test_state_as_of_a_version_shows_the_task_as_it_was_then(
    service: Service, joint: JointInspection
) -> None:
    joint.closed()
    versions = {
        e.type: e.version for e in reversed(service.auditor.history(AUDITOR, joint.task_id))
    }

    at_draw = service.auditor.state_as_of(AUDITOR, joint.task_id, versions["TargetsDrawn"])
    assert sorted(at_draw.drawn_targets) == sorted(joint.targets)
    assert at_draw.dispatches == {} and at_draw.matching is None
    at_overdue = service.auditor.state_as_of(
        AUDITOR, joint.task_id, versions["ConfirmationOverdue"]
    )
    assert set(at_overdue.answers) == {"police"}
    assert at_overdue.confirmation_overdue == {"fire"}
    before_publishing = service.auditor.state_as_of(
        AUDITOR, joint.task_id, versions["ResultsPublished"] - 1
    )
    assert before_publishing.publication is None and not before_publishing.is_closed
    assert service.auditor.state_as_of(AUDITOR, joint.task_id, versions["Closed"]).is_closed


def test_export_gives_every_event_in_log_order_as_plain_json(
    service: Service, joint: JointInspection
) -> None:
    joint.closed()

    exported = list(service.auditor.export(AUDITOR))

    positions = [e["position"] for e in exported]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert {e["aggregate"] for e in exported} == {
        "TargetDirectory",
        "InspectorDirectory",
        "Plan",
        "Task",
    }
    for entry in exported:
        assert set(entry) == {
            "position",
            "aggregate_id",
            "aggregate",
            "version",
            "type",
            "recorded_at",
            "fields",
        }
        json.dumps(entry, ensure_ascii=False)  # nothing but JSON: no code needed to read it


def test_verification_passes_on_a_clean_run(service: Service, joint: JointInspection) -> None:
    joint.closed()

    report = service.auditor.verify(AUDITOR)

    assert report.ok, [str(d) for d in report.differences]
    assert (report.tasks, report.draws, report.inspector_draws, report.matchings) == (2, 2, 3, 1)


@sqlite_only
def test_reopening_the_sqlite_file_sees_the_same_state(
    store: Store, service: Service, joint: JointInspection
) -> None:
    joint.closed()

    reopened = store.open()

    assert list(reopened.auditor.export(AUDITOR)) == list(service.auditor.export(AUDITOR))
    for reader in (escalations_of, register_of, ledger_of, lambda s: inbox(s, "police")):
        assert reader(reopened) == reader(service)
    assert reopened.queries.tasks(OFFICE).items == service.queries.tasks(OFFICE).items
    assert reopened.tasks.task(OFFICE, joint.task_id).is_closed
    assert reopened.auditor.verify(AUDITOR).ok
    assert reopened.dispatch.follow() == 0  # a restart dispatches nothing twice


@sqlite_only
def test_a_task_continues_where_it_stopped_after_reopening_the_sqlite_file(
    store: Store, service: Service, joint: JointInspection
) -> None:
    joint.drawn().confirm().draw_inspectors()

    later = type(joint)(store.open())
    later.task_id, later.other_task_id = joint.task_id, joint.other_task_id
    later.match().visit().record_results().late_result_and_correction().publish()

    assert later.task().publication is not None
    assert later.service.auditor.verify(AUDITOR).ok


def _swap_drawn_target(path: object, task_hex: str, grade: str, substitute: str) -> str:
    """Rewrite the stored TargetsDrawn event in place, as someone with the file could."""
    with closing(sqlite3.connect(str(path))) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Task.TargetsDrawn' "
            "AND originator_id = ?",
            (task_hex,),
        ).fetchone()
        fields = json.loads(state)
        replaced = fields["drawn"][grade][0]
        fields["drawn"][grade][0] = substitute
        forged = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))
    return str(replaced)


@sqlite_only
def test_verification_fails_naming_task_event_and_first_id_after_tampering_with_sqlite(
    store: Store, service: Service, joint: JointInspection
) -> None:
    joint.closed()
    drawn = joint.task().target_draw
    assert drawn is not None
    not_drawn = sorted(
        c for c, g in joint.population().items() if g == "A" and c not in drawn.drawn["A"]
    )
    substitute = not_drawn[0]

    replaced = _swap_drawn_target(store.path, joint.task_id.hex, "A", substitute)
    report = store.open().auditor.verify(AUDITOR)

    assert not report.ok
    [difference] = report.differences
    assert difference.task_id == joint.task_id
    assert difference.event == "TargetsDrawn"
    assert difference.what == "drawn.A"
    assert difference.first_id == substitute
    assert replaced in difference.expected and substitute in difference.got
    assert str(joint.task_id) in str(difference) and substitute in str(difference)
    assert f'"{substitute}"' in str(difference) and "'" not in str(difference)  # JSON, no repr


@sqlite_only
def test_verification_fails_when_the_directory_behind_a_draw_is_rewritten_in_sqlite(
    store: Store, service: Service, joint: JointInspection
) -> None:
    """Moving a school to another risk grade afterwards would change the strata: it shows."""
    joint.closed()
    directory = joint.directory_id.hex
    with closing(sqlite3.connect(str(store.path))) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%TargetsRegistered' "
            "AND originator_id = ?",
            (directory,),
        ).fetchone()
        fields = json.loads(state)
        fields["targets"][0][fields["columns"].index("risk_grade")] = "D"
        forged = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))

    report = store.open().auditor.verify(AUDITOR)

    assert not report.ok
    joint_task = [d for d in report.differences if d.task_id == joint.task_id]
    assert [(d.event, d.what) for d in joint_task] == [
        ("TargetsDrawn", "population_digest（按名录库重建）")
    ]


@sqlite_only
def test_a_deadline_that_is_not_the_calendars_is_found_by_counting_it_again(
    store: Store, service: Service, joint: JointInspection
) -> None:
    """Someone with the file gives police a day more to confirm: counted again on the calendar
    the dispatch names, the deadline does not hold."""
    joint.closed()
    with closing(sqlite3.connect(str(store.path))) as db, db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Task.TaskDispatched' "
            "AND originator_id = ? AND CAST(state AS TEXT) LIKE '%police%'",
            (joint.task_id.hex,),
        ).fetchone()
        fields = json.loads(state)
        assert fields["deadline"]["_data_"] == "2023-11-03"
        fields["deadline"]["_data_"] = "2023-11-06"
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (json.dumps(fields, ensure_ascii=False).encode(), rowid),
        )

    report = store.open().auditor.verify(AUDITOR)

    [difference] = report.differences
    assert "TaskDispatched" in str(difference)
    assert "deadline（按工作日历重算）" in str(difference)
    assert "2023-11-03" in str(difference) and "2023-11-06" in str(difference)
    assert report.deadlines == 2 + 8 + 1  # two dispatches, eight visits; the kindergarten's one
