"""One joint inspection through the applications, from the plan to the closing (DESIGN.md 1–13)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from adapters.bootstrap import Service
from domain.directory import Inspector
from domain.errors import (
    FollowUpsOpenError,
    NotADepartmentOfTheTaskError,
    UnmatchableTargetError,
)
from domain.values import ResultCategory
from tests.services.conftest import (
    AUDITOR,
    EDUCATION,
    OFFICE,
    department,
    escalations_of,
)

if TYPE_CHECKING:
    from tests.services.conftest import JointInspection


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone(timedelta(hours=8)))


def kinds(service: Service, task_id: UUID) -> list[str]:
    return [entry.type for entry in service.auditor.history(AUDITOR, task_id)]


def recorded(service: Service, task_id: UUID, kind: str) -> list[dict[str, Any]]:
    return [e.fields for e in service.auditor.history(AUDITOR, task_id) if e.type == kind]


def test_a_joint_inspection_runs_from_plan_to_closing(
    service: Service, joint: JointInspection
) -> None:
    tasks = service.tasks

    # 1. Plan: the plan's row becomes a task the office can see.
    task_id = joint.open_directories().plan().task_id
    assert kinds(service, task_id) == ["Planned"]
    assert service.queries.task(OFFICE, task_id).stage == "已计划"

    # 2. Commit: the population is fixed, closed institutions and kindergartens left out.
    joint.commit()
    commitment = joint.task(task_id).commitment
    assert commitment is not None
    assert {g: s["N"] for g, s in commitment.strata.items()} == joint.IN_SCOPE
    assert {g: s["r"] for g, s in commitment.strata.items()} == joint.RATIOS

    # 3. Draw: k = ceil(r·N) per stratum, only from the committed population.
    joint.draw()
    drawn = joint.task(task_id).target_draw
    assert drawn is not None
    assert {g: s["k"] for g, s in drawn.strata.items()} == {"A": 2, "B": 2, "C": 2, "D": 2}
    drawn_ids = [t for ids in drawn.drawn.values() for t in ids]
    assert len(set(drawn_ids)) == 8
    assert set(drawn_ids) <= set(joint.population())

    # 4. Dispatch: each cooperating department, two working days to confirm (Wed -> Fri).
    dispatched = recorded(service, task_id, "TaskDispatched")
    assert sorted(d["department"] for d in dispatched) == ["fire", "police"]
    assert {d["deadline"] for d in dispatched} == {"2023-11-03"}
    assert all(sorted(d["targets"]) == sorted(drawn_ids) for d in dispatched)

    # 5. Confirm: police in time; fire late, after the watch escalated it to the office.
    joint.confirm()
    confirmed = {
        c["department"]: c["late"] for c in recorded(service, task_id, "DepartmentConfirmed")
    }
    assert confirmed == {"police": False, "fire": True}
    overdue = recorded(service, task_id, "ConfirmationOverdue")
    assert [(o["department"], o["deadline"]) for o in overdue] == [("fire", "2023-11-03")]
    escalated = [e for e in escalations_of(service) if e.task_id == task_id]
    assert [(e.department, e.deadline) for e in escalated] == [("fire", date(2023, 11, 3))]

    # 6. Inspectors: each department draws 2 groups of 2 from those who may inspect that day.
    joint.draw_inspectors()
    draws = {d["department"]: d for d in recorded(service, task_id, "InspectorsDrawn")}
    assert set(draws) == {"education", "police", "fire"}
    for code, prefix in (("education", "JY"), ("police", "GA"), ("fire", "XF")):
        groups = draws[code]["groups"]
        assert [len(g) for g in groups] == [2, 2]
        members = {i for g in groups for i in g}
        assert len(members) == 4
        assert f"{prefix}006" not in members  # on leave
        assert f"{prefix}007" not in members  # certificate lapsed before the draw
        assert draws[code]["pool_size"] == 5

    # 7. Recusal and match: one group per target, never one with a member who must recuse.
    joint.recuse().match()
    inspector, recused_target = joint.recusal or ("", "")
    matching = joint.task(task_id).matching
    assert matching is not None
    assert matching.conflicts == {inspector: [recused_target]}
    assert sorted(matching.matches) == sorted(drawn_ids)
    assert matching.matches[recused_target] == 1  # its turn was group 0, where the inspector is
    for target, g in matching.matches.items():
        members = {m for ids in matching.groups[g].values() for m in ids}
        assert not any(target in matching.conflicts.get(m, []) for m in members)
    sheets = matching.record_sheets()
    assert {s.target: s.group for s in sheets} == matching.matches
    assert set(sheets[0].items) == {"education", "police", "fire"}  # 一企一表: every department
    assert sheets[0].name.startswith("迁安市第")
    assert [(r.inspector, r.target) for r in matching.recusals()] == [(inspector, recused_target)]

    # 8. Grouping filed with the office, names and phones included.
    filed = recorded(service, task_id, "GroupingFiled")
    assert sorted(f["department"] for f in filed) == ["education", "fire", "police"]
    assert all(len(f["members"]) == 4 and all(m["phone"] for m in f["members"]) for f in filed)

    # 9. Notice and visit: the third institution refuses to sign, and that is written down.
    joint.visit()
    visits = recorded(service, task_id, "InspectionVisited")
    assert len(visits) == 8
    refused = [v for v in visits if not v["signed"]]
    assert [v["target"] for v in refused] == [joint.targets[2]]
    assert "拒绝" in refused[0]["note"]
    assert {v["results_due"] for v in visits} == {"2023-11-14"}  # 3 working days after Thu 9th

    # 10. Results, the one police forgot flagged once, and the slip corrected by a new event.
    joint.record_results().late_result_and_correction()
    results = recorded(service, task_id, "ResultRecorded")
    assert len(results) == 24
    assert [(r["department"], r["target"]) for r in results if r["late"]] == [
        ("police", joint.targets[-1])
    ]
    assert [
        (o["department"], o["target"]) for o in recorded(service, task_id, "ResultOverdue")
    ] == [("police", joint.targets[-1])]
    [correction] = recorded(service, task_id, "ResultCorrected")
    assert (correction["department"], correction["target"]) == ("education", joint.targets[0])
    assert correction["category"] == "未发现问题"
    assert "备案" in correction["reason"]

    # 11. Publish: every target, each department's category, the corrected one included.
    joint.publish()
    [published] = recorded(service, task_id, "ResultsPublished")
    entries = {e["target"]: e["results"] for e in published["entries"]}
    assert set(entries) == set(drawn_ids)
    assert entries[joint.targets[0]]["education"] == "未发现问题"
    assert entries[joint.targets[1]]["fire"] == "发现问题已责令改正"
    assert entries[joint.targets[2]]["police"] == "发现问题待后续处理"

    # 12. Follow up: the task cannot close while a rectification is still open.
    numbers = joint.follow_up()
    with pytest.raises(FollowUpsOpenError):
        tasks.close_task(EDUCATION, task_id, at=at("2023-11-30"))
    joint.settle_follow_ups(numbers)

    # 13. Close; the office sees it closed, and every draw re-runs to the same result.
    joint.close()
    assert service.queries.task(OFFICE, task_id).stage == "已结案"
    assert joint.task(task_id).is_closed
    assert Counter(kinds(service, task_id))["Closed"] == 1
    service.settle()
    assert service.queries.task(OFFICE, task_id).stage == "已结案"
    report = service.auditor.verify(AUDITOR)
    assert report.ok, [str(d) for d in report.differences]
    assert (report.tasks, report.draws, report.inspector_draws, report.matchings) == (2, 2, 3, 1)


def test_every_result_published_is_a_category_of_the_national_publicity_system(
    service: Service, joint: JointInspection
) -> None:
    joint.published()
    [published] = recorded(service, joint.task_id, "ResultsPublished")
    categories = {c.value for c in ResultCategory}
    assert all(set(e["results"].values()) <= categories for e in published["entries"])


def test_a_department_that_declines_is_left_out_of_the_groups(
    service: Service, joint: JointInspection
) -> None:
    tasks, task_id = service.tasks, joint.drawn().task_id
    police, fire = department("police"), department("fire")
    tasks.decline(police, task_id, "本月开展专项行动，无法抽调人员", at=at("2023-11-02"))
    tasks.confirm(fire, task_id, at=at("2023-11-02"))
    with pytest.raises(NotADepartmentOfTheTaskError):
        tasks.draw_inspectors(police, task_id, at=at("2023-11-06"))
    for actor in (EDUCATION, fire):
        tasks.draw_inspectors(actor, task_id, at=at("2023-11-06"))

    matches = tasks.match_groups(EDUCATION, task_id, at=at("2023-11-07"))

    matching = joint.task(task_id).matching
    assert matching is not None
    assert all(set(group) == {"education", "fire"} for group in matching.groups)
    assert [d["reason"] for d in recorded(service, task_id, "DepartmentDeclined")] == [
        "本月开展专项行动，无法抽调人员"
    ]
    for target in matches:
        tasks.serve_notice(EDUCATION, task_id, target, "letter", "法定代表人", at=at("2023-11-08"))
    for target in matches:
        tasks.record_visit(fire, task_id, target, True, "", at=at("2023-11-09"))
    for target in matches:
        for actor, item in ((EDUCATION, "JY-1"), (fire, "XF-1")):
            tasks.record_result(
                actor,
                task_id,
                target,
                "未发现问题",
                {item: "符合要求"},
                at=at("2023-11-09", "17:00"),
            )
    tasks.publish(EDUCATION, task_id, at=at("2023-11-10"))  # police owes nothing: it declined
    [published] = recorded(service, task_id, "ResultsPublished")
    assert all(set(e["results"]) == {"education", "fire"} for e in published["entries"])


def test_a_target_every_group_must_recuse_from_is_refused_and_nothing_is_matched(
    service: Service, joint: JointInspection, log_length
) -> None:
    joint.drawn().confirm().draw_inspectors()
    task = joint.task()
    target = task.drawn_targets[0]
    for group in task.inspector_draws["police"].groups:
        service.directories.declare_conflict(
            department("police"), group[0], target, "近亲属任职", at=at("2023-11-06")
        )
    before = log_length(service)

    with pytest.raises(UnmatchableTargetError, match=target):
        service.tasks.match_groups(EDUCATION, joint.task_id, at=at("2023-11-07"))

    assert log_length(service) == before
    assert joint.task().matching is None


def test_a_certificate_is_judged_on_the_draw_day_in_beijing_time(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn().confirm()
    service.directories.register_inspectors(
        department("police"),
        [Inspector("GA008", "孙末日", "police", "130283008", date(2023, 11, 6), "13900000008")],
        at=at("2023-11-01"),
    )
    late_evening_utc = datetime(2023, 11, 6, 17, 0, tzinfo=UTC)  # 7 Nov, 01:00 in Beijing

    service.tasks.draw_inspectors(department("police"), joint.task_id, at=late_evening_utc)

    [drawn] = recorded(service, joint.task_id, "InspectorsDrawn")
    assert drawn["pool_size"] == 5  # GA001–GA005: GA008's certificate ended on the 6th
    assert "GA008" in service.directories.pool("police", date(2023, 11, 6)).inspectors
