"""后续处置措施: the measure ordered when a follow-up opens (责令改正 with its 整改期限, 行政处罚, 约谈
…), how it is handed over (移送, 抄告, 反馈日常监管部门) and a further one on closing, recorded in
the follow-up's events, read back by the task, the follow-up ledger (on an SQLite file, reopened)
and the 随机抽查后续处置工作台账; a measure of the wrong step is refused and leaves no event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.documents.tables import follow_up_ledger
from adapters.nats.commands import apply_command
from adapters.nats.messages import CloseFollowUp, OpenFollowUp, parse_command
from domain.errors import InvalidValueError
from domain.task.follow_up import CLOSING, HANDING_OVER, OPENING
from domain.values import FollowUpMeasure
from tests.services.conftest import AUDITOR, OFFICE, JointInspection, at, department


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The joint task, published; education orders 责令改正 (the default) and closes it with a
    penalty, fire orders a penalty and closes it, police orders an interview and hands it over
    with 抄告."""
    db = tmp_path_factory.mktemp("measures") / "ssj.db"
    service = bootstrap(load_settings(db=db))
    joint = JointInspection(service).published()
    tasks, task_id = service.tasks, joint.task_id
    target_of = {code: target for target, code in joint.problem_of.items()}
    due = date(2023, 12, 20)
    opened = at("2023-11-20", "15:00")
    numbers = {
        "education": tasks.open_follow_up(
            department("education"), task_id, target_of["education"], "无证上岗", due, at=opened
        ),
        "fire": tasks.open_follow_up(
            department("fire"), task_id, target_of["fire"], "疏散通道堆放杂物", due, at=opened,
            measure="行政处罚",
        ),
        "police": tasks.open_follow_up(
            department("police"), task_id, target_of["police"], "内部治安制度缺失", due,
            at=opened, measure="约谈",
        ),
    }  # fmt: skip
    tasks.close_follow_up(
        department("fire"), task_id, numbers["fire"], "已缴纳罚款并清理通道", at=at("2023-12-05")
    )
    tasks.transfer_follow_up(
        department("police"), task_id, numbers["police"], "迁安市市场监管局",
        "涉及无照经营线索", at=at("2023-12-14"), measure="抄告",
    )  # fmt: skip
    tasks.close_follow_up(
        department("education"), task_id, numbers["education"], "逾期未整改，已立案处罚",
        at=at("2023-12-21"), measure="行政处罚",
    )  # fmt: skip
    service.settle()
    facts = {"task_id": task_id, "numbers": numbers, "target_of": target_of}
    service.close()
    yield db, facts


@pytest.fixture
def service(world: tuple[Path, dict[str, Any]]) -> Iterator[Service]:
    """The file reopened: what was recorded, read again by a new process."""
    opened = bootstrap(load_settings(db=world[0]))
    yield opened
    opened.close()


EXPECTED = {
    "education": ("责令改正", "", "行政处罚"),
    "fire": ("行政处罚", "", ""),
    "police": ("约谈", "抄告", ""),
}


def test_each_step_records_its_measure_in_its_event(
    world: tuple[Path, dict[str, Any]], service: Service
) -> None:
    _, facts = world
    events = [
        e
        for e in service.auditor.export(AUDITOR)
        if e["aggregate_id"] == str(facts["task_id"]) and str(e["type"]).startswith("FollowUp")
    ]
    measures = [(e["type"], e["fields"]["number"], e["fields"]["measure"]) for e in events]
    n = facts["numbers"]
    assert measures == [
        ("FollowUpOpened", n["education"], "责令改正"),
        ("FollowUpOpened", n["fire"], "行政处罚"),
        ("FollowUpOpened", n["police"], "约谈"),
        ("FollowUpClosed", n["fire"], ""),
        ("FollowUpTransferred", n["police"], "抄告"),
        ("FollowUpClosed", n["education"], "行政处罚"),
    ]
    assert service.auditor.verify(AUDITOR).ok


def test_the_task_and_the_follow_up_ledger_read_the_measures_back(
    world: tuple[Path, dict[str, Any]], service: Service
) -> None:
    _, facts = world
    task = service.tasks.task(OFFICE, facts["task_id"])
    service.settle()
    rows = {row.number: row for row in service.queries.ledger(OFFICE, 1000).items}
    for code, number in facts["numbers"].items():
        follow_up = task.follow_ups[number]
        found = (follow_up.measure, follow_up.transfer_measure, follow_up.closing_measure)
        assert found == EXPECTED[code], code
        assert rows[number].measures == tuple(m for m in EXPECTED[code] if m)
        assert rows[number].follow_up == follow_up  # the ledger's row is the task's follow-up
    view = service.queries.task(OFFICE, facts["task_id"])
    assert {n: f.measures for n, f in view.follow_ups.items()} == {
        n: f.measures for n, f in task.follow_ups.items()
    }


def test_the_ledger_document_has_a_column_of_measures(
    world: tuple[Path, dict[str, Any]], service: Service
) -> None:
    _, facts = world
    task = service.tasks.task(OFFICE, facts["task_id"])
    grid = follow_up_ledger(task)
    column = [c.header for c in grid.columns].index("处置措施")
    cells = {row[2]: row[column] for row in grid.rows}
    target_of = facts["target_of"]
    assert cells[target_of["education"]] == "责令改正；行政处罚"
    assert cells[target_of["fire"]] == "行政处罚"
    assert cells[target_of["police"]] == "约谈；抄告：涉及无照经营线索"


@pytest.mark.parametrize(
    ("step", "measure"),
    [
        ("open", "移送"),  # a transfer's measure, not an opening's
        ("open", "罚酒三杯"),  # not a measure at all
        ("transfer", "责令改正"),
        ("close", "抄告"),
        ("close", "责令改正"),  # ordered on opening, never a further one
    ],
)
def test_a_measure_of_another_step_is_refused_naming_measure_and_leaves_no_event(
    step: str, measure: str
) -> None:
    service = bootstrap(load_settings(), memory=True)
    try:
        joint = JointInspection(service).published()
        tasks, task_id = service.tasks, joint.task_id
        target, code = next(iter(joint.problem_of.items()))
        actor = department(code)
        number = 0
        if step != "open":
            number = tasks.open_follow_up(
                actor, task_id, target, "问题", date(2023, 12, 20), at=at("2023-11-20", "15:00")
            )
        before = sum(1 for _ in service.auditor.export(AUDITOR))
        when = at("2023-11-21")
        with pytest.raises(InvalidValueError) as refused:
            if step == "open":
                tasks.open_follow_up(
                    actor, task_id, target, "问题", date(2023, 12, 20), at=when, measure=measure
                )
            elif step == "transfer":
                tasks.transfer_follow_up(
                    actor, task_id, number, "某局", "理由", at=when, measure=measure
                )
            else:
                tasks.close_follow_up(actor, task_id, number, "办结", at=when, measure=measure)
        assert refused.value.field == "measure"
        assert str(refused.value).startswith("measure: ")
        assert sum(1 for _ in service.auditor.export(AUDITOR)) == before
    finally:
        service.close()


def test_the_steps_measures_are_the_vocabularys_measures_each_in_one_step() -> None:
    assert set(OPENING) | set(HANDING_OVER) == set(FollowUpMeasure)
    assert not set(OPENING) & set(HANDING_OVER)
    assert set(CLOSING) < set(OPENING) and FollowUpMeasure.ORDER_RECTIFICATION not in CLOSING


def test_the_bus_carries_the_measure_and_takes_a_message_without_one() -> None:
    head = {
        "schema": "ssj.cmd/1",
        "command_id": "7d0c6f2e-8a55-4a2e-9c3b-1f0e2d3c4b5a",
        "department": "fire",
        "task_id": "0b6f1c5e-3d2a-5f4e-9c8b-7a6d5e4f3c2b",
    }
    older = parse_command(
        json.dumps(
            {
                **head,
                "command": "open_follow_up",
                "target": "X",
                "problem": "P",
                "due": "2023-12-20",
            }
        ).encode()
    )
    assert isinstance(older, OpenFollowUp) and older.measure == "责令改正"
    closing = parse_command(
        json.dumps({**head, "command": "close_follow_up", "number": 1, "outcome": "办结"}).encode()
    )
    assert isinstance(closing, CloseFollowUp) and closing.measure is None

    service = bootstrap(load_settings(), memory=True)
    try:
        joint = JointInspection(service).published()
        target, code = next(iter(joint.problem_of.items()))
        sent = OpenFollowUp.model_validate(
            {
                **head,
                "command_id": "8d0c6f2e-8a55-4a2e-9c3b-1f0e2d3c4b5a",
                "department": code,
                "task_id": str(joint.task_id),
                "command": "open_follow_up",
                "target": target,
                "problem": "问题",
                "due": "2023-12-20",
                "measure": "列入经营异常名录",
            }
        )
        number = apply_command(service.tasks, sent, at("2023-11-20", "15:00"))
        assert isinstance(number, int)
        follow_up = service.tasks.task(OFFICE, joint.task_id).follow_ups[number]
        assert follow_up.measure == "列入经营异常名录"
    finally:
        service.close()
