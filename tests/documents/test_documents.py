"""告知书 and 一企一表 made from the demo's log: what they print is what the log holds, the same
log gives the same bytes, each issue is recorded once with its inputs and hash, and an auditor
rebuilds it from those inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from adapters.cli import demo
from adapters.cli.words import dept
from adapters.documents.kinds import KindsMaker
from adapters.documents.pdf import FontMissingError
from domain.document import IssuedDocument
from domain.errors import InvalidValueError
from services.actors import Actor
from services.documents import Documents, Subject
from services.errors import ForbiddenError
from tests.documents.conftest import NOW, Demo, docx_text, page_png
from tests.pdf_pages import pdf_text


def _issued_events(demo_log: Demo) -> list[dict[str, object]]:
    return [
        e
        for e in demo_log.service.auditor.export(Actor.auditor())
        if e.get("aggregate") == "IssuedDocument"
    ]


def _inspector_names(demo_log: Demo, target: str) -> dict[str, list[str]]:
    task = demo_log.task
    [sheet] = [s for s in task.record_sheets if s.target == target]
    names = {}
    for department, ids in sheet.inspectors.items():
        directory = demo_log.service.directories.inspector_directory(department)
        names[department] = [directory.inspectors[i].name for i in ids]
    return names


def test_the_notice_prints_the_target_departments_items_and_group_of_the_log(
    demo_log: Demo, tmp_path: Path
) -> None:
    target = demo_log.signed
    copy = demo_log.issue("notice", "pdf", target)
    text = pdf_text(copy.content, tmp_path, "notice")
    task = demo_log.task
    [sheet] = [s for s in task.record_sheets if s.target == target]
    assert "教育局跨部门“双随机、一公开”联合抽查告知书" in text
    assert sheet.name in text and target in text
    for department in ("education", "police", "fire"):
        assert dept(department) in text
        for item in task.definition.items[department]:
            assert item.name in text
    for names in _inspector_names(demo_log, target).values():
        for name in names:
            assert name in text
    assert "2023年11月1日至2023年11月30日" in text
    assert "国办发〔2015〕58号" in text  # the legal basis line
    assert "教育局（盖章）" in text
    assert f"文书核验码：{copy.record.code}" in text
    assert f"/check/{copy.record.code}" in text
    assert "书面送达" in text or "电话告知" in text  # the serving, as recorded
    assert page_png(tmp_path, "notice").stat().st_size > 10_000


def test_the_record_sheet_lists_every_item_with_its_finding_and_the_refused_signature(
    demo_log: Demo, tmp_path: Path
) -> None:
    target = demo_log.refused
    copy = demo_log.issue("record_sheet", "pdf", target)
    text = pdf_text(copy.content, tmp_path, "sheet")
    task = demo_log.task
    assert "“双随机、一公开”实地核查记录表" in text and "一企一表" in text
    assert target in text
    for department in task.participating:
        result = task.results[(department, target)]
        assert result.category in text
        for item in task.definition.items[department]:
            assert item.code in text and item.name in text
            assert result.findings[item.code] in text
    for names in _inspector_names(demo_log, target).values():
        for name in names:
            assert name in text
    assert "检查人员签字" in text
    assert "法定代表人（负责人）签字（盖章）" in text
    assert "拒绝签字" in text and task.visits[target].note in text
    assert page_png(tmp_path, "sheet").exists()


def test_a_signed_sheet_leaves_the_signature_line_blank(demo_log: Demo, tmp_path: Path) -> None:
    text = pdf_text(demo_log.issue("record_sheet", "pdf", demo_log.signed).content, tmp_path)
    assert "拒绝签字" not in text
    assert "年月日" in text


def test_the_notice_as_docx_holds_the_same_facts(demo_log: Demo) -> None:
    target = demo_log.signed
    copy = demo_log.issue("notice", "docx", target)
    text = docx_text(copy.content)
    [sheet] = [s for s in demo_log.task.record_sheets if s.target == target]
    assert "联合抽查告知书" in text and sheet.name in text and target in text
    assert all(dept(d) in text for d in ("education", "police", "fire"))
    assert copy.record.code in text
    assert copy.record.format == "docx"


@pytest.mark.parametrize(
    ("kind", "fmt"), [("notice", "pdf"), ("notice", "docx"), ("record_sheet", "pdf")]
)
def test_the_same_log_gives_the_same_bytes_and_one_record(
    demo_log: Demo, kind: str, fmt: str
) -> None:
    target = demo_log.refused
    first = demo_log.issue(kind, fmt, target)
    again = demo_log.issue(kind, fmt, target, actor=Actor.cooperating("police"))
    assert first.appended and not again.appended
    assert again.content == first.content
    assert again.record == first.record  # the record of the first issue, by whomever
    [event] = _issued_events(demo_log)
    fields = event["fields"]
    assert isinstance(fields, dict)
    assert fields["sha256"] == hashlib.sha256(first.content).hexdigest()
    assert fields["kind"] == kind and fields["format"] == fmt
    assert fields["subject"] == {"task": str(demo_log.task_id), "target": target}
    task_input = {
        "aggregate": str(demo_log.task_id),
        "what": "抽查任务",
        "version": demo_log.task.version,
    }
    assert task_input in fields["inputs"]
    assert fields["by"] == str(demo.EDUCATION)


def test_the_document_is_dated_by_its_latest_input_never_the_clock(demo_log: Demo) -> None:
    copy = demo_log.issue("notice", "pdf", demo_log.signed)
    assert copy.record.dated == demo_log.task.last_at  # the task's close, 2023-12-20 17:00
    assert copy.record.issued_at == NOW


def test_an_auditor_rebuilds_the_document_from_its_recorded_inputs(demo_log: Demo) -> None:
    copy = demo_log.issue("record_sheet", "pdf", demo_log.refused)
    # The directories change afterwards: the sheet still reads them as of the draws.
    demo_log.service.directories.take_leave(Actor.lead("fire"), "XF001", at=NOW)
    rebuilt = demo_log.service.documents.rebuild(Actor.auditor(), copy.record.code)
    assert rebuilt.matches and rebuilt.content == copy.content
    assert demo_log.issue("record_sheet", "pdf", demo_log.refused).record.code == copy.record.code


def test_a_copy_is_checked_against_its_record(demo_log: Demo) -> None:
    copy = demo_log.issue("notice", "pdf", demo_log.signed)
    documents = demo_log.service.documents
    right = documents.check(Actor.public(), copy.record.code, content=copy.content)
    altered = documents.check(Actor.public(), copy.record.code, content=copy.content + b"\n")
    unknown = documents.check(Actor.public(), "AAAAAAAAAA", sha256=copy.record.sha256)
    assert right.found and right.matches and right.title == copy.record.title
    assert altered.found and altered.matches is False
    assert not unknown.found
    with pytest.raises(InvalidValueError, match="核验码"):
        documents.check(Actor.public(), "not a code")


def test_who_may_not_issue_is_refused_and_nothing_is_recorded(demo_log: Demo) -> None:
    with pytest.raises(ForbiddenError):
        demo_log.issue("notice", "pdf", demo_log.signed, actor=Actor.cooperating("market"))
    with pytest.raises(ForbiddenError):
        demo_log.issue("notice", "pdf", demo_log.signed, actor=Actor.public())
    with pytest.raises(InvalidValueError, match="format"):
        demo_log.issue("record_sheet", "docx", demo_log.signed)
    with pytest.raises(InvalidValueError, match="target"):
        demo_log.issue("notice", "pdf", "91130283MA0000000X")
    assert _issued_events(demo_log) == []


def test_a_missing_cjk_font_is_a_clear_error_and_no_record(demo_log: Demo, tmp_path: Path) -> None:
    service = demo_log.service
    documents = Documents(
        service.tasks, KindsMaker(tmp_path / "no-fonts"), service.guard, "https://ssj.example"
    )
    subject = Subject(task=demo_log.task_id, target=demo_log.signed)
    with pytest.raises(FontMissingError) as refused:
        documents.issue(demo.EDUCATION, "notice", "pdf", subject, at=NOW)
    message = str(refused.value)
    assert "Noto Serif CJK SC" in message and "apt-get install fonts-noto-cjk" in message
    assert "SSJ_FONT_DIR" in message
    assert service.documents.issued(Actor.office()) == []
    assert IssuedDocument.id_for("X") != IssuedDocument.id_for("Y")


def test_the_list_shows_the_office_everything_and_a_department_its_own(demo_log: Demo) -> None:
    mine = demo_log.issue("notice", "pdf", demo_log.signed)
    theirs = demo_log.issue("record_sheet", "pdf", demo_log.signed, actor=Actor.cooperating("fire"))
    office = [r.code for r in demo_log.service.documents.issued(Actor.office())]
    education = [r.code for r in demo_log.service.documents.issued(demo.EDUCATION)]
    assert office == [mine.record.code, theirs.record.code]
    assert education == [mine.record.code]
