"""`ssj visit …`: one joint visit for the tasks that drew the same target (进一次门、查多项事).

The office (双随机办) reads the offers and merges; an auditor reads them with `--role auditor`.
Nothing is merged unless the office types `ssj visit merge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.context import AtOption, ReaderDeptOption, RoleOption, cli, run
from adapters.cli.words import dept, parse_at

if TYPE_CHECKING:
    from services.joint_visits import OfferedTask

visit_app = typer.Typer(
    rich_markup_mode=None,
    help="进一次门、查多项事：合并不同任务对同一对象的检查",
    no_args_is_help=True,
)


def _task_line(task: OfferedTask) -> str:
    departments = "、".join(dept(d) for d in task.departments)
    items = "；".join(
        f"{dept(d)} " + "、".join(f"{code} {name}" for code, name in found)
        for d, found in task.items.items()
    )
    return (
        f"    任务 {task.task_id}  {task.name}（{departments}；"
        f"{task.window_start} 至 {task.window_end}）\n      事项：{items}"
    )


@visit_app.command("offers")
def visit_offers(department: ReaderDeptOption = None, role: RoleOption = None) -> None:
    """可合并的联合检查：不同部门或不同计划的任务抽中同一对象、检查时间重叠且尚未检查。"""
    reader = run(lambda: cli.reader(department, role), settle=False)
    visits = cli.service.joint_visits
    offers = run(lambda: visits.offers(reader))
    merged = run(lambda: visits.merged(reader))
    if not offers:
        typer.echo("暂无可合并的检查")
    for offer in offers:
        typer.echo(
            f"{offer.target}  {offer.name}：{len(offer.tasks)} 个任务，"
            f"可在 {offer.window_start} 至 {offer.window_end} 一次检查"
        )
        for task in offer.tasks:
            typer.echo(_task_line(task))
        tasks = " ".join(f"--task {t.task_id}" for t in offer.tasks)
        typer.echo(f"    合并：ssj visit merge --target {offer.target} {tasks}")
    for visit in merged:
        typer.echo(
            f"已合并 {visit.target}  {visit.name}：{visit.window_start} 至 {visit.window_end}，"
            f"{'、'.join(t.name for t in visit.tasks)}（联合检查 {visit.joint_visit_id}）"
        )


@visit_app.command("merge")
def visit_merge(
    target: Annotated[str, typer.Option("--target", help="检查对象的统一社会信用代码")],
    task: Annotated[
        list[str], typer.Option("--task", help="任务编号（完整 UUID 或其唯一前缀），至少两个")
    ],
    reason: Annotated[str, typer.Option("--reason", help="合并理由")] = "",
    at: AtOption = None,
) -> None:
    """双随机办将这些任务对该对象的检查合并为一次（一企一表列出全部事项）；各任务仍分别录入、公示。"""
    from services.actors import Actor

    task_ids = run(lambda: [cli.task_id(ref) for ref in task], settle=False)
    visits = cli.service.joint_visits
    merged = run(
        lambda: visits.merge(Actor.office(), target, task_ids, at=parse_at(at), reason=reason)
    )
    typer.echo(
        f"已合并：{merged.target} {merged.name}，检查时间 {merged.window_start} 至 "
        f"{merged.window_end}（联合检查 {merged.joint_visit_id}）"
    )
    typer.echo(f"一企一表共 {len(merged.items)} 项事项")
