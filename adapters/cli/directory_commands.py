"""`ssj directory …`: the 名录库 of targets and each department's inspectors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters.cli.context import (
    AfterOption,
    AtOption,
    DeptOption,
    LimitOption,
    ReaderDeptOption,
    RoleOption,
    cli,
    echo_page_end,
    run,
)
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


@directory_app.command("list")
def directory_list(
    name: Annotated[str | None, typer.Argument(help="名录库名称；不填则列出全部名录库")] = None,
    category: Annotated[str | None, typer.Option(help="只列该类别")] = None,
    region: Annotated[str | None, typer.Option(help="只列该区域")] = None,
    tag: Annotated[str | None, typer.Option(help="只列带该标签的")] = None,
    grade: Annotated[str | None, typer.Option(help="只列该风险等级：A–D 或 低风险…高风险")] = None,
    search: Annotated[str | None, typer.Option(help="名称或统一社会信用代码中含此文字")] = None,
    active: Annotated[bool, typer.Option("--active", help="只列在营（可被抽取）的")] = False,
    limit: LimitOption = 50,
    after: AfterOption = None,
    department: ReaderDeptOption = None,
    role: RoleOption = None,
) -> None:
    """列出名录库，或一个名录库中的检查对象（维护部门、双随机办、审计可查看）。"""
    from adapters.cli.words import dept
    from domain.directory import RiskGrade
    from services.directory_listing import (
        TargetFilter,
        target_directories,
        targets_page,
    )

    reader = run(lambda: cli.reader(department, role), settle=False)
    if name is None:
        entries = run(lambda: target_directories(cli.service.directories, reader), settle=False)
        if not entries:
            typer.echo("（没有可查看的名录库）")
        for entry in entries:
            typer.echo(
                f"{entry.name}\t{dept(entry.owner)}\t{entry.targets} 个对象（在营 {entry.active}）"
            )
        return
    from domain.directories import TargetDirectory

    where = TargetFilter(
        category=category,
        region=region,
        tag=tag,
        grade=RiskGrade.parse(grade, "--grade") if grade else None,
        text=search,
        active_only=active,
    )
    page = run(
        lambda: targets_page(
            cli.service.directories,
            reader,
            TargetDirectory.id_for(name),
            where,
            limit=limit,
            after=after,
        ),
        settle=False,
    )
    typer.echo(
        f"名录库「{page.directory.name}」（{dept(page.directory.owner)}）："
        f"符合条件 {page.matching} 个，共 {page.directory.targets} 个"
    )
    for t in page.targets:
        tags = "、".join(sorted(t.tags)) or "-"
        state = "在营" if t.active else "停业/注销"
        typer.echo(
            f"{t.credit_code}\t{t.name}\t{t.category}\t{t.region}\t"
            f"{t.risk_grade.value} {t.risk_grade.label}\t{tags}\t{state}"
        )
    if not page.matching and category and category not in page.categories:
        typer.echo(
            f"（名录库中没有类别「{category}」；现有类别：{'、'.join(page.categories) or '无'}）"
        )
    echo_page_end(page.next_after)
