"""Reading a plan workbook: the layouts offices use besides the sample's, and what the tables'
words are taken to mean."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from adapters.cli.plan_import import known_names
from adapters.importing import HeaderError
from adapters.importing.plan_cells import Vocabulary
from adapters.importing.plan_xlsx import PlanWorkbook, read_plan_workbook
from tests.importing_plans.conftest import PLAN, joint_row, sample, write_plan


def read(path: Path, schools: Vocabulary, **options: object) -> PlanWorkbook:
    return read_plan_workbook(path, schools, {}, known_names(), **options)  # type: ignore[arg-type]


def test_the_sample_is_one_plan_of_three_tasks(schools: Vocabulary) -> None:
    plan = read(PLAN, schools, document="城教函字〔2024〕4号")

    assert plan.ok, plan.render()
    registered = plan.plan()
    assert (registered.title, registered.year, registered.department, registered.document) == (
        "晋城市城区教科局2024年度双随机抽查工作计划",
        2024,
        "education",
        "城教函字〔2024〕4号",
    )
    assert [len(d.items["education"]) for d in registered.definitions] == [3, 2, 1]
    assert registered.definitions[2].items["education"][0].code == "N1-1"


def test_merged_cells_give_their_value_to_every_row_they_span(
    schools: Vocabulary, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "计划"
    sheet.append([sample.JOINT_TITLE])
    sheet.append(list(sample.JOINT_HEADER))
    for row in sample.JOINT_ROWS:
        sheet.append(list(row))
    for column in ("F", "G", "H", "I"):  # 信用风险分类管理, 起止时间, 发起部门, 配合部门
        sheet[f"{column}4"] = None
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("A1:I1")
    workbook.save(tmp_path / "merged.xlsx")

    plan = read(tmp_path / "merged.xlsx", schools)

    assert plan.ok, plan.render()
    second = plan.tasks[1]
    assert (second.lead, second.cooperating, second.window[1].isoformat()) == (
        "education",
        ["market"],
        "2024-11-30",
    )
    assert "递加抽查比例" in second.notes


def test_an_item_marked_with_its_department_is_that_departments_alone(
    schools: Vocabulary, tmp_path: Path
) -> None:
    items = "1. 招生、办学情况的检查\n2. 明码标价情况的检查（城区市场监管局）"
    path = write_plan(tmp_path / "marked.xlsx", joint=[joint_row(抽查事项=items)], internal=[])

    plan = read(path, schools)

    assert plan.ok, plan.render()
    task = plan.plan().definitions[0]
    assert [i.code for i in task.items["education"]] == ["J1-1"]
    assert [(i.code, i.name) for i in task.items["market"]] == [
        ("J1-1", "招生、办学情况的检查"),
        ("J1-2", "明码标价情况的检查"),
    ]


def test_ratios_may_be_given_per_risk_grade(schools: Vocabulary, tmp_path: Path) -> None:
    ratio = "低风险3%、一般风险5%、较高风险8%、高风险10%；1次/年"
    path = write_plan(
        tmp_path / "grades.xlsx", joint=[joint_row(抽查比例及频次=ratio)], internal=[]
    )

    task = read(path, schools).plan().definitions[0]

    assert (task.ratios, task.directed) == (
        {"A": "0.03", "B": "0.05", "C": "0.08", "D": "0.1"},
        False,
    )


def test_a_scope_sheet_says_what_a_scope_means_and_is_checked_against_the_directory(
    schools: Vocabulary, tmp_path: Path
) -> None:
    scopes = [
        ("抽查对象范围", "类别", "区域", "标签"),
        ("全区中小学、普通初中", "中小学", "东街街道", ""),
        ("全区营利性民办幼儿园", "校外培训机构", "", "营利性、带泳池"),
    ]
    path = write_plan(tmp_path / "scopes.xlsx", extra={"对象范围": scopes})

    plan = read(path, schools)

    assert not plan.ok
    report = plan.render()
    assert "工作表「对象范围」：共 2 行数据：1 行有效，1 行有错误（2 处）" in report
    assert (
        "第 3 行 category（类别）：名录库「晋城市城区学校名录库」中没有类别 '校外培训机构'"
        in report
    )
    assert "第 3 行 tags（标签）：名录库「晋城市城区学校名录库」中没有标签 带泳池" in report
    assert "工作表「附件1」：共 2 行数据，全部通过校验" in report
    assert (plan.tasks[0].scope.category, plan.tasks[0].scope.region) == ("中小学", "东街街道")


def test_tables_are_found_by_their_headers_whatever_their_sheets_are_called(
    schools: Vocabulary, tmp_path: Path
) -> None:
    path = write_plan(tmp_path / "named.xlsx", extra={"说明": [("填表说明",), ("按附件格式填写",)]})
    workbook = openpyxl.load_workbook(path)
    workbook["附件1"].title = "Sheet1"
    workbook.move_sheet("说明", offset=-3)
    workbook.save(path)

    plan = read(path, schools)

    assert plan.ok, plan.render()
    assert len(plan.tasks) == 3


def test_a_plan_table_missing_a_column_names_it(schools: Vocabulary, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    sheet.append([h for h in sample.JOINT_HEADER if h != "抽查起止时间"])
    workbook.save(tmp_path / "short.xlsx")

    with pytest.raises(HeaderError, match="抽查起止时间"):
        read(tmp_path / "short.xlsx", schools)


def test_tasks_of_several_departments_are_not_one_plan(schools: Vocabulary, tmp_path: Path) -> None:
    other = joint_row(
        抽查任务名称="市场监管局牵头", 发起部门="城区市场监管局", 配合部门="城区教科局"
    )
    path = write_plan(tmp_path / "two.xlsx", joint=[sample.JOINT_ROWS[0], other])

    plan = read(path, schools)

    assert not plan.ok
    assert "任务由多个部门发起（education、market）" in plan.render()
    assert read(path, schools, department="education").ok  # the service then refuses market's
