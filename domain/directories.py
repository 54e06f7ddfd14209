"""名录库 as aggregates: every change to a directory is an event, so any past version can be rebuilt.

A draw records the directory version it drew from; changing the directory afterwards never changes
that draw's population, and an auditor rebuilds it from the log at that version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.credit_code import validate_credit_code
from domain.directory import Inspector, Recusal, Target
from domain.errors import (
    DuplicateInspectorError,
    DuplicateTargetError,
    InvalidValueError,
    UnknownInspectorError,
    UnknownTargetError,
)
from domain.values import Scope, department_code, moment, text

Record = dict[str, Any]


class TargetDirectory(Aggregate):
    """抽查对象名录库: the targets a lead department draws from."""

    class Opened(Aggregate.Created):
        name: str
        owner: str
        """The department that keeps it."""
        at: datetime

    @staticmethod
    def id_for(name: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:target-directory:{name}")

    @staticmethod
    def create_id(name: str, owner: str, at: datetime) -> UUID:
        return TargetDirectory.id_for(name)

    @classmethod
    def open(cls, name: str, owner: str, at: datetime) -> TargetDirectory:
        return cls(
            name=text(name, "name", "名录库名称"),
            owner=department_code(owner, "owner"),
            at=moment(at),
        )

    @event(Opened)
    def __init__(self, name: str, owner: str, at: datetime) -> None:
        self.name = name
        self.owner = owner
        self.targets: dict[str, Target] = {}

    class TargetsRegistered(Aggregate.Event):
        columns: list[str]
        """Names of the values in each row (Target.COLUMNS)."""
        targets: list[list[Any]]
        """One row per target."""
        at: datetime

        def apply(self, directory: TargetDirectory) -> None:
            directory.targets.update((row[0], Target.from_row(row)) for row in self.targets)

    class TargetsUpdated(Aggregate.Event):
        """New grades, tags or status (e.g. 注销) of targets already in the directory."""

        columns: list[str]
        targets: list[list[Any]]
        reason: str
        at: datetime

        def apply(self, directory: TargetDirectory) -> None:
            directory.targets.update((row[0], Target.from_row(row)) for row in self.targets)

    def register(self, targets: Iterable[Target], at: datetime) -> int:
        batch: dict[str, Target] = {}
        for target in targets:
            if target.credit_code in self.targets or target.credit_code in batch:
                raise DuplicateTargetError(target.credit_code)
            batch[target.credit_code] = target
        if batch:
            self.trigger_event(
                self.TargetsRegistered,
                columns=list(Target.COLUMNS),
                targets=[t.as_row() for t in batch.values()],
                at=moment(at),
            )
        return len(batch)

    def update(self, targets: Iterable[Target], reason: str, at: datetime) -> int:
        batch = list(targets)
        for target in batch:
            if target.credit_code not in self.targets:
                raise UnknownTargetError(target.credit_code)
        if batch:
            self.trigger_event(
                self.TargetsUpdated,
                columns=list(Target.COLUMNS),
                targets=[t.as_row() for t in batch],
                reason=text(reason, "reason", "变更原因"),
                at=moment(at),
            )
        return len(batch)

    def population(self, scope: Scope) -> dict[str, str]:
        """The draw's population: active targets in scope, credit code -> risk grade."""
        return {
            code: t.risk_grade.value
            for code, t in self.targets.items()
            if t.active and scope.admits(t.category, t.region, t.tags)
        }


class InspectorDirectory(Aggregate):
    """执法检查人员名录库 of one department."""

    class Opened(Aggregate.Created):
        department: str
        at: datetime

    @staticmethod
    def id_for(department: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:inspector-directory:{department}")

    @staticmethod
    def create_id(department: str, at: datetime) -> UUID:
        return InspectorDirectory.id_for(department)

    @classmethod
    def open(cls, department: str, at: datetime) -> InspectorDirectory:
        return cls(department=department_code(department), at=moment(at))

    @event(Opened)
    def __init__(self, department: str, at: datetime) -> None:
        self.department = department
        self.inspectors: dict[str, Inspector] = {}

    class InspectorsRegistered(Aggregate.Event):
        inspectors: list[Record]
        at: datetime

        def apply(self, directory: InspectorDirectory) -> None:
            for record in self.inspectors:
                inspector = Inspector.from_record(record)
                directory.inspectors[inspector.inspector_id] = inspector

    class InspectorUpdated(Aggregate.Event):
        """Leave taken or ended, certificate renewed, left the service: the whole new record."""

        inspector: Record
        reason: str
        at: datetime

        def apply(self, directory: InspectorDirectory) -> None:
            inspector = Inspector.from_record(self.inspector)
            directory.inspectors[inspector.inspector_id] = inspector

    class ConflictDeclared(Aggregate.Event):
        """回避: the inspector must not inspect this target."""

        inspector_id: str
        credit_code: str
        reason: str
        at: datetime

        def apply(self, directory: InspectorDirectory) -> None:
            old = directory.inspectors[self.inspector_id]
            record = old.as_record()
            record["conflicts"] = sorted({*old.conflicts, self.credit_code})
            directory.inspectors[self.inspector_id] = Inspector.from_record(record)

    def register(self, inspectors: Iterable[Inspector], at: datetime) -> int:
        batch: dict[str, Inspector] = {}
        for inspector in inspectors:
            if inspector.department != self.department:
                raise InvalidValueError(
                    "department", f"本名录库的部门 {self.department}", inspector.department
                )
            if inspector.inspector_id in self.inspectors or inspector.inspector_id in batch:
                raise DuplicateInspectorError(inspector.inspector_id)
            batch[inspector.inspector_id] = inspector
        if batch:
            self.trigger_event(
                self.InspectorsRegistered,
                inspectors=[i.as_record() for i in batch.values()],
                at=moment(at),
            )
        return len(batch)

    def _get(self, inspector_id: str) -> Inspector:
        if inspector_id not in self.inspectors:
            raise UnknownInspectorError(inspector_id)
        return self.inspectors[inspector_id]

    def _change(self, inspector_id: str, reason: str, at: datetime, **changes: Any) -> None:
        record = self._get(inspector_id).as_record()
        record.update(changes)
        Inspector.from_record(record)  # refuse an invalid change before it is recorded
        self.trigger_event(self.InspectorUpdated, inspector=record, reason=reason, at=moment(at))

    def take_leave(self, inspector_id: str, at: datetime) -> None:
        self._change(inspector_id, "请假", at, on_leave=True)

    def end_leave(self, inspector_id: str, at: datetime) -> None:
        self._change(inspector_id, "销假", at, on_leave=False)

    def renew_certificate(self, inspector_id: str, number: str, expiry: date, at: datetime) -> None:
        self._change(
            inspector_id,
            "执法证换发",
            at,
            certificate_no=text(number, "certificate_no", "执法证号"),
            certificate_expiry=expiry.isoformat(),
        )

    def deactivate(self, inspector_id: str, reason: str, at: datetime) -> None:
        self._change(inspector_id, text(reason, "reason", "停用原因"), at, active=False)

    def declare_conflict(
        self, inspector_id: str, credit_code: str, reason: str, at: datetime
    ) -> None:
        self._get(inspector_id)
        code, _ = validate_credit_code(credit_code)
        self.trigger_event(
            self.ConflictDeclared,
            inspector_id=inspector_id,
            credit_code=code,
            reason=text(reason, "reason", "回避事由"),
            at=moment(at),
        )

    def pool(self, day: date) -> list[str]:
        """Who may be drawn on `day`: active, not on leave, certificate valid (DRAW-SPEC.md)."""
        return sorted(i for i, inspector in self.inspectors.items() if inspector.eligible_on(day))

    def recusals(self) -> list[Recusal]:
        """Every declared conflict of interest, inspector by inspector."""
        return [
            Recusal(i, target)
            for i, inspector in sorted(self.inspectors.items())
            for target in sorted(inspector.conflicts)
        ]
