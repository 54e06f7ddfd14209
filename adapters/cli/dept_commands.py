"""`ssj dept …`: a department over the bus, as its own NATS user: it sends its commands and waits
for the service's receipt (done, or refused with the reason, exit status 1), and listens to what
it must see and do."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar
from uuid import UUID

import typer

from adapters.cli.bus import (
    COMMANDS,
    DEFAULT_TIMEOUT,
    AtOption,
    DeptOption,
    FindingOption,
    LimitOption,
    OnceOption,
    StateOption,
    TargetArg,
    TaskArg,
    TimeoutOption,
    WaitOption,
    follow,
    handled_ids,
    notice_lines,
    run_async,
)
from adapters.cli.context import cli
from adapters.cli.words import department_code, dept, parse_at, parse_date, parse_findings

if TYPE_CHECKING:
    from adapters.nats.client import DepartmentClient, FeedItem
    from adapters.nats.messages import Receipt

T = TypeVar("T")

dept_app = typer.Typer(
    rich_markup_mode=None,
    help="部门经消息总线收发：接收任务通知，发送确认、结果等命令并等待回执",
    no_args_is_help=True,
)


# ---------------------------------------------------------------------------- ssj dept
def with_department(department: str, act: Callable[[DepartmentClient], Awaitable[T]]) -> T:
    from adapters.nats.client import DepartmentClient
    from adapters.nats.connect import connect_with

    code = department_code(department)

    async def connected() -> T:
        nc = await connect_with(cli.settings, f"ssj dept {code}", code)
        try:
            return await act(DepartmentClient(nc, code))
        finally:
            await nc.close()

    return run_async(connected())


def task_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValueError(f"task: 任务编号应为完整 UUID（收到 {value!r}）") from None


def optional_at(value: str | None) -> datetime | None:
    return None if value is None else parse_at(value)


def answer_lines(receipt: Receipt) -> list[str]:
    label = COMMANDS.get(receipt.command, receipt.command)
    if receipt.status == "refused":
        reason = receipt.refusal.message if receipt.refusal else "（未说明理由）"
        return [f"被拒绝：{label}：{reason}"]
    lines = [f"已办理：{label}" + ("（此前已办理，未重复执行）" if receipt.duplicate else "")]
    answer = receipt.answer
    if receipt.command == "draw_inspectors" and isinstance(answer, list):
        lines += [f"第 {g} 组：{'、'.join(map(str, m))}" for g, m in enumerate(answer, start=1)]
    elif receipt.command == "open_follow_up" and isinstance(answer, int):
        lines.append(f"后续处置编号 #{answer}")
    elif answer is not None:
        lines.append(json.dumps(answer, ensure_ascii=False))
    return lines


def send(department: str, act: Callable[[DepartmentClient], Awaitable[Receipt]]) -> None:
    receipt = with_department(department, act)
    for line in answer_lines(receipt):
        typer.echo(line)
    if receipt.status == "refused":
        raise typer.Exit(1)


def _arguments(work: Callable[[], T]) -> T:
    """Input errors before anything is sent: the same clear line as every other refusal."""
    try:
        return work()
    except ValueError as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None


@dept_app.command("confirm")
def dept_confirm(
    task: TaskArg,
    department: DeptOption,
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """确认派发给本部门的任务。"""
    tid, when_ = _arguments(lambda: (task_id(task), optional_at(at)))
    send(department, lambda c: c.confirm(tid, when_, timeout=timeout))


@dept_app.command("decline")
def dept_decline(
    task: TaskArg,
    department: DeptOption,
    reason: Annotated[str, typer.Option("--reason", help="拒绝理由")],
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """拒绝派发给本部门的任务（须说明理由）。"""
    tid, when_ = _arguments(lambda: (task_id(task), optional_at(at)))
    send(department, lambda c: c.decline(tid, reason, when_, timeout=timeout))


@dept_app.command("draw-inspectors")
def dept_draw_inspectors(
    task: TaskArg,
    department: DeptOption,
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """从本部门名录库随机抽取执法检查人员。"""
    tid, when_ = _arguments(lambda: (task_id(task), optional_at(at)))
    send(department, lambda c: c.draw_inspectors(tid, when_, timeout=timeout))


@dept_app.command("visit")
def dept_visit(
    task: TaskArg,
    target: TargetArg,
    department: DeptOption,
    refused: Annotated[bool, typer.Option("--refused", help="被检查对象拒绝签字")] = False,
    note: Annotated[str, typer.Option("--note", help="情况说明")] = "",
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    on_site_reason: Annotated[
        str,
        typer.Option("--on-site-reason", help="实地检查的理由（本任务有事项可非现场检查时必填）"),
    ] = "",
) -> None:
    """登记实地检查；拒绝签字时用 --refused 并如实记录。"""
    tid, when_ = _arguments(lambda: (task_id(task), optional_at(at)))
    send(
        department,
        lambda c: c.record_visit(
            tid, target, not refused, note, when_, on_site_reason=on_site_reason, timeout=timeout
        ),
    )


@dept_app.command("result")
def dept_result(
    task: TaskArg,
    target: TargetArg,
    department: DeptOption,
    category: Annotated[str, typer.Option("--category", help="结果类别，如 未发现问题")],
    finding: FindingOption = None,
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """录入本部门检查结果（公示系统结果类别）。"""
    tid, when_, found = _arguments(
        lambda: (task_id(task), optional_at(at), parse_findings(finding))
    )
    send(
        department,
        lambda c: c.record_result(tid, target, category, found, when_, timeout=timeout),
    )


@dept_app.command("correct")
def dept_correct(
    task: TaskArg,
    target: TargetArg,
    department: DeptOption,
    category: Annotated[str, typer.Option("--category", help="更正后的结果类别")],
    reason: Annotated[str, typer.Option("--reason", help="更正理由")],
    finding: FindingOption = None,
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """更正本部门已录入的检查结果（须说明理由）。"""
    tid, when_, found = _arguments(
        lambda: (task_id(task), optional_at(at), parse_findings(finding))
    )
    send(
        department,
        lambda c: c.correct_result(tid, target, category, found, reason, when_, timeout=timeout),
    )


@dept_app.command("follow-up-open")
def dept_follow_up_open(
    task: TaskArg,
    target: TargetArg,
    department: DeptOption,
    problem: Annotated[str, typer.Option("--problem", help="发现的问题")],
    due: Annotated[str, typer.Option("--due", help="整改期限 YYYY-MM-DD")],
    measure: Annotated[
        str,
        typer.Option(
            "--measure",
            help="处置措施：责令改正（默认）、行政处罚、约谈、列入经营异常名录、列入严重违法失信名单",
        ),
    ] = "责令改正",
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """开启后续处置（责令改正等处置措施）。"""
    tid, when_, by = _arguments(lambda: (task_id(task), optional_at(at), parse_date(due, "--due")))
    send(
        department,
        lambda c: c.open_follow_up(
            tid, target, problem, by, when_, measure=measure, timeout=timeout
        ),
    )


@dept_app.command("follow-up-close")
def dept_follow_up_close(
    task: TaskArg,
    department: DeptOption,
    number: Annotated[int, typer.Option("--number", help="后续处置编号")],
    outcome: Annotated[str, typer.Option("--outcome", help="办结情况")],
    measure: Annotated[
        str | None, typer.Option("--measure", help="办结时另行采取的处置措施（如行政处罚），可不填")
    ] = None,
    at: AtOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """办结后续处置。"""
    tid, when_ = _arguments(lambda: (task_id(task), optional_at(at)))
    send(
        department,
        lambda c: c.close_follow_up(tid, number, outcome, when_, measure=measure, timeout=timeout),
    )


# ---------------------------------------------------------------------------- ssj dept listen
def feed_lines(item: FeedItem) -> list[str]:
    from adapters.nats.messages import Receipt

    if isinstance(item, Receipt):
        return [f"回执  {item.command_id}  " + "；".join(answer_lines(item))]
    return notice_lines(item)


@dept_app.command("listen")
def dept_listen(
    department: DeptOption,
    limit: LimitOption = None,
    once: OnceOption = False,
    wait: WaitOption = 5.0,
    state: StateOption = None,
) -> None:
    """接收本部门的任务通知与回执，逐条显示，直到 Ctrl-C；每条显示后才确认收到。给出 --state 时，重启后也不重复显示已处理的消息。"""
    from adapters.nats.client import DepartmentClient

    code = department_code(department)
    seen = handled_ids(state)
    follow(
        f"ssj dept {code}",
        code,
        lambda nc: DepartmentClient(nc, code, seen).listen(
            timeout=wait, limit=limit, until_idle=once
        ),
        feed_lines,
        banner=f"正在接收{dept(code)}的消息，Ctrl-C 停止",
        limit=limit,
        once=once,
    )
