"""The plan's two tables (seed 000's 部门联合 and 内部 plans) as XLSX, the cells written as the
county writes them, and read back through `ssj plan import`'s reader as the same tasks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from adapters.cli import demo
from adapters.cli.plan_import import known_names, vocabulary_of
from adapters.documents.plan_tables import ratio_cell, window_cell
from adapters.importing.plan_xlsx import read_plan_workbook
from domain.task_definition import TaskDefinition
from services.documents import Subject
from tests.documents_tables.conftest import ISSUED_AT, Demo, sheet_of, table_rows

TITLE = "迁安市教育局2024年度双随机抽查工作计划"


def _plan(demo_log: Demo, title: str = TITLE) -> tuple[Subject, list[TaskDefinition]]:
    """A plan of three rows: the demo's joint task with its ratios by grade, one with a window
    of days, and an internal 定向 task."""
    base = demo_log.task.definition
    start, end = date(2024, 3, 1), date(2024, 11, 30)
    definitions = [
        replace(
            base,
            name="校外培训机构跨部门联合抽查",
            ratios={"A": "0.03", "B": "0.05", "C": "0.08", "D": "0.1"},
            window_start=start,
            window_end=end,
        ),
        replace(
            base,
            name="校外培训机构消防安全联合抽查",
            window_start=date(2024, 5, 6),
            window_end=date(2024, 6, 28),
        ),
        replace(
            base,
            name="校外培训机构办学情况检查",
            cooperating=(),
            items={"education": base.items["education"]},
            directed=True,
            window_start=start,
            window_end=end,
        ),
    ]
    plan = demo_log.service.tasks.register_plan(
        demo.EDUCATION, 2024, title, definitions, at=ISSUED_AT, document="迁教〔2024〕1号"
    )
    return Subject(plan=plan.plan_id), definitions


def test_the_plan_tables_are_written_as_the_county_writes_them(demo_log: Demo) -> None:
    subject, definitions = _plan(demo_log)
    content = demo_log.issue("plan_tables", "xlsx", subject).content
    joint = sheet_of(content, "附件1 部门联合")
    assert joint["A1"].value == "附件1：部门联合双随机抽查"
    assert joint["A2"].value == TITLE
    header, rows = table_rows(joint)
    assert header == [
        "序号", "抽查任务名称", "抽查事项", "抽查对象范围", "抽查比例及频次",
        "信用风险分类管理", "抽查起止时间", "发起部门", "配合部门",
    ]  # fmt: skip
    assert [r[1] for r in rows] == [d.name for d in definitions[:2]]
    first, second = rows
    assert first[4] == "低风险3%、一般风险5%、较高风险8%、高风险10%; 1次/年"
    assert first[6] == "3月-11月"
    assert (first[7], first[8]) == ("教育局", "公安局、消防救援大队")
    assert first[2].startswith("1. 从业人员资质（教育局）\n2. ")
    assert "单位内部治安保卫情况（公安局）" in first[2]
    assert first[3] == "校外培训机构"
    assert second[4] == "不低于3%; 1次/年"
    assert second[6] == "2024-05-06至2024-06-28"

    internal = sheet_of(content, "附件2 内部")
    header, rows = table_rows(internal)
    assert header[2] == "抽查类型" and header[-2:] == ["发起主体/指导单位", "抽查检查主体"]
    assert rows == [
        ["1", "校外培训机构办学情况检查", "定向", rows[0][3], "校外培训机构", "100%; 1次/年",
         "定向抽查，范围内全部对象均予检查。", "3月-11月", "教育局", "教育局"],
    ]  # fmt: skip


def test_the_plan_tables_read_back_through_the_importer_as_the_same_tasks(
    demo_log: Demo, tmp_path: Path
) -> None:
    subject, definitions = _plan(demo_log, TITLE + "（二）")
    path = tmp_path / "plan.xlsx"
    path.write_bytes(demo_log.issue("plan_tables", "xlsx", subject).content)
    directory = demo_log.service.directories.target_directory(definitions[0].directory_id)
    read = read_plan_workbook(path, vocabulary_of(directory), {}, known_names())
    assert read.ok, read.render()
    assert (read.title, read.year, read.department) == (TITLE + "（二）", 2024, "education")
    assert len(read.plan().definitions) == 3
    found = {t.name: t.to_definition() for t in read.tasks}
    assert set(found) == {d.name for d in definitions}
    for original in definitions:
        again = found[original.name]
        assert (again.lead, again.cooperating) == (original.lead, original.cooperating)
        assert (again.window_start, again.window_end) == (
            original.window_start,
            original.window_end,
        )
        assert again.directed == original.directed
        assert again.ratios == original.ratios
        assert again.frequency == original.frequency
        assert again.scope == original.scope
        for department, items in original.items.items():
            assert [i.name for i in again.items[department]] == [i.name for i in items]


def test_cells_of_ratios_and_windows() -> None:
    base = TaskDefinition.from_record(
        {
            "name": "x",
            "lead": "education",
            "cooperating": [],
            "items": {"education": [{"code": "1", "name": "事项"}]},
            "directory_id": "00000000-0000-0000-0000-000000000001",
            "scope": {},
            "ratios": dict.fromkeys("ABCD", "0.025"),
            "directed": False,
            "window_start": "2024-03-01",
            "window_end": "2024-11-30",
        }
    )
    assert ratio_cell(base) == "不低于2.5%; 1次/年"
    assert ratio_cell(replace(base, directed=True)) == "100%; 1次/年"
    assert window_cell(base, 2024) == "3月-11月"
    assert window_cell(base, 2025) == "2024-03-01至2024-11-30"  # another year's plan: in full
