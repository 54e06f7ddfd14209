"""What each kind of user reads: a department's inbox, the public register, the follow-up ledger."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from adapters.bootstrap import Service
from domain.values import ResultCategory
from services.ledger import LedgerRow
from tests.services.conftest import (
    department,
    draws_of,
    inbox,
    ledger_of,
    register_of,
)

if TYPE_CHECKING:
    from tests.services.conftest import JointInspection


def overdue(rows: list[LedgerRow], day: date) -> list[LedgerRow]:
    """What the ledger shows as overdue on `day`: still 整改中 past its deadline."""
    return [r for r in rows if r.status == "整改中" and r.due < day]


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone(timedelta(hours=8)))


# ---------------------------------------------------------------------------- inbox
def test_a_cooperating_department_sees_nothing_before_a_task_is_dispatched_to_it(
    service: Service, joint: JointInspection
) -> None:
    joint.open_directories().plan().commit()

    assert inbox(service, "police") == []
    assert [item.task_id for item in inbox(service, "education")] == [
        joint.task_id,
        joint.other_task_id,
    ]


def test_a_cooperating_department_sees_only_the_tasks_dispatched_to_it_with_its_deadline(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn()

    [police] = inbox(service, "police")
    assert (police.task_id, police.role) == (joint.task_id, "配合部门")
    assert police.owes == ("确认派发任务（2023-11-03 前）",)
    assert police.window_end == date(2023, 11, 30)
    [market] = inbox(service, "market")
    assert market.task_id == joint.other_task_id  # the kindergarten task, not the joint one
    assert inbox(service, "health") == []


def test_the_inbox_tells_a_department_what_it_still_owes_as_the_task_moves_on(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn().confirm()

    [police] = inbox(service, "police")
    assert police.owes == ("抽取执法检查人员",)
    [fire] = inbox(service, "fire")
    assert fire.owes == ("抽取执法检查人员",)  # confirmed late: the escalation is the office's

    joint.draw_inspectors()
    lead = {item.task_id: item for item in inbox(service, "education")}
    assert lead[joint.task_id].owes == ("随机匹配检查组",)

    joint.recuse().match().visit()
    [police] = inbox(service, "police")
    assert len(police.owes) == len(joint.targets)
    assert all(owed.endswith("（2023-11-14 前）") for owed in police.owes)

    joint.record_results()
    [police] = inbox(service, "police")
    assert police.owes == (f"录入 {joint.targets[-1]} 的检查结果（2023-11-14 前）",)
    education = {item.task_id: item for item in inbox(service, "education")}
    assert education[joint.task_id].owes == ()  # nothing to publish before police is done


def test_an_overdue_confirmation_shows_in_the_departments_inbox_as_overdue(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn()
    service.deadlines.check(at("2023-11-06", "08:30"))
    service.settle()

    [fire] = inbox(service, "fire")
    assert fire.owes == ("确认派发任务（2023-11-03 前，已逾期）",)


def test_the_lead_is_told_to_publish_then_to_close(
    service: Service, joint: JointInspection
) -> None:
    joint.matched().visit().record_results().late_result_and_correction()
    lead = {item.task_id: item for item in inbox(service, "education")}
    assert lead[joint.task_id].owes == ("公示检查结果",)

    joint.publish()
    numbers = joint.follow_up()
    lead = {item.task_id: item for item in inbox(service, "education")}
    assert lead[joint.task_id].stage == "已公示，后续处置中"
    assert lead[joint.task_id].owes == (f"后续处置 #{numbers['education']}（整改期限 2023-12-20）",)

    joint.settle_follow_ups(numbers)
    lead = {item.task_id: item for item in inbox(service, "education")}
    assert lead[joint.task_id].owes == ("结案",)


# ---------------------------------------------------------------------------- public register
def test_the_public_register_lists_each_target_with_each_departments_category(
    service: Service, joint: JointInspection
) -> None:
    joint.published()

    entries = register_of(service)
    assert sorted(e.credit_code for e in entries) == sorted(joint.targets)
    categories = {c.value for c in ResultCategory}
    for entry in entries:
        assert set(entry.results) == {"education", "police", "fire"}
        assert set(entry.results.values()) <= categories
        assert entry.published_on == date(2023, 11, 20)
        assert entry.task_name == "2023年迁安市校外培训机构跨部门联合抽查"
        assert entry.name.startswith("迁安市第")
    [fire_problem] = register_of(service, joint.targets[1])
    assert fire_problem.results["fire"] == "发现问题已责令改正"
    [corrected] = register_of(service, joint.targets[0])
    assert corrected.results["education"] == "未发现问题"  # the correction, not the slip


def test_the_public_register_never_shows_an_inspectors_id_or_phone(
    service: Service, joint: JointInspection
) -> None:
    joint.published()
    inspectors = [
        p
        for department in (*joint.DEPARTMENTS, "market")
        for p in service.directories.inspector_directory(department).inspectors.values()
    ]
    task = joint.task()
    assert task.matching is not None and task.filings  # ids and phones exist in the log

    public = repr([dataclasses.asdict(e) for e in register_of(service)])
    public += repr([dataclasses.asdict(d) for d in draws_of(service).values()])

    for inspector in inspectors:
        assert inspector.inspector_id not in public
        assert inspector.phone not in public
        assert inspector.name not in public


def test_the_register_shows_what_anyone_needs_to_re_run_the_draw(
    service: Service, joint: JointInspection
) -> None:
    joint.drawn()

    published = draws_of(service)[joint.task_id]
    drawn = joint.task().target_draw
    assert drawn is not None
    assert (published.rule, published.secret, published.beacon, published.seed) == (
        "ssj-draw-v1",
        joint.SECRET,
        joint.BEACON,
        drawn.seed,
    )
    assert published.drawn == drawn.drawn
    assert published.population_digest == drawn.population_digest


def test_a_correction_after_publication_shows_in_the_register_with_its_reason(
    service: Service, joint: JointInspection
) -> None:
    joint.published()
    target = joint.targets[1]

    service.tasks.correct_result(
        department("fire"),
        joint.task_id,
        target,
        "未发现问题",
        {"XF-1": "符合要求"},
        "复查确认通道堆放物为临时装卸，当场已清理",
        at=at("2023-11-22"),
    )
    service.settle()

    [entry] = register_of(service, target)
    assert entry.results["fire"] == "未发现问题"
    assert entry.corrections == ["2023-11-22 fire 更正：复查确认通道堆放物为临时装卸，当场已清理"]


# ---------------------------------------------------------------------------- follow-up ledger
def test_the_follow_up_ledger_has_one_row_per_problem_with_its_deadline(
    service: Service, joint: JointInspection
) -> None:
    joint.published()
    joint.follow_up()

    rows = {(r.department, r.target): r for r in ledger_of(service)}
    assert set(rows) == {(d, t) for t, d in joint.problem_of.items()}
    assert {r.status for r in rows.values()} == {"整改中"}
    assert {r.due for r in rows.values()} == {date(2023, 12, 20)}
    assert rows[("fire", joint.targets[1])].problem == "疏散通道堆放杂物"
    assert overdue(ledger_of(service), date(2023, 12, 20)) == []
    assert len(overdue(ledger_of(service), date(2023, 12, 21))) == 3


def test_the_follow_up_ledger_follows_each_problem_to_its_end(
    service: Service, joint: JointInspection
) -> None:
    joint.published()
    joint.settle_follow_ups(joint.follow_up())

    rows = {r.department: r for r in ledger_of(service)}
    assert (rows["fire"].status, rows["fire"].outcome) == ("已办结", "已清理，复查合格")
    assert rows["education"].status == "已办结"
    assert (rows["police"].status, rows["police"].transferred_to) == ("已移送", "迁安市市场监管局")
    assert overdue(ledger_of(service), date(2024, 1, 1)) == []


def test_the_publication_day_is_the_day_in_beijing(
    service: Service, joint: JointInspection
) -> None:
    """Published at 17:30 UTC on the 20th: already the 21st in Beijing, where it is published."""
    from datetime import UTC

    from tests.services.conftest import EDUCATION

    joint.matched().visit().record_results().late_result_and_correction()
    service.tasks.publish(EDUCATION, joint.task_id, at=datetime(2023, 11, 20, 17, 30, tzinfo=UTC))
    service.settle()

    assert {e.published_on for e in register_of(service)} == {date(2023, 11, 21)}
