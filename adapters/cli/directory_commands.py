"""`ssj directory …`: the 名录库 of targets and each department's inspectors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters.cli.context import AtOption, DeptOption, cli, run
from adapters.cli.words import parse_at

directory_app = typer.Typer(
    rich_markup_mode=None, help="名录库：检查对象与执法检查人员", no_args_is_help=True
)

GoodRowsOption = Annotated[bool, typer.Option("--good-rows", help="文件有错误时仍导入正确的行")]


@directory_app.command("open")
def directory_open(
    name: Annotated[str, typer.Argument(help="名录库名称")],
    owner: Annotated[str, typer.Option("--owner", "--dept", help="维护部门代码")],
    at: AtOption = None,
) -> None:
    """新建抽查对象名录库。"""
    run(
        lambda: cli.service.directories.open_target_directory(
            cli.actor(owner), name, at=parse_at(at)
        )
    )
    typer.echo(f"已新建名录库「{name}」")


@directory_app.command("import-targets")
def import_targets(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    directory: Annotated[str, typer.Option(help="名录库名称")],
    department: Annotated[
        str | None, typer.Option("--dept", help="名录库的维护部门（默认为名录库登记的部门）")
    ] = None,
    good_rows: GoodRowsOption = False,
    at: AtOption = None,
) -> None:
    """导入检查对象；有错误的文件整体不导入，除非 --good-rows。"""
    from adapters.importing import read_targets
    from domain.directories import TargetDirectory

    report = run(lambda: read_targets(file), settle=False)
    directory_id = TargetDirectory.id_for(directory)

    def register() -> int:
        service = cli.service
        owner = department or service.directories.target_directory(directory_id).owner
        return service.directories.register_targets(
            cli.actor(owner), directory_id, report.good, at=parse_at(at)
        )

    _import(report, good_rows, register)


@directory_app.command("import-inspectors")
def import_inspectors(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    department: DeptOption,
    good_rows: GoodRowsOption = False,
    at: AtOption = None,
) -> None:
    """导入本部门执法检查人员；名录库不存在时自动新建。"""
    from adapters.cli.words import department_code
    from adapters.importing import read_inspectors
    from services.errors import NotFoundError

    code = department_code(department)
    report = run(lambda: read_inspectors(file, code), settle=False)

    def register() -> int:
        directories = cli.service.directories
        actor = cli.actor(code)
        try:
            directories.inspector_directory(code)
        except NotFoundError:
            directories.open_inspector_directory(actor, at=parse_at(at))
        return directories.register_inspectors(actor, report.good, at=parse_at(at))

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

    def change() -> None:
        directories, actor = cli.service.directories, cli.actor(department)
        if back:
            directories.end_leave(actor, inspector, at=parse_at(at))
        else:
            directories.take_leave(actor, inspector, at=parse_at(at))

    run(change)
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
    run(
        lambda: cli.service.directories.declare_conflict(
            cli.actor(department), inspector, target, reason, at=parse_at(at)
        )
    )
    typer.echo("已登记回避")
