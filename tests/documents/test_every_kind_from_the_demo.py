"""Every kind of document in the registry (adapters/documents/kinds.py), in each of its formats,
made from the demo's log twice: by `ssj doc <kind>` and by the download its page offers to the
one who would print it (a department on the task's pages, the lead on its plans' page, the office
on its statistics page). The two give the same bytes and one recorded event; the document names
its task, target, plan or year. A kind added to the registry that no page links fails here.

The log is the demo's (迁安市's 2023 joint inspection, adapters/cli/demo.py) on an SQLite file,
with one thing more, since the demo merges no visit and the merged visit's 一企一表 needs one:
fire's own task of its own plan (内部抽查, every institution, November 2023) draws the same
targets, and the office merges one target's visits before the joint group goes there.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import openpyxl
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from typer.testing import CliRunner

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli import demo
from adapters.cli.main import app as cli_app
from adapters.clock import ManualClock
from adapters.documents.kinds import KINDS, About, Kind
from adapters.http.app import create_app
from adapters.http.console.documents import document_path
from domain.directory import CheckItem
from domain.task_definition import TaskDefinition
from domain.values import CHINA, Scope
from services.actors import Actor
from tests.console.conftest import Visitor, with_accounts
from tests.documents.conftest import SECRET, docx_text
from tests.pdf_pages import pdf_text

NOW = datetime(2024, 1, 8, 9, 0, tzinfo=CHINA)
FIRE_LEAD = Actor.lead("fire")
FIRE_TASK = "2023年11月校外培训机构消防安全检查"

WHO = {
    About.TASK_TARGET: "gongan",  # a cooperating department, on the target's 一企一表 page
    About.TASK: "jiaoyu",  # the lead, on the task's page
    About.PLAN: "jiaoyu",  # the lead, on its plans' page
    About.YEAR: "bangongshi",  # the office, on its statistics page
}
"""Who downloads each kind of document, by what it is about (console accounts)."""


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


@dataclass
class DemoLog:
    db: Path
    service: Service
    task_id: UUID
    plan_id: UUID
    fire_task: UUID
    merged: str
    """The target whose visits the office merged (the joint 一企一表's target)."""
    refused: str
    """The target whose legal representative refused to sign."""

    def log_length(self) -> int:
        return self.service.tasks.recorder.max_notification_id() or 0

    def target_of(self, kind: Kind) -> str:
        return self.merged if kind.code == "joint_record_sheet" else self.refused

    def page_of(self, kind: Kind) -> str:
        """The page that offers the kind's download to whom `WHO` names."""
        pages = {
            About.TASK_TARGET: f"/dept/tasks/{self.task_id}/targets/{self.target_of(kind)}",
            About.TASK: f"/dept/tasks/{self.task_id}",
            About.PLAN: "/dept/plans",
            About.YEAR: "/office/statistics?year=2023",
        }
        return pages[kind.about]

    def cli_subject(self, kind: Kind) -> list[str]:
        values = {
            "task": ["--task", str(self.task_id)],
            "target": ["--target", self.target_of(kind)],
            "plan": ["--plan", str(self.plan_id)],
            "year": ["--year", "2023"],
        }
        return [arg for field in kind.about.fields for arg in values[field]]


def _fire_task(service: Service, directory_id: UUID) -> UUID:
    """Fire's own task of its own plan, drawing every institution in the joint task's window."""
    definition = TaskDefinition(
        name=FIRE_TASK,
        lead="fire",
        cooperating=(),
        items={
            "fire": (CheckItem("XF-9", "消防设施器材配置情况", "《消防法》第十六条", "实地核查"),)
        },
        directory_id=directory_id,
        scope=Scope(category="校外培训机构"),
        ratios={},
        directed=True,
        window_start=date(2023, 11, 1),
        window_end=date(2023, 11, 30),
        groups=2,  # a fire inspector recuses from one target (the demo's): the other group goes
    )
    plan = service.tasks.register_plan(
        FIRE_LEAD,
        2023,
        "2023年度消防救援大队内部“双随机”抽查工作计划",
        [definition],
        at=at("2023-10-30", "11:00"),
    )
    [task_id] = plan.task_ids
    service.tasks.commit_seed(
        FIRE_LEAD, task_id, SECRET, demo.BEACON_SOURCE, at=at("2023-10-31", "16:30")
    )
    service.tasks.draw_targets(
        FIRE_LEAD, task_id, SECRET, demo.BEACON, at=at("2023-11-01", "10:00")
    )
    return task_id


def _demo_log(db: Path) -> DemoLog:
    clock = ManualClock(NOW)
    service = with_accounts(bootstrap(load_settings(db=db), clock=clock), clock)
    task_id = demo._prepare(service)
    joint = service.tasks.task(Actor.office(), task_id)
    fire_task = _fire_task(service, joint.definition.directory_id)
    merged: list[str] = []
    recusal = demo._recusal

    def recusal_then_merge(service: Service, task_id: UUID) -> None:
        """Once the joint task's inspectors are drawn, before its groups go out: the merge."""
        recusal(service, task_id)
        target = sorted(service.tasks.task(Actor.office(), task_id).drawn_targets)[0]
        service.joint_visits.merge(
            Actor.office(),
            target,
            [task_id, fire_task],
            at=at("2023-11-06", "16:40"),
            by="bangongshi",
            reason="同一机构，教育、公安、消防一次入户检查",
        )
        merged.append(target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "_recusal", recusal_then_merge)
        demo._inspect(service, task_id, SECRET)
    service.tasks.draw_inspectors(FIRE_LEAD, fire_task, at=at("2023-11-07", "10:00"))
    service.tasks.match_groups(FIRE_LEAD, fire_task, at=at("2023-11-07", "10:30"))
    service.settle()
    task = service.tasks.task(Actor.office(), task_id)
    [refused] = [t for t, v in task.visits.items() if not v.signed]
    return DemoLog(db, service, task_id, task.plan_id, fire_task, merged[0], refused)


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoLog]:
    log = _demo_log(tmp_path_factory.mktemp("demo") / "ssj.db")
    yield log
    log.service.close()


@pytest.fixture(scope="module")
def application(demo_log: DemoLog) -> Any:
    made = create_app(demo_log.service)
    made.state.sleep = _no_wait
    return made


async def _no_wait(seconds: float) -> None:
    """Sign-in failures wait before answering; the tests need not."""


@pytest.fixture
async def console(application: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        yield client


CASES = [
    pytest.param(kind, fmt, id=f"{kind.code}-{fmt}")
    for kind in KINDS.values()
    for fmt in kind.formats
]


def link_on(html: str, kind: Kind, fmt: str) -> str:
    """The download the page offers for the kind in the format (as a browser follows it)."""
    found: list[str] = [
        href.replace("&amp;", "&")
        for tag in re.findall(r"<a\b[^>]*>", html)
        if f'data-kind="{kind.code}"' in tag and f'data-format="{fmt}"' in tag
        for href in re.findall(r'href="([^"]+)"', tag)
    ]
    assert found, f"no download of {kind.code} ({fmt}) on the page"
    return found[0]


def text_of(content: bytes, fmt: str, tmp_path: Path, name: str) -> str:
    if fmt == "pdf":
        return pdf_text(content, tmp_path, name)
    if fmt == "docx":
        return docx_text(content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    return re.sub(r"\s+", "", "".join(cells))


def names_in(demo_log: DemoLog, kind: Kind) -> list[str]:
    """What the document must name: its task and target, its task, its plan's tasks, its year."""
    service, office = demo_log.service, Actor.office()
    task = service.tasks.task(office, demo_log.task_id)
    if kind.about is About.TASK_TARGET:
        target = demo_log.target_of(kind)
        name = service.directories.target_names(task.definition.directory_id, [target])[target]
        named = [task.name, target, name]
        return [*named, FIRE_TASK] if kind.code == "joint_record_sheet" else named
    if kind.about is About.TASK:
        return [task.name]
    if kind.about is About.PLAN:
        return [task.name]
    return ["2023", task.name]


@pytest.mark.parametrize(("kind", "fmt"), CASES)
async def test_the_cli_and_the_console_make_the_same_document_recorded_once(
    demo_log: DemoLog,
    console: httpx.AsyncClient,
    tmp_path: Path,
    kind: Kind,
    fmt: str,
) -> None:
    before = demo_log.log_length()
    visitor = Visitor(console)
    assert (await visitor.sign_in(WHO[kind.about])).status_code == 303
    shown = await visitor.get(demo_log.page_of(kind))
    assert shown.status_code == 200, shown.text[:300]
    downloaded = await console.get(link_on(shown.text, kind, fmt))
    assert downloaded.status_code == 200, downloaded.text[:500]
    code = downloaded.headers["x-ssj-document-code"]
    assert downloaded.headers["content-disposition"].endswith(f".{fmt}")

    out = tmp_path / f"cli.{fmt}"
    args = ["--db", str(demo_log.db), "doc", kind.code.replace("_", "-")]
    as_whom = (
        []
        if kind.about is About.YEAR
        else ["--dept", "police" if kind.about is About.TASK_TARGET else "education"]
    )
    made = CliRunner().invoke(
        cli_app, [*args, *demo_log.cli_subject(kind), "--format", fmt, *as_whom, "-o", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert f"核验码 {code}" in made.output and "未重复登记" in made.output

    assert out.read_bytes() == downloaded.content
    assert demo_log.log_length() == before + 1  # the console's record; the CLI's was the same
    records = [r for r in demo_log.service.documents.issued(Actor.office()) if r.code == code]
    assert [(r.kind, r.format) for r in records] == [(kind.code, fmt)]
    text = text_of(downloaded.content, fmt, tmp_path, kind.code)
    missing = [name for name in names_in(demo_log, kind) if name not in text]
    assert not missing, f"{kind.code} ({fmt}) does not name {missing}"
    if fmt == "pdf":
        assert code in text  # the check code in every PDF's footer


def test_every_kind_has_a_console_download_and_a_page_that_offers_it(
    demo_log: DemoLog, application: Any
) -> None:
    """A kind the registry gains is a download of the console, under its subject's page."""
    served = {
        str(c.path)
        for c in iter_route_contexts(application.routes)
        if isinstance(c.original_route, APIRoute)
    }
    for kind in KINDS.values():
        assert kind.about in WHO, f"{kind.code}: no one downloads a document about {kind.about}"
        area = "office" if kind.about is About.YEAR else "dept"
        assert document_path(kind, area) in served, kind.code
        assert demo_log.page_of(kind)


async def test_the_office_downloads_a_task_documents_from_its_page(
    demo_log: DemoLog, console: httpx.AsyncClient
) -> None:
    """The office may issue the task's documents too (Action.ISSUE_DOCUMENT): its task page
    links every one, and the copy is the department's."""
    office = Visitor(console)
    assert (await office.sign_in("bangongshi")).status_code == 303
    shown = await office.get(f"/office/tasks/{demo_log.task_id}")
    assert shown.status_code == 200
    for kind in KINDS.values():
        if kind.about in (About.TASK, About.TASK_TARGET) and kind.code != "joint_record_sheet":
            for fmt in kind.formats:
                assert link_on(shown.text, kind, fmt).startswith(
                    f"/office/tasks/{demo_log.task_id}/"
                )
    href = link_on(shown.text, KINDS["grouping"], "xlsx")
    first = await console.get(href)
    again = await console.get(href)
    assert first.status_code == 200 and first.content == again.content
    assert first.headers["x-ssj-document-code"] == again.headers["x-ssj-document-code"]
    async with httpx.AsyncClient(transport=console._transport, base_url="http://ssj.test") as other:
        auditor = Visitor(other)
        assert (await auditor.sign_in("shenji")).status_code == 303
        refused = await auditor.get(href)  # the auditor reads the office's pages, issues nothing
        assert refused.status_code == 403 and 'data-code="forbidden"' in refused.text


def test_each_department_inspector_has_a_certificate_number_of_his_own(demo_log: DemoLog) -> None:
    """The demo's 执法证号 differ across departments (a 一企一表 lists several departments')."""
    numbers = [
        inspector.certificate_no
        for department in ("education", "police", "fire")
        for inspector in demo_log.service.directories.inspector_directory(
            department
        ).inspectors.values()
    ]
    assert len(numbers) == len(set(numbers)) == 24


async def test_the_api_issues_a_plan_document_as_the_console_does(
    demo_log: DemoLog, application: Any, console: httpx.AsyncClient
) -> None:
    """POST /api/v1/plans/{id}/documents: the plan's department (its tasks' lead) only."""
    service = demo_log.service
    _, token = service.accounts.create_key("education", demo.EDUCATION.role, "edu-plans", at=NOW)
    _, other = service.accounts.create_key("police", demo.EDUCATION.role, "ga-plans", at=NOW)
    path = f"/api/v1/plans/{demo_log.plan_id}/documents"
    body = {"kind": "plan_tables", "format": "xlsx"}
    answer = await console.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    lead = Visitor(console)
    assert (await lead.sign_in("jiaoyu")).status_code == 303
    shown = await lead.get("/dept/plans")
    downloaded = await console.get(link_on(shown.text, KINDS["plan_tables"], "xlsx"))
    assert downloaded.content == answer.content
    assert answer.headers["x-ssj-document-code"] == downloaded.headers["x-ssj-document-code"]
    async with httpx.AsyncClient(transport=console._transport, base_url="http://ssj.test") as api:
        refused = await api.post(path, json=body, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
