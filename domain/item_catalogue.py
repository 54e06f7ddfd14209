"""随机抽查事项清单: each department's list of the items it may check, as an aggregate.

A plan's task draws its items from the list of each of its departments: it names them by code and
takes a copy (`CheckItem`) of what the list says at that moment, so that changing or withdrawing an
item later never changes what a task already planned checks, and the copy in the task's events is
what the task's sheets and results refer to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.directory import CheckItem
from domain.errors import DirectoryError, InvalidValueError
from domain.publicity import InspectionMethod
from domain.values import department_code, moment, text


class DuplicateItemError(DirectoryError):
    def __init__(self, code: str) -> None:
        super().__init__(f"code: 事项编号 {code} 已在抽查事项清单中")


class UnknownItemError(DirectoryError):
    def __init__(self, code: str) -> None:
        super().__init__(f"code: 抽查事项清单中没有事项编号 {code}")


@dataclass(frozen=True)
class ListedItem:
    """One row of the 随机抽查事项清单, as the department publishes it."""

    code: str
    """事项编号 (or 序号 where the list numbers its rows)."""
    name: str
    """抽查事项."""
    legal_basis: str
    """检查依据: the laws and articles the item rests on."""
    subject: str
    """检查对象 (抽查对象), e.g. 校外培训机构."""
    methods: tuple[InspectionMethod, ...]
    """检查方式: at least one, in the system's order."""
    ratio: str = ""
    """抽查比例 as the list writes it (不低于5%)."""
    frequency: str = ""
    """抽查频次 (1次/年)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", text(self.code, "code", "事项编号"))
        object.__setattr__(self, "name", text(self.name, "name", "抽查事项名称"))
        object.__setattr__(self, "legal_basis", text(self.legal_basis, "legal_basis", "检查依据"))
        object.__setattr__(self, "subject", text(self.subject, "subject", "检查对象"))
        methods = tuple(self.methods)
        if not methods or not all(isinstance(m, InspectionMethod) for m in methods):
            raise InvalidValueError(
                "methods", f"一种或多种检查方式：{'、'.join(InspectionMethod)}", methods
            )
        object.__setattr__(self, "methods", tuple(m for m in InspectionMethod if m in methods))
        object.__setattr__(self, "ratio", self.ratio.strip())
        object.__setattr__(self, "frequency", self.frequency.strip())

    @property
    def method(self) -> str:
        return "、".join(self.methods)

    @property
    def check_item(self) -> CheckItem:
        """The copy a task takes: code, name, basis and methods."""
        return CheckItem(self.code, self.name, self.legal_basis, self.methods)

    def as_record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "legal_basis": self.legal_basis,
            "subject": self.subject,
            "methods": [m.value for m in self.methods],
            "ratio": self.ratio,
            "frequency": self.frequency,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ListedItem:
        return cls(
            code=str(record["code"]),
            name=str(record["name"]),
            legal_basis=str(record["legal_basis"]),
            subject=str(record["subject"]),
            methods=tuple(InspectionMethod(m) for m in record.get("methods", ())),
            ratio=str(record.get("ratio", "")),
            frequency=str(record.get("frequency", "")),
        )


class ItemCatalogue(Aggregate):
    """随机抽查事项清单 of one department: one per department, opened once."""

    class Opened(Aggregate.Created):
        department: str
        title: str
        """As the department titles it, e.g. 迁安市教育局随机抽查事项清单."""
        at: datetime

    @staticmethod
    def id_for(department: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:item-catalogue:{department}")

    @staticmethod
    def create_id(department: str, title: str, at: datetime) -> UUID:
        return ItemCatalogue.id_for(department)

    @classmethod
    def open(cls, department: str, title: str, at: datetime) -> ItemCatalogue:
        return cls(
            department=department_code(department),
            title=text(title, "title", "清单名称"),
            at=moment(at),
        )

    @event(Opened)
    def __init__(self, department: str, title: str, at: datetime) -> None:
        self.department = department
        self.title = title
        self.items: dict[str, ListedItem] = {}
        """The items in force, by code."""
        self.withdrawn: dict[str, ListedItem] = {}
        """Items taken off the list, as they last stood."""

    class ItemsRegistered(Aggregate.Event):
        items: list[dict[str, Any]]
        at: datetime

        def apply(self, catalogue: ItemCatalogue) -> None:
            for record in self.items:
                item = ListedItem.from_record(record)
                catalogue.items[item.code] = item
                catalogue.withdrawn.pop(item.code, None)

    class ItemChanged(Aggregate.Event):
        """A new basis, method, ratio or frequency: the whole new row, and why."""

        item: dict[str, Any]
        reason: str
        at: datetime

        def apply(self, catalogue: ItemCatalogue) -> None:
            item = ListedItem.from_record(self.item)
            catalogue.items[item.code] = item

    class ItemWithdrawn(Aggregate.Event):
        """Taken off the list: no new task draws it; tasks planned with it keep their copy."""

        code: str
        reason: str
        at: datetime

        def apply(self, catalogue: ItemCatalogue) -> None:
            catalogue.withdrawn[self.code] = catalogue.items.pop(self.code)

    def register(self, items: Iterable[ListedItem], at: datetime) -> int:
        """New items; a code in use (or repeated in the batch) refuses the whole batch. A
        withdrawn code may be registered again: it is a new row of the list."""
        batch: dict[str, ListedItem] = {}
        for item in items:
            if item.code in self.items or item.code in batch:
                raise DuplicateItemError(item.code)
            batch[item.code] = item
        if batch:
            self.trigger_event(
                self.ItemsRegistered,
                items=[i.as_record() for i in batch.values()],
                at=moment(at),
            )
        return len(batch)

    def change(self, item: ListedItem, reason: str, at: datetime) -> bool:
        """Whether anything changed: the same row again records nothing."""
        if item.code not in self.items:
            raise UnknownItemError(item.code)
        reason = text(reason, "reason", "变更原因")
        if self.items[item.code] == item:
            return False
        self.trigger_event(self.ItemChanged, item=item.as_record(), reason=reason, at=moment(at))
        return True

    def withdraw(self, code: str, reason: str, at: datetime) -> None:
        if code not in self.items:
            raise UnknownItemError(code)
        self.trigger_event(
            self.ItemWithdrawn,
            code=code,
            reason=text(reason, "reason", "撤销原因"),
            at=moment(at),
        )

    def check_item(self, code: str, field: str) -> CheckItem:
        """The copy a task takes of an item in force; a code not in force names the field and
        the codes that are."""
        item = self.items.get(code.strip()) if isinstance(code, str) else None
        if item is None:
            known = "、".join(sorted(self.items)) or "（清单为空）"
            raise InvalidValueError(
                field, f"{self.department} 抽查事项清单中的事项编号：{known}", code
            )
        return item.check_item
