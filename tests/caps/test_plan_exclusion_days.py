"""A task's exclusion period (国办发〔2024〕54号, TaskDefinition.exclusion_days) as offices state it:
in the TOML plan, the JSON API's plan body and an optional column of the plan workbook
(排除期限（天）, or 近期已检查排除天数); a workbook without that column (seed 000's layout) imports
as before, and a bad cell is named by its sheet, row and column."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import openpyxl
import pytest

from adapters.cli.plan_import import known_names
from adapters.importing.plan_cells import Vocabulary
from adapters.importing.plan_xlsx import read_plan_workbook
from adapters.plan_file import PlanFileError, read_plan
from services.actors import Actor
from tests.http.conftest import World, service_at
from tests.importing_plans.conftest import PLAN, SCHOOLS, sample
from tests.importing_plans.conftest import schools as schools  # the fixture
from tests.services.conftest import JointInspection

TOML = """
department = "education"
year = 2025
title = "2025年度抽查工作计划"

[[tasks]]
name = "校外培训机构抽查"
lead = "education"
directory = "某县校外培训机构名录库"
ratios = {{ A = "0.1", B = "0.1", C = "0.1", D = "0.1" }}
window = ["2025-03-01", "2025-11-30"]
{days}
[[tasks.items.education]]
code = "JY-1"
name = "从业人员资质"
"""


def test_the_toml_plan_states_a_tasks_exclusion_period(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(TOML.format(days="exclusion_days = 90"), encoding="utf-8")
    assert read_plan(path).definitions[0].exclusion_days == 90
    path.write_text(TOML.format(days=""), encoding="utf-8")
    assert read_plan(path).definitions[0].exclusion_days is None
    path.write_text(TOML.format(days="exclusion_days = 0"), encoding="utf-8")
    with pytest.raises(PlanFileError, match="exclusion_days"):
        read_plan(path)


async def test_the_api_plan_body_takes_the_exclusion_period() -> None:
    service = service_at()
    try:
        world = World.of(service)
        joint = JointInspection(service).open_directories()
        task = {
            "name": "校外培训机构抽查",
            "items": {"education": [{"code": "JY-1", "name": "从业人员资质"}]},
            "directory_id": str(joint.directory_id),
            "ratios": {"A": "0.1", "B": "0.1", "C": "0.1", "D": "0.1"},
            "window_start": "2023-11-01",
            "window_end": "2023-11-30",
            "exclusion_days": 60,
        }
        body = {"year": 2023, "title": "2023年度抽查工作计划", "tasks": [task]}
        async with world.key("education") as education:
            refused = await education.post(
                "/api/v1/plans", json={**body, "tasks": [{**task, "exclusion_days": 0}]}
            )
            assert refused.status_code == 422
            assert "exclusion_days" in (refused.json()["error"]["field"] or "")
            answer = await education.post("/api/v1/plans", json=body)
            assert answer.status_code == 201, answer.text
            [task_id] = answer.json()["task_ids"]
        definition = service.tasks.task(Actor.office(), UUID(task_id)).definition
        assert definition.exclusion_days == 60
    finally:
        service.close()


def _workbook(path: Path, header: str, values: list[object]) -> Path:
    """The sample's joint table with one more column, and its internal table as it is."""
    workbook = openpyxl.Workbook()
    first = workbook.worksheets[0]
    first.title = "附件1"
    rows = [(*row, value) for row, value in zip(sample.JOINT_ROWS, values, strict=False)]
    sample._table(first, [sample.JOINT_TITLE], (*sample.JOINT_HEADER, header), rows)
    second = workbook.create_sheet("附件2")
    sample._table(second, ["附件二", sample.INTERNAL_TITLE], sample.INTERNAL_HEADER, [])
    departments = workbook.create_sheet("部门")
    for line in sample.DEPARTMENTS:
        departments.append(list(line))
    workbook.save(path)
    return path


@pytest.mark.parametrize("header", ["排除期限（天）", "近期已检查排除天数"])
def test_the_plan_workbook_takes_an_optional_exclusion_period_column(
    schools: Vocabulary, tmp_path: Path, header: str
) -> None:
    values: list[object] = ["30天", 45, ""][: len(sample.JOINT_ROWS)]
    path = _workbook(tmp_path / "plan.xlsx", header, values)
    plan = read_plan_workbook(path, schools, {}, known_names())
    assert plan.ok, plan.render()
    days = [d.exclusion_days for d in plan.plan().definitions]
    assert days == [30, 45, None][: len(days)]


def test_a_bad_exclusion_period_cell_is_named_and_nothing_is_read(
    schools: Vocabulary, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "plan.xlsx", "排除期限（天）", ["一个月"])
    plan = read_plan_workbook(path, schools, {}, known_names())
    assert not plan.ok
    rendered = plan.render()
    assert "排除期限" in rendered and "一个月" in rendered


def test_seed_000s_layout_still_imports_without_the_column(schools: Vocabulary) -> None:
    plan = read_plan_workbook(PLAN, schools, {}, known_names(), document="城教函字〔2024〕4号")
    assert plan.ok, plan.render()
    assert all(d.exclusion_days is None for d in plan.plan().definitions)
    assert SCHOOLS.exists()
