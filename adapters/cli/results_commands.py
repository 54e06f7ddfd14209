"""`ssj results …`: the published results, exported in the national publicity system's structure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.context import cli, run

results_app = typer.Typer(
    rich_markup_mode=None,
    help="公示结果：按国家企业信用信息公示系统的结构导出",
    no_args_is_help=True,
)


@results_app.command("export")
def results_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件")],
    kind: Annotated[
        str, typer.Option("--format", help="xlsx、csv（UTF-8 带 BOM）或 json")
    ] = "xlsx",
    year: Annotated[int | None, typer.Option("--year", help="只导出该计划年度")] = None,
) -> None:
    """导出已公示的抽查结果（公开信息：未公示的任务不会导出）。"""
    from adapters.results_file import ExportFormat, export_bytes
    from services.actors import Actor, Role
    from services.result_export import ResultExport

    chosen = run(lambda: ExportFormat.parse(kind, "--format"), settle=False)
    tasks = run(
        lambda: ResultExport(cli.service.tasks).published(Actor(Role.PUBLIC), year), settle=False
    )
    data = export_bytes(tasks, chosen)
    try:
        output.write_bytes(data)
    except OSError as error:
        typer.echo(f"错误：-o: 无法写入 {output}（{error.strerror}）", err=True)
        raise typer.Exit(2) from None
    count = sum(len({r.credit_code for r in t.results}) for t in tasks)
    typer.echo(f"已导出 {len(tasks)} 项已公示任务、{count} 个对象的结果到 {output}")
