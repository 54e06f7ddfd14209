"""ItemCatalogues: each department's 随机抽查事项清单, and the items plans draw from them.

A department keeps its own list (REGISTER_ITEM_LIST: the owner); every list is public
(READ_ITEM_LIST: everyone), as the lists are published. A plan's task that names its items by
code takes them from here (`check_items`); one that states them inline keeps them as stated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.utils import get_topic

from domain.directory import CheckItem
from domain.errors import InvalidValueError
from domain.item_catalogue import ItemCatalogue, ListedItem
from services.actors import Actor
from services.clock import TimeGuard
from services.errors import NotFoundError
from services.log import raw_log
from services.permissions import Action, Parties, require
from services.store import SsjApplication

R = TypeVar("R")

WHAT = "抽查事项清单"

ItemEntry = str | CheckItem
"""A plan's item: a code from the department's list, or an item stated inline."""


class ItemSource(Protocol):
    """Where a plan's reader takes the items a task names by code."""

    def check_items(
        self, department: str, entries: Sequence[ItemEntry], field: str
    ) -> tuple[CheckItem, ...]: ...


@dataclass(frozen=True)
class CatalogueView:
    department: str
    title: str
    version: int
    items: tuple[ListedItem, ...]
    """In force, by code."""
    withdrawn: tuple[ListedItem, ...]


class ItemCatalogues(SsjApplication):
    def __init__(
        self,
        guard: TimeGuard,
        env: Mapping[str, str] | None = None,
        recorder: ApplicationRecorder | None = None,
    ) -> None:
        self.guard = guard
        super().__init__(env, recorder=recorder)

    def _load(self, department: str, version: int | None = None) -> ItemCatalogue:
        return self.load(
            ItemCatalogue, ItemCatalogue.id_for(department), f"{WHAT}（部门 {department}）", version
        )

    def exists(self, department: str) -> bool:
        try:
            self._load(department)
        except NotFoundError:
            return False
        return True

    # ------------------------------------------------------------------ commands
    def open(
        self, actor: Actor, title: str, *, at: datetime, command_id: UUID | None = None
    ) -> UUID:
        self.guard.admit(at)
        require(actor, Action.REGISTER_ITEM_LIST, Parties.owned_by(actor.department or ""))
        catalogue = ItemCatalogue.open(actor.speaks_for, title, at)
        self.create(catalogue, what=WHAT, command_id=command_id)
        return catalogue.id

    def _change(
        self,
        actor: Actor,
        command: Callable[[ItemCatalogue], R],
        at: datetime,
        command_id: UUID | None,
    ) -> R:
        self.guard.admit(at)
        require(actor, Action.REGISTER_ITEM_LIST, Parties.owned_by(actor.department or ""))
        department = actor.speaks_for
        return self.change(
            ItemCatalogue,
            ItemCatalogue.id_for(department),
            f"{department} {WHAT}",
            command,
            command_id,
        )

    def register(
        self,
        actor: Actor,
        items: Iterable[ListedItem],
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> int:
        batch = list(items)
        return self._change(actor, lambda c: c.register(batch, at), at, command_id)

    def change_item(
        self,
        actor: Actor,
        item: ListedItem,
        reason: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> bool:
        return self._change(actor, lambda c: c.change(item, reason, at), at, command_id)

    def withdraw(
        self, actor: Actor, code: str, reason: str, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        self._change(actor, lambda c: c.withdraw(code, reason, at), at, command_id)

    def import_items(
        self,
        actor: Actor,
        items: Sequence[ListedItem],
        *,
        title: str,
        reason: str,
        at: datetime,
    ) -> tuple[int, int]:
        """A list as the department publishes it again: new codes registered, rows that differ
        changed (with `reason`), the rest left alone; the list opened first if it is new.
        Returns (registered, changed)."""
        if not self.exists(actor.speaks_for):
            self.open(actor, title, at=at)

        def apply(catalogue: ItemCatalogue) -> tuple[int, int]:
            new = [i for i in items if i.code not in catalogue.items]
            changed = sum(
                catalogue.change(i, reason, at) for i in items if i.code in catalogue.items
            )
            return catalogue.register(new, at), changed

        return self._change(actor, apply, at, None)

    # ------------------------------------------------------------------ reads
    def catalogue(self, actor: Actor, department: str) -> CatalogueView:
        require(actor, Action.READ_ITEM_LIST, Parties.owned_by(department))
        catalogue = self._load(department)
        return CatalogueView(
            department=catalogue.department,
            title=catalogue.title,
            version=catalogue.version,
            items=tuple(sorted(catalogue.items.values(), key=lambda i: _order(i.code))),
            withdrawn=tuple(sorted(catalogue.withdrawn.values(), key=lambda i: _order(i.code))),
        )

    def catalogues(self, actor: Actor) -> list[CatalogueView]:
        """Every department's list, in the order they were opened."""
        require(actor, Action.READ_ITEM_LIST)
        topic = get_topic(ItemCatalogue.Opened)
        found = []
        for row in raw_log(self.recorder, topics=(topic,)):
            originator = getattr(row, "originator_id", None)
            if isinstance(originator, UUID):
                catalogue = self.load(ItemCatalogue, originator, WHAT)
                found.append(self.catalogue(actor, catalogue.department))
        return found

    def check_items(
        self, department: str, entries: Sequence[ItemEntry], field: str
    ) -> tuple[CheckItem, ...]:
        """A plan's items for one department: codes are taken from its list as it stands (a code
        not in it, or a list not opened, is an InvalidValueError naming `field.n`); items stated
        inline stay as stated."""
        if not any(isinstance(e, str) for e in entries):
            return tuple(e for e in entries if isinstance(e, CheckItem))
        try:
            catalogue = self._load(department)
        except NotFoundError:
            raise InvalidValueError(
                field, f"{department} 尚未登记抽查事项清单：请写明事项名称，或先登记清单", entries
            ) from None
        return tuple(
            catalogue.check_item(e, f"{field}.{n}") if isinstance(e, str) else e
            for n, e in enumerate(entries)
        )

    def items_of(
        self, items: Mapping[str, Sequence[ItemEntry]], field: str = "items"
    ) -> dict[str, tuple[CheckItem, ...]]:
        """Every department's items of a task definition, codes drawn from the lists."""
        return {d: self.check_items(d, v, f"{field}.{d}") for d, v in items.items()}


def _order(code: str) -> tuple[str, int, str]:
    """JY-2 before JY-10: the lists number their rows."""
    head, _, tail = code.rpartition("-")
    digits = "".join(ch for ch in tail if ch.isdigit())
    return (head, int(digits) if digits and digits == tail else 0, code)
