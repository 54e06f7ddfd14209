"""6–8. Inspectors, groups and sheets: each department draws its own inspectors, the groups are
matched to targets with recusals honoured, one 一企一表 per target, and each department files
its grouping and vehicles with the office.

The events keep plain records (their JSON is the contract with auditors and other departments);
`Group`, `RecordSheet` and `Recusal` are how the rest of the code reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from domain import draw
from domain.directory import CheckItem, Recusal
from domain.errors import (
    ConfirmationPendingError,
    GroupsAlreadyMatchedError,
    InspectorsAlreadyDrawnError,
    InspectorsNotDrawnError,
)
from domain.task.base import Record, Step, TaskBase
from domain.values import department_code


@dataclass(frozen=True)
class Group:
    """联合检查组: the inspectors each participating department sends (2 each by default)."""

    number: int
    """0, 1, …: shown to staff as 第 number+1 组."""
    inspectors: Mapping[str, tuple[str, ...]]
    """Department -> its inspectors in this group."""

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(i for ids in self.inspectors.values() for i in ids)

    def as_record(self) -> dict[str, list[str]]:
        return {department: list(ids) for department, ids in self.inspectors.items()}

    @classmethod
    def from_record(cls, number: int, record: Mapping[str, Iterable[str]]) -> Group:
        return cls(number, {department: tuple(ids) for department, ids in record.items()})


@dataclass(frozen=True)
class RecordSheet:
    """一企一表: one joint record sheet per target, with every department's inspectors and items."""

    target: str
    name: str
    group: int
    inspectors: Mapping[str, tuple[str, ...]]
    """Department -> the group's inspectors of that department."""
    items: Mapping[str, tuple[CheckItem, ...]]
    """Department -> its check items (抽查事项) for this target."""

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(self.inspectors)

    def for_department(self, department: str) -> RecordSheet:
        """The sheet as one department receives it: its own inspectors and items only, for what
        another department checks, and who for it, is that department's business."""
        return RecordSheet(
            self.target,
            self.name,
            self.group,
            {department: self.inspectors.get(department, ())},
            {department: self.items.get(department, ())},
        )

    def as_record(self) -> Record:
        return {
            "target": self.target,
            "name": self.name,
            "group": self.group,
            "inspectors": {d: list(ids) for d, ids in self.inspectors.items()},
            "items": {d: [i.as_record() for i in items] for d, items in self.items.items()},
        }

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> RecordSheet:
        inspectors = cast(Mapping[str, Iterable[str]], record["inspectors"])
        items = cast(Mapping[str, Iterable[Mapping[str, str]]], record["items"])
        return cls(
            target=str(record["target"]),
            name=str(record.get("name", "")),
            group=int(str(record["group"])),
            inspectors={str(d): tuple(ids) for d, ids in inspectors.items()},
            items={
                str(d): tuple(CheckItem.from_record(dict(i)) for i in v) for d, v in items.items()
            },
        )


class InspectorsDrawn(Step):
    """A department's own draw from its 执法检查人员名录库 (purpose inspectors:<dept>)."""

    department: str
    rule: str
    directory_position: int
    """The version of the department's inspector directory the pool came from."""
    pool_digest: str
    pool_size: int
    groups: list[list[str]]
    """Group g's inspectors of this department, in rank order."""
    at: datetime

    def apply(self, task: Groups) -> None:
        task.inspector_draws[self.department] = self


class GroupsMatched(Step):
    """联合检查组 and their targets, and one 一企一表 per target."""

    rule: str
    groups: list[dict[str, list[str]]]
    """Group g: department -> its inspectors."""
    conflicts: dict[str, list[str]]
    """Declared recusals of the drawn inspectors that concern drawn targets."""
    directory_positions: dict[str, int]
    """The inspector directories' versions the recusals were read from."""
    matches: dict[str, int]
    """Target -> group, in match order."""
    sheets: list[Record]
    """一企一表: target, name, group, inspectors per department, items per department."""
    at: datetime

    def apply(self, task: Groups) -> None:
        task.matching = self

    def joint_groups(self) -> tuple[Group, ...]:
        return tuple(Group.from_record(n, g) for n, g in enumerate(self.groups))

    def record_sheets(self) -> tuple[RecordSheet, ...]:
        return tuple(RecordSheet.from_record(sheet) for sheet in self.sheets)

    def inspectors_of(self, target: str) -> frozenset[str]:
        """Who inspects the target: its group's inspectors of every department (none if the
        target was not matched). Read from the groups, not the sheets, as each result asks it."""
        group = self.matches.get(target)
        if group is None:
            return frozenset()
        return frozenset(i for ids in self.groups[group].values() for i in ids)

    def recusals(self) -> tuple[Recusal, ...]:
        return tuple(Recusal(i, t) for i, targets in self.conflicts.items() for t in targets)


class GroupingFiled(Step):
    """人员分组及车辆安排情况表, filed with the office by each department."""

    department: str
    members: list[Record]
    """One row per inspector: group, id, name, phone."""
    vehicles: dict[str, str]
    """Group number -> vehicle arrangement."""
    at: datetime

    def apply(self, task: Groups) -> None:
        task.filings[self.department] = self


def recusals_by_inspector(recusals: Iterable[Recusal]) -> dict[str, list[str]]:
    """Inspector -> the targets he or she must recuse from, sorted: as GroupsMatched records them."""
    found: dict[str, set[str]] = {}
    for recusal in recusals:
        found.setdefault(recusal.inspector, set()).add(recusal.target)
    return {inspector: sorted(targets) for inspector, targets in sorted(found.items())}


class Groups(TaskBase):
    inspector_draws: dict[str, InspectorsDrawn]
    filings: dict[str, GroupingFiled]

    def group_count(self) -> int:
        return self.definition.groups or draw.default_group_count(len(self.drawn_targets))

    @property
    def record_sheets(self) -> tuple[RecordSheet, ...]:
        return self.matching.record_sheets() if self.matching else ()

    def inspectors_of(self, target: str) -> frozenset[str]:
        """The inspectors the 一企一表 of the target names; none before the groups are matched."""
        return self.matching.inspectors_of(target) if self.matching else frozenset()

    # ----------------------------------------------------------------- 6. draw inspectors
    def draw_inspectors(
        self, department: str, pool: Iterable[str], directory_position: int, at: datetime
    ) -> tuple[tuple[str, ...], ...]:
        self._require_drawn()
        department = department_code(department)
        if department in self.cooperating and department not in self.answers:
            raise ConfirmationPendingError(department)
        self._require_participant(department)
        if department in self.inspector_draws:
            raise InspectorsAlreadyDrawnError(department)
        ids = sorted(set(pool))
        groups = draw.draw_inspectors(
            ids, department, self.group_count(), self.definition.per_group, self.seed
        )
        self.trigger_event(
            self._named(InspectorsDrawn),
            department=department,
            rule=draw.RULE,
            directory_position=directory_position,
            pool_digest=draw.pool_digest(ids),
            pool_size=len(ids),
            groups=[list(g) for g in groups],
            at=self._when(at),
        )
        return groups

    # ----------------------------------------------------------------- 7. match
    def match_groups(
        self,
        recusals: Iterable[Recusal],
        directory_positions: Mapping[str, int],
        target_names: Mapping[str, str],
        at: datetime,
    ) -> dict[str, int]:
        self._require_drawn()
        if self.matching is not None:
            raise GroupsAlreadyMatchedError(self.name)
        if self.unanswered:
            raise ConfirmationPendingError("、".join(self.unanswered))
        undrawn = [d for d in self.participating if d not in self.inspector_draws]
        if undrawn:
            raise InspectorsNotDrawnError("、".join(undrawn))
        targets = set(self.drawn_targets)
        groups = [
            Group(g, {d: tuple(self.inspector_draws[d].groups[g]) for d in self.participating})
            for g in range(self.group_count())
        ]
        members = {m for group in groups for m in group.members}
        relevant = recusals_by_inspector(
            r for r in recusals if r.inspector in members and r.target in targets
        )
        matches = draw.match_groups(
            self.drawn_targets, [list(group.members) for group in groups], relevant, self.seed
        )
        items = {d: self.definition.items[d] for d in self.participating}
        sheets = [
            RecordSheet(target, target_names.get(target, ""), g, groups[g].inspectors, items)
            for target, g in matches.items()
        ]
        self.trigger_event(
            self._named(GroupsMatched),
            rule=draw.RULE,
            groups=[group.as_record() for group in groups],
            conflicts=relevant,
            directory_positions=dict(directory_positions),
            matches=matches,
            sheets=[sheet.as_record() for sheet in sheets],
            at=self._when(at),
        )
        return matches

    # ----------------------------------------------------------------- 8. file the grouping
    def file_grouping(
        self,
        department: str,
        contacts: Mapping[str, Mapping[str, str]],
        vehicles: Mapping[str, str],
        at: datetime,
    ) -> None:
        matching = self._require_matched()
        department = self._require_participant(department)
        rows = []
        for group in matching.joint_groups():
            for inspector in group.inspectors.get(department, ()):
                contact = contacts.get(inspector, {})
                rows.append(
                    {
                        "group": group.number,
                        "inspector": inspector,
                        "name": contact.get("name", ""),
                        "phone": contact.get("phone", ""),
                    }
                )
        self.trigger_event(
            self._named(GroupingFiled),
            department=department,
            members=rows,
            vehicles=dict(vehicles),
            at=self._when(at),
        )
