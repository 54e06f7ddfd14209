"""`ssj items …`: each department's 抽查事项清单."""

from __future__ import annotations

import typer

item_app = typer.Typer(
    rich_markup_mode=None,
    help="抽查事项清单：各部门的抽查事项、依据、对象、方式、比例与频次",
    no_args_is_help=True,
)
