"""The four tables of a joint inspection (迁双随机办〔2023〕30号's attachments), issued from the
demo's log: each XLSX read back cell by cell against the events, each PDF read back as text,
its first page rendered, and the same log giving the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli.words import dept, when
from domain.values import NoticeMethod, local_day
from services.actors import Actor
from services.documents import Subject
from tests.documents_tables.conftest import Demo, sheet_of, table_rows
from tests.pdf_pages import first_page_png, pdf_text


def test_the_phone_notice_record_lists_every_notice_as_served(demo_log: Demo) -> None:
    task = demo_log.task
    sheet = sheet_of(demo_log.issue("phone_notice", "xlsx").content)
    assert sheet["A1"].value == "市场主体“双随机”抽查电话告知记录表"
    header, rows = table_rows(sheet)
    assert header == [
        "序号", "企业名称", "统一社会信用代码", "联系人", "联系电话",
        "告知时间", "告知方式", "告知内容", "告知人", "备注",
    ]  # fmt: skip
    served = sorted(task.notices.values(), key=lambda n: (n.at, n.target))
    assert len(rows) == len(served) == len(task.matches)
    names = {s["target"]: s["name"] for s in task.matching.sheets} if task.matching else {}
    for row, notice in zip(rows, served, strict=True):
        assert row[2] == notice.target
        assert row[1] == names[notice.target]
        assert row[3] == notice.recipient
        assert row[5] == when(notice.at)
        assert row[6] == NoticeMethod(notice.method).label
        assert row[8] == dept(notice.department)
    assert {row[6] for row in rows} == {"电话告知", "书面送达"}  # the demo rings every fourth


def test_the_xlsx_is_set_for_print_with_borders_and_widths(demo_log: Demo) -> None:
    sheet = sheet_of(demo_log.issue("phone_notice", "xlsx").content)
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["B"].width == 30
    assert sheet.print_title_rows  # the header repeats on every printed page
    data = next(c for c in sheet["C"] if c.value and str(c.value).startswith(("91", "52")))
    assert data.border.left.style == data.border.top.style == "thin"
    assert "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}


def test_the_grouping_table_shows_each_group_with_the_filed_names_phones_and_vehicles(
    demo_log: Demo,
) -> None:
    task = demo_log.task
    sheet = sheet_of(demo_log.issue("grouping", "xlsx").content)
    values = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    bands = next(r for r in values if r[0] == "组别")
    assert [b for b in bands if b] == [
        "组别",
        "检查对象",
        "教育局",
        "公安局",
        "消防救援大队",
        "车辆安排",
    ]
    rows = [r for r in values if r[0].startswith("第") and r[0].endswith("组")]
    assert task.matching is not None
    assert len(rows) == len(task.matching.groups)
    for number, row in enumerate(rows):
        for n, department in enumerate(task.participating):
            members = [m for m in task.filings[department].members if m["group"] == number]
            assert row[2 + 2 * n].split("\n") == [m["name"] for m in members]
            assert row[3 + 2 * n].split("\n") == [m["phone"] for m in members]
            vehicle = task.filings[department].vehicles[str(number + 1)]
            assert f"{dept(department)}：{vehicle}" in row[-1]
        matched = [t for t, g in task.matches.items() if g == number]
        assert len(row[1].split("、")) == len(matched)


def test_the_follow_up_ledger_holds_every_problem_and_what_became_of_it(demo_log: Demo) -> None:
    task = demo_log.task
    _, rows = table_rows(sheet_of(demo_log.issue("follow_up_ledger", "xlsx").content))
    assert len(rows) == len(task.follow_ups) == 3
    for row, (_, follow_up) in zip(rows, sorted(task.follow_ups.items()), strict=True):
        assert row[2] == follow_up.target
        assert row[3] == follow_up.problem
        assert row[4] == dept(follow_up.department)
        assert row[5] == follow_up.due.isoformat()
        assert row[7] == follow_up.status.label
        assert row[8] == follow_up.transferred_to
        assert row[9] == follow_up.outcome
    assert sorted(row[7] for row in rows) == ["已办结", "已办结", "已移送"]
    police = demo_log.issue(
        "follow_up_ledger", "xlsx", Subject(task=demo_log.task_id, department="police")
    )
    _, mine = table_rows(sheet_of(police.content))
    assert [(r[4], r[7], r[8]) for r in mine] == [("公安局", "已移送", "迁安市市场监管局")]


def test_the_publicity_table_is_the_publication_department_by_department(demo_log: Demo) -> None:
    task = demo_log.task
    assert task.publication is not None
    _, rows = table_rows(sheet_of(demo_log.issue("publicity", "xlsx").content))
    expected = [
        (
            e["name"],
            e["target"],
            category,
            dept(d),
            local_day(task.visits[e["target"]].at).isoformat(),
        )
        for e in task.publication.entries
        for d, category in e["results"].items()
    ]
    assert [(r[1], r[2], r[4], r[5], r[6]) for r in rows] == expected
    assert "从业人员资质" in rows[0][3]  # education's items, as the task's definition lists them
    assert "发现问题已责令改正" in {r[4] for r in rows}


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("phone_notice", "市场主体“双随机”抽查电话告知记录表"),
        ("grouping", "人员分组及车辆安排情况表"),
        ("follow_up_ledger", "随机抽查后续处置工作台账"),
        ("publicity", "抽查结果公示表"),
    ],
)
def test_each_table_prints_as_a_pdf_with_the_facts_and_its_check_code(
    demo_log: Demo, tmp_path: Path, kind: str, title: str
) -> None:
    task = demo_log.task
    copy = demo_log.issue(kind, "pdf")
    assert copy.content.startswith(b"%PDF")
    text = pdf_text(copy.content, tmp_path, layout=True)
    flat = "".join(text.split())
    assert "".join(title.split()) in flat
    assert f"文书核验码：{copy.record.code}" in flat
    assert task.name.replace(" ", "") in flat
    if kind != "grouping":
        first = next(iter(task.matches))
        target = next(t for t in task.matches if t in flat) if kind == "follow_up_ledger" else first
        assert target in flat
    if kind == "grouping":
        filed = task.filings["police"].members[0]
        assert filed["name"] in flat and filed["phone"] in flat
    first_page_png(copy.content, tmp_path, kind)
    assert "\ufffd" not in text  # no glyph missing: every character is in the embedded font


def test_the_same_log_gives_the_same_bytes_and_the_auditor_rebuilds_them(demo_log: Demo) -> None:
    for kind, fmt in (("publicity", "pdf"), ("grouping", "xlsx")):
        first = demo_log.issue(kind, fmt)
        again = demo_log.issue(kind, fmt)
        assert again.content == first.content
        assert not again.appended
        rebuilt = demo_log.service.documents.rebuild(Actor.auditor(), first.record.code)
        assert rebuilt.matches, rebuilt.differences
