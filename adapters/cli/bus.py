"""`ssj bus …`, `ssj office …` and `ssj worker` over NATS, and what `ssj dept …` shares with them.

The rest of `ssj` works on the event store directly; these commands need only SSJ_NATS_URL (and
SSJ_NATS_USER / SSJ_NATS_PASSWORD where the server asks for a login, see deploy/nats/). A
department's command is answered by the service's receipt: done, or refused with the reason, in
which case the exit status is 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable, Coroutine, MutableSet
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from adapters.cli.context import cli
from adapters.cli.words import department_code, dept, when

if TYPE_CHECKING:
    from datetime import date, datetime
    from uuid import UUID

    from nats.aio.client import Client

    from adapters.nats.messages import DeptNotice, Escalation

# The NATS client and the message models load when a bus command runs, not for `ssj --help`.
DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for a receipt: adapters/nats/client.py's own default."""

T = TypeVar("T")

bus_app = typer.Typer(
    rich_markup_mode=None, help="NATS 消息总线：流与消费者、服务器配置", no_args_is_help=True
)
office_app = typer.Typer(
    rich_markup_mode=None, help="双随机办经消息总线接收逾期上报", no_args_is_help=True
)

DeptOption = Annotated[str, typer.Option("--dept", help="本部门代码或名称，如 fire / 消防救援大队")]
DeptsOption = Annotated[
    list[str] | None,
    typer.Option("--dept", help="部门代码，可多次；默认种子数据的四个部门"),
]
TaskArg = Annotated[str, typer.Argument(help="任务编号（完整 UUID）")]
TargetArg = Annotated[str, typer.Argument(help="检查对象的统一社会信用代码")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="发生时间，ISO 格式，无时区按北京时间；默认以服务收到时为准"),
]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="等待回执的秒数", min=0.1)]
FindingOption = Annotated[
    list[str] | None, typer.Option("--finding", help="事项编号=检查情况，可多次")
]
LimitOption = Annotated[int | None, typer.Option("--limit", help="收到这么多条后停止", min=1)]
OnceOption = Annotated[bool, typer.Option("--once", help="只读取已在等待的消息，读完即停止")]
WaitOption = Annotated[float, typer.Option("--wait", help="每次等待新消息的秒数", min=0.1)]
StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="记录已处理消息的文件（每个消费者一个）：重启后仍丢弃重复送达的消息；不给则只在本次运行中去重",
        dir_okay=False,
    ),
]

COMMANDS = {
    "confirm": "确认任务",
    "decline": "拒绝任务",
    "draw_inspectors": "抽取执法检查人员",
    "record_visit": "登记实地检查",
    "record_result": "录入检查结果",
    "correct_result": "更正检查结果",
    "open_follow_up": "开启后续处置",
    "close_follow_up": "办结后续处置",
}


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """One clear line and exit status 2 when the bus cannot be used or a setting is wrong."""
    import asyncio

    from nats import errors as nats_errors

    from adapters.nats.connect import BusError
    from adapters.postgres.urls import DatabaseSettingError

    try:
        return asyncio.run(work)
    except (BusError, DatabaseSettingError, ValueError) as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None
    except nats_errors.Error as error:
        typer.echo(f"错误：NATS：{error}", err=True)
        raise typer.Exit(2) from None


def departments_or_seeds(values: list[str] | None) -> list[str]:
    from adapters.nats.streams import DEFAULT_DEPARTMENTS

    return [department_code(v) for v in values or ()] or list(DEFAULT_DEPARTMENTS)


# ---------------------------------------------------------------------------- ssj bus
ReplicasOption = Annotated[
    int,
    typer.Option(
        "--replicas",
        envvar="SSJ_NATS_REPLICAS",
        help="每个流的副本数：单台服务器为 1，三节点 JetStream 集群为 3；改变后重新运行即更新已有的流",
        min=1,
        max=5,
    ),
]
DuplicateWindowOption = Annotated[
    float,
    typer.Option(
        "--duplicate-window",
        envvar="SSJ_NATS_DUPLICATE_WINDOW",
        help="服务器按消息编号丢弃重复消息的时间窗（秒）",
        min=0.001,
    ),
]


@bus_app.command("setup")
def bus_setup(
    codes: DeptsOption = None,
    replicas: ReplicasOption = 1,
    duplicate_window: DuplicateWindowOption = 120.0,
) -> None:
    """建立或更新总线的流与持久消费者（以服务的 NATS 用户）；可重复运行：流的副本数与去重时间窗按本次参数更新，已有的消费者保持不变。"""
    from adapters.nats.connect import BusError, connect_with, shown
    from adapters.nats.streams import ReplicasNotReadyError, setup_bus

    settings = cli.settings
    departments = departments_or_seeds(codes)

    async def setup() -> list[str]:
        nc = await connect_with(settings, "ssj bus setup")
        try:
            return await setup_bus(
                nc.jetstream(),
                departments,
                replicas=replicas,
                duplicate_window=duplicate_window,
            )
        except ReplicasNotReadyError as error:
            raise BusError(str(error)) from None
        except TimeoutError:
            raise BusError(
                "服务器未回答 JetStream 请求：服务器须启用 JetStream（-js），"
                "且 SSJ_NATS_USER 应为服务的用户 ssj"
            ) from None
        finally:
            await nc.close()

    made = run_async(setup())
    typer.echo(f"总线已就绪（{shown(settings.nats_url or '')}）：")
    for line in made:
        typer.echo(f"  {line}")


@bus_app.command("config")
def bus_config(codes: DeptsOption = None) -> None:
    """输出 nats-server 配置（每个部门一个用户及其权限），如 deploy/nats/ssj.conf。"""
    from adapters.nats.server_config import render_config
    from domain.errors import DomainError

    try:
        typer.echo(render_config(departments_or_seeds(codes)), nl=False)
    except (ValueError, DomainError) as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None


# ---------------------------------------------------------------------------- ssj worker
def worker() -> None:
    """运行服务的总线工作进程：事件转发、命令受理、流程处理，直到 Ctrl-C。"""
    import asyncio
    import signal

    from adapters.nats.connect import shown
    from adapters.nats.worker import run_worker

    settings = cli.settings

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)

        def stopping() -> None:
            # The worker finishes what it holds; a second Ctrl-C no longer waits for that.
            stop.set()
            for sig in signals:
                loop.remove_signal_handler(sig)

        for sig in signals:
            loop.add_signal_handler(sig, stopping)
        await run_worker(settings, stop)

    typer.echo(f"ssj worker 启动：NATS {shown(settings.nats_url or '（未设置）')}，Ctrl-C 停止")
    try:
        run_async(work())
    except KeyboardInterrupt:
        typer.echo("ssj worker 已中断", err=True)
        raise typer.Exit(130) from None
    typer.echo("ssj worker 已停止")


# ---------------------------------------------------------------------------- listening
NOTICES = {
    "dispatched": "派发任务",
    "dispatch_held": "派发暂缓",
    "sheets": "一企一表",
    "confirmation_overdue": "确认逾期",
    "result_overdue": "结果录入逾期",
    "results_deadline_held": "结果录入期限暂缓",
}
"""What a department notice or an office escalation is about, by its `kind`."""

ESCALATED = {"dispatch_held", "confirmation_overdue", "result_overdue"}
"""The notices services/feeds.py sends the office as well: the department is told so."""


def _head(at: datetime, task: UUID, what: str, deadline: date | None, year: int | None) -> str:
    # A held dispatch or results deadline has no date yet: what it waits for is the calendar.
    if deadline is not None:
        what += f"（期限 {deadline}）"
    elif year is not None:
        from services.task_views import awaiting_calendar

        what += f"（{awaiting_calendar(year)}）"
    return f"{when(at)}  任务 {task}  {what}"


def notice_lines(notice: DeptNotice) -> list[str]:
    what = NOTICES.get(notice.kind, notice.kind)
    if notice.kind == "dispatched" and notice.deadline is not None:
        head = _head(
            notice.at, notice.task_id, f"{what}，请于 {notice.deadline} 前确认", None, None
        )
    else:
        told = "，已上报双随机办" if notice.kind in ESCALATED else ""
        head = _head(notice.at, notice.task_id, what + told, notice.deadline, notice.year)
    lines = [head]
    if notice.omitted:
        lines.append(
            f"  检查对象与一企一表过多（{notice.omitted:,} 字节），未随消息送达：请在本部门收件箱"
            "（网页或 HTTP 接口）查看"
        )
    if notice.targets:
        lines.append(f"  检查对象 {len(notice.targets)} 个：{'、'.join(notice.targets)}")
    for sheet in notice.sheets:
        inspectors = "、".join(sheet.inspectors)
        items = "、".join(f"{item.code} {item.name}" for item in sheet.items)
        lines.append(
            f"  第 {sheet.group + 1} 组  {sheet.target} {sheet.name}"
            f"  检查人员：{inspectors or '无'}  事项：{items or '无'}"
        )
    return lines


def escalation_line(escalation: Escalation) -> str:
    what = dept(escalation.department) + NOTICES.get(escalation.kind, escalation.kind)
    target = f"  检查对象 {escalation.target}" if escalation.target else ""
    return (
        _head(escalation.at, escalation.task_id, what, escalation.deadline, escalation.year)
        + target
    )


def handled_ids(state: Path | None) -> MutableSet[str]:
    """The ids handled before, from the `--state` file (made on the first message), or a set of
    this run only; an unreadable file stops the command, exit status 2."""
    from adapters.nats.client import HandledIds
    from adapters.nats.connect import BusError

    if state is None:
        return set()
    try:
        return HandledIds(state)
    except BusError as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None


def follow(
    name: str,
    department: str | None,
    feed: Callable[[Client], AsyncGenerator[T, None]],
    lines: Callable[[T], list[str]],
    *,
    banner: str,
    limit: int | None,
    once: bool,
) -> None:
    """Show a durable feed message by message (each is acked only once shown) until Ctrl-C, or
    `limit` messages, or with `once` until nothing is waiting, then say how many."""
    from adapters.nats.connect import connect_with

    async def listen() -> int:
        nc = await connect_with(cli.settings, name, department)
        count = 0
        try:
            items = feed(nc)
            async with contextlib.aclosing(items):
                async for item in items:
                    for line in lines(item):
                        typer.echo(line)
                    count += 1
        finally:
            await nc.close()
        return count

    if not once and limit is None:
        typer.echo(banner)
    try:
        count = run_async(listen())
    except KeyboardInterrupt:
        typer.echo("已停止接收")
        return
    if once:
        typer.echo(f"共 {count} 条")


# ---------------------------------------------------------------------------- ssj office
@office_app.command("escalations")
def office_escalations(
    limit: LimitOption = None,
    once: OnceOption = False,
    wait: WaitOption = 5.0,
    state: StateOption = None,
) -> None:
    """接收各部门的逾期上报（确认逾期、结果录入逾期）及待补充工作日历而暂缓的派发与结果录入期限，逐条显示；以 office 用户连接。"""
    from adapters.nats.client import escalations

    seen = handled_ids(state)
    follow(
        "ssj office",
        None,
        lambda nc: escalations(nc, timeout=wait, limit=limit, until_idle=once, seen=seen),
        lambda escalation: [escalation_line(escalation)],
        banner="正在接收逾期上报，Ctrl-C 停止",
        limit=limit,
        once=once,
    )
