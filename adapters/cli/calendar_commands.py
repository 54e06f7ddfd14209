"""`ssj calendar …`: the working-day calendar, and the years the office loads into it.

A year's holiday arrangement comes from the State Council's notice each November. `import` reads
it from a JSON file (adapters/calendar_data/README.md), checks it, and records it in the event log,
so that every deadline counted on it names it and an auditor can count again; the deadlines that
waited for that year are then counted. A year is never guessed, nor loaded twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.context import AtOption, cli, run
from adapters.cli.words import parse_at

calendar_app = typer.Typer(
    rich_markup_mode=None, help="工作日历：节假日安排的导入与查看", no_args_is_help=True
)


@calendar_app.command("import")
def calendar_import(
    file: Annotated[
        Path, typer.Argument(help="一年的节假日安排（JSON，格式见 calendar_data/README.md）")
    ],
    at: AtOption = None,
) -> None:
    """导入国务院办公厅公布的一年节假日安排（以双随机办身份），记入事件日志；等待该年日历的期限随即计算。"""
    from adapters.calendar import read_year_file
    from services.actors import Actor

    arrangement = run(lambda: read_year_file(file), settle=False)
    office = Actor.office()
    run(lambda: cli.service.calendars.import_year(office, arrangement, at=parse_at(at)))
    typer.echo(
        f"已导入 {arrangement.year} 年节假日安排：放假 {len(arrangement.holidays)} 天，"
        f"调休上班 {len(arrangement.working_weekends)} 天（{arrangement.source}）"
    )
    waiting = run(lambda: cli.service.queries.awaiting(office, arrangement.year), settle=False)
    typer.echo(
        f"仍在等待 {arrangement.year} 年日历的任务：{len(waiting)} 个"
        if waiting
        else f"等待 {arrangement.year} 年日历的期限已全部计算"
    )


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="年份")]) -> None:
    """显示一年的工作日历：来源、放假的工作日、调休上班的周末、工作日数。"""
    from services.actors import Actor

    view = run(lambda: cli.service.calendars.year(Actor.public(), year), settle=False)
    typer.echo(f"{view.year} 年工作日历：{view.source or '（未注明来源）'}")
    if view.loaded_at is not None:
        from adapters.cli.words import when

        typer.echo(f"  导入时间 {when(view.loaded_at)}")
    typer.echo(f"  工作日 {view.working_days} 天")
    typer.echo("  放假的工作日：" + ("、".join(d.isoformat() for d in view.holidays) or "无"))
    typer.echo(
        "  调休上班的周末：" + ("、".join(d.isoformat() for d in view.working_weekends) or "无")
    )
