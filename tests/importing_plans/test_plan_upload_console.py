"""The plan workbook uploaded on the lead department's page of its plans (/dept/plans): the sample
(seed 000's two tables as the county wrote them) registers as `ssj plan import` registers it; a
workbook with bad cells registers nothing and the page lists each error by sheet, row and column
in Chinese; the form carries its CSRF token and refuses without it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.clock import ManualClock
from adapters.http.app import create_app
from domain.plan import Plan
from domain.values import CHINA
from services.actors import Actor
from tests.console.conftest import Page, Visitor, with_accounts
from tests.importing_plans.conftest import PLAN, joint_row, write_plan

NOW = datetime(2024, 2, 20, 9, 0, tzinfo=CHINA)
TITLE = "晋城市城区教科局2024年度双随机抽查工作计划"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def service(db: Path) -> Iterator[Service]:
    clock = ManualClock(NOW)
    opened = with_accounts(bootstrap(load_settings(db=db), clock=clock), clock)
    yield opened
    opened.close()


@pytest.fixture
async def lead(service: Service) -> AsyncIterator[Visitor]:
    app = create_app(service)
    app.state.sleep = _no_wait
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        visitor = Visitor(client)
        assert (await visitor.sign_in("jiaoyu")).status_code == 303
        yield visitor


async def _no_wait(seconds: float) -> None:
    """Sign-in failures wait before answering; the tests need not."""


def log_length(service: Service) -> int:
    return service.tasks.recorder.max_notification_id() or 0


async def upload(visitor: Visitor, workbook: Path, **typed: str) -> httpx.Response:
    """As the browser sends the form: its hidden fields, the directory chosen, the file."""
    shown = await visitor.get("/dept/plans")
    form = Page(shown.text).forms["plan-import-form"]
    assert form.action == "/dept/plans/import" and "csrf_token" in form.fields
    assert {"file", "directory", "document"} <= form.names
    files = {"file": (workbook.name, workbook.read_bytes(), XLSX)}
    return await visitor.client.post(form.action, data={**form.fields, **typed}, files=files)


async def test_the_sample_registers_as_the_cli_registers_it(
    service: Service, lead: Visitor
) -> None:
    answer = await upload(lead, PLAN, document="城教函字〔2024〕4号")
    assert answer.status_code == 303, answer.text[:500]
    plan_id = Plan.id_for("education", 2024, TITLE)
    assert answer.headers["location"] == f"/dept/plans?done=plan_imported#plan-{plan_id}"
    plan = service.tasks.plan(Actor.office(), plan_id)
    assert plan.document == "城教函字〔2024〕4号"
    assert [row["name"] for row in plan.tasks] == [
        "对中小学学校办学情况双随机抽查",
        "对民办学校招生、办学情况的检查",
        "全区各级各类学校安全抽查",
    ]
    service.settle()
    shown = await lead.get(answer.headers["location"].split("#")[0])
    assert "已按计划工作簿登记抽查工作计划" in shown.text
    assert f'data-plan-id="{plan_id}"' in shown.text
    assert f"/dept/plans/{plan_id}/documents/plan-tables?format=xlsx" in shown.text

    again = await upload(lead, PLAN)
    assert again.status_code == 409 and 'data-testid="refusal"' in again.text


async def test_a_workbook_with_bad_cells_registers_nothing_and_names_each_cell(
    service: Service, lead: Visitor, tmp_path: Path
) -> None:
    workbook = write_plan(
        tmp_path / "bad.xlsx",
        joint=[
            joint_row(抽查比例及频次="按比例抽查"),  # row 3
            joint_row(抽查任务名称="二", 发起部门="城区文旅局"),  # row 4
        ],
    )
    before = log_length(service)
    answer = await upload(lead, workbook)
    assert answer.status_code == 422
    problems = re.findall(
        r'data-testid="import-problem" data-sheet="([^"]*)" data-row="([^"]*)" '
        r'data-column="([^"]*)"><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td>'
        r"<td[^>]*>([^<]*)</td>",
        answer.text,
    )
    found = {(s, r, c): html.unescape(reason) for s, r, c, reason in problems}
    assert found[("附件1", "3", "抽查比例及频次")].startswith("未写明抽查比例")
    assert found[("附件1", "4", "发起部门")].startswith("未知部门 '城区文旅局'")
    assert len(found) == 2
    assert "未登记任何任务" in answer.text
    assert log_length(service) == before
    form = Page(answer.text).forms["plan-import-form"]  # the form again, to upload the fixed one
    assert "csrf_token" in form.fields


async def test_a_file_that_is_no_plan_is_named_and_the_form_needs_its_token(
    service: Service, lead: Visitor, tmp_path: Path
) -> None:
    before = log_length(service)
    notes = tmp_path / "notes.xlsx"
    notes.write_bytes(b"not a workbook")
    answer = await upload(lead, notes)
    assert answer.status_code == 422 and 'data-testid="import-problem"' in answer.text
    assert "整个工作簿" in answer.text

    shown = Page((await lead.get("/dept/plans")).text).forms["plan-import-form"]
    fields = {k: v for k, v in shown.fields.items() if k != "csrf_token"}
    files = {"file": ("plan.xlsx", PLAN.read_bytes(), XLSX)}
    forged = await lead.client.post("/dept/plans/import", data=fields, files=files)
    assert forged.status_code == 403
    assert log_length(service) == before
