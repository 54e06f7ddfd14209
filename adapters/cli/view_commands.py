"""What the CLI shows of the read models: task lists, a task's page, inboxes, the register, the
ledger, the statistics, and the deadline watch. Each answers from the read models in the store,
a page at a time; nothing here replays the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from adapters.cli.context import (
    AfterOption,
    AtOption,
    DeptOption,
    InspectorOption,
    LimitOption,
    ReaderDeptOption,
    RoleOption,
    TaskArg,
    cli,
    echo_page_end,
    run,
)
from adapters.cli.words import department_code, parse_at

if TYPE_CHECKING:
    from services.read_models import Page

T = TypeVar("T")


def fresh() -> None:
    """Fold what was logged since the read models' position (nothing, when every write settled)."""
    run(lambda: cli.service.read_models.catch_up(), settle=False)


def show_page(query: Callable[[], Page[T]], line: Callable[[T], str]) -> None:
    """One page of a list, each item a line, then where the next page starts."""
    fresh()
    page = run(query, settle=False)
    for item in page.items:
        typer.echo(line(item))
    echo_page_end(page.next)


def task_list(
    department: ReaderDeptOption = None,
    role: RoleOption = None,
    inspector: InspectorOption = None,
    limit: LimitOption = 50,
    after: AfterOption = None,
) -> None:
    """列出任务（按计划先后，分页）；--dept 只看本部门的。"""
    show_page(
        lambda: cli.service.queries.tasks(
            cli.reader(department, role, inspector=inspector), limit, after
        ),
        lambda view: f"{view.task_id}  {view.stage:<10}  {view.name}",
    )


def task_show(
    task: TaskArg,
    department: ReaderDeptOption = None,
    role: RoleOption = None,
    inspector: InspectorOption = None,
) -> None:
    """显示任务当前状态、等待事项及时间线（读模型与事件日志，不重放）。"""
    from adapters.cli import render

    fresh()
    service = run(lambda: cli.service, settle=False)
    task_id = run(lambda: service.queries.resolve(task), settle=False)
    actor = run(lambda: cli.reader(department, role, task_id, inspector), settle=False)
    view = run(lambda: service.queries.task(actor, task_id), settle=False)
    history = run(lambda: service.queries.history(actor, task_id), settle=False)
    typer.echo(render.task_view_summary(view, len(history)))
    for line in render.waiting_lines(view):
        typer.echo(line)
    for fault in run(lambda: service.queries.task_faults(actor, task_id), settle=False):
        typer.echo(render.fault_line(fault))
    for entry in history:
        typer.echo(render.history_line(entry))


def inbox(
    department: DeptOption,
    role: RoleOption = None,
    limit: LimitOption = 50,
    after: AfterOption = None,
) -> None:
    """部门待办：本部门未结案的任务、期限及尚欠事项（分页）。"""
    from adapters.cli import render

    code = department_code(department)
    show_page(
        lambda: cli.service.queries.inbox(cli.reader(code, role or "lead"), code, limit, after),
        render.inbox_item,
    )


def register(
    target: Annotated[str | None, typer.Option(help="只看该对象（统一社会信用代码）")] = None,
    limit: LimitOption = 50,
    after: AfterOption = None,
) -> None:
    """公示结果（国家企业信用信息公示系统结果类别），任何人可查看。"""
    from adapters.cli import render
    from services.actors import Actor

    show_page(
        lambda: cli.service.queries.register(Actor.public(), target, limit, after),
        render.register_entry,
    )


def ledger(
    department: ReaderDeptOption = None,
    role: RoleOption = None,
    inspector: InspectorOption = None,
    limit: LimitOption = 50,
    after: AfterOption = None,
) -> None:
    """随机抽查后续处置工作台账；--dept 只看本部门的。"""
    from adapters.cli import render

    show_page(
        lambda: cli.service.queries.ledger(
            cli.reader(department, role, inspector=inspector), limit, after
        ),
        render.ledger_row,
    )


def statistics(
    year: Annotated[int | None, typer.Option(help="只看该年度")] = None,
    department: ReaderDeptOption = None,
    role: RoleOption = None,
    inspector: InspectorOption = None,
) -> None:
    """计划统计：各部门每月任务数、抽取对象数、完成数、逾期数（避免某月工作量陡增）。"""
    from adapters.cli import render

    fresh()
    actor = run(lambda: cli.reader(department, role, inspector=inspector), settle=False)
    rows = run(lambda: cli.service.queries.statistics(actor, year), settle=False)
    typer.echo("部门          月份     任务  抽取对象  完成  逾期")
    for row in rows:
        typer.echo(render.workload_row(row))


def deadlines(at: AtOption = None, limit: LimitOption = 50, after: AfterOption = None) -> None:
    """检查期限（以双随机办身份）：为逾期的确认和结果录入追加逾期事件，列出上报双随机办的事项。"""
    from adapters.cli import render
    from services.actors import Actor

    fresh()
    office = Actor.office()
    found = run(lambda: cli.service.deadlines.check(parse_at(at), office))
    typer.echo(f"追加逾期事件 {sum(o.appended for o in found)} 条")
    page = run(lambda: cli.service.queries.escalations(office, limit, after), settle=False)
    for escalation in page.items:
        typer.echo(render.escalation_line(escalation))
    echo_page_end(page.next)
    for fault in run(lambda: cli.service.queries.faults(office, 1000, None), settle=False).items:
        typer.echo(render.fault_line(fault))


def register_views(app: typer.Typer, task_app: typer.Typer) -> None:
    task_app.command("list")(task_list)
    task_app.command("show")(task_show)
    for command in (inbox, register, ledger, statistics, deadlines):
        app.command()(command)
