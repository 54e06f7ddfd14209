"""`ssj items …`: each department's 抽查事项清单."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.context import AtOption, DeptOption, cli, run
from adapters.cli.words import dept, parse_at

item_app = typer.Typer(
    rich_markup_mode=None,
    help="抽查事项清单：各部门的抽查事项、依据、对象、方式、比例与频次",
    no_args_is_help=True,
)


@item_app.command("import")
def items_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件（事项编号、抽查事项、检查依据…）")],
    department: DeptOption,
    title: Annotated[
        str | None,
        typer.Option("--title", help="清单名称（新建清单时；默认 某部门随机抽查事项清单）"),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="已有事项内容变更时记录的原因")
    ] = "按新公布的抽查事项清单更新",
    at: AtOption = None,
) -> None:
    """导入本部门的抽查事项清单：新编号登记，内容不同的事项按 --reason 变更；有错误的文件整体不导入。"""
    from adapters.cli.words import department_code
    from adapters.importing.item_rows import read_item_list

    code = department_code(department)
    report = run(lambda: read_item_list(file), settle=False)
    if not report.ok:
        typer.echo(report.render(), err=True)
        typer.echo("文件有错误，未导入任何事项（修正后重新导入）", err=True)
        raise typer.Exit(2)
    registered, changed = run(
        lambda: cli.service.item_catalogues.import_items(
            cli.actor(code),
            report.good,
            title=title or f"{dept(code)}随机抽查事项清单",
            reason=reason,
            at=parse_at(at),
        )
    )
    typer.echo(
        f"{dept(code)}：新登记 {registered} 项，变更 {changed} 项（共 {report.total_rows} 行）"
    )


@item_app.command("list")
def items_list(
    department: DeptOption,
    withdrawn: Annotated[bool, typer.Option("--withdrawn", help="同时列出已撤销的事项")] = False,
) -> None:
    """列出某部门的抽查事项清单（公开信息）。"""
    from adapters.cli.words import department_code
    from services.actors import Actor, Role

    code = department_code(department)
    view = run(
        lambda: cli.service.item_catalogues.catalogue(Actor(Role.PUBLIC), code), settle=False
    )
    typer.echo(f"{view.title}（{dept(code)}，{len(view.items)} 项）")
    typer.echo("事项编号\t抽查事项\t检查依据\t检查对象\t检查方式\t抽查比例\t抽查频次")
    rows = [(i, "") for i in view.items]
    if withdrawn:
        rows += [(i, "（已撤销）") for i in view.withdrawn]
    for item, mark in rows:
        typer.echo(
            "\t".join(
                (
                    item.code + mark,
                    item.name,
                    item.legal_basis,
                    item.subject,
                    item.method,
                    item.ratio or "—",
                    item.frequency or "—",
                )
            )
        )


@item_app.command("withdraw")
def items_withdraw(
    code: Annotated[str, typer.Argument(help="事项编号")],
    department: DeptOption,
    reason: Annotated[str, typer.Option("--reason", help="撤销原因")],
    at: AtOption = None,
) -> None:
    """从本部门清单中撤销一项：此后的计划不能再选用，已登记的任务不受影响。"""
    from adapters.cli.words import department_code

    department = department_code(department)
    run(
        lambda: cli.service.item_catalogues.withdraw(
            cli.actor(department), code, reason, at=parse_at(at)
        )
    )
    typer.echo(f"已撤销 {code}")
