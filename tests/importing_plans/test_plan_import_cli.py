"""`ssj plan import` as an office uses it: seed 000's tables, typed into a workbook as the county
wrote them, become a plan on a fresh SQLite store; a workbook with errors leaves no event."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import Result

from domain.plan import Plan
from services.actors import Actor, Role
from tests.importing_plans.conftest import (
    DIRECTORY,
    PLAN,
    internal_row,
    joint_row,
    log_length,
    ok,
    service_of,
    ssj,
    write_plan,
)

SECRET = "0f1e2d3c4b5a6978" * 4
OFFICE = Actor(Role.OFFICE)


def import_plan(db: Path, workbook: Path, *options: str) -> Result:
    return ssj(
        db,
        "plan",
        "import",
        str(workbook),
        "--directory",
        DIRECTORY,
        "--at",
        "2024-02-20T09:00",
        *options,
    )


def test_the_sample_imports_as_one_plan_whose_tasks_draw_what_the_county_meant(db: Path) -> None:
    out = ok(import_plan(db, PLAN, "--document", "城教函字〔2024〕4号"))

    assert "已登记计划「晋城市城区教科局2024年度双随机抽查工作计划」" in out
    task_ids = re.findall(r"任务 ([0-9a-f-]{36})", out)
    assert len(task_ids) == 3
    with service_of(db) as service:
        plan_id = Plan.id_for("education", 2024, "晋城市城区教科局2024年度双随机抽查工作计划")
        plan = service.tasks.plan(OFFICE, plan_id)
        assert (plan.document, [row["name"] for row in plan.tasks]) == (
            "城教函字〔2024〕4号",
            [
                "对中小学学校办学情况双随机抽查",
                "对民办学校招生、办学情况的检查",
                "全区各级各类学校安全抽查",
            ],
        )
        schools, private, buses = (service.tasks.task(OFFICE, UUID(t)).definition for t in task_ids)
    assert (schools.lead, schools.cooperating) == ("education", ("market",))
    assert (schools.window_start, schools.window_end) == (date(2024, 3, 1), date(2024, 11, 30))
    assert schools.ratios == {"A": "0.1", "B": "0.1", "C": "0.1", "D": "0.1"}
    assert [i.code for i in schools.items["market"]] == ["J1-1", "J1-2", "J1-3"]
    assert schools.items["education"][1].name == "招生、办学情况的检查"
    assert "递加抽查比例、频次" in schools.notes
    assert private.directed and private.scope.tags == frozenset({"营利性"})
    assert (buses.cooperating, buses.directed, buses.scope.category) == ((), True, None)
    assert "抽查类型：定向" in buses.notes
    # Each task draws from the directory as its 抽查对象范围 says.
    strata = {}
    for task in task_ids:
        committed = ok(
            ssj(
                db,
                "task",
                "commit",
                task,
                "--dept",
                "education",
                "--secret",
                SECRET,
                "--at",
                "2024-03-01T09:00",
            )
        )
        found = re.search(r"总体 (\d+) 个对象", committed)
        assert found is not None
        strata[task] = int(found.group(1))
    assert list(strata.values()) == [
        8,
        3,
        5,
    ]  # 中小学; 营利性民办幼儿园; 持校车 schools and kindergartens


def test_check_shows_the_plan_and_registers_nothing(db: Path) -> None:
    before = log_length(db)

    out = ok(import_plan(db, PLAN, "--check"))

    assert "类别 民办幼儿园，标签 营利性；定向 100%，1次/年；2024-03-01 至 2024-11-30" in out
    assert "类别不限，标签 持校车" in out
    assert "未登记" in out
    assert log_length(db) == before


def test_every_bad_cell_is_named_by_sheet_row_and_column_and_nothing_is_registered(
    db: Path, tmp_path: Path
) -> None:
    workbook = write_plan(
        tmp_path / "bad.xlsx",
        joint=[
            joint_row(抽查比例及频次="按比例抽查"),  # row 3
            joint_row(抽查任务名称="", 抽查起止时间="全年"),  # row 4
            joint_row(抽查任务名称="二", 发起部门="城区文旅局", 配合部门="城区市监局"),  # row 5
            joint_row(抽查任务名称="三", 抽查对象范围="全区校外培训机构"),  # row 6
            joint_row(抽查任务名称="四", 抽查事项="1. 校服检查（城区公安分局）"),  # row 7
            joint_row(抽查任务名称="五", 抽查事项=""),  # row 8
            joint_row(),  # row 9: the same name as row 3
        ],
        internal=[
            internal_row(抽查类型="半定向"),  # row 4
            internal_row(抽查任务名称="六", 抽查比例及频次="不低于10%"),  # row 5: 定向 takes all
            (3,),  # row 6: a blank row of the template
        ],
    )
    before = log_length(db)

    result = import_plan(db, workbook)

    assert result.exit_code == 2
    report = result.stderr
    expected = [
        "工作表「附件1」：共 7 行数据：0 行有效，7 行有错误",
        "第 3 行 ratio（抽查比例及频次）：未写明抽查比例",
        "第 4 行 name（抽查任务名称）：不能为空",
        "第 4 行 window（抽查起止时间）：应为抽查起止时间",
        "第 5 行 lead（发起部门）：未知部门 '城区文旅局'",
        "第 5 行 cooperating（配合部门）：未知部门 '城区市监局'",
        "第 6 行 scope（抽查对象范围）：在名录库「晋城市城区学校名录库」中找不到",
        "现有类别：中小学、公办幼儿园、民办幼儿园",
        "第 7 行 items（抽查事项）：第 1 项注明的部门 police 不是本任务的发起部门或配合部门",
        "第 8 行 items（抽查事项）：不能为空",
        "第 9 行 name（抽查任务名称）：对中小学学校办学情况双随机抽查 与第 3 行重复",
        "工作表「附件2」：共 2 行数据：0 行有效，2 行有错误",
        "第 4 行 kind（抽查类型）：应为 定向 或 不定向",
        "第 5 行 ratio（抽查比例及频次）：定向抽查范围内全部对象：比例应为 100% 或留空",
        "未登记任何任务",
    ]
    for line in expected:
        assert line in report, line
    assert "第 6 行" not in report.split("工作表「附件2」")[1]
    assert log_length(db) == before


def test_a_domain_refusal_is_named_at_its_cell(db: Path, tmp_path: Path) -> None:
    """The task definition's own checks (here a cooperating department that is the lead)."""
    workbook = write_plan(tmp_path / "lead.xlsx", joint=[joint_row(配合部门="城区教科局")])

    result = import_plan(db, workbook)

    assert result.exit_code == 2
    assert "第 3 行 cooperating（配合部门）：" in result.stderr


def test_names_the_workbook_does_not_know_can_be_given_on_the_command_line(
    db: Path, tmp_path: Path
) -> None:
    workbook = write_plan(
        tmp_path / "names.xlsx",
        joint=[joint_row(配合部门="城区市监局")],
        internal=[],
        department_sheet=False,
    )
    assert "未知部门 '城区市监局'" in import_plan(db, workbook, "--check").stderr

    out = ok(import_plan(db, workbook, "--dept-name", "城区市监局=market"))

    assert "教育局发起，市场监管局配合" in out  # 城区教科局 is known as a 教科局


def test_the_year_comes_from_the_title_or_the_option(db: Path, tmp_path: Path) -> None:
    workbook = write_plan(
        tmp_path / "untitled-year.xlsx",
        titles=("部门联合双随机抽查工作计划", "内部双随机抽查工作计划"),
    )
    refused = import_plan(db, workbook)
    assert refused.exit_code == 2
    assert "无法确定计划年度" in refused.stderr
    assert "第 3 行 window（抽查起止时间）：无法确定年度" in refused.stderr

    out = ok(import_plan(db, workbook, "--year", "2024"))
    assert "已登记计划「双随机抽查工作计划」" in out


def test_the_same_plan_is_registered_once(db: Path) -> None:
    ok(import_plan(db, PLAN))
    before = log_length(db)

    again = import_plan(db, PLAN)

    assert again.exit_code == 2
    assert again.stderr.startswith("错误：")
    assert log_length(db) == before


def test_a_plan_is_registered_only_as_its_lead_department(db: Path) -> None:
    before = log_length(db)

    refused = import_plan(db, PLAN, "--dept", "market")

    assert refused.exit_code == 2
    assert "查看名录库" in refused.stderr  # market may not even read education's directory
    assert log_length(db) == before


@pytest.mark.parametrize(
    ("file", "says"),
    [
        ("missing.xlsx", "找不到该文件"),
        ("plan.csv", "应为 .xlsx"),
    ],
)
def test_a_workbook_that_cannot_be_read_says_why(
    db: Path, tmp_path: Path, file: str, says: str
) -> None:
    if file.endswith(".csv"):
        (tmp_path / file).write_text("序号,抽查任务名称\n", encoding="utf-8")
    result = import_plan(db, tmp_path / file)
    assert result.exit_code == 2
    assert says in result.stderr


def test_a_workbook_without_a_plan_table_says_what_the_header_needs(db: Path) -> None:
    result = import_plan(db, PLAN.parent / "plan-sample.toml")
    assert result.exit_code == 2
    result = import_plan(db, _targets_workbook(db.parent))
    assert result.exit_code == 2
    assert "没有抽查工作计划表" in result.stderr


def test_an_unknown_directory_is_named(db: Path) -> None:
    result = ssj(db, "plan", "import", str(PLAN), "--directory", "不存在的名录库")
    assert result.exit_code == 2
    assert "名录库" in result.stderr


def _targets_workbook(folder: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.worksheets[0].append(["统一社会信用代码", "名称"])
    path = folder / "targets.xlsx"
    workbook.save(path)
    return path
