"""`ssj doc …`: the documents clerks print, made from the log and recorded with their SHA-256."""

from __future__ import annotations

import typer

doc_app = typer.Typer(
    rich_markup_mode=None,
    help="文书：告知书、一企一表、各类台账与报表（由事件日志生成，可核验）",
    no_args_is_help=True,
)
