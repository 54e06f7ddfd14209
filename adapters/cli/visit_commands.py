"""`ssj visit …`: one joint visit for the tasks that drew the same target (进一次门、查多项事)."""

from __future__ import annotations

import typer

visit_app = typer.Typer(
    rich_markup_mode=None,
    help="进一次门、查多项事：合并不同任务对同一对象的检查",
    no_args_is_help=True,
)
