"""A plan's items per department, as plan files and the API state them: inline (a model of
`CheckItem`'s fields), or a code of the department's 抽查事项清单, taken from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from domain.directory import CheckItem
from domain.errors import InvalidValueError
from services.item_catalogues import ItemSource

__all__ = ["ItemSource", "plan_items"]


def plan_items(
    items: Mapping[str, Sequence[BaseModel | str]], catalogue: ItemSource | None
) -> dict[str, tuple[CheckItem, ...]]:
    """Each department's items: inline ones (a model of CheckItem's fields) as stated, codes
    from its 抽查事项清单; without a catalogue a code is refused, naming its place."""
    entries = {
        d: [e if isinstance(e, str) else CheckItem(**e.model_dump()) for e in v]
        for d, v in items.items()
    }
    if catalogue is None:
        for d, v in entries.items():
            for n, e in enumerate(v):
                if isinstance(e, str):
                    raise InvalidValueError(f"items.{d}.{n}", "写明事项名称的抽查事项", e)
        return {d: tuple(e for e in v if isinstance(e, CheckItem)) for d, v in entries.items()}
    return {d: catalogue.check_items(d, v, f"items.{d}") for d, v in entries.items()}
