"""The rules of a task up to its matching: plan, commit, draw, dispatch, confirm, inspectors, match.

Every refusal is checked with `refused`, which also checks that the command left no event behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from math import ceil
from typing import Any

import pytest

from domain import draw
from domain.directories import TargetDirectory
from domain.errors import (
    AlreadyAnsweredError,
    CommitmentMismatchError,
    ConfirmationPendingError,
    GroupsAlreadyMatchedError,
    InspectorsAlreadyDrawnError,
    InspectorsNotDrawnError,
    InvalidValueError,
    NotACooperatingDepartmentError,
    NotADepartmentOfTheTaskError,
    NotEnoughInspectorsError,
    PopulationChangedError,
    SeedAlreadyCommittedError,
    SeedNotCommittedError,
    TargetsAlreadyDrawnError,
    TargetsNotDrawnError,
    UnmatchableTargetError,
)
from domain.task import Task
from domain.values import Scope
from tests.unit.builders import (
    BEACON,
    CONFIRM_BY,
    FIRE,
    LEAD,
    POLICE,
    SECRET,
    WHEN,
    Refused,
    Run,
    RunFactory,
    at,
    joint_definition,
    make_target,
    plan_task,
)

NAIVE = datetime(2023, 3, 7, 9, 0)
LATER = WHEN["confirmed"]
"""A time without a zone: it would shift every deadline by hours."""


# =========================================================================== the definition
def field_of(error: BaseException) -> str:
    assert isinstance(error, InvalidValueError)
    return error.field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lead": "教育局"}, "lead"),
        ({"lead": "Education"}, "lead"),
        ({"cooperating": ("police", "消防")}, "cooperating"),
        ({"cooperating": (LEAD, POLICE)}, "cooperating"),
        ({"cooperating": (POLICE, POLICE)}, "cooperating"),
        ({"items": {LEAD: (), POLICE: (), FIRE: ()}}, f"items.{LEAD}"),
        ({"cooperating": (POLICE, FIRE, "market")}, "items.market"),
        ({"ratios": {"A": "0.1", "B": "0.2", "C": "0.3"}}, "ratios.D"),
        ({"window_start": date(2023, 11, 30), "window_end": date(2023, 3, 1)}, "window_end"),
        ({"per_group": 0}, "per_group"),
        ({"confirm_days": 0}, "confirm_days"),
        ({"result_days": 0}, "result_days"),
        ({"groups": 0}, "groups"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_definition_that_breaks_the_plan_table_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidValueError) as refusal:
        joint_definition(**changes)
    assert refusal.value.field == field


def test_items_of_a_department_outside_the_task_are_refused() -> None:
    items = {**joint_definition().items, "market": joint_definition().items[FIRE]}
    with pytest.raises(InvalidValueError) as refusal:
        joint_definition(items=items)
    assert refusal.value.field == "items"


@pytest.mark.parametrize("ratio", ["0", "1.5", "-0.1", "abc", "3%", "", "NaN", "inf", "1/3"])
def test_a_ratio_outside_zero_to_one_or_not_a_number_is_refused(ratio: str) -> None:
    with pytest.raises(InvalidValueError) as refusal:
        joint_definition(ratios={"A": "0.1", "B": ratio, "C": "0.3", "D": "0.5"})
    assert refusal.value.field == "ratios.B"


@pytest.mark.parametrize("ratio", ["1e-2", ".5", "+0.5", "0.5 ", "5E-1"])
def test_a_ratio_the_plan_accepts_is_one_the_draw_can_use(run: RunFactory, ratio: str) -> None:
    """Whatever passes the plan must be drawable: a task refused at its draw is stuck for good."""
    try:
        definition = joint_definition(ratios={"A": ratio, "B": "0.2", "C": "0.3", "D": "0.5"})
    except InvalidValueError as refusal:
        assert refusal.field == "ratios.A"
        return
    r = run("drawn", definition=definition)
    assert r.events(Task.TargetsDrawn)


def test_a_directed_task_draws_every_grade_whole_whatever_ratios_it_was_given() -> None:
    definition = joint_definition(directed=True, ratios={})
    assert definition.ratio_by_grade() == dict.fromkeys("ABCD", "1")


def test_a_definition_survives_its_own_record() -> None:
    definition = joint_definition(groups=3, confirm_days=4, scope=Scope(tags=frozenset({"持校车"})))
    assert type(definition).from_record(definition.as_record()) == definition


# =========================================================================== times carry a zone
NaiveCommand = Callable[[Run, datetime], object]

TIMED_COMMANDS: list[tuple[str, str, NaiveCommand]] = [
    (
        "commit_seed",
        "planned",
        lambda r, t: r.task.commit_seed(draw.commitment_of(SECRET), 2, r.population, "报数", t),
    ),
    ("draw_targets", "committed", lambda r, t: r.task.draw_targets(r.population, SECRET, "", t)),
    ("dispatch", "drawn", lambda r, t: r.task.dispatch(POLICE, r.calendar, t)),
    ("confirm", "dispatched", lambda r, t: r.task.confirm(POLICE, t)),
    ("decline", "dispatched", lambda r, t: r.task.decline(POLICE, "人手不足", t)),
    ("check_deadlines", "dispatched", lambda r, t: r.task.check_deadlines(t)),
    ("draw_inspectors", "confirmed", lambda r, t: r.task.draw_inspectors(LEAD, r.pool(LEAD), 2, t)),
    ("match_groups", "inspectors_drawn", lambda r, t: r.task.match_groups({}, {}, {}, t)),
]


@pytest.mark.parametrize(
    ("stage", "command"),
    [pytest.param(stage, command, id=name) for name, stage, command in TIMED_COMMANDS],
)
def test_a_time_without_a_zone_is_refused_naming_at(
    run: RunFactory, refused: Refused, stage: str, command: NaiveCommand
) -> None:
    r = run(stage)
    assert field_of(refused(r.task, InvalidValueError, command, r, NAIVE)) == "at"


# =========================================================================== times only move forward
@pytest.mark.parametrize(
    ("stage", "command"),
    [
        pytest.param(stage, command, id=name)
        for name, stage, command in TIMED_COMMANDS
        if name != "check_deadlines"  # a watch, not a command: see the next test
    ],
)
def test_a_command_dated_before_the_task_s_last_moment_is_refused_naming_at(
    run: RunFactory, refused: Refused, stage: str, command: NaiveCommand
) -> None:
    r = run(stage)
    last = r.events()[-1].at
    error = refused(r.task, InvalidValueError, command, r, last - timedelta(minutes=1))
    assert field_of(error) == "at"


def test_a_deadline_check_behind_the_task_s_last_moment_finds_nothing_and_records_nothing(
    run: RunFactory,
) -> None:
    """The watch runs over every open task; one whose record is already past the checked moment
    (a lagging clock) is judged at the next check, and must not stop the watch."""
    r = run("dispatched")
    r.task.confirm(POLICE, at(CONFIRM_BY + timedelta(days=3), 9))
    before = len(r.events())

    assert r.task.check_deadlines(at(CONFIRM_BY + timedelta(days=1), 8)) == 0
    assert len(r.events()) == before
    assert r.task.check_deadlines(at(CONFIRM_BY + timedelta(days=3), 10)) == 1  # fire, now


@pytest.mark.parametrize(
    ("stage", "command"),
    [pytest.param(stage, command, id=name) for name, stage, command in TIMED_COMMANDS],
)
def test_a_command_at_the_task_s_last_moment_is_accepted(
    run: RunFactory, stage: str, command: NaiveCommand
) -> None:
    r = run(stage)
    last = r.events()[-1].at
    command(r, last.astimezone(UTC))  # the same moment, whatever zone it is written in
    assert r.task.last_at == last


def test_a_confirmation_dated_back_before_the_recorded_overdue_is_refused(
    run: RunFactory, refused: Refused
) -> None:
    """Once the log says fire let its deadline pass, fire cannot confirm "on the deadline day"."""
    r = run("dispatched")
    r.task.confirm(POLICE, WHEN["confirmed"])
    assert r.task.check_deadlines(at(CONFIRM_BY + timedelta(days=1), 8)) == 1
    [overdue] = r.events(Task.ConfirmationOverdue)
    assert (overdue.department, overdue.deadline) == (FIRE, CONFIRM_BY)

    error = refused(r.task, InvalidValueError, r.task.confirm, FIRE, at(CONFIRM_BY, 17))
    assert field_of(error) == "at"
    assert FIRE not in r.task.answers

    r.task.confirm(FIRE, at(CONFIRM_BY + timedelta(days=1), 10))
    [_, confirmed] = r.events(Task.DepartmentConfirmed)
    assert (confirmed.department, confirmed.late) == (FIRE, True)


def test_a_task_cannot_be_planned_at_a_time_without_a_zone() -> None:
    with pytest.raises(InvalidValueError) as refusal:
        Task.plan(plan_task().plan_id, 1, joint_definition(), NAIVE)
    assert refusal.value.field == "at"


# =========================================================================== 2. commit
def test_the_commitment_fixes_the_population_before_the_beacon_is_known(run: RunFactory) -> None:
    r = run("committed")
    [committed] = r.events(Task.SeedCommitted)
    assert committed.commitment == draw.commitment_of(SECRET)
    assert committed.directory_id == r.targets.id
    assert committed.directory_position == r.targets.version
    assert committed.population_digest == draw.population_digest(r.population)
    assert committed.strata == {
        "A": {"N": 15, "r": "0.1"},
        "B": {"N": 11, "r": "0.2"},
        "C": {"N": 7, "r": "0.3"},
        "D": {"N": 4, "r": "0.5"},
    }
    assert committed.beacon_source
    assert SECRET not in str(vars(committed))


def test_a_seed_is_committed_only_once(run: RunFactory, refused: Refused) -> None:
    r = run("committed")
    refused(r.task, SeedAlreadyCommittedError, r.commit)


@pytest.mark.parametrize("commitment", ["", "ab" * 31, "AB" * 32, "zz" * 32, SECRET + "0"])
def test_a_commitment_that_is_not_a_sha256_is_refused(
    run: RunFactory, refused: Refused, commitment: str
) -> None:
    r = run("planned")
    error = refused(r.task, InvalidValueError, r.commit, commitment)
    assert field_of(error) == "commitment"


def test_a_scope_that_matches_no_active_target_cannot_be_committed(
    run: RunFactory, refused: Refused
) -> None:
    r = run("planned", definition=joint_definition(scope=Scope(category="高等学校")))
    assert field_of(refused(r.task, InvalidValueError, r.commit)) == "scope"


# =========================================================================== 3. draw targets
def test_no_draw_before_a_seed_is_committed(run: RunFactory, refused: Refused) -> None:
    r = run("planned")
    refused(r.task, SeedNotCommittedError, r.draw)


def test_targets_are_drawn_only_once(run: RunFactory, refused: Refused) -> None:
    r = run("drawn")
    refused(r.task, TargetsAlreadyDrawnError, r.draw)
    refused(r.task, TargetsAlreadyDrawnError, r.draw, SECRET, "另一个信标")


def test_a_secret_that_does_not_match_the_commitment_is_refused(
    run: RunFactory, refused: Refused
) -> None:
    r = run("committed")
    refused(r.task, CommitmentMismatchError, r.draw, "6f" * 32)


def test_a_target_added_after_the_commitment_is_refused_as_a_changed_population(
    run: RunFactory, refused: Refused
) -> None:
    r = run("committed")
    r.targets.register([make_target(41)], WHEN["committed"] + timedelta(minutes=5))
    refused(r.task, PopulationChangedError, r.draw)


def test_a_grade_changed_after_the_commitment_is_refused_as_a_changed_population(
    run: RunFactory, refused: Refused
) -> None:
    r = run("committed")
    population = {**r.population}
    first = min(population)
    population[first] = "D" if population[first] != "D" else "A"
    refused(r.task, PopulationChangedError, r.draw, SECRET, BEACON, population)


def test_the_directory_as_committed_still_draws_after_it_has_changed(run: RunFactory) -> None:
    r = run("committed")
    position = r.events(Task.SeedCommitted)[0].directory_position
    history = list(r.targets.collect_events())
    r.targets.register([make_target(41)], WHEN["committed"])
    assert r.targets.version > position

    as_committed: TargetDirectory | None = None
    for event in history[:position]:
        as_committed = event.mutate(as_committed)
    assert as_committed is not None
    r.draw(population=as_committed.population(r.task.definition.scope))
    assert len(r.events(Task.TargetsDrawn)) == 1


def test_the_draw_event_records_everything_needed_to_re_run_it(run: RunFactory) -> None:
    r = run("drawn")
    [committed] = r.events(Task.SeedCommitted)
    [drawn] = r.events(Task.TargetsDrawn)
    seed = draw.seed_of(SECRET, BEACON)
    assert drawn.rule == "ssj-draw-v1"
    assert drawn.directory_id == committed.directory_id
    assert drawn.directory_position == committed.directory_position
    assert drawn.population_digest == committed.population_digest
    assert drawn.commitment == committed.commitment == draw.commitment_of(drawn.secret)
    assert (drawn.secret, drawn.beacon, drawn.seed) == (SECRET, BEACON, seed)
    assert drawn.strata == {
        "A": {"N": 15, "r": "0.1", "k": 2},
        "B": {"N": 11, "r": "0.2", "k": 3},
        "C": {"N": 7, "r": "0.3", "k": 3},
        "D": {"N": 4, "r": "0.5", "k": 2},
    }
    # By hand, as DRAW-SPEC.md says: the k of lowest rank("targets", id) in each stratum.
    for grade, ids in drawn.drawn.items():
        stratum = sorted(
            (c for c, g in r.population.items() if g == grade),
            key=lambda c: draw.rank(seed, "targets", c),
        )
        assert ids == stratum[: drawn.strata[grade]["k"]]


def test_the_draw_never_takes_fewer_than_the_minimum_ratio(run: RunFactory) -> None:
    r = run("drawn")
    [drawn] = r.events(Task.TargetsDrawn)
    for grade, stratum in drawn.strata.items():
        assert stratum["k"] == ceil(Fraction(stratum["r"]) * stratum["N"])
        assert len(drawn.drawn[grade]) == stratum["k"]
        assert all(r.population[c] == grade for c in drawn.drawn[grade])
    assert r.task.seed == draw.seed_of(SECRET, BEACON)
    assert len(r.task.drawn_targets) == 10


def test_an_empty_beacon_rests_the_draw_on_the_secret_alone(run: RunFactory) -> None:
    r = run("committed")
    r.task.draw_targets(r.population, SECRET, "", WHEN["drawn"])
    assert r.task.seed == draw.seed_of(SECRET, "")


# =========================================================================== 4. dispatch
def test_dispatch_goes_to_every_cooperating_department_with_the_drawn_targets(
    run: RunFactory,
) -> None:
    r = run("dispatched")
    dispatched = r.events(Task.TaskDispatched)
    assert [d.department for d in dispatched] == [POLICE, FIRE]
    assert all(d.targets == list(r.task.drawn_targets) for d in dispatched)
    assert all(d.deadline == CONFIRM_BY for d in dispatched)


@pytest.mark.parametrize("department", [LEAD, "market"])
def test_dispatch_goes_only_to_cooperating_departments(
    run: RunFactory, refused: Refused, department: str
) -> None:
    r = run("drawn")
    refused(r.task, NotACooperatingDepartmentError, r.task.dispatch, department, r.calendar, LATER)


def test_nothing_is_dispatched_before_the_draw(run: RunFactory, refused: Refused) -> None:
    r = run("committed")
    refused(r.task, TargetsNotDrawnError, r.task.dispatch, POLICE, r.calendar, WHEN["dispatched"])


def test_dispatching_twice_changes_nothing(run: RunFactory) -> None:
    r = run("dispatched")
    before = list(r.task.pending_events)
    r.task.dispatch(POLICE, r.calendar, WHEN["dispatched"] + timedelta(days=1))
    r.dispatch()
    assert r.task.pending_events == before


def test_the_deadline_is_two_working_days_after_a_weekday_dispatch(run: RunFactory) -> None:
    r = run("drawn")
    r.task.dispatch(POLICE, r.calendar, at("2023-03-03", 15))  # Friday
    assert r.events(Task.TaskDispatched)[0].deadline == date(2023, 3, 7)  # Monday, Tuesday


def test_the_deadline_skips_the_national_day_week_and_counts_its_tiaoxiu_weekend(
    run: RunFactory,
) -> None:
    r = run("drawn")
    r.task.dispatch(POLICE, r.calendar, at("2023-09-28", 16))
    assert r.events(Task.TaskDispatched)[0].deadline == date(2023, 10, 8)  # Sat 7, Sun 8 worked


def test_the_deadline_counts_from_the_day_in_beijing(run: RunFactory) -> None:
    r = run("drawn")
    # 20:30 on Thursday in UTC is already Friday morning in Beijing.
    r.task.dispatch(POLICE, r.calendar, datetime(2023, 3, 2, 20, 30, tzinfo=UTC))
    assert r.events(Task.TaskDispatched)[0].deadline == date(2023, 3, 7)


def test_the_confirmation_period_is_set_per_task(run: RunFactory) -> None:
    r = run("dispatched", definition=joint_definition(confirm_days=5))
    assert {d.deadline for d in r.events(Task.TaskDispatched)} == {date(2023, 3, 9)}


# =========================================================================== 5. confirm
@pytest.mark.parametrize("department", [LEAD, "market"])
def test_only_a_cooperating_department_confirms(
    run: RunFactory, refused: Refused, department: str
) -> None:
    r = run("dispatched")
    refused(r.task, NotACooperatingDepartmentError, r.task.confirm, department, WHEN["confirmed"])
    refused(r.task, NotACooperatingDepartmentError, r.task.decline, department, "无", LATER)


def test_a_department_confirms_only_what_was_dispatched_to_it(
    run: RunFactory, refused: Refused
) -> None:
    r = run("drawn")
    refused(r.task, NotACooperatingDepartmentError, r.task.confirm, POLICE, WHEN["confirmed"])


def test_a_department_answers_only_once(run: RunFactory, refused: Refused) -> None:
    r = run("confirmed", declined={FIRE: "同期开展专项检查，人手不足"})
    refused(r.task, AlreadyAnsweredError, r.task.confirm, POLICE, WHEN["confirmed"])
    refused(r.task, AlreadyAnsweredError, r.task.decline, POLICE, "改变主意", WHEN["confirmed"])
    refused(r.task, AlreadyAnsweredError, r.task.confirm, FIRE, WHEN["confirmed"])


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decline_needs_a_reason(run: RunFactory, refused: Refused, reason: str) -> None:
    r = run("dispatched")
    error = refused(r.task, InvalidValueError, r.task.decline, FIRE, reason, WHEN["confirmed"])
    assert field_of(error) == "reason"


def test_a_declined_department_leaves_the_task_with_its_reason(run: RunFactory) -> None:
    r = run("confirmed", declined={FIRE: "同期开展专项检查，人手不足"})
    [declined] = r.events(Task.DepartmentDeclined)
    assert (declined.department, declined.reason) == (FIRE, "同期开展专项检查，人手不足")
    assert r.task.participating == (LEAD, POLICE)


def test_a_confirmation_by_the_end_of_the_deadline_day_is_on_time(run: RunFactory) -> None:
    r = run("dispatched")
    r.task.confirm(POLICE, at(CONFIRM_BY, 23, 59))
    assert r.events(Task.DepartmentConfirmed)[0].late is False


def test_a_confirmation_after_the_deadline_is_recorded_as_late(run: RunFactory) -> None:
    r = run("dispatched")
    r.task.confirm(POLICE, at(CONFIRM_BY + timedelta(days=1), 8))
    [confirmed] = r.events(Task.DepartmentConfirmed)
    assert (confirmed.department, confirmed.late) == (POLICE, True)


# =========================================================================== deadlines
def test_the_deadline_day_itself_is_not_overdue(run: RunFactory) -> None:
    r = run("dispatched")
    assert r.task.check_deadlines(at(CONFIRM_BY, 23, 59)) == 0
    assert r.events(Task.ConfirmationOverdue) == []


def test_an_unanswered_dispatch_becomes_overdue_once_the_deadline_has_passed(
    run: RunFactory,
) -> None:
    r = run("dispatched")
    r.task.confirm(POLICE, WHEN["confirmed"])
    assert r.task.check_deadlines(at(CONFIRM_BY + timedelta(days=1), 0)) == 1
    [overdue] = r.events(Task.ConfirmationOverdue)
    assert (overdue.department, overdue.deadline) == (FIRE, CONFIRM_BY)


def test_checking_deadlines_again_appends_nothing(run: RunFactory) -> None:
    r = run("dispatched")
    later = at(CONFIRM_BY + timedelta(days=2))
    assert r.task.check_deadlines(later) == 2
    history = list(r.task.pending_events)
    assert r.task.check_deadlines(later) == 0
    assert r.task.check_deadlines(later + timedelta(days=10)) == 0
    assert r.task.pending_events == history


def test_a_late_department_may_still_confirm_and_is_recorded_late(run: RunFactory) -> None:
    r = run("dispatched")
    r.task.check_deadlines(at(CONFIRM_BY + timedelta(days=1)))
    r.task.confirm(FIRE, at(CONFIRM_BY + timedelta(days=1), 10))
    assert r.events(Task.DepartmentConfirmed)[0].late is True


def test_the_deadline_is_judged_by_the_day_in_beijing(run: RunFactory) -> None:
    r = run("dispatched")
    # 16:30 UTC on the deadline day is already the next day in Beijing.
    assert r.task.check_deadlines(datetime(2023, 3, 6, 16, 30, tzinfo=UTC)) == 2


# =========================================================================== 6. draw inspectors
def test_a_cooperating_department_draws_inspectors_only_after_confirming(
    run: RunFactory, refused: Refused
) -> None:
    r = run("dispatched")
    refused(r.task, ConfirmationPendingError, r.draw_inspectors_of, POLICE)


@pytest.mark.parametrize("department", [FIRE, "market"])
def test_a_department_outside_the_groups_cannot_draw_inspectors(
    run: RunFactory, refused: Refused, department: str
) -> None:
    r = run("confirmed", declined={FIRE: "人手不足"})
    pool = ["x-001", "x-002", "x-003", "x-004"]
    refused(r.task, NotADepartmentOfTheTaskError, r.draw_inspectors_of, department, pool)


def test_no_inspectors_are_drawn_before_the_targets(run: RunFactory, refused: Refused) -> None:
    r = run("committed")
    refused(r.task, TargetsNotDrawnError, r.draw_inspectors_of, LEAD)


def test_a_department_draws_its_inspectors_once(run: RunFactory, refused: Refused) -> None:
    r = run("inspectors_drawn")
    refused(r.task, InspectorsAlreadyDrawnError, r.draw_inspectors_of, POLICE)


def test_too_few_eligible_inspectors_names_the_department_and_both_numbers(
    run: RunFactory, refused: Refused
) -> None:
    r = run("confirmed")
    error = refused(r.task, NotEnoughInspectorsError, r.draw_inspectors_of, FIRE, r.pool(FIRE)[:3])
    assert isinstance(error, NotEnoughInspectorsError)
    assert (error.department, error.needed, error.available) == (FIRE, 4, 3)
    assert FIRE in str(error) and "4" in str(error) and "3" in str(error)


def test_the_inspector_draw_records_its_pool_and_groups(run: RunFactory) -> None:
    r = run("inspectors_drawn")
    drawn = {e.department: e for e in r.events(Task.InspectorsDrawn)}
    assert set(drawn) == {LEAD, POLICE, FIRE}
    for department, event in drawn.items():
        pool = r.pool(department)
        assert event.rule == "ssj-draw-v1"
        assert event.directory_position == r.inspectors[department].version
        assert (event.pool_digest, event.pool_size) == (draw.pool_digest(pool), len(pool))
        ranked = sorted(pool, key=lambda i: draw.rank(r.task.seed, f"inspectors:{department}", i))
        assert event.groups == [ranked[0:2], ranked[2:4]]


def test_the_number_of_groups_is_set_per_task(run: RunFactory) -> None:
    r = run("inspectors_drawn", definition=joint_definition(groups=1, per_group=3))
    assert all(len(e.groups) == 1 and len(e.groups[0]) == 3 for e in r.events(Task.InspectorsDrawn))


# =========================================================================== 7. match
def test_matching_waits_for_every_cooperating_department_to_answer(
    run: RunFactory, refused: Refused
) -> None:
    r = run("dispatched")
    r.task.confirm(POLICE, WHEN["confirmed"])
    for department in (LEAD, POLICE):
        r.draw_inspectors_of(department)
    refused(r.task, ConfirmationPendingError, r.match)


def test_matching_waits_for_every_participating_department_to_draw(
    run: RunFactory, refused: Refused
) -> None:
    r = run("confirmed")
    for department in (LEAD, POLICE):
        r.draw_inspectors_of(department)
    refused(r.task, InspectorsNotDrawnError, r.match)


def test_groups_are_matched_once(run: RunFactory, refused: Refused) -> None:
    r = run("matched")
    refused(r.task, GroupsAlreadyMatchedError, r.match)


def test_each_target_gets_one_group_and_one_sheet_with_every_department_s_items(
    run: RunFactory,
) -> None:
    r = run("matched")
    [matched] = r.events(Task.GroupsMatched)
    assert sorted(matched.matches) == sorted(r.task.drawn_targets)
    assert set(matched.matches.values()) == {0, 1}
    assert [s["target"] for s in matched.sheets] == list(matched.matches)
    items = {d: [i.as_record() for i in r.task.definition.items[d]] for d in (LEAD, POLICE, FIRE)}
    for sheet in matched.sheets:
        assert sheet["group"] == matched.matches[sheet["target"]]
        assert sheet["items"] == items
        assert sheet["inspectors"] == matched.groups[sheet["group"]]
        assert sheet["name"] == r.targets.targets[sheet["target"]].name
    assert matched.directory_positions == {d: r.inspectors[d].version for d in (LEAD, POLICE, FIRE)}
    for group in matched.groups:
        assert set(group) == {LEAD, POLICE, FIRE}
        assert all(len(ids) == 2 for ids in group.values())


def test_who_inspects_a_target_is_whom_its_sheet_names(run: RunFactory) -> None:
    r = run("inspectors_drawn")
    assert r.task.inspectors_of(r.task.drawn_targets[0]) == frozenset()
    r.match()
    for sheet in r.task.record_sheets:
        named = {i for ids in sheet.inspectors.values() for i in ids}
        assert r.task.inspectors_of(sheet.target) == named and len(named) == 6
    undrawn = next(c for c in r.population if c not in r.task.drawn_targets)
    assert r.task.inspectors_of(undrawn) == frozenset()


def test_a_declined_department_has_no_inspectors_and_no_items_on_the_sheets(
    run: RunFactory,
) -> None:
    r = run("matched", declined={FIRE: "人手不足"})
    [matched] = r.events(Task.GroupsMatched)
    assert all(set(group) == {LEAD, POLICE} for group in matched.groups)
    assert all(set(sheet["items"]) == {LEAD, POLICE} for sheet in matched.sheets)
    assert "XF-01" not in str(matched.sheets)


def test_a_recusal_is_honoured_and_moves_only_that_target(run: RunFactory) -> None:
    plain = run("matched")
    target = next(t for t, g in plain.task.matches.items() if g == 0)
    inspector = plain.events(Task.GroupsMatched)[0].groups[0][POLICE][0]

    r = run("inspectors_drawn")
    r.inspectors[POLICE].declare_conflict(inspector, target, "近亲属任该校校长", WHEN["matched"])
    r.match()
    [matched] = r.events(Task.GroupsMatched)
    assert matched.matches[target] == 1
    assert matched.conflicts == {inspector: [target]}
    assert {t: g for t, g in matched.matches.items() if t != target} == {
        t: g for t, g in plain.task.matches.items() if t != target
    }


def test_a_recusal_from_a_target_not_drawn_is_not_recorded(run: RunFactory) -> None:
    r = run("inspectors_drawn")
    undrawn = next(c for c in r.population if c not in r.task.drawn_targets)
    inspector = r.events(Task.InspectorsDrawn)[0].groups[0][0]
    r.inspectors[LEAD].declare_conflict(inspector, undrawn, "曾在该单位任职", WHEN["matched"])
    r.match()
    assert r.events(Task.GroupsMatched)[0].conflicts == {}


def test_a_target_every_group_must_recuse_from_is_unmatchable(
    run: RunFactory, refused: Refused
) -> None:
    r = run("inspectors_drawn")
    target = r.task.drawn_targets[0]
    for group in r.events(Task.InspectorsDrawn)[0].groups:  # the lead's draw
        r.inspectors[LEAD].declare_conflict(group[0], target, "曾在该单位任职", WHEN["matched"])
    error = refused(r.task, UnmatchableTargetError, r.match)
    assert isinstance(error, UnmatchableTargetError) and error.target == target


def test_without_recusals_targets_are_dealt_in_match_rank_order_to_groups_in_turn(
    run: RunFactory,
) -> None:
    r = run("matched")
    dealt = sorted(r.task.drawn_targets, key=lambda t: draw.rank(r.task.seed, "match", t))
    assert r.task.matches == {t: j % 2 for j, t in enumerate(dealt)}
    assert list(r.task.matches) == dealt
