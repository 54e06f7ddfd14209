"""A refused command says why and leaves nothing behind; a draw cannot be steered afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain.credit_code import make_credit_code
from domain.directories import TargetDirectory
from domain.directory import Inspector, RiskGrade, Target
from domain.errors import (
    AlreadyAnsweredError,
    CommitmentMismatchError,
    DomainError,
    DuplicateTargetError,
    InvalidValueError,
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
from services.actors import Actor
from services.errors import (
    AheadOfClockError,
    AlreadyExistsError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
)
from tests.services.conftest import AUDITOR, DIRECTORY, EDUCATION, OFFICE, department

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
    service.read_models.catch_up()
    assert len(service.queries.tasks(OFFICE, 1000).items) == 2


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
    committed = joint.task().commitment
    assert committed is not None
    directory_id = joint.directory_id
    some = sorted(joint.population())[:3]
    old = service.directories.target_directory(directory_id).targets
    service.directories.register_targets(
        EDUCATION,
        directory_id,
        [new_school(n, grade) for n, grade in enumerate("ABCDDDDD")],
        at=at("2023-10-31", "18:00"),
    )
    service.directories.update_targets(
        EDUCATION,
        directory_id,
        [
            Target(**{**vars(old[some[0]]), "risk_grade": RiskGrade.D}),
            Target(**{**vars(old[some[1]]), "active": False}),
        ],
        "年度信用风险分类调整；注销",
        at=at("2023-10-31", "18:30"),
    )

    joint.draw()

    drawn = joint.task().target_draw
    assert drawn is not None
    assert drawn.directory_position == committed.directory_position
    assert drawn.population_digest == committed.population_digest
    assert {g: s["N"] for g, s in drawn.strata.items()} == joint.IN_SCOPE
    # The same world, where nobody touched the directory:
    unchanged = bootstrap(load_settings(), memory=True)
    try:
        reference = type(joint)(unchanged).drawn()
        same = reference.task().target_draw
        assert same is not None
        assert drawn.drawn == same.drawn
    finally:
        unchanged.close()
    assert service.auditor.verify(AUDITOR).ok


def test_a_draw_with_another_secret_is_refused_and_records_nothing(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories().plan().commit()
    before = log_length(service)

    with pytest.raises(CommitmentMismatchError):
        service.tasks.draw_targets(
            EDUCATION, joint.task_id, "0" * 64, joint.BEACON, at=at("2023-11-01")
        )

    assert log_length(service) == before
    assert joint.task().target_draw is None


@pytest.mark.parametrize("secret", ["123456", "G" * 64, "A" * 64, "0" * 63])
def test_a_guessable_or_malformed_secret_is_refused_at_commit_naming_secret(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int], secret: str
) -> None:
    """Only H(secret) is published at commit: a short secret could be found from it by trying."""
    joint.open_directories().plan()
    before = log_length(service)

    with pytest.raises(InvalidValueError) as refused:
        service.tasks.commit_seed(
            EDUCATION, joint.task_id, secret, "见证人报数", at=at("2023-10-31")
        )

    assert refused.value.field == "secret"
    assert log_length(service) == before


def test_a_draw_without_a_commitment_is_refused(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    joint.open_directories().plan()
    before = log_length(service)

    with pytest.raises(SeedNotCommittedError):
        service.tasks.draw_targets(
            EDUCATION, joint.task_id, joint.SECRET, joint.BEACON, at=at("2023-11-01")
        )

    assert log_length(service) == before


def test_a_commitment_to_a_scope_that_matches_nothing_is_refused(
    service: Service, joint: JointInspection, log_length: Callable[[Service], int]
) -> None:
    service.directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2023-10-20"))
    joint.plan()
    before = log_length(service)

    with pytest.raises(InvalidValueError) as refused:
        service.tasks.commit_seed(EDUCATION, joint.task_id, joint.SECRET, "", at=at("2023-10-31"))

    assert refused.value.field == "scope"
    assert log_length(service) == before


# ---------------------------------------------------------------------------- every step
def _refusals() -> dict[str, tuple[type[Exception], Callable[[Service, JointInspection], object]]]:
    t = "2023-11-08"
    police = department("police")
    return {
        "commit again": (
            SeedAlreadyCommittedError,
            lambda s, j: s.tasks.commit_seed(EDUCATION, j.task_id, j.SECRET, "", at=at(t)),
        ),
        "draw again": (
            TargetsAlreadyDrawnError,
            lambda s, j: s.tasks.draw_targets(EDUCATION, j.task_id, j.SECRET, j.BEACON, at=at(t)),
        ),
        # The lead is no cooperating department: the policy refuses before the task is asked.
        "lead confirms": (
            ForbiddenError,
            lambda s, j: s.tasks.confirm(EDUCATION, j.task_id, at=at(t)),
        ),
        "lead confirms as if cooperating": (
            ForbiddenError,
            lambda s, j: s.tasks.confirm(Actor.cooperating("education"), j.task_id, at=at(t)),
        ),
        "confirm twice": (
            AlreadyAnsweredError,
            lambda s, j: s.tasks.confirm(police, j.task_id, at=at(t)),
        ),
        "notice to a target not drawn": (
            TargetNotMatchedError,
            lambda s, j: s.tasks.serve_notice(
                EDUCATION,
                j.task_id,
                make_credit_code("91130283MA0999999"),
                "letter",
                "张三",
                at=at(t),
            ),
        ),
        "notice by email": (
            InvalidValueError,
            lambda s, j: s.tasks.serve_notice(
                EDUCATION, j.task_id, j.targets[0], "email", "张三", at=at(t)
            ),
        ),
        "visit before notice": (
            NoticeNotServedError,
            lambda s, j: s.tasks.record_visit(
                EDUCATION, j.task_id, j.targets[0], True, "", at=at(t)
            ),
        ),
        "result before visit": (
            NotVisitedError,
            lambda s, j: s.tasks.record_result(
                police, j.task_id, j.targets[0], "未发现问题", {"GA-1": "符合要求"}, at=at(t)
            ),
        ),
        "result on another department's item": (
            NotOwnItemError,
            lambda s, j: s.tasks.record_result(
                police, j.task_id, j.targets[0], "未发现问题", {"XF-1": "符合要求"}, at=at(t)
            ),
        ),
        "result in no category": (
            InvalidValueError,
            lambda s, j: s.tasks.record_result(
                police, j.task_id, j.targets[0], "还行", {}, at=at(t)
            ),
        ),
        "publish before the visits": (
            NotVisitedError,
            lambda s, j: s.tasks.publish(EDUCATION, j.task_id, at=at(t)),
        ),
        "close before publishing": (
            NotPublishedError,
            lambda s, j: s.tasks.close_task(EDUCATION, j.task_id, at=at(t)),
        ),
        "a time without its zone": (
            InvalidValueError,
            lambda s, j: s.tasks.serve_notice(
                EDUCATION, j.task_id, j.targets[0], "letter", "张三", at=datetime(2023, 11, 8, 9)
            ),
        ),
        "a time ahead of the clock": (
            AheadOfClockError,
            lambda s, j: s.tasks.serve_notice(
                EDUCATION,
                j.task_id,
                j.targets[0],
                "letter",
                "张三",
                at=s.clock.now() + timedelta(days=1),
            ),
        ),
        "an unknown task": (
            NotFoundError,
            lambda s, j: s.tasks.confirm(police, UUID(int=1), at=at(t)),
        ),
        "a target twice in one import": (
            DuplicateTargetError,
            lambda s, j: s.directories.register_targets(
                EDUCATION, j.directory_id, [new_school(1), new_school(2), new_school(1)], at=at(t)
            ),
        ),
        "an inspector of another department": (
            InvalidValueError,
            lambda s, j: s.directories.register_inspectors(
                police,
                [Inspector("XF100", "赵六", "fire", "13028399", date(2026, 1, 1))],
                at=at(t),
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
        service.tasks.publish(EDUCATION, joint.task_id, at=at("2023-11-10"))

    assert log_length(service) == before
