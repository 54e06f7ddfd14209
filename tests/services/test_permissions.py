"""Who may do what: every command and query of the applications, tried as every role, for its own
department and for another, compared with one table (DESIGN.md, Security).

"permitted" means the policy let the request through (the task's own rules may still refuse it,
e.g. a second confirmation); "forbidden" means ForbiddenError, before anything was read or written.
The task is 迁安市's joint inspection, published with its follow-ups open: education leads, police
and fire cooperate; market cooperates in another task only, so it is the "other" department.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.calendar import CalendarDataError
from domain.directories import TargetDirectory
from domain.errors import DomainError
from services.actors import Actor
from services.calendars import YearArrangement
from services.directory_listing import readable_directory, target_directories
from services.documents import Subject
from services.errors import ForbiddenError, ServiceError
from services.inspection_caps import Caps
from services.inspection_ledger import InspectionLedgers
from services.result_export import ResultExport
from tests.services.conftest import DIRECTORY, JointInspection, institutions

NOW = datetime(2023, 11, 21, 9, 0, tzinfo=timezone(timedelta(hours=8)))

COLUMNS = ("lead", "lead*", "coop", "coop*", "insp", "insp*", "office", "auditor", "public")
"""Each role for the task's own department, and (*) for a department the task is not theirs."""

EXPECTED = """
                         lead lead* coop coop* insp insp* office auditor public
open_target_directory      Y    Y    Y    Y     -    -     -      -      -
register_targets           Y    -    -    -     -    -     -      -      -
update_targets             Y    -    -    -     -    -     -      -      -
open_inspector_directory   Y    Y    Y    Y     -    -     -      -      -
register_inspectors        Y    Y    Y    Y     -    -     -      -      -
change_inspector           Y    Y    Y    Y     -    -     -      -      -
register_plan              Y    Y    -    -     -    -     -      -      -
commit_seed                Y    -    -    -     -    -     -      -      -
draw_targets               Y    -    -    -     -    -     -      -      -
dispatch                   -    -    -    -     -    -     -      -      -
confirm                    -    -    Y    -     -    -     -      -      -
decline                    -    -    Y    -     -    -     -      -      -
check_deadlines            -    -    -    -     -    -     Y      -      -
count_held_deadlines       -    -    -    -     -    -     Y      -      -
draw_inspectors            Y    -    Y    -     -    -     -      -      -
match_groups               Y    -    -    -     -    -     -      -      -
file_grouping              Y    -    Y    -     -    -     -      -      -
serve_notice               Y    -    Y    -     -    -     -      -      -
record_visit               Y    -    Y    -     -    -     -      -      -
record_result              Y    -    Y    -     Y    -     -      -      -
correct_result             Y    -    Y    -     Y    -     -      -      -
publish                    Y    -    -    -     -    -     -      -      -
open_follow_up             Y    -    Y    -     -    -     -      -      -
transfer_follow_up         Y    -    Y    -     -    -     -      -      -
close_follow_up            Y    -    Y    -     -    -     -      -      -
close_task                 Y    -    -    -     -    -     -      -      -
import_calendar_year       -    -    -    -     -    -     Y      -      -
read_calendar              Y    Y    Y    Y     Y    Y     Y      Y      Y
list_tasks                 Y    Y    Y    Y     Y    Y     Y      Y      -
read_task                  Y    -    Y    -     Y    -     Y      Y      -
read_inbox                 Y    Y    Y    Y     -    -     Y      Y      -
read_escalations           -    -    -    -     -    -     Y      Y      -
read_register              Y    Y    Y    Y     Y    Y     Y      Y      Y
read_draws                 Y    Y    Y    Y     Y    Y     Y      Y      Y
read_ledger                Y    Y    Y    Y     Y    Y     Y      Y      -
read_statistics            Y    Y    Y    Y     Y    Y     Y      Y      -
read_history               -    -    -    -     -    -     Y      Y      -
export_log                 -    -    -    -     -    -     -      Y      -
verify_log                 -    -    -    -     -    -     -      Y      -
read_directory             Y    -    -    -     -    -     Y      Y      -
issue_document             Y    -    Y    -     Y    -     Y      -      -
issue_plan_document        Y    -    -    -     -    -     Y      -      -
issue_year_document        -    -    -    -     -    -     Y      -      -
check_document             Y    Y    Y    Y     Y    Y     Y      Y      Y
register_item_list         Y    Y    Y    Y     -    -     -      -      -
read_item_list             Y    Y    Y    Y     Y    Y     Y      Y      Y
export_results             Y    Y    Y    Y     Y    Y     Y      Y      Y
read_inspection_ledger     Y    Y    Y    Y     Y    Y     Y      Y      -
set_inspection_caps        -    -    -    -     -    -     Y      -      -
grant_cap_exemption        Y    -    -    -     -    -     Y      -      -
read_joint_visit_offers    -    -    -    -     -    -     Y      Y      -
merge_visits               -    -    -    -     -    -     Y      -      -
"""


def expected() -> dict[str, dict[str, bool]]:
    lines = [line.split() for line in EXPECTED.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header) == COLUMNS
    return {row[0]: dict(zip(COLUMNS, (c == "Y" for c in row[1:]), strict=True)) for row in rows}


@pytest.fixture(scope="module")
def world() -> Any:
    """The joint task, published, follow-ups open; on the in-memory store."""
    service = bootstrap(load_settings(), memory=True)
    joint = JointInspection(service).published()
    numbers = joint.follow_up()
    service.settle()
    yield service, joint, numbers
    service.close()


def actors(joint: JointInspection) -> dict[str, Actor]:
    task = joint.task()
    police_inspector = task.record_sheets[0].inspectors["police"][0]
    return {
        "lead": Actor.lead("education"),
        "lead*": Actor.lead("market"),
        "coop": Actor.cooperating("police"),
        "coop*": Actor.cooperating("market"),
        "insp": Actor.of_inspector("police", police_inspector),
        "insp*": Actor.of_inspector("market", "SC001"),
        "office": Actor.office(),
        "auditor": Actor.auditor(),
        "public": Actor.public(),
    }


def requests(
    service: Service, joint: JointInspection, numbers: dict[str, int]
) -> dict[str, Callable[[Actor], object]]:
    """One request per action of the policy, with arguments that make sense for the task."""
    tasks, directories, queries = service.tasks, service.directories, service.queries
    task_id, target = joint.task_id, joint.task().record_sheets[0].target
    directory_id = TargetDirectory.id_for(DIRECTORY)
    later = NOW
    plan_id = joint.task().plan_id
    issued = service.documents.issue(
        Actor.office(), "notice", "docx", Subject(task=task_id, target=target), at=later
    )
    arrangement = YearArrangement(2099, "测试用安排（虚构）", (), (), "f" * 64)
    return {
        "open_target_directory": lambda a: directories.open_target_directory(
            a, f"{DIRECTORY}（{a}）", at=later
        ),
        "register_targets": lambda a: directories.register_targets(
            a, directory_id, institutions()[:1], at=later
        ),
        "update_targets": lambda a: directories.update_targets(
            a, directory_id, institutions()[:1], "更正", at=later
        ),
        "open_inspector_directory": lambda a: directories.open_inspector_directory(a, at=later),
        "register_inspectors": lambda a: directories.register_inspectors(a, [], at=later),
        "change_inspector": lambda a: directories.take_leave(a, "没有此人", at=later),
        "register_plan": lambda a: tasks.register_plan(a, 2023, "计划", [], at=later),
        "commit_seed": lambda a: tasks.commit_seed(a, task_id, "1" * 64, "", at=later),
        "draw_targets": lambda a: tasks.draw_targets(a, task_id, "1" * 64, "", at=later),
        "dispatch": lambda a: tasks.dispatch(a, task_id, "police", at=later),
        "confirm": lambda a: tasks.confirm(a, task_id, at=later),
        "decline": lambda a: tasks.decline(a, task_id, "理由", at=later),
        "check_deadlines": lambda a: tasks.check_deadlines(a, task_id, at=later),
        "count_held_deadlines": lambda a: tasks.count_held_deadlines(a, task_id, at=later),
        "draw_inspectors": lambda a: tasks.draw_inspectors(a, task_id, at=later),
        "match_groups": lambda a: tasks.match_groups(a, task_id, at=later),
        "file_grouping": lambda a: tasks.file_grouping(a, task_id, {}, at=later),
        "serve_notice": lambda a: tasks.serve_notice(
            a, task_id, target, "letter", "张三", at=later
        ),
        "record_visit": lambda a: tasks.record_visit(a, task_id, target, True, "", at=later),
        "record_result": lambda a: tasks.record_result(
            a, task_id, target, "未发现问题", {}, at=later
        ),
        "correct_result": lambda a: tasks.correct_result(
            a, task_id, target, "未发现问题", {}, "复核", at=later
        ),
        "publish": lambda a: tasks.publish(a, task_id, at=later),
        "open_follow_up": lambda a: tasks.open_follow_up(
            a, task_id, target, "问题", date(2023, 12, 31), at=later
        ),
        "transfer_follow_up": lambda a: tasks.transfer_follow_up(
            a, task_id, 99, "法院", "移送", at=later
        ),
        "close_follow_up": lambda a: tasks.close_follow_up(a, task_id, 99, "办结", at=later),
        "close_task": lambda a: tasks.close_task(a, task_id, at=later),
        "import_calendar_year": lambda a: service.calendars.import_year(a, arrangement, at=later),
        "read_calendar": lambda a: service.calendars.year(a, 2023),
        "list_tasks": lambda a: queries.tasks(a),
        "read_task": lambda a: (queries.task(a, task_id), tasks.task(a, task_id)),
        "read_inbox": lambda a: queries.inbox(a, a.department or "education"),
        "read_escalations": lambda a: (queries.escalations(a), queries.faults(a)),
        "read_register": lambda a: queries.register(a),
        "read_draws": lambda a: queries.draws(a),
        "read_ledger": lambda a: queries.ledger(a),
        "read_statistics": lambda a: queries.statistics(a),
        "read_history": lambda a: (
            service.auditor.history(a, task_id),
            service.auditor.state_as_of(a, task_id, 3),
            tasks.task(a, task_id, version=3),
        ),
        "export_log": lambda a: list(service.auditor.export(a)),
        "verify_log": lambda a: service.auditor.verify(a),
        "read_directory": lambda a: (
            target_directories(directories, a),
            readable_directory(directories, a, directory_id),
        ),
        "issue_document": lambda a: service.documents.issue(
            a, "notice", "docx", Subject(task=task_id, target=target), at=later
        ),
        "issue_plan_document": lambda a: service.documents.issue(
            a, "plan_tables", "xlsx", Subject(plan=plan_id), at=later
        ),
        "issue_year_document": lambda a: service.documents.issue(
            a, "statistics", "pdf", Subject(year=2023), at=later
        ),
        "check_document": lambda a: (
            service.documents.check(a, issued.record.code, content=issued.content),
            service.documents.record(a, issued.record.code),
        ),
        "register_item_list": lambda a: service.item_catalogues.register(a, [], at=later),
        "read_item_list": lambda a: (
            service.item_catalogues.catalogues(a),
            service.item_catalogues.catalogue(a, "education"),
        ),
        "export_results": lambda a: ResultExport(tasks).published(a, 2023),
        "read_inspection_ledger": lambda a: (
            InspectionLedgers(service.read_models).ledger(a, target),
            Caps(tasks).caps(a, 2023),
        ),
        "set_inspection_caps": lambda a: Caps(tasks).set_caps(a, 2099, {"police": 2}, 3, at=later),
        "grant_cap_exemption": lambda a: Caps(tasks).grant_exemption(
            a, target, 2023, "complaint", "群众投诉（测试）", task_id=task_id, at=later
        ),
        "read_joint_visit_offers": lambda a: (
            service.joint_visits.offers(a),
            service.joint_visits.merged(a),
        ),
        "merge_visits": lambda a: service.joint_visits.merge(a, target, [task_id], at=later),
    }


def outcome(request: Callable[[Actor], object], actor: Actor) -> bool:
    """Whether the policy let the request through."""
    try:
        request(actor)
    except ForbiddenError:
        return False
    except (DomainError, ServiceError, CalendarDataError):
        return True  # the task's own rules (or the store) answered: the policy had let it pass
    return True


def test_every_request_as_every_role_is_permitted_exactly_as_the_table_says(world: Any) -> None:
    service, joint, numbers = world
    who = actors(joint)
    table = requests(service, joint, numbers)
    assert set(table) == set(expected())  # every action of the table is tried, none left out

    found = {
        action: {column: outcome(request, who[column]) for column in COLUMNS}
        for action, request in table.items()
    }

    assert found == expected()


def test_the_table_names_every_action_of_the_policy() -> None:
    from services.permissions import RULES

    # read_draws shares the register's rule, and a plan's and a year's documents the rule of
    # issuing one, with other parties; every other row is an action of the policy
    extra = {"read_draws", "issue_plan_document", "issue_year_document"}
    assert set(expected()) - extra == {action.value for action in RULES}


def test_a_forbidden_request_names_who_asked_what_and_who_may() -> None:
    service = bootstrap(load_settings(), memory=True)
    try:
        with pytest.raises(ForbiddenError) as refused:
            service.auditor.export(Actor.office())
    finally:
        service.close()
    message = str(refused.value)
    assert message.startswith("actor: 双随机办 无权导出事件日志")
    assert "审计" in message
    assert refused.value.field == "actor"


def test_the_record_of_a_document_names_its_inspector_to_the_auditor_only(world: Any) -> None:
    service, joint, _ = world
    inspector = actors(joint)["insp"]
    target = joint.task().record_sheets[0].target
    issued = service.documents.issue(
        inspector, "record_sheet", "pdf", Subject(task=joint.task_id, target=target), at=NOW
    )
    code = issued.record.code
    assert issued.record.by == str(inspector)
    assert inspector.inspector is not None

    public = service.documents.record(Actor.public(), code)
    assert inspector.inspector not in public.by
    assert public.by == f"police（{inspector.role.label}）"
    assert service.documents.record(Actor.auditor(), code).by == str(inspector)
    assert service.documents.rebuild(Actor.auditor(), code).record.by == str(inspector)


def test_an_inspector_issues_the_papers_of_the_targets_of_his_group_only(world: Any) -> None:
    service, joint, _ = world
    inspector = actors(joint)["insp"]
    sheets = joint.task().record_sheets
    others = [s.target for s in sheets if inspector.inspector not in s.inspectors.get("police", ())]
    assert others, "the fixture's police inspector inspects some targets, not all"
    with pytest.raises(ForbiddenError):
        service.documents.issue(
            inspector, "notice", "docx", Subject(task=joint.task_id, target=others[0]), at=NOW
        )
