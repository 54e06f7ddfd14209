"""The office's statistics report of a year (PDF with charts), counted from the tasks' events,
and the console's statistics page drawn by the same chart module."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.accounts.hashing import Argon2PasswordHasher
from adapters.cli import demo
from adapters.documents.report import charts, facts, figures
from adapters.http.app import create_app
from services.accounts import AccountKind, Accounts
from services.actors import Actor
from services.documents import Subject
from tests.documents_tables.conftest import Demo
from tests.pdf_pages import first_page_png, pdf_text

PASSWORD = "demo-password-2023"


def test_the_report_counts_the_year_from_the_tasks_events(demo_log: Demo) -> None:
    task = demo_log.task
    found = figures([task], 2023)
    assert found.completion is not None
    assert (found.completion.on_time, found.completion.late) == (0, 1)  # closed 2023-12-20
    month = found.months
    assert month[("education", "2023-11")].drawn == len(task.drawn_targets)
    for department in ("police", "fire"):
        assert month[(department, "2023-11")].dispatched == len(task.dispatches[department].targets)
        assert month[(department, "2023-10")].planned == 1
    assert [(o.department, o.what, o.settled) for o in found.overdue] == [
        ("fire", "确认派发任务", "已补确认"),
        ("police", found.overdue[1].what, "已补录"),
    ]
    assert sum(sum(per.values()) for per in found.categories.values()) == len(task.results)
    # the read model agrees where it counts the same thing (targets the lead drew)
    rows = demo_log.service.queries.statistics(Actor.office(), None)
    drawn = {(r.department, r.month): r.targets_drawn for r in rows}
    assert drawn[("education", "2023-11")] == month[("education", "2023-11")].drawn
    assert figures([task], 2024).tasks == []


def test_the_charts_are_svg_with_chinese_labels_in_the_embedded_font(demo_log: Demo) -> None:
    drawn = charts(facts(figures([demo_log.task], 2023)))
    assert set(drawn) == {"completion", "planned", "targets", "overdue", "categories"}
    for chart in drawn.values():
        assert chart.svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert 'font-family="Noto Sans CJK SC, sans-serif"' in chart.svg
    assert "教育局" in drawn["targets"].svg and "2023-11" in drawn["targets"].svg
    assert "未发现问题" in drawn["categories"].svg
    assert "逾期结案 1" in drawn["completion"].svg
    assert "<script" not in "".join(c.svg for c in drawn.values())


def test_the_report_prints_the_figures_and_its_charts_text_in_the_cjk_font(
    demo_log: Demo, tmp_path: Path
) -> None:
    copy = demo_log.issue("statistics", "pdf", Subject(year=2023))
    text = pdf_text(copy.content, tmp_path, layout=True)
    flat = "".join(text.split())
    for fact in (
        "2023年度“双随机、一公开”抽查工作统计报告",
        "已结案1项（100%）",
        "逾期结案1项",
        "一、计划完成情况",
        "四、检查结果分类",
        "各部门每月抽取、派发检查对象数",
        "确认派发任务",
        "发现问题已责令改正",
        "消防救援大队",
        f"文书核验码：{copy.record.code}",
    ):
        assert fact in flat, fact
    assert "逾期结案1" in flat  # a legend inside a chart: the SVG's text is text in the PDF
    pdf = tmp_path / "statistics.pdf"
    pdf.write_bytes(copy.content)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "NotoSansCJKsc" in fonts.stdout  # the charts' labels, embedded
    first_page_png(copy.content, tmp_path, "statistics")
    again = demo_log.issue("statistics", "pdf", Subject(year=2023))
    assert again.content == copy.content
    assert demo_log.service.documents.rebuild(Actor.auditor(), copy.record.code).matches


@pytest.fixture
async def office(demo_log: Demo) -> AsyncIterator[httpx.AsyncClient]:
    service = demo_log.service
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    service.__dict__["accounts"] = Accounts(service.account_store, cheap)
    service.accounts.add_user(
        "bangongshi",
        PASSWORD,
        AccountKind.OFFICE,
        display_name="双随机办",
        at=demo.at("2023-10-20"),
    )
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        signin = await client.get("/signin")
        token = signin.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await client.post(
            "/signin", data={"csrf_token": token, "username": "bangongshi", "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text
        yield client


async def test_the_office_statistics_page_shows_the_same_charts(office: httpx.AsyncClient) -> None:
    answer = await office.get("/office/statistics", params={"year": "2023"})
    assert answer.status_code == 200
    html = answer.text
    assert html.count('data-testid="chart"') == 5
    assert html.count('font-family="Noto Sans CJK SC, sans-serif"') == 5
    for label in ("计划完成情况", "逾期结案 1", "各部门每月抽取检查对象数", "检查结果分类（按部门）",
                  "未发现问题", "教育局", "消防救援大队"):  # fmt: skip
        assert label in html, label
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
