"""名录库: who is in the directories, every change an event, any past version rebuildable."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain import draw
from domain.directories import InspectorDirectory, TargetDirectory
from domain.directory import Recusal, RiskGrade, Target
from domain.errors import (
    DuplicateInspectorError,
    DuplicateTargetError,
    InvalidCreditCodeError,
    InvalidValueError,
    UnknownInspectorError,
    UnknownTargetError,
)
from domain.values import Scope
from tests.unit.builders import (
    FIRE,
    LEAD,
    POLICE,
    TARGETS,
    Refused,
    at,
    credit_code,
    make_inspector,
    make_inspector_directory,
    make_target,
    make_target_directory,
)

DRAW_DAY = date(2023, 3, 7)
NAIVE = datetime(2023, 3, 7, 9, 0)


def rebuild(events: list[Any]) -> Any:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def wrong_check(code: str) -> str:
    """The same code with a check character that does not fit it."""
    return code[:17] + ("0" if code[17] != "0" else "1")


# =========================================================================== targets
def test_registering_targets_records_them_in_one_event(target_directory: TargetDirectory) -> None:
    [opened, registered] = target_directory.pending_events
    assert isinstance(opened, TargetDirectory.Opened)
    assert isinstance(registered, TargetDirectory.TargetsRegistered)
    assert registered.columns == list(Target.COLUMNS)
    assert [row[0] for row in registered.targets] == [t.credit_code for t in TARGETS]
    assert (
        dict(zip(registered.columns, registered.targets[0], strict=True)) == TARGETS[0].as_record()
    )
    assert len(target_directory.targets) == 40


def test_a_credit_code_already_in_the_directory_is_refused(
    target_directory: TargetDirectory, refused: Refused
) -> None:
    again = make_target(7, name="迁安市第七中学（更名）")
    batch = [make_target(41), again]
    refused(
        target_directory, DuplicateTargetError, target_directory.register, batch, at("2023-02-01")
    )
    assert credit_code(41) not in target_directory.targets


def test_a_credit_code_twice_in_one_batch_is_refused(refused: Refused) -> None:
    directory = TargetDirectory.open("某县名录库", LEAD, at("2023-01-03"))
    batch = [make_target(1), make_target(2), make_target(1, name="重复")]
    error = refused(directory, DuplicateTargetError, directory.register, batch, at("2023-01-04"))
    assert credit_code(1) in str(error)
    assert directory.targets == {}


def test_an_empty_batch_records_nothing(target_directory: TargetDirectory) -> None:
    version = target_directory.version
    assert target_directory.register([], at("2023-02-01")) == 0
    assert target_directory.version == version


def test_a_target_needs_a_valid_credit_code() -> None:
    with pytest.raises(InvalidCreditCodeError) as refusal:
        make_target(1, credit_code=wrong_check(credit_code(1)))
    assert refusal.value.field == "credit_code"


def test_the_population_is_every_active_target_in_scope_with_its_grade(
    target_directory: TargetDirectory,
) -> None:
    population = target_directory.population(Scope())
    assert len(population) == 37
    assert {credit_code(12), credit_code(25), credit_code(38)}.isdisjoint(population)
    assert population[credit_code(9)] == "D"
    assert set(population.values()) == {"A", "B", "C", "D"}


@pytest.mark.parametrize(
    ("scope", "admitted"),
    [
        (Scope(category="幼儿园"), lambda t: t.category == "幼儿园"),
        (Scope(region="夏官营镇"), lambda t: t.region == "夏官营镇"),
        (Scope(tags=frozenset({"持校车"})), lambda t: "持校车" in t.tags),
        (
            Scope(category="学校", region="迁安镇", tags=frozenset({"持校车"})),
            lambda t: t.category == "学校" and t.region == "迁安镇" and "持校车" in t.tags,
        ),
    ],
)
def test_the_population_takes_only_what_the_scope_admits(
    target_directory: TargetDirectory, scope: Scope, admitted: Any
) -> None:
    expected = {t.credit_code: t.risk_grade.value for t in TARGETS if t.active and admitted(t)}
    assert expected
    assert target_directory.population(scope) == expected


def test_a_target_every_tag_of_the_scope_is_required(target_directory: TargetDirectory) -> None:
    scope = Scope(tags=frozenset({"持校车", "寄宿制"}))
    assert target_directory.population(scope) == {}


def test_an_update_changes_grades_and_status_for_later_draws(
    target_directory: TargetDirectory,
) -> None:
    target_directory.update(
        [make_target(1, risk_grade=RiskGrade.D), make_target(2, active=False)],
        "2023年度信用风险分类结果",
        at("2023-02-01"),
    )
    [updated] = [
        e for e in target_directory.pending_events if isinstance(e, TargetDirectory.TargetsUpdated)
    ]
    assert updated.reason == "2023年度信用风险分类结果"
    population = target_directory.population(Scope())
    assert population[credit_code(1)] == "D"
    assert credit_code(2) not in population


def test_an_update_of_an_unknown_target_is_refused(
    target_directory: TargetDirectory, refused: Refused
) -> None:
    batch = [make_target(1, risk_grade=RiskGrade.C), make_target(99)]
    refused(
        target_directory,
        UnknownTargetError,
        target_directory.update,
        batch,
        "分类",
        at("2023-02-01"),
    )


def test_an_update_needs_a_reason(target_directory: TargetDirectory, refused: Refused) -> None:
    error = refused(
        target_directory,
        InvalidValueError,
        target_directory.update,
        [make_target(1, active=False)],
        " ",
        at("2023-02-01"),
    )
    assert isinstance(error, InvalidValueError) and error.field == "reason"


def test_an_older_version_gives_the_older_population(target_directory: TargetDirectory) -> None:
    then = target_directory.version
    before = target_directory.population(Scope())
    target_directory.register([make_target(41), make_target(42)], at("2023-02-01"))
    target_directory.update([replace(TARGETS[0], active=False)], "注销", at("2023-02-02"))
    now = target_directory.population(Scope())
    assert now != before

    history = list(target_directory.collect_events())
    assert rebuild(history[:then]).population(Scope()) == before
    assert rebuild(history).population(Scope()) == now
    assert draw.population_digest(rebuild(history[:then]).population(Scope())) == (
        draw.population_digest(before)
    )


def test_a_directory_is_kept_by_a_department(refused: Refused) -> None:
    with pytest.raises(InvalidValueError) as refusal:
        TargetDirectory.open("名录库", "教育局", at("2023-01-03"))
    assert refusal.value.field == "owner"
    with pytest.raises(InvalidValueError) as refusal:
        TargetDirectory.open("名录库", LEAD, NAIVE)
    assert refusal.value.field == "at"


def test_registering_at_a_time_without_a_zone_is_refused(
    target_directory: TargetDirectory, refused: Refused
) -> None:
    error = refused(
        target_directory, InvalidValueError, target_directory.register, [make_target(41)], NAIVE
    )
    assert isinstance(error, InvalidValueError) and error.field == "at"


def test_the_same_directory_name_gives_the_same_id() -> None:
    first = make_target_directory()
    assert first.id == TargetDirectory.id_for("迁安市教育系统抽查对象名录库")


# =========================================================================== inspectors
def test_the_pool_excludes_inspectors_on_leave_inactive_or_with_an_expired_certificate() -> None:
    directory = make_inspector_directory(POLICE)
    assert directory.pool(DRAW_DAY) == [f"{POLICE}-{n:03d}" for n in range(1, 6)]


def test_an_expert_is_never_in_the_pool_even_with_a_valid_certificate() -> None:
    """专业技术人员 assist the drawn inspectors; they are not drawn as enforcement staff."""
    directory = InspectorDirectory.open(FIRE, at("2023-01-03"))
    expert = make_inspector(FIRE, 2, expert=True)
    directory.register([make_inspector(FIRE, 1), expert], at("2023-01-04"))
    assert expert.certificate_no and expert.certificate_expiry > DRAW_DAY
    assert directory.pool(DRAW_DAY) == [f"{FIRE}-001"]
    assert f"{FIRE}-002" in directory.inspectors  # kept in the directory, just not drawn


def test_an_inspector_without_a_certificate_number_is_never_in_the_pool() -> None:
    directory = InspectorDirectory.open(FIRE, at("2023-01-03"))
    uncertified = replace(make_inspector(FIRE, 2, expert=True), certificate_no="")
    directory.register([make_inspector(FIRE, 1), uncertified], at("2023-01-04"))
    assert directory.inspectors[f"{FIRE}-002"].certificate_no == ""
    assert directory.pool(DRAW_DAY) == [f"{FIRE}-001"]


def test_a_certificate_is_valid_through_its_expiry_day() -> None:
    directory = InspectorDirectory.open(FIRE, at("2023-01-03"))
    directory.register([make_inspector(FIRE, 1, certificate_expiry=DRAW_DAY)], at("2023-01-04"))
    assert directory.pool(DRAW_DAY) == [f"{FIRE}-001"]
    assert directory.pool(DRAW_DAY + timedelta(days=1)) == []


def test_leave_and_renewal_change_the_pool_from_then_on() -> None:
    directory = make_inspector_directory(LEAD)
    directory.take_leave(f"{LEAD}-001", at("2023-03-01"))
    assert f"{LEAD}-001" not in directory.pool(DRAW_DAY)
    directory.end_leave(f"{LEAD}-001", at("2023-03-02"))
    directory.end_leave(f"{LEAD}-091", at("2023-03-02"))
    directory.renew_certificate(f"{LEAD}-093", "冀执法200093", date(2028, 12, 31), at("2023-03-02"))
    pool = directory.pool(DRAW_DAY)
    assert {f"{LEAD}-001", f"{LEAD}-091", f"{LEAD}-093"} <= set(pool)
    assert f"{LEAD}-092" not in pool
    updates = [
        e for e in directory.pending_events if isinstance(e, InspectorDirectory.InspectorUpdated)
    ]
    assert [u.reason for u in updates] == ["请假", "销假", "销假", "执法证换发"]


def test_a_deactivated_inspector_leaves_the_pool() -> None:
    directory = make_inspector_directory(POLICE)
    directory.deactivate(f"{POLICE}-002", "调离执法岗位", at("2023-03-01"))
    assert f"{POLICE}-002" not in directory.pool(DRAW_DAY)


def test_a_declared_conflict_records_the_recusal(refused: Refused) -> None:
    directory = make_inspector_directory(POLICE)
    directory.declare_conflict(f"{POLICE}-003", credit_code(7), "配偶在该校任职", at("2023-03-01"))
    [declared] = [
        e for e in directory.pending_events if isinstance(e, InspectorDirectory.ConflictDeclared)
    ]
    assert (declared.inspector_id, declared.credit_code, declared.reason) == (
        f"{POLICE}-003",
        credit_code(7),
        "配偶在该校任职",
    )
    assert directory.recusals() == [Recusal(f"{POLICE}-003", credit_code(7))]
    assert f"{POLICE}-003" in directory.pool(DRAW_DAY)  # recused from one target, not from draws


def test_a_conflict_names_a_valid_credit_code_and_a_reason(refused: Refused) -> None:
    directory = make_inspector_directory(POLICE)
    refused(
        directory,
        InvalidCreditCodeError,
        directory.declare_conflict,
        f"{POLICE}-003",
        wrong_check(credit_code(7)),
        "亲属",
        at("2023-03-01"),
    )
    error = refused(
        directory,
        InvalidValueError,
        directory.declare_conflict,
        f"{POLICE}-003",
        credit_code(7),
        "",
        at("2023-03-01"),
    )
    assert isinstance(error, InvalidValueError) and error.field == "reason"


@pytest.mark.parametrize(
    "command",
    [
        lambda d: d.declare_conflict("police-404", credit_code(7), "亲属", at("2023-03-01")),
        lambda d: d.take_leave("police-404", at("2023-03-01")),
        lambda d: d.end_leave("police-404", at("2023-03-01")),
        lambda d: d.deactivate("police-404", "调离", at("2023-03-01")),
        lambda d: d.renew_certificate("police-404", "冀执法1", date(2028, 1, 1), at("2023-03-01")),
    ],
    ids=["declare_conflict", "take_leave", "end_leave", "deactivate", "renew_certificate"],
)
def test_an_unknown_inspector_is_named_as_such(refused: Refused, command: Any) -> None:
    directory = make_inspector_directory(POLICE)
    error = refused(directory, UnknownInspectorError, command, directory)
    assert "police-404" in str(error)


def test_an_inspector_id_is_registered_once(refused: Refused) -> None:
    directory = make_inspector_directory(FIRE)
    refused(
        directory,
        DuplicateInspectorError,
        directory.register,
        [make_inspector(FIRE, 7), make_inspector(FIRE, 1)],
        at("2023-02-01"),
    )
    refused(
        directory,
        DuplicateInspectorError,
        directory.register,
        [make_inspector(FIRE, 8), make_inspector(FIRE, 8)],
        at("2023-02-01"),
    )


def test_a_department_registers_only_its_own_inspectors(refused: Refused) -> None:
    directory = make_inspector_directory(FIRE)
    error = refused(
        directory,
        InvalidValueError,
        directory.register,
        [make_inspector(POLICE, 7)],
        at("2023-02-01"),
    )
    assert isinstance(error, InvalidValueError) and error.field == "department"


def test_an_older_inspector_directory_gives_the_older_pool_and_recusals() -> None:
    directory = make_inspector_directory(LEAD)
    then = directory.version
    directory.take_leave(f"{LEAD}-002", at("2023-03-01"))
    directory.declare_conflict(f"{LEAD}-001", credit_code(3), "曾任该校教师", at("2023-03-01"))
    history = list(directory.collect_events())
    older = rebuild(history[:then])
    assert older.pool(DRAW_DAY) == [f"{LEAD}-{n:03d}" for n in range(1, 7)]
    assert older.recusals() == []
    newer = rebuild(history)
    assert f"{LEAD}-002" not in newer.pool(DRAW_DAY)
    assert newer.recusals() == [Recusal(f"{LEAD}-001", credit_code(3))]
