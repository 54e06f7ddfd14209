"""`ssj`: run 双随机、一公开 inspections from the command line, on the event store (embedded
SQLite, or PostgreSQL), and over the NATS bus (`ssj bus`, `ssj dept`, `ssj worker`: cli/bus.py)."""

from __future__ import annotations

import atexit
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

import typer

from adapters.bootstrap import Service, bootstrap
from adapters.calendar import china_work_calendar
from adapters.cli import audit, render
from adapters.cli.bus import bus_app, dept_app, office_app, parse_findings, worker
from adapters.cli.secrets_file import SecretStore
from adapters.cli.views import Views
from adapters.cli.words import department_code, dept, parse_at, parse_date
from adapters.importing import ImportFileError, read_inspectors, read_targets
from adapters.plan_file import PlanFileError, read_plan
from adapters.postgres.schema import SCHEMA_VERSION, migrate
from adapters.postgres.urls import DatabaseSettingError
from adapters.settings import Settings
from domain.directories import TargetDirectory
from domain.errors import DomainError
from services.errors import ServiceError

T = TypeVar("T")

app = typer.Typer(
    help="双随机、一公开 跨部门联合抽查（事件溯源）", no_args_is_help=True, add_completion=False
)
directory_app = typer.Typer(help="名录库：检查对象与执法检查人员", no_args_is_help=True)
plan_app = typer.Typer(help="抽查工作计划", no_args_is_help=True)
task_app = typer.Typer(help="抽查任务的每一步", no_args_is_help=True)
audit_app = typer.Typer(help="审计：回放、导出、核验", no_args_is_help=True)
app.add_typer(directory_app, name="directory")
app.add_typer(plan_app, name="plan")
app.add_typer(task_app, name="task")
app.add_typer(audit_app, name="audit")
app.add_typer(bus_app, name="bus")
app.add_typer(dept_app, name="dept")
app.add_typer(office_app, name="office")
app.command("worker")(worker)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite 事件库文件（默认在用户数据目录）")
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="发生时间，ISO 格式，无时区按北京时间；默认现在")
]
DeptOption = Annotated[str, typer.Option("--dept", help="部门代码或名称，如 fire / 消防救援大队")]
TaskArg = Annotated[str, typer.Argument(help="任务编号（完整 UUID 或其唯一前缀）")]


class Cli:
    """Holds the one service of this invocation, built on first use."""

    def __init__(self) -> None:
        self.db: Path | None = None
        self._service: Service | None = None

    @property
    def settings(self) -> Settings:
        settings = Settings()
        return settings.model_copy(update={"db": self.db}) if self.db else settings

    @property
    def service(self) -> Service:
        if self._service is None:
            settings = self.settings
            try:
                self._service = bootstrap(
                    settings.db,
                    china_work_calendar(settings.calendar_dir),
                    database_url=settings.database_url,
                    schema=settings.database_schema,
                )
            except DatabaseSettingError as error:
                typer.echo(f"错误：{error}", err=True)
                raise typer.Exit(2) from None
        return self._service

    @property
    def views(self) -> Views:
        settings = self.settings
        return Views(self.service, settings.database_url, settings.database_schema)

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None

    def task_id(self, reference: str) -> UUID:
        """A task by its id or a unique prefix of it, as staff copy it from `ssj task list`."""
        ids = [str(t) for t in self.service.index.tasks]
        found = [t for t in ids if t.startswith(reference.lower())]
        if len(found) != 1:
            why = "没有这个任务" if not found else f"前缀不唯一（{len(found)} 个任务）"
            raise ServiceError(f"task: {reference} {why}")
        return UUID(found[0])


cli = Cli()
atexit.register(cli.close)


def run(command: Callable[[], T]) -> T:
    """Every command: one clear line on a refusal, exit status 2, and nothing written."""
    try:
        result = command()
    except (
        DomainError,
        ServiceError,
        ImportFileError,
        PlanFileError,
        DatabaseSettingError,
        ValueError,
    ) as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None
    if cli._service is not None:
        cli._service.settle()
    return result


@app.callback()
def main_options(db: DbOption = None) -> None:
    cli.close()  # each invocation opens its own --db, never the one of an earlier call
    cli.db = db


# ---------------------------------------------------------------------------- demo
@app.command()
def demo(
    db: DbOption = None,
    secret: Annotated[
        str | None, typer.Option(help="演示用密钥（64 位十六进制）；默认随机生成")
    ] = None,
) -> None:
    """演示：迁安市 2023 年校外培训机构跨部门联合抽查，全程无需服务器。"""
    from adapters.cli.demo import run_demo

    database_url = None if db or cli.db else cli.settings.database_url
    ok = run(lambda: run_demo(db or cli.db, secret, database_url))
    raise typer.Exit(0 if ok else 1)


# ---------------------------------------------------------------------------- directories
@directory_app.command("open")
def directory_open(
    name: Annotated[str, typer.Argument(help="名录库名称")],
    owner: Annotated[str, typer.Option(help="维护部门代码")],
    at: AtOption = None,
) -> None:
    """新建检查对象名录库。"""
    run(
        lambda: cli.service.directories.open_target_directory(
            name, department_code(owner), parse_at(at)
        )
    )
    typer.echo(f"已新建名录库「{name}」")


@directory_app.command("import-targets")
def import_targets(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    directory: Annotated[str, typer.Option(help="名录库名称")],
    good_rows: Annotated[
        bool, typer.Option("--good-rows", help="文件有错误时仍导入正确的行")
    ] = False,
    at: AtOption = None,
) -> None:
    """导入检查对象；有错误的文件整体不导入，除非 --good-rows。"""
    report = run(lambda: read_targets(file))
    _import(
        report,
        good_rows,
        lambda: cli.service.directories.register_targets(
            TargetDirectory.id_for(directory), report.good, parse_at(at)
        ),
    )


@directory_app.command("import-inspectors")
def import_inspectors(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    department: DeptOption,
    good_rows: Annotated[
        bool, typer.Option("--good-rows", help="文件有错误时仍导入正确的行")
    ] = False,
    at: AtOption = None,
) -> None:
    """导入本部门执法检查人员；名录库不存在时自动新建。"""
    code = department_code(department)
    report = run(lambda: read_inspectors(file, code))

    def register() -> int:
        directories = cli.service.directories
        try:
            directories.inspector_directory(code)
        except ServiceError:
            directories.open_inspector_directory(code, parse_at(at))
        return directories.register_inspectors(code, report.good, parse_at(at))

    _import(report, good_rows, register)


def _import(report: Any, good_rows: bool, register: Callable[[], int]) -> None:
    if not report.ok:
        typer.echo(report.render(), err=True)
        if not good_rows:
            typer.echo(
                "文件有错误，未导入任何行（修正后重新导入，或加 --good-rows 只导入正确的行）",
                err=True,
            )
            raise typer.Exit(2)
    count = run(register)
    typer.echo(f"已导入 {count} 行")


@directory_app.command("leave")
def inspector_leave(
    inspector: str, department: DeptOption, back: bool = False, at: AtOption = None
) -> None:
    """登记执法检查人员请假（--back 销假）。"""
    directories = cli.service.directories
    code = department_code(department)
    if back:
        run(lambda: directories.end_leave(code, inspector, parse_at(at)))
    else:
        run(lambda: directories.take_leave(code, inspector, parse_at(at)))
    typer.echo("已登记")


@directory_app.command("conflict")
def inspector_conflict(
    inspector: str,
    target: Annotated[str, typer.Argument(help="须回避对象的统一社会信用代码")],
    department: DeptOption,
    reason: Annotated[str, typer.Option(help="回避事由")],
    at: AtOption = None,
) -> None:
    """登记回避：该人员不得检查该对象。"""
    code = department_code(department)
    run(
        lambda: cli.service.directories.declare_conflict(
            code, inspector, target, reason, parse_at(at)
        )
    )
    typer.echo("已登记回避")


# ---------------------------------------------------------------------------- plans
@plan_app.command("create")
def plan_create(
    file: Annotated[Path, typer.Argument(help="计划文件（TOML）")], at: AtOption = None
) -> None:
    """按计划文件登记抽查工作计划及其任务。"""
    plan = run(lambda: read_plan(file))
    summary = run(
        lambda: cli.service.tasks.register_plan(
            plan.department, plan.year, plan.title, plan.definitions, parse_at(at), plan.document
        )
    )
    typer.echo(f"已登记计划「{plan.title}」（{summary.plan_id}）")
    for task_id, definition in zip(summary.task_ids, plan.definitions, strict=True):
        typer.echo(f"  任务 {task_id}  {definition.name}")


# ---------------------------------------------------------------------------- tasks
@task_app.command("list")
def task_list() -> None:
    """列出全部任务。"""
    for view in cli.service.index.tasks.values():
        typer.echo(f"{view.task_id}  {view.stage:<10}  {view.name}")


@task_app.command("show")
def task_show(task: TaskArg) -> None:
    """显示任务当前状态及时间线。"""
    task_id = run(lambda: cli.task_id(task))
    typer.echo(render.task_summary(cli.service.tasks.task(task_id)))
    for entry in cli.service.auditor.history(task_id):
        typer.echo(render.history_line(entry))


@task_app.command("commit")
def task_commit(
    task: TaskArg,
    beacon_source: Annotated[str, typer.Option(help="信标来源，例如：见证人现场报数")] = "",
    secret: Annotated[
        str | None, typer.Option(help="64 位十六进制密钥；默认用密码学随机数生成")
    ] = None,
    at: AtOption = None,
) -> None:
    """固定抽取总体并提交随机种子承诺 H(secret)；密钥保存在本机，抽取时公开。"""
    task_id = run(lambda: cli.task_id(task))
    key = secret or secrets.token_hex(32)
    summary = run(lambda: cli.service.tasks.commit_seed(task_id, key, beacon_source, parse_at(at)))
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
    beacon: Annotated[str, typer.Option(help="承诺之后才公布的公开值（可为空）")] = "",
    secret: Annotated[str | None, typer.Option(help="承诺时的密钥；默认取本机保存的")] = None,
    at: AtOption = None,
) -> None:
    """公开密钥与信标，按 ssj-draw-v1 抽取检查对象。"""
    task_id = run(lambda: cli.task_id(task))
    key = secret or SecretStore.beside(cli.settings.db).get(task_id)
    if key is None:
        typer.echo("错误：secret: 未找到本机保存的密钥，请用 --secret 提供承诺时的密钥", err=True)
        raise typer.Exit(2)
    summary = run(lambda: cli.service.tasks.draw_targets(task_id, key, beacon, parse_at(at)))
    typer.echo(f"种子 {summary.seed}")
    for s in summary.strata:
        typer.echo(f"  {s.grade} 类：N={s.size} r={s.ratio} k={s.count}")
    typer.echo("抽中：" + "、".join(summary.drawn))


def _task_command(
    name: str, help_text: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return task_app.command(name, help=help_text)


@_task_command("confirm", "配合部门确认派发任务。")
def task_confirm(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(lambda: cli.service.tasks.confirm(task_id, department_code(department), parse_at(at)))
    typer.echo(f"{dept(department_code(department))} 已确认")


@_task_command("decline", "配合部门拒绝派发任务（须说明理由）。")
def task_decline(
    task: TaskArg,
    department: DeptOption,
    reason: Annotated[str, typer.Option()],
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(
        lambda: cli.service.tasks.decline(
            task_id, department_code(department), reason, parse_at(at)
        )
    )
    typer.echo("已拒绝")


@_task_command("draw-inspectors", "部门从本部门名录库随机抽取执法检查人员。")
def task_draw_inspectors(task: TaskArg, department: DeptOption, at: AtOption = None) -> None:
    task_id = run(lambda: cli.task_id(task))
    groups = run(
        lambda: cli.service.tasks.draw_inspectors(
            task_id, department_code(department), parse_at(at)
        )
    )
    for g, members in enumerate(groups, start=1):
        typer.echo(f"第 {g} 组：{'、'.join(members)}")


@_task_command("match", "随机匹配检查组，生成一企一表（回避者不匹配）。")
def task_match(task: TaskArg, at: AtOption = None) -> None:
    task_id = run(lambda: cli.task_id(task))
    matches = run(lambda: cli.service.tasks.match_groups(task_id, parse_at(at)))
    for target, g in matches.items():
        typer.echo(f"{target} → 第 {g + 1} 组")


@_task_command("file-grouping", "报备人员分组及车辆安排情况。")
def task_file_grouping(
    task: TaskArg,
    department: DeptOption,
    vehicle: Annotated[list[str], typer.Option(help="组号=车辆安排，可多次")] = [],  # noqa: B006
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    vehicles = dict(v.split("=", 1) for v in vehicle if "=" in v)
    run(
        lambda: cli.service.tasks.file_grouping(
            task_id, department_code(department), vehicles, parse_at(at)
        )
    )
    typer.echo("已报备")


@_task_command("notice", "送达告知书（letter 书面 / phone 电话）。")
def task_notice(
    task: TaskArg,
    target: str,
    department: DeptOption,
    recipient: Annotated[str, typer.Option(help="受送达人")],
    method: Annotated[str, typer.Option(help="letter 或 phone")] = "letter",
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(
        lambda: cli.service.tasks.serve_notice(
            task_id, department_code(department), target, method, recipient, parse_at(at)
        )
    )
    typer.echo("已登记送达")


@_task_command("visit", "登记实地检查；被检查对象拒绝签字时用 --refused 并如实记录。")
def task_visit(
    task: TaskArg,
    target: str,
    refused: Annotated[bool, typer.Option("--refused", help="拒绝签字")] = False,
    note: str = "",
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(lambda: cli.service.tasks.record_visit(task_id, target, not refused, note, parse_at(at)))
    typer.echo("已登记实地检查")


@_task_command("result", "录入本部门检查结果（公示系统结果类别）。")
def task_result(
    task: TaskArg,
    target: str,
    department: DeptOption,
    category: Annotated[str, typer.Option(help="结果类别，如 未发现问题 / 发现问题已责令改正")],
    finding: Annotated[list[str], typer.Option(help="事项编号=检查情况，可多次")] = [],  # noqa: B006
    correct: Annotated[str | None, typer.Option(help="更正理由：更正已录入的结果")] = None,
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    code = department_code(department)
    found = run(lambda: parse_findings(finding))
    tasks = cli.service.tasks
    if correct is None:
        run(lambda: tasks.record_result(task_id, code, target, category, found, parse_at(at)))
    else:
        run(
            lambda: tasks.correct_result(
                task_id, code, target, category, found, correct, parse_at(at)
            )
        )
    typer.echo("已录入")


@_task_command("publish", "公示全部检查结果。")
def task_publish(task: TaskArg, at: AtOption = None) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(lambda: cli.service.tasks.publish(task_id, parse_at(at)))
    typer.echo("已公示")


@_task_command("follow-up", "后续处置：open 责令整改 / transfer 移送 / close 办结。")
def task_follow_up(
    task: TaskArg,
    action: Annotated[str, typer.Argument(help="open、transfer 或 close")],
    department: Annotated[str | None, typer.Option("--dept")] = None,
    target: str | None = None,
    problem: str | None = None,
    due: Annotated[str | None, typer.Option(help="整改期限 YYYY-MM-DD")] = None,
    number: int | None = None,
    to: Annotated[str | None, typer.Option(help="移送至")] = None,
    reason: str | None = None,
    outcome: str | None = None,
    at: AtOption = None,
) -> None:
    task_id = run(lambda: cli.task_id(task))
    tasks = cli.service.tasks

    def act() -> str:
        if action == "open":
            n = tasks.open_follow_up(
                task_id,
                department_code(_need(department, "--dept")),
                _need(target, "--target"),
                _need(problem, "--problem"),
                parse_date(_need(due, "--due"), "--due"),
                parse_at(at),
            )
            return f"已开启后续处置 #{n}"
        if action == "transfer":
            tasks.transfer_follow_up(
                task_id,
                int(_need(number, "--number")),
                _need(to, "--to"),
                _need(reason, "--reason"),
                parse_at(at),
            )
            return "已移送"
        if action == "close":
            tasks.close_follow_up(
                task_id, int(_need(number, "--number")), _need(outcome, "--outcome"), parse_at(at)
            )
            return "已办结"
        raise ValueError(f"action: 应为 open、transfer 或 close（收到 {action!r}）")

    typer.echo(run(act))


def _need(value: T | None, option: str) -> T:
    if value is None:
        raise ValueError(f"{option}: 此操作必须提供")
    return value


@_task_command("close", "结案。")
def task_close(task: TaskArg, at: AtOption = None) -> None:
    task_id = run(lambda: cli.task_id(task))
    run(lambda: cli.service.tasks.close_task(task_id, parse_at(at)))
    typer.echo("已结案")


# ---------------------------------------------------------------------------- views
@app.command()
def deadlines(at: AtOption = None) -> None:
    """检查期限：为逾期的确认和结果录入追加逾期事件并上报双随机办。"""
    found = run(lambda: cli.service.deadlines.check(parse_at(at)))
    typer.echo(f"追加逾期事件 {sum(o.appended for o in found)} 条")
    for escalation in run(lambda: cli.views.escalations()):
        typer.echo(render.escalation_line(escalation))


@app.command()
def inbox(department: DeptOption) -> None:
    """部门待办：本部门的任务、期限及尚欠事项。"""
    for item in run(lambda: cli.views.inbox(department_code(department))):
        typer.echo(render.inbox_item(item))


@app.command()
def register(target: Annotated[str | None, typer.Option(help="只看该对象")] = None) -> None:
    """公示结果（国家企业信用信息公示系统结果类别）。"""
    for entry in run(lambda: cli.views.register(target)):
        typer.echo(render.register_entry(entry))


@app.command()
def ledger() -> None:
    """随机抽查后续处置工作台账。"""
    for row in run(lambda: cli.views.ledger()):
        typer.echo(render.ledger_row(row))


@app.command()
def statistics(year: Annotated[int | None, typer.Option(help="只看该年度")] = None) -> None:
    """计划统计：各部门每月任务数、抽取对象数、完成数、逾期数（避免某月工作量陡增）。"""
    typer.echo("部门          月份     任务  抽取对象  完成  逾期")
    for row in run(lambda: cli.views.statistics(year)):
        typer.echo(render.workload_row(row))


# ---------------------------------------------------------------------------- audit
@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--checkpoint",
            help="库外公布的检查点：位置:链头（ssj audit checkpoint 输出的一行），"
            "或其 --out 写出的文件；可给多次",
        ),
    ] = None,
) -> None:
    """逐条读取事件日志，按 ssj-draw-v1 重算每一次抽取与匹配，在 PostgreSQL 上重算审计链并核对
    检查点；列出每一处损坏及其位置，有任何损坏时退出码为 1。"""
    raise typer.Exit(run(lambda: audit.verify(cli.settings, checkpoint or [])))


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="另将检查点写入该 JSON 文件，供 --checkpoint 读取")
    ] = None,
) -> None:
    """记录审计链当前链头，输出 位置:链头 一行，供双随机办在库外公布（仅 PostgreSQL）。"""
    run(lambda: audit.record_checkpoint(cli.settings, out))


# ---------------------------------------------------------------------------- database
db_app = typer.Typer(help="PostgreSQL 事件库", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("migrate")
def db_migrate(
    service_password: Annotated[
        str | None, typer.Option(help="新建服务角色时为其设置的口令")
    ] = None,
) -> None:
    """以库所有者身份（SSJ_ADMIN_DATABASE_URL）建立或升级表结构，并授予服务角色仅追加与读取的权限。"""
    settings = cli.settings
    if not settings.admin_database_url:
        typer.echo("错误：SSJ_ADMIN_DATABASE_URL: 迁移须以库所有者身份连接，请设置该地址", err=True)
        raise typer.Exit(2)
    run(
        lambda: migrate(
            settings.admin_database_url or "",
            settings.service_role,
            settings.database_schema,
            service_password,
        )
    )
    typer.echo(
        f"已迁移至第 {SCHEMA_VERSION} 版（事件、审计链、检查点、读模型、总线记录）；"
        f"服务角色 {settings.service_role} 仅可追加与读取事件"
    )


@audit_app.command("export")
def audit_export(
    out: Annotated[Path | None, typer.Option(help="输出文件；默认标准输出")] = None,
) -> None:
    """导出全部事件，每行一个 JSON 对象（位置、聚合、类型、时间、字段）。"""
    lines = (
        json.dumps(e, ensure_ascii=False, sort_keys=True) for e in cli.service.auditor.export()
    )
    if out is None:
        for line in lines:
            sys.stdout.write(line + "\n")
    else:
        with out.open("w", encoding="utf-8") as f:
            count = sum(1 for line in lines if f.write(line + "\n"))
        typer.echo(f"已导出 {count} 条事件至 {out}")


@audit_app.command("history")
def audit_history(
    task: TaskArg, as_of: Annotated[int | None, typer.Option(help="显示截至该版本的状态")] = None
) -> None:
    """回放任务的事件历史，或显示截至某一事件的状态。"""
    task_id = run(lambda: cli.task_id(task))
    auditor = cli.service.auditor
    for entry in auditor.history(task_id):
        if as_of is None or entry.version <= as_of:
            typer.echo(render.history_line(entry))
    if as_of is not None:
        typer.echo(render.task_summary(run(lambda: auditor.state_as_of(task_id, as_of))))


@db_app.command("rebuild-read-models")
def db_rebuild_read_models() -> None:
    """从事件日志重建全部读模型（待办、公示、台账、统计）。"""
    if not cli.settings.database_url:
        typer.echo("错误：SSJ_DATABASE_URL: 读模型重建只用于 PostgreSQL", err=True)
        raise typer.Exit(2)
    position = run(lambda: cli.views.rebuild())
    typer.echo(f"读模型已重建至位置 {position}")


def main() -> None:
    app()
