"""The documents through the CLI, the console and the API, on the demo's log."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from adapters.bootstrap import load_settings
from adapters.cli import demo
from adapters.cli.main import app
from adapters.http.app import create_app
from services.actors import Actor
from tests.console.conftest import Page, Visitor, with_accounts
from tests.documents.conftest import NOW, Demo, docx_text
from tests.pdf_pages import pdf_text


# ---------------------------------------------------------------------------- the CLI
def test_the_cli_issues_checks_and_verifies_a_notice(tmp_path: Path) -> None:
    db = tmp_path / "ssj.db"
    runner = CliRunner()
    shown = runner.invoke(app, ["demo", "--db", str(db), "--secret", "3e" * 32])
    assert shown.exit_code == 0, shown.output
    [command] = re.findall(r"ssj --db \S+ doc record-sheet .*", shown.output)
    task = re.search(r"--task (\S+)", command)
    target = re.search(r"--target (\S+)", command)
    assert task and target
    out = tmp_path / "告知书.pdf"
    args = ["--db", str(db), "doc", "notice", "--task", task[1][:8], "--target", target[1]]
    issued = runner.invoke(app, [*args, "--dept", "education", "-o", str(out)])
    assert issued.exit_code == 0, issued.output
    code = re.search(r"核验码 ([A-Z2-7]{10})", issued.output)
    assert code and hashlib.sha256(out.read_bytes()).hexdigest() in issued.output
    again = runner.invoke(app, [*args, "--dept", "education", "-o", str(tmp_path / "again.pdf")])
    assert "未重复登记" in again.output
    assert (tmp_path / "again.pdf").read_bytes() == out.read_bytes()
    sheet = tmp_path / "一企一表.pdf"
    made = runner.invoke(
        app, [*args[:3], "record-sheet", *args[4:], "--dept", "police", "-o", str(sheet)]
    )
    assert made.exit_code == 0, made.output
    assert "拒绝签字" in pdf_text(sheet.read_bytes(), tmp_path)
    refused = runner.invoke(app, [*args, "--dept", "market"])
    assert refused.exit_code == 2 and "无权出具文书" in refused.output

    verified = runner.invoke(app, ["--db", str(db), "doc", "verify", code[1]])
    assert verified.exit_code == 0 and "逐字节相同" in verified.output, verified.output
    checked = runner.invoke(app, ["--db", str(db), "doc", "check", code[1], str(out)])
    assert checked.exit_code == 0 and "一致" in checked.output
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(out.read_bytes().replace(b"/Title", b"/Titlf", 1))
    mismatch = runner.invoke(app, ["--db", str(db), "doc", "check", code[1], str(altered)])
    assert mismatch.exit_code == 1 and "不一致" in mismatch.output
    listed = runner.invoke(app, ["--db", str(db), "doc", "list"])
    assert code[1] in listed.output and "一企一表" in listed.output


# ---------------------------------------------------------------------------- the console
@pytest.fixture
async def console(demo_log: Demo) -> httpx.AsyncClient:
    service = with_accounts(demo_log.service, demo_log.service.clock)  # type: ignore[arg-type]
    application = create_app(service)
    application.state.sleep = _no_wait
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://ssj.test"
    )


async def _no_wait(seconds: float) -> None:
    """Sign-in failures wait before answering; the tests need not."""


async def test_a_clerk_downloads_the_documents_and_anyone_checks_a_copy(
    demo_log: Demo, console: httpx.AsyncClient, tmp_path: Path
) -> None:
    target = demo_log.refused
    clerk = Visitor(console)
    assert (await clerk.sign_in("gongan")).status_code == 303
    sheet = await clerk.get(f"/dept/tasks/{demo_log.task_id}/targets/{target}")
    assert sheet.status_code == 200
    links = re.findall(r'href="([^"]+/documents/[^"]+)"', sheet.text)
    assert any("/documents/notice?format=docx" in link for link in links)
    [sheet_link] = [link for link in links if "/documents/record-sheet" in link]
    answer = await console.get(sheet_link.replace("&amp;", "&"))
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    code = answer.headers["x-ssj-document-code"]
    assert answer.headers["x-ssj-document-sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert "拒绝签字" in pdf_text(answer.content, tmp_path)
    notice = await console.get(
        f"/dept/tasks/{demo_log.task_id}/targets/{target}/documents/notice?format=docx"
    )
    assert notice.status_code == 200 and "联合抽查告知书" in docx_text(notice.content)
    task_page = await clerk.get(f"/dept/tasks/{demo_log.task_id}")
    assert f"/targets/{target}/documents/record-sheet" in task_page.text

    public = httpx.AsyncClient(transport=console._transport, base_url="http://ssj.test")
    record = await public.get(f"/check/{code}")
    assert record.status_code == 200 and 'data-found="yes"' in record.text
    assert hashlib.sha256(answer.content).hexdigest() in record.text
    right = await public.get(
        f"/check/{code}", params={"sha256": hashlib.sha256(answer.content).hexdigest()}
    )
    assert 'data-verdict="match"' in right.text
    wrong = await public.get(f"/check/{code}", params={"sha256": hashlib.sha256(b"x").hexdigest()})
    assert 'data-verdict="mismatch"' in wrong.text
    form = Page(record.text).forms["check-upload-form"]
    uploaded = await public.post(form.action, files={"file": ("copy.pdf", answer.content + b"%")})
    assert 'data-verdict="mismatch"' in uploaded.text
    uploaded = await public.post(form.action, files={"file": ("copy.pdf", answer.content)})
    assert 'data-verdict="match"' in uploaded.text
    unknown = await public.get("/check/AAAAAAAAAA")
    assert unknown.status_code == 404 and 'data-verdict="unknown"' in unknown.text
    typed = await public.get("/check", params={"code": code.lower()})
    assert typed.status_code == 303 and typed.headers["location"] == f"/check/{code}"
    await public.aclose()
    await console.aclose()


async def test_an_uninvolved_department_downloads_nothing(
    demo_log: Demo, console: httpx.AsyncClient
) -> None:
    clerk = Visitor(console)
    await clerk.sign_in("shichang")
    answer = await console.get(
        f"/dept/tasks/{demo_log.task_id}/targets/{demo_log.signed}/documents/notice"
    )
    assert answer.status_code == 403 and 'data-code="forbidden"' in answer.text
    assert demo_log.service.documents.issued(Actor.office()) == []
    await console.aclose()


# ---------------------------------------------------------------------------- the API
async def test_the_api_issues_a_document_and_checks_it(demo_log: Demo) -> None:
    service = demo_log.service
    _, token = service.accounts.create_key("education", demo.EDUCATION.role, "edu", at=NOW)
    application = create_app(service)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        answer = await client.post(
            f"/api/v1/tasks/{demo_log.task_id}/documents",
            json={"kind": "notice", "format": "pdf", "target": demo_log.signed},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        code, digest = (
            answer.headers["x-ssj-document-code"],
            answer.headers["x-ssj-document-sha256"],
        )
        checked = (
            await client.get("/api/v1/documents/check", params={"code": code, "sha256": digest})
        ).json()
        assert checked["found"] and checked["matches"]
        refused = await client.get("/api/v1/documents/rebuild", params={"code": code})
        assert refused.status_code in (401, 403)
    assert load_settings().public_base_url in service.documents.record(Actor.public(), code).url


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("notice", {"--task", "--target"}, {"--plan", "--year"}),
        ("grouping", {"--task"}, {"--target", "--plan", "--year"}),
        ("plan-tables", {"--plan"}, {"--task", "--target", "--year"}),
        ("statistics", {"--year"}, {"--task", "--target", "--plan"}),
    ],
)
def test_each_kinds_help_offers_what_it_is_about(
    kind: str, shown: set[str], hidden: set[str]
) -> None:
    words = CliRunner().invoke(app, ["doc", kind, "--help"]).output
    flags = set(re.findall(r"--[a-z-]+", words))
    assert shown <= flags and not hidden & flags, words
