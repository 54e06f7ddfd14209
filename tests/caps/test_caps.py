"""国办发〔2024〕54号: the office's yearly caps, the exemptions, and what a commitment leaves out of
its population because of them, recorded with reasons so that the draw stays re-runnable."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import pytest

from adapters.bootstrap import Service
from domain.errors import InvalidValueError
from domain.inspection_caps import CAP_DEPARTMENT, CAP_TOTAL, EXCLUSION_PERIOD, Exclusions
from domain.task import Task
from services.actors import Actor
from services.errors import ForbiddenError
from services.exclusion_checks import position_of
from tests.caps.world import AUDITOR, EDUCATION, OFFICE, SECRET, TARGETS, County, at, code


def log_length(service: Service) -> int:
    return sum(1 for _ in service.auditor.export(AUDITOR))


def committed(service: Service, task_id: UUID) -> Task.SeedCommitted:
    return cast(Task.SeedCommitted, service.tasks.task(OFFICE, task_id).commitment)


def drawn_event(service: Service, task_id: UUID) -> Task.TargetsDrawn:
    return cast(Task.TargetsDrawn, service.tasks.task(OFFICE, task_id).target_draw)


EVERYONE = {t.credit_code for t in TARGETS}


# ---------------------------------------------------------------------------- caps and exemptions
def test_the_office_sets_a_years_caps_and_a_new_set_replaces_the_last(county: County) -> None:
    county.caps.set_caps(OFFICE, 2025, {"education": 1}, 2, at=at("2025-02-01"))
    county.caps.set_caps(OFFICE, 2025, {"education": 2, "market": 1}, None, at=at("2025-02-02"))

    caps = county.caps.caps(OFFICE, 2025)
    assert caps is not None
    assert dict(caps.departments) == {"education": 2, "market": 1}
    assert caps.total is None
    assert county.caps.caps(OFFICE, 2026) is None


@pytest.mark.parametrize(
    ("departments", "total", "field"),
    [
        ({"education": 0}, None, "departments.education"),
        ({"教育局": 1}, None, "departments.教育局"),
        ({}, 0, "total"),
        ({}, None, "departments"),
    ],
)
def test_a_cap_that_is_not_a_positive_count_is_refused_naming_it_and_leaves_no_event(
    county: County, departments: dict[str, int], total: int | None, field: str
) -> None:
    before = log_length(county.service)
    with pytest.raises(InvalidValueError) as refused:
        county.caps.set_caps(OFFICE, 2025, departments, total, at=at("2025-02-01"))
    assert refused.value.field == field
    assert log_length(county.service) == before


def test_only_the_office_sets_caps(county: County) -> None:
    with pytest.raises(ForbiddenError):
        county.caps.set_caps(EDUCATION, 2025, {"education": 5}, None, at=at("2025-02-01"))
    assert county.caps.caps(OFFICE, 2025) is None


@pytest.mark.parametrize(
    ("kind", "reason", "field"),
    [("投诉举报", "", "reason"), ("", "举报编号 001", "reason_kind"), ("心情", "x", "reason_kind")],
)
def test_an_exemption_needs_a_reason_kind_and_a_reason(
    county: County, kind: str, reason: str, field: str
) -> None:
    before = log_length(county.service)
    with pytest.raises(InvalidValueError) as refused:
        county.caps.grant_exemption(OFFICE, code(1), 2025, kind, reason, at=at("2025-02-01"))
    assert refused.value.field == field
    assert log_length(county.service) == before


def test_a_lead_grants_exemptions_for_its_own_tasks_only(county: County) -> None:
    task = county.plan("education")
    county.caps.grant_exemption(
        EDUCATION, code(1), 2025, "complaint", "举报 2025-7", at=at("2025-02-01"), task_id=task
    )
    county.caps.grant_exemption(
        EDUCATION,
        code(2),
        2025,
        "企业申请",
        "企业来函",
        at=at("2025-02-01"),
        department="education",
    )
    for refused in (
        {"task_id": task, "actor": Actor.lead("market")},
        {"department": "market", "actor": EDUCATION},
        {"actor": EDUCATION},  # for every department's tasks: the office's to grant
    ):
        actor = refused.pop("actor")
        with pytest.raises(ForbiddenError):
            county.caps.grant_exemption(
                cast(Actor, actor),
                code(3),
                2025,
                "转办交办",
                "上级交办",
                at=at("2025-02-01"),
                **cast(dict[str, Any], refused),
            )
    caps = county.caps.caps(OFFICE, 2025)
    assert caps is not None
    assert [(e.credit_code, e.reason_kind) for e in caps.exemptions] == [
        (code(1), "投诉举报"),
        (code(2), "企业申请"),
    ]


# ---------------------------------------------------------------------------- the draw
def test_a_draw_leaves_out_the_targets_at_their_departments_cap_and_keeps_the_exempted(
    county: County,
) -> None:
    service = county.service
    first = county.plan("education", directed=False)
    earlier = set(county.run(first, "2025-03-03"))
    county.caps.set_caps(OFFICE, 2025, {"education": 1}, None, at=at("2025-03-04"))
    kept = sorted(earlier)[0]
    county.caps.grant_exemption(
        OFFICE, kept, 2025, "投诉举报", "12345 热线举报超纲教学", at=at("2025-03-05")
    )

    second = county.plan("education")  # directed: every target not left out is drawn
    county.commit(second, "2025-04-01")
    drawn = set(county.draw(second, "2025-04-01"))

    commitment = committed(service, second)
    left_out = {e["credit_code"]: e for e in commitment.exclusions}
    assert set(left_out) == earlier - {kept}
    assert drawn == EVERYONE - set(left_out)
    assert kept in drawn
    for record in left_out.values():
        assert record["reason"] == CAP_DEPARTMENT
        assert "education 本年已抽查 1 次，上限 1 次" in record["reason_text"]
        [evidence] = record["evidence"]
        assert evidence["task_id"] == str(first)
        assert evidence["drawn_at"].startswith("2025-03-03T10:00")
    assert [(e["credit_code"], e["reason_kind"]) for e in commitment.exempted] == [
        (kept, "投诉举报")
    ]
    assert commitment.exclusion_inputs == {
        "exclusion_days": None,
        "caps": {"year": 2025, "departments": {"education": 1}, "total": None, "version": 3},
        "counted_through": position_of(service.tasks, commitment) - 1,  # the log before it
    }
    # The draw repeats what it left out, and its strata count the population after exclusions.
    event = drawn_event(service, second)
    assert list(event.excluded) == list(commitment.exclusions)
    assert sum(s["N"] for s in event.strata.values()) == len(EVERYONE) - len(left_out)
    assert service.auditor.verify(AUDITOR).ok


def test_a_joint_task_counts_once_in_the_total_and_once_for_each_of_its_departments(
    county: County,
) -> None:
    service = county.service
    joint = county.plan("education", ("market",))
    county.run(joint, "2025-03-03")  # directed: every target once, by both departments
    county.caps.set_caps(OFFICE, 2025, {"market": 1}, 2, at=at("2025-03-04"))

    fire = county.plan("fire")
    county.run(fire, "2025-04-01", lead="fire")
    assert list(committed(service, fire).exclusions) == []  # one inspection so far, not two

    market = county.plan("market")
    before = log_length(service)
    with pytest.raises(InvalidValueError) as refused:  # market's cap, then the total: none left
        county.commit(market, "2025-05-01", lead="market")
    assert refused.value.field == "exclusions"
    assert log_length(service) == before

    county.caps.set_caps(OFFICE, 2025, {}, 3, at=at("2025-05-02"))
    education = county.plan("education", directed=False)
    thrice = set(county.run(education, "2025-05-03"))
    assert not committed(service, education).exclusions
    third = county.plan("fire")
    county.commit(third, "2025-06-01", lead="fire")
    left_out = committed(service, third).exclusions
    assert {e["credit_code"] for e in left_out} == thrice
    assert {e["reason"] for e in left_out} == {CAP_TOTAL}
    assert [len(e["evidence"]) for e in left_out] == [3] * len(thrice)
    assert service.auditor.verify(AUDITOR).ok


def test_the_exclusion_period_leaves_out_what_the_same_departments_drew_recently(
    county: County,
) -> None:
    service = county.service
    first = county.plan("market", directed=False)
    recent = set(county.run(first, "2025-03-03", lead="market"))

    joint = county.plan("market", ("fire",), exclusion_days=30)
    county.run(joint, "2025-03-20", lead="market")
    left_out = committed(service, joint).exclusions
    assert {e["credit_code"] for e in left_out} == recent
    assert {e["reason"] for e in left_out} == {EXCLUSION_PERIOD}
    assert "30 天内" in left_out[0]["reason_text"]

    other = county.plan("education", exclusion_days=30)  # shares no department: nothing left out
    county.run(other, "2025-03-21")
    assert not committed(service, other).exclusions

    later = county.plan("market", exclusion_days=10)  # the draws of March are past its period
    county.run(later, "2025-04-30", lead="market")
    assert not committed(service, later).exclusions
    assert service.auditor.verify(AUDITOR).ok


def test_an_exclusion_period_must_be_a_positive_number_of_days(county: County) -> None:
    with pytest.raises(InvalidValueError) as refused:
        county.plan("education", exclusion_days=0)
    assert refused.value.field == "exclusion_days"


def test_last_years_draws_do_not_count_towards_this_years_caps(county: County) -> None:
    old = county.plan("education", year=2025)
    county.run(old, "2025-11-03")
    county.caps.set_caps(OFFICE, 2026, {"education": 1}, None, at=at("2026-01-05"))
    new = county.plan("education", year=2026)
    county.run(new, "2026-03-02")
    assert not committed(county.service, new).exclusions


# ---------------------------------------------------------------------------- the auditor
def _commit_with(service: Service, task_id: UUID, left_out: Exclusions, day: str) -> None:
    """A commitment made around the service's rule: what a tampering front could log."""
    from domain import draw

    task = service.tasks.task(OFFICE, task_id)
    members = service.directories.population(task.definition.directory_id, task.definition.scope)
    service.tasks.change(
        Task,
        task_id,
        "抽查任务",
        lambda t: t.commit_seed(
            draw.commitment_of(SECRET), members.position, members.members, "", at(day), left_out
        ),
    )


def test_the_auditor_reports_an_exclusion_the_log_does_not_justify(county: County) -> None:
    from domain.inspection_caps import Exclusion, PriorDraw

    service = county.service
    task = county.plan("education")
    invented = PriorDraw(UUID(int=7), "不存在的任务", ("education",), at("2025-01-02"), frozenset())
    forged = Exclusions(
        (Exclusion(code(5), "A", CAP_DEPARTMENT, "已达本部门年度检查次数上限", (invented,)),)
    )
    _commit_with(service, task, forged, "2025-03-01")
    county.draw(task, "2025-03-01")
    assert code(5) not in county.tasks.task(OFFICE, task).drawn_targets

    report = service.auditor.verify(AUDITOR)
    assert not report.ok
    [difference] = report.differences
    assert difference.first_id == code(5)  # type: ignore[union-attr]
    assert "排除对象" in str(difference) and code(5) in str(difference)


def test_the_auditor_reports_a_capped_target_the_commitment_kept_in(county: County) -> None:
    service = county.service
    first = county.plan("education")
    county.run(first, "2025-03-03")
    county.caps.set_caps(OFFICE, 2025, {}, 1, at=at("2025-03-04"))
    second = county.plan("fire")
    _commit_with(service, second, Exclusions(), "2025-04-01")  # as if no cap were set

    report = service.auditor.verify(AUDITOR)  # not drawn yet: nothing to re-run
    assert report.ok
    county.draw(second, "2025-04-01", lead="fire")
    report = service.auditor.verify(AUDITOR)
    assert not report.ok
    assert "应被排除" in str(report.differences[0]) or "caps" in str(report.differences[0])


def test_a_draw_logged_while_a_commitment_reads_the_log_is_not_counted_and_the_auditor_agrees(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = county.service
    county.caps.set_caps(OFFICE, 2025, {}, 1, at=at("2025-03-01"))
    first, second = county.plan("education"), county.plan("fire")
    county.commit(first, "2025-03-03")
    head = service.tasks.recorder.max_notification_id() or 0
    county.draw(first, "2025-03-03")  # every target: each reaches the total cap of 1

    # The second commitment read the log's head just before that draw was logged (a race
    # between two processes): the rule counts what the log held there, and records it.
    monkeypatch.setattr(service.tasks.recorder, "max_notification_id", lambda: head)
    county.commit(second, "2025-03-04", lead="fire")
    monkeypatch.undo()

    recorded = committed(service, second)
    assert recorded.exclusions == []
    assert recorded.exclusion_inputs is not None
    assert recorded.exclusion_inputs["counted_through"] == head
    county.draw(second, "2025-03-04", lead="fire")
    assert service.auditor.verify(AUDITOR).ok  # re-run as of the position the commitment read
