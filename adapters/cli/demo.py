"""`ssj demo`: 迁安市's 2023 cross-department joint inspection of off-campus training institutions
(迁双随机办〔2023〕30号), end to end on the embedded store, then the auditor's verification.

The education bureau leads; public security and fire rescue cooperate. Fire confirms late, so
the overdue event and the escalation show; a fire inspector recuses from a target the deal would
have given his group; one institution refuses to sign; problems go to follow-up.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import cast
from uuid import UUID

import typer

from adapters.bootstrap import Service, bootstrap
from adapters.cli import render
from adapters.cli.demo_data import ITEMS, inspectors, institutions
from adapters.cli.words import dept, when
from adapters.settings import Settings
from domain import draw
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import CHINA, FollowUpMeasure, Scope
from services.actors import Actor
from services.log import read_log

EDUCATION, POLICE, FIRE = (
    Actor.lead("education"),
    Actor.cooperating("police"),
    Actor.cooperating("fire"),
)
DEPARTMENTS = {"education": EDUCATION, "police": POLICE, "fire": FIRE}
OFFICE, AUDITOR, PUBLIC = Actor.office(), Actor.auditor(), Actor.public()

DIRECTORY = "迁安市校外培训机构名录库"
BEACON_SOURCE = "2023-11-01 09:30 抽取现场，由市双随机办见证人当场报出的 6 位数字"
BEACON = "见证人报数 482913"


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


def run_demo(settings: Settings, secret: str | None, db: Path | None = None) -> bool:
    """On the settings' PostgreSQL (an empty, migrated database), else on the SQLite file `db`,
    by default a fresh temporary one."""
    if settings.database_url is None:
        db = db or Path(tempfile.mkdtemp(prefix="ssj-demo-")) / "ssj.db"
        settings = settings.model_copy(update={"db": db})
    say = typer.echo
    service = bootstrap(settings)
    say("迁安市 2023 年校外培训机构跨部门“双随机、一公开”联合抽查（演示）")
    say(f"事件库：{'PostgreSQL' if settings.database_url else settings.db}\n")
    task_id = _prepare(service)
    _inspect(service, task_id, secret or secrets.token_hex(32))
    service.settle()
    _timeline(service, say)
    _views(service, task_id, say)
    report = service.auditor.verify(AUDITOR)
    refused = next(t for t, v in service.tasks.task(OFFICE, task_id).visits.items() if not v.signed)
    service.close()
    say("\n审计核验（仅凭事件日志与 SHA-256 重算）")
    say(render.verification(report))
    store = "" if settings.database_url else f" --db {settings.db}"
    say("\n出具拒绝签字机构的一企一表（PDF，可凭核验码核验）：")
    say(f"  ssj{store} doc record-sheet --task {task_id} --target {refused} --dept education")
    return report.ok


def _prepare(service: Service) -> UUID:
    directories, tasks = service.directories, service.tasks
    directory_id = directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2023-10-20"))
    directories.register_targets(
        EDUCATION, directory_id, institutions(), at=at("2023-10-20", "10:00")
    )
    for department, prefix in (("education", "JY"), ("police", "GA"), ("fire", "XF")):
        actor = DEPARTMENTS[department]
        directories.open_inspector_directory(actor, at=at("2023-10-20"))
        directories.register_inspectors(
            actor, inspectors(department, prefix), at=at("2023-10-20", "11:00")
        )
    directories.take_leave(POLICE, "GA002", at=at("2023-10-27"))
    _item_lists(service)
    definition = TaskDefinition(
        name="2023年迁安市校外培训机构跨部门联合抽查",
        lead="education",
        cooperating=("police", "fire"),
        items=ITEMS,
        directory_id=directory_id,
        scope=Scope(category="校外培训机构"),
        ratios=dict.fromkeys("ABCD", "0.03"),
        directed=False,
        window_start=date(2023, 11, 1),
        window_end=date(2023, 11, 30),
    )
    plan = tasks.register_plan(
        EDUCATION,
        2023,
        "2023年度跨部门“双随机”联合抽查工作计划",
        [definition],
        at=at("2023-10-30"),
        document="迁双随机办〔2023〕30号",
    )
    return plan.task_ids[0]


ITEM_LISTS = Path(__file__).resolve().parents[1] / "demo_data"
"""items-<department>.csv: the three departments' sample 抽查事项清单, whose codes and names the
demo's plan items (demo_data.ITEMS) carry."""


def _item_lists(service: Service) -> None:
    """Each department publishes its 抽查事项清单 before the plan, as `ssj items import` would."""
    from adapters.importing.item_rows import read_item_list

    for department, actor in DEPARTMENTS.items():
        report = read_item_list(ITEM_LISTS / f"items-{department}.csv")
        assert report.ok, report.render()  # shipped with ssj: a broken sample is our fault
        service.item_catalogues.import_items(
            actor,
            report.good,
            title=f"{dept(department)}随机抽查事项清单",
            reason="按新公布的抽查事项清单更新",
            at=at("2023-10-20", "12:00"),
        )


def _inspect(service: Service, task_id: UUID, secret: str) -> None:
    tasks = service.tasks
    tasks.commit_seed(EDUCATION, task_id, secret, BEACON_SOURCE, at=at("2023-10-31", "16:00"))
    tasks.draw_targets(EDUCATION, task_id, secret, BEACON, at=at("2023-11-01", "09:30"))
    service.settle()  # the dispatch process sends the task to police and fire

    tasks.confirm(POLICE, task_id, at=at("2023-11-02", "10:15"))
    service.settle()
    service.deadlines.check(at("2023-11-06", "08:30"))  # fire let its two working days pass
    tasks.confirm(FIRE, task_id, at=at("2023-11-06", "10:00"))

    for department, clock in (("education", "14:00"), ("police", "14:20"), ("fire", "14:40")):
        tasks.draw_inspectors(DEPARTMENTS[department], task_id, at=at("2023-11-06", clock))

    _recusal(service, task_id)
    matches = tasks.match_groups(EDUCATION, task_id, at=at("2023-11-07", "09:00"))
    groups = tasks.task(EDUCATION, task_id).group_count()
    for department in ("education", "police", "fire"):
        vehicles = {str(g + 1): f"冀B·{department[:2].upper()}{g + 1:03d}" for g in range(groups)}
        tasks.file_grouping(
            DEPARTMENTS[department], task_id, vehicles, at=at("2023-11-07", "15:00")
        )

    targets = list(matches)
    for n, target in enumerate(targets):
        method = "phone" if n % 4 == 3 else "letter"
        notified = at("2023-11-08", f"{9 + n // 3:02d}:{(n % 3) * 20:02d}")
        tasks.serve_notice(EDUCATION, task_id, target, method, "法定代表人", at=notified)
    _visits_and_results(service, task_id, targets)


def _recusal(service: Service, task_id: UUID) -> None:
    """A fire inspector of group 1 declares a conflict with the target dealt first to group 1."""
    task = service.tasks.task(EDUCATION, task_id)
    first = min(task.drawn_targets, key=lambda t: draw.rank(task.seed, "match", t))
    inspector = task.inspector_draws["fire"].groups[0][0]
    service.directories.declare_conflict(
        FIRE, inspector, first, "其配偶为该机构举办者", at=at("2023-11-06", "16:30")
    )


PROBLEMS = {
    "fire": ("发现问题已责令改正", "疏散通道堆放杂物，灭火器过期"),
    "education": ("发现问题待后续处理", "2 名教师无教师资格证"),
    "police": ("发现问题待后续处理", "未建立内部治安保卫制度"),
}


ON_SITE_REASON = (
    "监管平台购销课情况可网络监测，但从业人员资质、治安保卫和消防设施须到场核验，联合检查组一次到场"
)
"""Why the joint group goes on site though JY-3 is checked online (国办发〔2024〕54号)."""


def _visits_and_results(service: Service, task_id: UUID, targets: list[str]) -> None:
    """Three visits a working day; each department records the same evening, except that the
    police forget the last one until the deadline check flags it."""
    tasks, calendar = service.tasks, service.calendars.calendar()
    problem_of = {targets[1]: "fire", targets[4]: "education", targets[2]: "police"}
    refused, last = targets[2], targets[-1]
    for first in range(0, len(targets), 3):
        day = calendar.add_working_days(date(2023, 11, 8), 1 + first // 3).isoformat()
        today = list(enumerate(targets))[first : first + 3]
        for n, target in today:
            signed = target != refused
            note = "" if signed else "法定代表人拒绝在一企一表上签字，检查组已如实记录并拍照留存"
            visited = at(day, f"{9 + (n % 3) * 2:02d}:30")
            tasks.record_visit(
                EDUCATION, task_id, target, signed, note, at=visited, on_site_reason=ON_SITE_REASON
            )
        for n, target in today:
            for department in ("education", "police", "fire"):
                if department == "police" and target == last:
                    continue
                findings = {item.code: "符合要求" for item in ITEMS[department]}
                category = "未发现问题"
                if problem_of.get(target) == department:
                    category, findings[ITEMS[department][0].code] = PROBLEMS[department]
                if department == "education" and n == 0:
                    category, findings["JY-2"] = (
                        "发现问题待后续处理",
                        "教材未备案",
                    )  # a slip, corrected below
                tasks.record_result(
                    DEPARTMENTS[department],
                    task_id,
                    target,
                    category,
                    findings,
                    at=at(day, "17:00"),
                )
    due = cast(date, tasks.task(EDUCATION, task_id).results_due[last])
    next_day = calendar.add_working_days(due, 1).isoformat()
    service.settle()
    service.deadlines.check(at(next_day, "08:30"))
    findings = {item.code: "符合要求" for item in ITEMS["police"]}
    tasks.record_result(POLICE, task_id, last, "未发现问题", findings, at=at(next_day, "10:00"))
    tasks.correct_result(
        EDUCATION,
        task_id,
        targets[0],
        "未发现问题",
        {"JY-2": "符合要求"},
        "复核发现教材已于 10 月备案，原录入有误",
        at=at(next_day, "11:00"),
    )
    tasks.publish(EDUCATION, task_id, at=at(next_day, "15:00"))
    due_day = date(2023, 12, 20)
    numbers = {
        department: tasks.open_follow_up(
            DEPARTMENTS[department],
            task_id,
            target,
            PROBLEMS[department][1],
            due_day,
            at=at(next_day, "16:00"),
        )
        for target, department in problem_of.items()
    }
    tasks.close_follow_up(
        FIRE,
        task_id,
        numbers["fire"],
        "已清理疏散通道并更换灭火器，复查合格",
        at=at("2023-12-05", "10:00"),
    )
    tasks.close_follow_up(
        EDUCATION,
        task_id,
        numbers["education"],
        "已辞退无证人员并补充持证教师，复查合格",
        at=at("2023-12-12", "10:00"),
    )
    tasks.transfer_follow_up(
        POLICE,
        task_id,
        numbers["police"],
        "迁安市市场监管局",
        "涉及无照经营线索，抄告市场监管部门",
        at=at("2023-12-14", "10:00"),
        measure=FollowUpMeasure.NOTIFY.value,
    )
    tasks.close_task(EDUCATION, task_id, at=at("2023-12-20", "17:00"))


def _timeline(service: Service, say: Callable[[str], None]) -> None:
    say("时间线（事件日志顺序）")
    for logged in read_log(service.tasks):
        e = logged.event
        say(f"  {when(e.at)}  {render.describe_event(e)}")


def _views(service: Service, task_id: UUID, say: Callable[[str], None]) -> None:
    task = service.tasks.task(OFFICE, task_id)
    say("\n随机抽取结果（任何人可按 DRAW-SPEC.md 复算）")
    drawn = cast(Task.TargetsDrawn, task.target_draw)
    say(
        f"  承诺值 {drawn.commitment}\n  密钥   {drawn.secret}\n  信标   {drawn.beacon}\n  种子   {drawn.seed}"
    )
    for grade, stratum in drawn.strata.items():
        say(f"  {grade} 类：总体 {stratum['N']}，比例不低于 {stratum['r']}，抽取 {stratum['k']}")
    matching = cast(Task.GroupsMatched, task.matching)
    say("\n联合检查组与一企一表")
    for group in matching.joint_groups():
        members = "；".join(f"{dept(d)} {'、'.join(ids)}" for d, ids in group.inspectors.items())
        say(f"  第 {group.number + 1} 组：{members}")
    for sheet in matching.record_sheets():
        say(f"  {sheet.target} {sheet.name} → 第 {sheet.group + 1} 组")
    for recusal in matching.recusals():
        say(f"  回避：{recusal.inspector} 不检查 {recusal.target}")
    queries = service.queries
    say("\n双随机办收到的逾期上报")
    for escalation in queries.escalations(OFFICE, 1000).items:
        say(render.escalation_line(escalation))
    say("\n公示（国家企业信用信息公示系统结果类别）")
    for entry in queries.register(PUBLIC, limit=1000).items:
        say("  " + render.register_entry(entry))
    say("\n随机抽查后续处置工作台账")
    for row in queries.ledger(OFFICE, 1000).items:
        say("  " + render.ledger_row(row))
