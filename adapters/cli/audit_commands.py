"""`ssj audit …` (as the auditor, who reads everything and writes nothing) and `ssj db …` (the
schema's owner, and the read models' rebuild)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.context import TaskArg, cli, run

if TYPE_CHECKING:
    from services.actors import Actor

audit_app = typer.Typer(rich_markup_mode=None, help="审计：回放、导出、核验", no_args_is_help=True)
db_app = typer.Typer(
    rich_markup_mode=None, help="事件库：建表迁移、读模型重建", no_args_is_help=True
)


def _auditor() -> Actor:
    from services.actors import Actor

    return Actor.auditor()


@audit_app.command("export")
def audit_export(
    out: Annotated[Path | None, typer.Option(help="输出文件；默认标准输出")] = None,
) -> None:
    """导出全部事件，每行一个 JSON 对象（位置、聚合、类型、时间、字段）。"""
    import json

    lines = (
        json.dumps(e, ensure_ascii=False, sort_keys=True)
        for e in run(lambda: cli.service.auditor.export(_auditor()), settle=False)
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
    from adapters.cli import render

    auditor, actor = run(lambda: cli.service.auditor, settle=False), _auditor()
    task_id = run(lambda: cli.task_id(task), settle=False)
    for entry in run(lambda: auditor.history(actor, task_id), settle=False):
        if as_of is None or entry.version <= as_of:
            typer.echo(render.history_line(entry))
    if as_of is not None:
        typer.echo(
            render.task_summary(
                run(lambda: auditor.state_as_of(actor, task_id, as_of), settle=False)
            )
        )


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
    from adapters.cli import audit

    raise typer.Exit(run(lambda: audit.verify(cli.settings, checkpoint or []), settle=False))


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="另将检查点写入该 JSON 文件，供 --checkpoint 读取")
    ] = None,
) -> None:
    """记录审计链当前链头，输出 位置:链头 一行，供双随机办在库外公布（仅 PostgreSQL）。"""
    from adapters.cli import audit

    run(lambda: audit.record_checkpoint(cli.settings, out), settle=False)


@db_app.command("migrate")
def db_migrate(
    service_password: Annotated[
        str | None, typer.Option(help="新建服务角色时为其设置的口令")
    ] = None,
) -> None:
    """以库所有者身份（SSJ_ADMIN_DATABASE_URL）建立或升级表结构，并授予服务角色仅追加与读取的权限。"""
    from adapters.postgres.schema import SCHEMA_VERSION, migrate

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
        ),
        settle=False,
    )
    typer.echo(
        f"已迁移至第 {SCHEMA_VERSION} 版（事件、审计链、检查点、读模型、总线记录）；"
        f"服务角色 {settings.service_role} 仅可追加与读取事件"
    )


@db_app.command("rebuild-read-models")
def db_rebuild_read_models() -> None:
    """从事件日志重建全部读模型（任务、待办、公示、台账、统计）。"""
    position = run(lambda: cli.service.read_models.rebuild(), settle=False)
    typer.echo(f"读模型已重建至位置 {position}")
