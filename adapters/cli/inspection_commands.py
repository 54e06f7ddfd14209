"""`ssj enterprise …`: every inspection of an enterprise, the yearly caps and their exemptions
(国办发〔2024〕54号)."""

from __future__ import annotations

import typer

enterprise_app = typer.Typer(
    rich_markup_mode=None,
    help="企业检查台账与年度检查次数上限（国办发〔2024〕54号）",
    no_args_is_help=True,
)
