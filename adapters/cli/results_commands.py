"""`ssj results …`: the published results, exported in the national publicity system's structure."""

from __future__ import annotations

import typer

results_app = typer.Typer(
    rich_markup_mode=None,
    help="公示结果：按国家企业信用信息公示系统的结构导出",
    no_args_is_help=True,
)
