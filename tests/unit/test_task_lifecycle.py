"""A task after its matching: notices, visits, results, publication, follow-up, closing; and the
whole life of a joint, an internal and a directed task, replayed from its events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain import draw
from domain.errors import (
    AlreadyPublishedError,
    AlreadyVisitedError,
    FollowUpNotOpenError,
    FollowUpsOpenError,
    GroupsNotMatchedError,
    InvalidValueError,
    NotACooperatingDepartmentError,
    NotADepartmentOfTheTaskError,
    NoticeNotServedError,
    NotOwnItemError,
    NotPublishedError,
    NotVisitedError,
    ResultAlreadyRecordedError,
    ResultNotRecordedError,
    ResultsMissingError,
    TargetNotMatchedError,
    TaskClosedError,
    UnknownFollowUpError,
)
from domain.task import Task
from domain.values import ResultCategory, Scope
from tests.unit.builders import (
    FIRE,
    LEAD,
    POLICE,
    RESULTS_DUE,
    WHEN,
    Refused,
    Run,
    RunFactory,
    at,
    internal_definition,
    joint_definition,
)

PROBLEM = ResultCategory.RECTIFICATION_ORDERED.value
NAIVE = datetime(2023, 3, 13, 9, 0)
LATER = WHEN["closed"]


def field_of(error: BaseException) -> str:
    assert isinstance(error, InvalidValueError)
    return error.field


def undrawn(r: Run) -> str:
    return next(c for c in r.population if c not in r.task.drawn_targets)


# =========================================================================== 9. notify and visit
def test_no_notice_before_the_groups_are_matched(run: RunFactory, refused: Refused) -> None:
    r = run("inspectors_drawn")
    refused(r.task, GroupsNotMatchedError, r.serve_notice, r.task.drawn_targets[0])


def test_notices_go_only_to_matched_targets(run: RunFactory, refused: Refused) -> None:
    r = run("matched")
    refused(r.task, TargetNotMatchedError, r.serve_notice, undrawn(r))


@pytest.mark.parametrize("department", [FIRE, "market"])
def test_a_notice_is_served_by_a_department_of_the_task(
    run: RunFactory, refused: Refused, department: str
) -> None:
    r = run("matched", declined={FIRE: "人手不足"})
    refused(
        r.task, NotADepartmentOfTheTaskError, r.serve_notice, r.task.drawn_targets[0], department
    )


@pytest.mark.parametrize(
    ("method", "recipient", "field"),
    [("fax", "张校长", "method"), ("letter", " ", "recipient")],
)
def test_a_notice_names_its_method_and_recipient(
    run: RunFactory, refused: Refused, method: str, recipient: str, field: str
) -> None:
    r = run("matched")
    target = r.task.drawn_targets[0]
    error = refused(r.task, InvalidValueError, r.serve_notice, target, LEAD, method, recipient)
    assert field_of(error) == field


def test_a_telephone_notice_is_recorded_as_such(run: RunFactory) -> None:
    r = run("matched")
    target = r.task.drawn_targets[0]
    r.serve_notice(target, POLICE, "电话告知", "李园长")
    [notice] = r.events(Task.NoticeServed)
    assert (notice.target, notice.method, notice.recipient, notice.department) == (
        target,
        "phone",
        "李园长",
        POLICE,
    )


def test_a_visit_requires_the_notice(run: RunFactory, refused: Refused) -> None:
    r = run("matched")
    refused(r.task, NoticeNotServedError, r.record_visit, r.task.drawn_targets[0])


def test_a_target_is_visited_once(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    refused(r.task, AlreadyVisitedError, r.record_visit, r.task.drawn_targets[0])


def test_a_target_that_was_not_matched_is_not_visited(run: RunFactory, refused: Refused) -> None:
    r = run("notified")
    refused(r.task, TargetNotMatchedError, r.record_visit, undrawn(r))


@pytest.mark.parametrize("note", ["", "   "])
def test_a_refusal_to_sign_must_be_written_down(
    run: RunFactory, refused: Refused, note: str
) -> None:
    r = run("notified")
    error = refused(r.task, InvalidValueError, r.record_visit, r.task.drawn_targets[0], False, note)
    assert field_of(error) == "note"


def test_a_visit_records_the_group_the_signature_and_when_results_are_due(run: RunFactory) -> None:
    r = run("notified")
    target = r.task.drawn_targets[0]
    r.record_visit(target, signed=False, note="法定代表人拒绝签字，两名检查人员在场见证")
    [visit] = r.events(Task.InspectionVisited)
    assert visit.group == r.task.matches[target]
    assert (visit.signed, visit.note) == (False, "法定代表人拒绝签字，两名检查人员在场见证")
    assert visit.results_due == RESULTS_DUE


def test_results_are_due_on_the_third_working_day_after_the_national_day_week(
    run: RunFactory,
) -> None:
    r = run("notified")
    r.record_visit(r.task.drawn_targets[0], when=at("2023-09-28", 15))
    # 9-29 … 10-06 are holidays; Saturday 7 and Sunday 8 October are worked, then Monday 9.
    assert r.events(Task.InspectionVisited)[0].results_due == date(2023, 10, 9)


def test_the_result_period_is_set_per_task(run: RunFactory) -> None:
    r = run("visited", definition=joint_definition(result_days=5))
    assert {v.results_due for v in r.events(Task.InspectionVisited)} == {date(2023, 3, 17)}


# =========================================================================== 10. results
def test_each_department_records_its_own_result(run: RunFactory) -> None:
    r = run("visited")
    target = r.task.drawn_targets[0]
    r.record(POLICE, target, "NO_PROBLEM", {"GA-01": "驾驶人资质齐全"})
    [result] = r.events(Task.ResultRecorded)
    assert (result.department, result.target) == (POLICE, target)
    assert result.category == "未发现问题"  # the publicity system's own wording
    assert result.findings == {"GA-01": "驾驶人资质齐全"}
    assert result.late is False


@pytest.mark.parametrize("department", ["market", FIRE])
def test_only_a_participating_department_records_a_result(
    run: RunFactory, refused: Refused, department: str
) -> None:
    r = run("visited", declined={FIRE: "人手不足"})
    target = r.task.drawn_targets[0]
    refused(r.task, NotADepartmentOfTheTaskError, r.record, department, target, "未发现问题", {})


def test_a_department_records_only_its_own_items(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    findings = {"GA-01": "符合", "JY-01": "符合"}
    error = refused(
        r.task, NotOwnItemError, r.record, POLICE, r.task.drawn_targets[0], "未发现问题", findings
    )
    assert "JY-01" in str(error)


def test_a_result_is_recorded_only_for_a_matched_target(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    refused(r.task, TargetNotMatchedError, r.record, LEAD, undrawn(r))


def test_a_result_is_recorded_only_after_the_visit(run: RunFactory, refused: Refused) -> None:
    r = run("notified")
    refused(r.task, NotVisitedError, r.record, LEAD, r.task.drawn_targets[0])


def test_a_result_is_recorded_once(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    target = r.task.drawn_targets[0]
    r.record(LEAD, target)
    refused(r.task, ResultAlreadyRecordedError, r.record, LEAD, target, PROBLEM)


@pytest.mark.parametrize("category", ["合格", "", "problem"])
def test_a_result_outside_the_publicity_system_s_categories_is_refused(
    run: RunFactory, refused: Refused, category: str
) -> None:
    r = run("visited")
    error = refused(r.task, InvalidValueError, r.record, LEAD, r.task.drawn_targets[0], category)
    assert field_of(error) == "category"


def test_a_result_after_its_due_day_is_recorded_as_late(run: RunFactory) -> None:
    r = run("visited")
    target = r.task.drawn_targets[0]
    r.record(LEAD, target, when=at(RESULTS_DUE, 23, 59))
    r.record(POLICE, target, when=at(RESULTS_DUE + timedelta(days=1)))
    assert [e.late for e in r.events(Task.ResultRecorded)] == [False, True]


def test_a_correction_is_a_new_fact_and_the_old_result_stays(run: RunFactory) -> None:
    r = run("results_recorded")
    target = r.task.drawn_targets[0]
    r.correct(FIRE, target, PROBLEM, "录入时误选类别", {"XF-01": "灭火器过期"})
    [corrected] = r.events(Task.ResultCorrected)
    assert (corrected.department, corrected.target, corrected.category) == (FIRE, target, PROBLEM)
    assert (corrected.reason, corrected.findings) == ("录入时误选类别", {"XF-01": "灭火器过期"})
    original = [
        e for e in r.events(Task.ResultRecorded) if (e.department, e.target) == (FIRE, target)
    ]
    assert [e.category for e in original] == ["未发现问题"]
    r.publish()
    [published] = r.events(Task.ResultsPublished)
    entry = next(e for e in published.entries if e["target"] == target)
    assert entry["results"][FIRE] == PROBLEM


def test_a_correction_needs_a_result_to_correct(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    refused(r.task, ResultNotRecordedError, r.correct, LEAD, r.task.drawn_targets[0], PROBLEM)


def test_a_correction_needs_a_reason(run: RunFactory, refused: Refused) -> None:
    r = run("results_recorded")
    error = refused(
        r.task, InvalidValueError, r.correct, LEAD, r.task.drawn_targets[0], PROBLEM, " "
    )
    assert field_of(error) == "reason"


# =========================================================================== result deadlines
def test_a_missing_result_becomes_overdue_after_its_due_day_once(run: RunFactory) -> None:
    r = run("visited")
    target = r.task.drawn_targets[0]
    r.record_results(skip=[(POLICE, target)])
    assert r.task.check_deadlines(at(RESULTS_DUE, 23, 59)) == 0
    assert r.task.check_deadlines(at(RESULTS_DUE + timedelta(days=1))) == 1
    [overdue] = r.events(Task.ResultOverdue)
    assert (overdue.department, overdue.target, overdue.deadline) == (POLICE, target, RESULTS_DUE)
    history = list(r.task.pending_events)
    assert r.task.check_deadlines(at(RESULTS_DUE + timedelta(days=5))) == 0
    assert r.task.pending_events == history


def test_a_longer_result_period_set_by_the_task_delays_the_overdue(run: RunFactory) -> None:
    r = run("visited", definition=joint_definition(result_days=5))
    assert r.task.check_deadlines(at("2023-03-17", 23, 59)) == 0
    assert r.task.check_deadlines(at("2023-03-18")) == 3 * 10


def test_every_missing_result_of_a_visited_target_is_overdue(run: RunFactory) -> None:
    r = run("notified")
    visited = r.task.drawn_targets[:2]
    r.visit(visited)
    r.record(LEAD, visited[0])
    assert r.task.check_deadlines(at(RESULTS_DUE + timedelta(days=1))) == 5
    assert {(e.department, e.target) for e in r.events(Task.ResultOverdue)} == {
        (POLICE, visited[0]),
        (FIRE, visited[0]),
        (LEAD, visited[1]),
        (POLICE, visited[1]),
        (FIRE, visited[1]),
    }


# =========================================================================== 11. publish
def test_publication_waits_for_every_participating_department_s_results(
    run: RunFactory, refused: Refused
) -> None:
    r = run("visited")
    target = r.task.drawn_targets[-1]
    r.record_results(skip=[(FIRE, target)])
    error = refused(r.task, ResultsMissingError, r.publish)
    assert f"{FIRE}/{target}" in str(error)


def test_publication_waits_for_every_visit(run: RunFactory, refused: Refused) -> None:
    r = run("notified")
    r.visit(r.task.drawn_targets[1:])
    refused(r.task, NotVisitedError, r.publish)


def test_nothing_is_published_before_the_groups_are_matched(
    run: RunFactory, refused: Refused
) -> None:
    r = run("drawn")
    refused(r.task, GroupsNotMatchedError, r.publish)


def test_results_are_published_once(run: RunFactory, refused: Refused) -> None:
    r = run("published")
    refused(r.task, AlreadyPublishedError, r.publish)


def test_the_publication_lists_each_department_s_category_under_each_target(
    run: RunFactory,
) -> None:
    r = run("visited")
    problem_target = r.task.drawn_targets[0]
    r.record_results(skip=[(POLICE, problem_target)])
    r.record(POLICE, problem_target, PROBLEM)
    r.publish()
    [published] = r.events(Task.ResultsPublished)
    assert [e["target"] for e in published.entries] == list(r.task.matches)
    for entry in published.entries:
        assert entry["name"] == r.targets.targets[entry["target"]].name
        expected = PROBLEM if entry["target"] == problem_target else "未发现问题"
        assert entry["results"] == {
            LEAD: "未发现问题",
            POLICE: expected,
            FIRE: "未发现问题",
        }


def test_a_declined_department_owes_no_result(run: RunFactory) -> None:
    r = run("published", declined={FIRE: "人手不足"})
    [published] = r.events(Task.ResultsPublished)
    assert all(set(e["results"]) == {LEAD, POLICE} for e in published.entries)


# =========================================================================== 12. follow up


def with_problem(run: RunFactory, stage: str = "published") -> tuple[Run, str]:
    """A run whose first target has a problem found by the police."""
    r = run("visited")
    target = r.task.drawn_targets[0]
    r.record_results(skip=[(POLICE, target)])
    r.record(POLICE, target, PROBLEM)
    r.stage = "results_recorded"
    return r.to(stage), target


def test_a_problem_opens_a_follow_up_with_a_rectification_deadline(run: RunFactory) -> None:
    r, target = with_problem(run)
    assert r.open_follow_up(target) == 1
    [opened] = r.events(Task.FollowUpOpened)
    assert (opened.number, opened.department, opened.target) == (1, POLICE, target)
    assert (opened.problem, opened.due) == ("校车驾驶人未按期审验", date(2023, 4, 30))
    assert r.task.open_follow_ups() == [1]


def test_a_follow_up_is_opened_only_for_a_problem(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    assert field_of(refused(r.task, InvalidValueError, r.open_follow_up, target, LEAD)) == "target"


def test_a_follow_up_needs_a_recorded_result(run: RunFactory, refused: Refused) -> None:
    r = run("visited")
    refused(r.task, ResultNotRecordedError, r.open_follow_up, r.task.drawn_targets[0])


def test_a_rectification_deadline_is_not_in_the_past(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    today = WHEN["published"].date()
    error = refused(
        r.task, InvalidValueError, r.open_follow_up, target, POLICE, "问题", today - timedelta(1)
    )
    assert field_of(error) == "due"
    r.open_follow_up(target, due=today)


def test_a_rectification_deadline_given_as_a_time_is_refused_naming_due(
    run: RunFactory, refused: Refused
) -> None:
    r, target = with_problem(run)
    error = refused(
        r.task, InvalidValueError, r.open_follow_up, target, POLICE, "问题", at("2023-04-30")
    )
    assert field_of(error) == "due"


def test_an_open_follow_up_is_transferred_once(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    number = r.open_follow_up(target)
    r.task.transfer_follow_up(POLICE, number, "迁安市人民检察院", "涉嫌违法，移送司法机关", LATER)
    [transferred] = r.events(Task.FollowUpTransferred)
    assert (transferred.number, transferred.to) == (number, "迁安市人民检察院")
    assert r.task.open_follow_ups() == []
    refused(
        r.task,
        FollowUpNotOpenError,
        r.task.transfer_follow_up,
        POLICE,
        number,
        "法院",
        "再移送",
        LATER,
    )
    refused(r.task, FollowUpNotOpenError, r.task.close_follow_up, POLICE, number, "已整改", LATER)


def test_an_open_follow_up_is_closed_once(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    number = r.open_follow_up(target)
    r.task.close_follow_up(POLICE, number, "已按期整改，复查合格", LATER)
    [closed] = r.events(Task.FollowUpClosed)
    assert (closed.number, closed.outcome) == (number, "已按期整改，复查合格")
    refused(r.task, FollowUpNotOpenError, r.task.close_follow_up, POLICE, number, "再次办结", LATER)
    refused(
        r.task,
        FollowUpNotOpenError,
        r.task.transfer_follow_up,
        POLICE,
        number,
        "法院",
        "移送",
        LATER,
    )


def test_an_unknown_follow_up_is_named_as_such(run: RunFactory, refused: Refused) -> None:
    r = run("published")
    refused(r.task, UnknownFollowUpError, r.task.close_follow_up, POLICE, 7, "办结", LATER)
    refused(
        r.task, UnknownFollowUpError, r.task.transfer_follow_up, POLICE, 7, "法院", "移送", LATER
    )


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda t, n: t.transfer_follow_up(POLICE, n, " ", "移送", LATER), "to"),
        (lambda t, n: t.transfer_follow_up(POLICE, n, "法院", "", LATER), "reason"),
        (lambda t, n: t.close_follow_up(POLICE, n, "", LATER), "outcome"),
    ],
)
def test_handling_a_follow_up_says_where_and_why(
    run: RunFactory, refused: Refused, command: Callable[[Task, int], None], field: str
) -> None:
    r, target = with_problem(run)
    number = r.open_follow_up(target)
    assert field_of(refused(r.task, InvalidValueError, command, r.task, number)) == field


# =========================================================================== 13. close
def test_a_task_closes_only_after_publication(run: RunFactory, refused: Refused) -> None:
    r = run("results_recorded")
    refused(r.task, NotPublishedError, r.close)


def test_a_task_closes_only_when_no_follow_up_is_open(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    number = r.open_follow_up(target)
    refused(r.task, FollowUpsOpenError, r.close)
    r.task.transfer_follow_up(POLICE, number, "迁安市交通运输局", "抄告主管部门", LATER)
    r.close()
    assert r.task.is_closed
    assert r.events(Task.Closed)[0].at == LATER


Command = Callable[[Run], object]

AFTER_CLOSING: dict[str, Command] = {
    "commit_seed": lambda r: r.commit(),
    "draw_targets": lambda r: r.draw(),
    "dispatch": lambda r: r.task.dispatch(POLICE, r.calendar, LATER),
    "confirm": lambda r: r.task.confirm(POLICE, LATER),
    "decline": lambda r: r.task.decline(POLICE, "人手不足", LATER),
    "draw_inspectors": lambda r: r.draw_inspectors_of(LEAD),
    "match_groups": lambda r: r.match(),
    "file_grouping": lambda r: r.task.file_grouping(LEAD, {}, {}, LATER),
    "serve_notice": lambda r: r.serve_notice(r.task.drawn_targets[0]),
    "record_visit": lambda r: r.record_visit(r.task.drawn_targets[0]),
    "record_result": lambda r: r.record(LEAD, r.task.drawn_targets[0]),
    "correct_result": lambda r: r.correct(LEAD, r.task.drawn_targets[0], PROBLEM),
    "publish": lambda r: r.publish(),
    "open_follow_up": lambda r: r.open_follow_up(r.task.drawn_targets[0], when=LATER),
    "transfer_follow_up": lambda r: r.task.transfer_follow_up(POLICE, 1, "法院", "移送", LATER),
    "close_follow_up": lambda r: r.task.close_follow_up(POLICE, 1, "办结", LATER),
    "close": lambda r: r.close(),
}


@pytest.mark.parametrize("command", AFTER_CLOSING.values(), ids=AFTER_CLOSING.keys())
def test_after_closing_every_command_is_refused(
    run: RunFactory, refused: Refused, command: Command
) -> None:
    r, target = with_problem(run)
    r.task.close_follow_up(POLICE, r.open_follow_up(target), "已整改", LATER)
    r.close()
    refused(r.task, TaskClosedError, command, r)


def test_after_closing_the_deadline_watcher_appends_nothing(run: RunFactory) -> None:
    r = run("closed")
    history = list(r.task.pending_events)
    assert r.task.check_deadlines(LATER + timedelta(days=30)) == 0
    assert r.task.pending_events == history


# =========================================================================== times carry a zone
NAIVE_COMMANDS: dict[str, tuple[str, Command]] = {
    "file_grouping": ("matched", lambda r: r.task.file_grouping(LEAD, {}, {}, NAIVE)),
    "serve_notice": ("matched", lambda r: r.serve_notice(r.task.drawn_targets[0], when=NAIVE)),
    "record_visit": ("notified", lambda r: r.record_visit(r.task.drawn_targets[0], when=NAIVE)),
    "record_result": ("visited", lambda r: r.record(LEAD, r.task.drawn_targets[0], when=NAIVE)),
    "correct_result": (
        "results_recorded",
        lambda r: r.correct(LEAD, r.task.drawn_targets[0], PROBLEM, when=NAIVE),
    ),
    "publish": ("results_recorded", lambda r: r.task.publish(NAIVE)),
    "close": ("published", lambda r: r.task.close(NAIVE)),
}


@pytest.mark.parametrize(("stage", "command"), NAIVE_COMMANDS.values(), ids=NAIVE_COMMANDS.keys())
def test_a_time_without_a_zone_is_refused_naming_at(
    run: RunFactory, refused: Refused, stage: str, command: Command
) -> None:
    r = run(stage)
    assert field_of(refused(r.task, InvalidValueError, command, r)) == "at"


def test_follow_up_times_carry_a_zone(run: RunFactory, refused: Refused) -> None:
    r, target = with_problem(run)
    error = refused(r.task, InvalidValueError, lambda: r.open_follow_up(target, when=NAIVE))
    assert field_of(error) == "at"
    number = r.open_follow_up(target)
    for command in (
        lambda: r.task.transfer_follow_up(POLICE, number, "法院", "移送", NAIVE),
        lambda: r.task.close_follow_up(POLICE, number, "办结", NAIVE),
    ):
        assert field_of(refused(r.task, InvalidValueError, command)) == "at"


# =========================================================================== 8. file the grouping
def test_each_department_files_its_grouping_with_names_and_phones(run: RunFactory) -> None:
    r = run("matched")
    contacts = {
        i.inspector_id: {"name": i.name, "phone": i.phone}
        for i in r.inspectors[POLICE].inspectors.values()
    }
    r.task.file_grouping(POLICE, contacts, {"0": "警车 冀B·1234"}, WHEN["matched"])
    [filed] = r.events(Task.GroupingFiled)
    groups = r.events(Task.GroupsMatched)[0].groups
    assert filed.department == POLICE
    assert [(row["group"], row["inspector"]) for row in filed.members] == [
        (g, i) for g, group in enumerate(groups) for i in group[POLICE]
    ]
    assert all(row["phone"] == contacts[row["inspector"]]["phone"] for row in filed.members)
    assert filed.vehicles == {"0": "警车 冀B·1234"}


def test_a_grouping_is_filed_by_a_department_of_the_task(run: RunFactory, refused: Refused) -> None:
    r = run("matched", declined={FIRE: "人手不足"})
    refused(
        r.task, NotADepartmentOfTheTaskError, r.task.file_grouping, FIRE, {}, {}, WHEN["matched"]
    )


# =========================================================================== whole lives
def test_a_joint_task_runs_from_plan_to_closing(run: RunFactory) -> None:
    r = run("closed")
    kinds = [type(e).__name__ for e in r.events()]
    assert kinds[:3] == ["Planned", "SeedCommitted", "TargetsDrawn"]
    assert kinds[3:7] == ["TaskDispatched"] * 2 + ["DepartmentConfirmed"] * 2
    assert kinds[7:11] == ["InspectorsDrawn"] * 3 + ["GroupsMatched"]
    assert kinds.count("ResultRecorded") == 3 * 10
    assert kinds[-2:] == ["ResultsPublished", "Closed"]
    assert r.task.is_closed


def test_an_internal_task_goes_from_the_draw_straight_to_the_lead_s_inspectors(
    run: RunFactory, refused: Refused
) -> None:
    r = run("drawn", definition=internal_definition())
    refused(r.task, NotACooperatingDepartmentError, r.task.dispatch, POLICE, r.calendar, LATER)
    r.draw_inspectors_of(LEAD)
    r.match()
    r.stage = "matched"
    r.to("closed")
    kinds = [type(e).__name__ for e in r.events()]
    assert "TaskDispatched" not in kinds and "DepartmentConfirmed" not in kinds
    assert kinds[:5] == [
        "Planned",
        "SeedCommitted",
        "TargetsDrawn",
        "InspectorsDrawn",
        "GroupsMatched",
    ]
    [matched] = r.events(Task.GroupsMatched)
    assert all(set(sheet["items"]) == {LEAD} for sheet in matched.sheets)
    assert all(set(group) == {LEAD} for group in matched.groups)
    assert r.task.participating == (LEAD,)
    assert set(r.task.drawn_targets) <= {
        c for c, t in r.targets.targets.items() if t.category == "校外培训机构"
    }


def test_a_directed_task_draws_every_target_of_every_stratum(run: RunFactory) -> None:
    definition = joint_definition(directed=True, ratios={}, scope=Scope(tags=frozenset({"持校车"})))
    r = run("drawn", definition=definition)
    [drawn] = r.events(Task.TargetsDrawn)
    assert all(s["k"] == s["N"] and s["r"] == "1" for s in drawn.strata.values())
    assert sorted(r.task.drawn_targets) == sorted(r.population)
    assert len(r.population) == 9


# =========================================================================== replay
def rebuild(events: list[Any]) -> Task:
    task: Task | None = None
    for event in events:
        task = event.mutate(task)
    assert task is not None
    return task


def everything(run: RunFactory) -> Run:
    """A closed task with a decline, an overdue result, a correction and two follow-ups."""
    r = run("visited", declined={FIRE: "人手不足"})
    r.task.check_deadlines(at(RESULTS_DUE + timedelta(days=1)))
    late = at(RESULTS_DUE + timedelta(days=1), 16)  # after the overdue the log already holds
    r.record_results(when=late)
    r.stage = "results_recorded"
    first, second = r.task.drawn_targets[:2]
    r.correct(POLICE, first, PROBLEM, when=late)
    r.to("published")
    r.task.transfer_follow_up(POLICE, r.open_follow_up(first), "迁安市人民检察院", "移送", LATER)
    r.correct(POLICE, second, PROBLEM, when=LATER)
    r.task.close_follow_up(POLICE, r.open_follow_up(second, when=LATER), "已整改", LATER)
    return r.to("closed")


@pytest.mark.parametrize("stage", ["drawn", "confirmed", "matched", "published", "everything"])
def test_replaying_the_events_gives_the_same_task_without_drawing_again(
    run: RunFactory, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    r = everything(run) if stage == "everything" else run(stage)
    history = list(r.task.collect_events())

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay drew again")

    for rule in ("draw_targets", "draw_inspectors", "match_groups"):
        monkeypatch.setattr(draw, rule, never)
    replayed = rebuild(history)
    assert replayed == r.task
    assert replayed.version == r.task.version == len(history)
    assert (replayed.drawn_targets, replayed.matches, replayed.participating) == (
        r.task.drawn_targets,
        r.task.matches,
        r.task.participating,
    )


def test_an_older_version_is_the_task_as_it_stood_then(run: RunFactory) -> None:
    r = run("matched")
    history = list(r.task.collect_events())
    drawn_at = next(n for n, e in enumerate(history, 1) if isinstance(e, Task.TargetsDrawn))
    then = rebuild(history[:drawn_at])
    assert then.drawn_targets == r.task.drawn_targets
    assert then.matches == {}
    assert then.unanswered == (POLICE, FIRE)
