"""A refused command says why and leaves nothing behind; a draw cannot be steered afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.bootstrap import Service, bootstrap
from domain.credit_code import make_credit_code
from domain.directories import TargetDirectory
from domain.directory import Inspector, RiskGrade, Target
from domain.errors import (
    AlreadyAnsweredError,
    CommitmentMismatchError,
    DomainError,
    DuplicateTargetError,
    InvalidValueError,
    NotACooperatingDepartmentError,
    NoticeNotServedError,
    NotOwnItemError,
    NotPublishedError,
    NotVisitedError,
    ResultsMissingError,
    SeedAlreadyCommittedError,
    SeedNotCommittedError,
    TargetNotMatchedError,
    TargetsAlreadyDrawnError,
)
from services.errors import AlreadyExistsError, NotFoundError, ServiceError

if TYPE_CHECKING:
    from tests.services.conftest import JointInspection


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone(timedelta(hours=8)))


def new_school(n: int, grade: str = "A", category: str = "校外培训机构") -> Target:
    return Target(
        make_credit_code(f"52130283MK{n:07d}"),
        f"迁安市新设培训学校{n}",
        category,
        "迁安市",
        RiskGrade(grade),
    )


# ---------------------------------------------------------------------------- plans
def test_a_plan_registered_twice_is_refused_and_records_nothing(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories().plan()
    before = log_length(service)

    with pytest.raises(AlreadyExistsError):
        joint.plan()

    assert log_length(service) == before
    assert len(service.index.tasks) == 2


def test_a_plan_naming_a_directory_that_does_not_exist_is_refused(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories()
    joint.directory_id = TargetDirectory.id_for("没有这个名录库")
    before = log_length(service)

    with pytest.raises(NotFoundError):
        joint.plan()

    assert log_length(service) == before


# ---------------------------------------------------------------------------- the draw
def test_changing_the_directory_after_the_commitment_does_not_change_that_draw(
    service: Service, joint: JointInspection
) -> None:
    joint.open_directories().plan().commit()
    committed = service.tasks.task(joint.task_id).commitment
    assert committed is not None
    directory_id = joint.directory_id
    some = sorted(joint.population())[:3]
    old = service.directories.target_directory(directory_id).targets
    service.directories.register_targets(
        directory_id,
        [new_school(n, grade) for n, grade in enumerate("ABCDDDDD")],
        at("2023-10-31", "18:00"),
    )
    service.directories.update_targets(
        directory_id,
        [
            Target(**{**vars(old[some[0]]), "risk_grade": RiskGrade.D}),
            Target(**{**vars(old[some[1]]), "active": False}),
        ],
        "年度信用风险分类调整；注销",
        at("2023-10-31", "18:30"),
    )

    joint.draw()

    drawn = service.tasks.task(joint.task_id).target_draw
    assert drawn is not None
    assert drawn.directory_position == committed.directory_position
    assert drawn.population_digest == committed.population_digest
    assert {g: s["N"] for g, s in drawn.strata.items()} == joint.IN_SCOPE
    unchanged = bootstrap(None)  # the same world where nobody touched the directory
    try:
        reference = type(joint)(unchanged).drawn()
        same = unchanged.tasks.task(reference.task_id).target_draw
        assert same is not None
        assert drawn.drawn == same.drawn
    finally:
        unchanged.tasks.close()
        unchanged.directories.close()
    assert service.auditor.verify().ok


def test_a_draw_with_another_secret_is_refused_and_records_nothing(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories().plan().commit()
    before = log_length(service)

    with pytest.raises(CommitmentMismatchError):
        service.tasks.draw_targets(joint.task_id, "0" * 64, joint.BEACON, at("2023-11-01"))

    assert log_length(service) == before
    assert service.tasks.task(joint.task_id).target_draw is None


@pytest.mark.parametrize("secret", ["123456", "G" * 64, "A" * 64, "0" * 63])
def test_a_guessable_or_malformed_secret_is_refused_at_commit_naming_secret(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int], secret: str
) -> None:
    """Only H(secret) is published at commit: a short secret could be found from it by trying."""
    joint.open_directories().plan()
    before = log_length(service)

    with pytest.raises(InvalidValueError) as refused:
        service.tasks.commit_seed(joint.task_id, secret, "见证人报数", at("2023-10-31"))

    assert refused.value.field == "secret"
    assert log_length(service) == before


def test_a_draw_without_a_commitment_is_refused(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories().plan()
    before = log_length(service)

    with pytest.raises(SeedNotCommittedError):
        service.tasks.draw_targets(joint.task_id, joint.SECRET, joint.BEACON, at("2023-11-01"))

    assert log_length(service) == before


def test_a_commitment_to_a_scope_that_matches_nothing_is_refused(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    service.directories.open_target_directory(
        "迁安市校外培训机构名录库", "education", at("2023-10-20")
    )
    joint.plan()
    before = log_length(service)

    with pytest.raises(InvalidValueError) as refused:
        service.tasks.commit_seed(joint.task_id, joint.SECRET, "", at("2023-10-31"))

    assert refused.value.field == "scope"
    assert log_length(service) == before


# ---------------------------------------------------------------------------- every step
def _refusals() -> dict[str, tuple[type[Exception], Callable[[Service, JointInspection], object]]]:
    t = "2023-11-08"
    return {
        "commit again": (
            SeedAlreadyCommittedError,
            lambda s, j: s.tasks.commit_seed(j.task_id, j.SECRET, "", at(t)),
        ),
        "draw again": (
            TargetsAlreadyDrawnError,
            lambda s, j: s.tasks.draw_targets(j.task_id, j.SECRET, j.BEACON, at(t)),
        ),
        "lead confirms": (
            NotACooperatingDepartmentError,
            lambda s, j: s.tasks.confirm(j.task_id, "education", at(t)),
        ),
        "confirm twice": (
            AlreadyAnsweredError,
            lambda s, j: s.tasks.confirm(j.task_id, "police", at(t)),
        ),
        "notice to a target not drawn": (
            TargetNotMatchedError,
            lambda s, j: s.tasks.serve_notice(
                j.task_id,
                "education",
                make_credit_code("91130283MA0999999"),
                "letter",
                "张三",
                at(t),
            ),
        ),
        "notice by email": (
            InvalidValueError,
            lambda s, j: s.tasks.serve_notice(
                j.task_id, "education", j.targets[0], "email", "张三", at(t)
            ),
        ),
        "visit before notice": (
            NoticeNotServedError,
            lambda s, j: s.tasks.record_visit(j.task_id, j.targets[0], True, "", at(t)),
        ),
        "result before visit": (
            NotVisitedError,
            lambda s, j: s.tasks.record_result(
                j.task_id, "police", j.targets[0], "未发现问题", {"GA-1": "符合要求"}, at(t)
            ),
        ),
        "result on another department's item": (
            NotOwnItemError,
            lambda s, j: s.tasks.record_result(
                j.task_id, "police", j.targets[0], "未发现问题", {"XF-1": "符合要求"}, at(t)
            ),
        ),
        "result in no category": (
            InvalidValueError,
            lambda s, j: s.tasks.record_result(
                j.task_id, "police", j.targets[0], "还行", {}, at(t)
            ),
        ),
        "publish before the visits": (
            NotVisitedError,
            lambda s, j: s.tasks.publish(j.task_id, at(t)),
        ),
        "close before publishing": (
            NotPublishedError,
            lambda s, j: s.tasks.close_task(j.task_id, at(t)),
        ),
        "a time without its zone": (
            InvalidValueError,
            lambda s, j: s.tasks.serve_notice(
                j.task_id, "education", j.targets[0], "letter", "张三", datetime(2023, 11, 8, 9)
            ),
        ),
        "an unknown task": (
            NotFoundError,
            lambda s, j: s.tasks.confirm(UUID(int=1), "police", at(t)),
        ),
        "a target twice in one import": (
            DuplicateTargetError,
            lambda s, j: s.directories.register_targets(
                j.directory_id, [new_school(1), new_school(2), new_school(1)], at(t)
            ),
        ),
        "an inspector of another department": (
            InvalidValueError,
            lambda s, j: s.directories.register_inspectors(
                "police",
                [Inspector("XF100", "赵六", "fire", "13028399", date(2026, 1, 1))],
                at(t),
            ),
        ),
    }


REFUSALS = _refusals()


@pytest.mark.parametrize("command", list(REFUSALS))
def test_a_refused_command_leaves_no_event_in_the_log(
    command: str,
    service: Service,
    joint: JointInspection,
    log_length: Callable[[Service], int],
) -> None:
    joint.matched()
    before = log_length(service)
    error, act = REFUSALS[command]

    with pytest.raises(error):
        act(service, joint)

    assert issubclass(error, DomainError | ServiceError)
    assert log_length(service) == before


def test_publishing_with_a_result_missing_names_what_is_owed(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.matched().visit().record_results()
    before = log_length(service)

    with pytest.raises(ResultsMissingError, match=f"police/{joint.targets[-1]}"):
        service.tasks.publish(joint.task_id, at("2023-11-10"))

    assert log_length(service) == before
