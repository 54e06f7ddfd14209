"""`ssj plan …` and `ssj task …`: every step of a task, each as the department that takes it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar
from uuid import UUID

import typer

from adapters.cli.context import (
    AtOption,
    DeptOption,
    InspectorOption,
    RoleOption,
    TaskArg,
    cli,
    run,
)
from adapters.cli.words import dept, parse_at, parse_date
from domain.values import FollowUpMeasure

if TYPE_CHECKING:
    from adapters.plan_file import PlanFile

T = TypeVar("T")

plan_app = typer.Typer(rich_markup_mode=None, help="抽查工作计划", no_args_is_help=True)
task_app = typer.Typer(rich_markup_mode=None, help="抽查任务的每一步", no_args_is_help=True)


def _task(reference: str) -> UUID:
    return run(lambda: cli.task_id(reference), settle=False)


# ---------------------------------------------------------------------------- plans
@plan_app.command("create")
def plan_create(
    file: Annotated[Path, typer.Argument(help="计划文件（TOML）")], at: AtOption = None
) -> None:
    """按计划文件登记抽查工作计划及其任务（以计划的发起部门身份）。"""
    from adapters.plan_file import read_plan

    register_plan_file(run(lambda: read_plan(file, cli.service.item_catalogues), settle=False), at)


def register_plan_file(plan: PlanFile, at: str | None) -> None:
    """Register a plan read from a file (TOML or a workbook) as its lead, and list its tasks."""
    summary = run(
        lambda: cli.service.tasks.register_plan(
            cli.actor(plan.department),
            plan.year,
            plan.title,
            plan.definitions,
            at=parse_at(at),
            document=plan.document,
        )
    )
    typer.echo(f"已登记计划「{plan.title}」（{summary.plan_id}）")
    for task_id, definition in zip(summary.task_ids, plan.definitions, strict=True):
        typer.echo(f"  任务 {task_id}  {definition.name}")


@plan_app.command("import")
def plan_import(
    file: Annotated[Path, typer.Argument(help="计划工作簿（.xlsx）")],
    directory: Annotated[str, typer.Option(help="任务从中抽取对象的名录库名称")],
    department: Annotated[
        str | None, typer.Option("--dept", help="登记计划的部门（默认为各任务的发起部门）")
    ] = None,
    dept_name: Annotated[
        list[str],
        typer.Option("--dept-name", help="部门名称=部门代码，如 城区教科局=education，可多次"),
    ] = [],  # noqa: B006
    year: Annotated[int | None, typer.Option(help="计划年度（默认取标题中的“2024年度”）")] = None,
    title: Annotated[str | None, typer.Option(help="计划名称（默认取表格标题）")] = None,
    document: Annotated[str, typer.Option(help="印发计划的文号，如 城教函字〔2024〕4号")] = "",
    check: Annotated[bool, typer.Option("--check", help="只校验并显示，不登记")] = False,
    at: AtOption = None,
) -> None:
    """按 Excel 工作簿登记抽查工作计划，表格如各部门印发的计划附件。

    \b
    每个表头含 抽查任务名称、抽查事项、抽查对象范围、抽查比例及频次、抽查起止时间 的工作表是一张
    计划表：有“配合部门”列的是部门联合计划（发起部门牵头），否则是内部计划（抽查检查主体，无则
    发起主体/指导单位）。表头上方可有标题，如 晋城市城区教科局2024年度部门联合双随机抽查工作计划，
    年度取自标题；多张表合为一份计划。
    \b
    抽查比例及频次：不低于10%; 1次/年、不低于 3%、100%（全部抽查），或分别写 低风险3%、一般风险5%、
    较高风险8%、高风险10%。抽查类型：定向（比例 100% 或留空）/ 不定向。抽查起止时间：3月-11月
    （3月1日至11月30日）或 3月1日-11月30日。抽查事项：1. … 2. …，编号为 J序号-事项号（联合）、
    N序号-事项号（内部）；未注明部门的事项由各部门共同检查，末尾注明（城区市场监管局）的归该部门。
    抽查对象范围：与名录库的类别、标签对照（如 全区营利性民办幼儿园 → 类别 民办幼儿园、标签 营利性）；
    对照不上时可加「对象范围」工作表（抽查对象范围、类别、区域、标签）写明。信用风险分类管理等原文
    记入任务备注。
    \b
    部门名称（城区教科局、城区市场监管局）对照部门代码，依次按：--dept-name 名称=代码；工作簿的
    「部门」工作表（部门名称、部门代码两列）；ssj 已知的名称（教育局、公安局、消防救援大队、
    市场监管局…，含于单元格中即可，如 晋城市城区教科局 含 教科局）。
    \b
    任何单元格有错误时，逐行逐列列出全部错误，不登记任何任务。
    """
    from adapters.cli.plan_import import import_plan

    import_plan(file, directory, department, dept_name, year, title, document, check, at)


# ---------------------------------------------------------------------------- commit and draw
@task_app.command("commit")
def task_commit(
    task: TaskArg,
    department: DeptOption,
    beacon_source: Annotated[str, typer.Option(help="信标来源，例如：见证人现场报数")] = "",
    secret: Annotated[
        str | None, typer.Option(help="64 位十六进制密钥；默认用密码学随机数生成")
    ] = None,
    at: AtOption = None,
) -> None:
    """固定抽取总体并提交随机种子承诺 H(secret)；密钥保存在本机，抽取时公开。"""
    import secrets

    from adapters.cli.secrets_file import SecretStore

    task_id = _task(task)
    key = secret or secrets.token_hex(32)
    summary = run(
        lambda: cli.service.tasks.commit_seed(
            cli.actor(department, task_id=task_id), task_id, key, beacon_source, at=parse_at(at)
        )
    )
    store = SecretStore.beside(cli.settings.db)
    store.keep(task_id, key)
    typer.echo(f"承诺值 {summary.commitment}")
    typer.echo(
        f"总体 {sum(summary.strata.values())} 个对象："
        + "，".join(f"{g} 类 {n}" for g, n in summary.strata.items())
    )
    typer.echo(f"密钥已保存于 {store.path}（抽取时公开，此前请勿泄露）")


@task_app.command("draw")
def task_draw(
    task: TaskArg,
    department: DeptOption,
    beacon: Annotated[str, typer.Option(help="承诺之后才公布的公开值（可为空）")] = "",
    secret: Annotated[str | None, typer.Option(help="承诺时的密钥；默认取本机保存的")] = None,
    at: AtOption = None,
) -> None:
    """公开密钥与信标，按 ssj-draw-v1 抽取检查对象。"""
    from adapters.cli.secrets_file import SecretStore

    task_id = _task(task)
    key = secret or SecretStore.beside(cli.settings.db).get(task_id)
    if key is None:
        typer.echo("错误：secret: 未找到本机保存的密钥，请用 --secret 提供承诺时的密钥", err=True)
        raise typer.Exit(2)
    summary = run(
        lambda: cli.service.tasks.draw_targets(
            cli.actor(department, task_id=task_id), task_id, key, beacon, at=parse_at(at)
        )
    )
    typer.echo(f"种子 {summary.seed}")
    for s in summary.strata:
        typer.echo(f"  {s.grade} 类：N={s.size} r={s.ratio} k={s.count}")
    typer.echo("抽中：" + "、".join(summary.drawn))


# ---------------------------------------------------------------------------- coordination
@task_app.command("confirm")
def task_confirm(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    """配合部门确认派发任务。"""
    task_id = _task(task)
    actor = run(lambda: cli.actor(department, task_id=task_id), settle=False)
    run(lambda: cli.service.tasks.confirm(actor, task_id, at=parse_at(at)))
    typer.echo(f"{dept(actor.speaks_for)} 已确认")


@task_app.command("decline")
def task_decline(
    task: TaskArg,
    department: DeptOption,
    reason: Annotated[str, typer.Option(help="拒绝理由")],
    at: AtOption = None,
) -> None:
    """配合部门拒绝派发任务（须说明理由）。"""
    task_id = _task(task)
    run(
        lambda: cli.service.tasks.decline(
            cli.actor(department, task_id=task_id), task_id, reason, at=parse_at(at)
        )
    )
    typer.echo("已拒绝")


@task_app.command("draw-inspectors")
def task_draw_inspectors(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    """部门从本部门名录库随机抽取执法检查人员。"""
    task_id = _task(task)
    groups = run(
        lambda: cli.service.tasks.draw_inspectors(
            cli.actor(department, task_id=task_id), task_id, at=parse_at(at)
        )
    )
    for g, members in enumerate(groups, start=1):
        typer.echo(f"第 {g} 组：{'、'.join(members)}")


@task_app.command("match")
def task_match(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    """随机匹配检查组，生成一企一表（回避者不匹配）。"""
    task_id = _task(task)
    matches = run(
        lambda: cli.service.tasks.match_groups(
            cli.actor(department, task_id=task_id), task_id, at=parse_at(at)
        )
    )
    for target, g in matches.items():
        typer.echo(f"{target} → 第 {g + 1} 组")


@task_app.command("file-grouping")
def task_file_grouping(
    task: TaskArg,
    department: DeptOption,
    vehicle: Annotated[list[str], typer.Option(help="组号=车辆安排，可多次")] = [],  # noqa: B006
    at: AtOption = None,
) -> None:
    """报备人员分组及车辆安排情况。"""
    task_id = _task(task)
    vehicles = dict(v.split("=", 1) for v in vehicle if "=" in v)
    run(
        lambda: cli.service.tasks.file_grouping(
            cli.actor(department, task_id=task_id), task_id, vehicles, at=parse_at(at)
        )
    )
    typer.echo("已报备")


# ---------------------------------------------------------------------------- fieldwork
@task_app.command("notice")
def task_notice(
    task: TaskArg,
    target: str,
    department: DeptOption,
    recipient: Annotated[str, typer.Option(help="受送达人")],
    method: Annotated[str, typer.Option(help="letter 或 phone")] = "letter",
    at: AtOption = None,
) -> None:
    """送达告知书（letter 书面 / phone 电话）。"""
    task_id = _task(task)
    run(
        lambda: cli.service.tasks.serve_notice(
            cli.actor(department, task_id=task_id),
            task_id,
            target,
            method,
            recipient,
            at=parse_at(at),
        )
    )
    typer.echo("已登记送达")


@task_app.command("visit")
def task_visit(
    task: TaskArg,
    target: str,
    department: DeptOption,
    refused: Annotated[bool, typer.Option("--refused", help="拒绝签字")] = False,
    note: str = "",
    at: AtOption = None,
    on_site_reason: Annotated[
        str,
        typer.Option("--on-site-reason", help="实地检查的理由（本任务有事项可非现场检查时必填）"),
    ] = "",
) -> None:
    """登记实地检查；被检查对象拒绝签字时用 --refused 并如实记录。"""
    task_id = _task(task)
    run(
        lambda: cli.service.tasks.record_visit(
            cli.actor(department, task_id=task_id),
            task_id,
            target,
            not refused,
            note,
            at=parse_at(at),
            on_site_reason=on_site_reason,
        )
    )
    typer.echo("已登记实地检查")


@task_app.command("result")
def task_result(
    task: TaskArg,
    target: str,
    department: DeptOption,
    category: Annotated[str, typer.Option(help="结果类别，如 未发现问题 / 发现问题已责令改正")],
    finding: Annotated[list[str], typer.Option(help="事项编号=检查情况，可多次")] = [],  # noqa: B006
    correct: Annotated[str | None, typer.Option(help="更正理由：更正已录入的结果")] = None,
    role: RoleOption = None,
    inspector: InspectorOption = None,
    at: AtOption = None,
) -> None:
    """录入本部门检查结果（公示系统结果类别）。"""
    from adapters.cli.words import parse_findings

    task_id = _task(task)
    found = run(lambda: parse_findings(finding), settle=False)

    def record() -> None:
        tasks, actor = cli.service.tasks, cli.actor(department, role, task_id, inspector)
        if correct is None:
            tasks.record_result(actor, task_id, target, category, found, at=parse_at(at))
        else:
            tasks.correct_result(actor, task_id, target, category, found, correct, at=parse_at(at))

    run(record)
    typer.echo("已录入")


# ---------------------------------------------------------------------------- publish, follow up, close
@task_app.command("publish")
def task_publish(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    """公示全部检查结果。"""
    task_id = _task(task)
    run(
        lambda: cli.service.tasks.publish(
            cli.actor(department, task_id=task_id), task_id, at=parse_at(at)
        )
    )
    typer.echo("已公示")


@task_app.command("follow-up")
def task_follow_up(
    task: TaskArg,
    action: Annotated[str, typer.Argument(help="open、transfer 或 close")],
    department: DeptOption,
    target: str | None = None,
    problem: str | None = None,
    due: Annotated[str | None, typer.Option(help="整改期限 YYYY-MM-DD")] = None,
    number: int | None = None,
    to: Annotated[str | None, typer.Option(help="移送至")] = None,
    reason: str | None = None,
    outcome: str | None = None,
    measure: Annotated[
        str | None,
        typer.Option(
            help="处置措施：open 时为责令改正（默认）、行政处罚、约谈、列入经营异常名录、"
            "列入严重违法失信名单；transfer 时为移送（默认）、抄告、反馈日常监管部门；"
            "close 时可注明另行采取的措施（如行政处罚）"
        ),
    ] = None,
    at: AtOption = None,
) -> None:
    """后续处置：open 责令改正等 / transfer 移送、抄告 / close 办结（由发现问题的部门办理）。"""
    task_id = _task(task)

    def act() -> str:
        tasks, actor = cli.service.tasks, cli.actor(department, task_id=task_id)
        if action == "open":
            n = tasks.open_follow_up(
                actor,
                task_id,
                _need(target, "--target"),
                _need(problem, "--problem"),
                parse_date(_need(due, "--due"), "--due"),
                at=parse_at(at),
                measure=measure or FollowUpMeasure.ORDER_RECTIFICATION.value,
            )
            return f"已开启后续处置 #{n}"
        if action == "transfer":
            tasks.transfer_follow_up(
                actor,
                task_id,
                int(_need(number, "--number")),
                _need(to, "--to"),
                _need(reason, "--reason"),
                at=parse_at(at),
                measure=measure or FollowUpMeasure.TRANSFER.value,
            )
            return f"已{FollowUpMeasure.parse(measure or '移送').value}"
        if action == "close":
            tasks.close_follow_up(
                actor,
                task_id,
                int(_need(number, "--number")),
                _need(outcome, "--outcome"),
                at=parse_at(at),
                measure=measure,
            )
            return "已办结"
        raise ValueError(f"action: 应为 open、transfer 或 close（收到“{action}”）")

    typer.echo(run(act))


def _need(value: T | None, option: str) -> T:
    if value is None:
        raise ValueError(f"{option}: 此操作必须提供")
    return value


@task_app.command("close")
def task_close(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    """结案。"""
    task_id = _task(task)
    run(
        lambda: cli.service.tasks.close_task(
            cli.actor(department, task_id=task_id), task_id, at=parse_at(at)
        )
    )
    typer.echo("已结案")
