"""Directories: the 名录库 of targets and of each department's inspectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import TypeVar
from uuid import UUID

from domain.directories import InspectorDirectory, TargetDirectory
from domain.directory import Inspector, Target
from domain.values import Scope
from services.store import SsjApplication

R = TypeVar("R")

BATCH = 5_000
"""Targets per event: a large import is a few events, not one enormous one."""


@dataclass(frozen=True)
class Population:
    """A draw's population, and the directory version it was taken from."""

    directory_id: UUID
    position: int
    members: dict[str, str]
    """credit code -> risk grade."""


@dataclass(frozen=True)
class Pool:
    department: str
    position: int
    inspectors: list[str]


class Directories(SsjApplication):
    def open_target_directory(self, name: str, owner: str, at: datetime) -> UUID:
        directory = TargetDirectory.open(name, owner, at)
        self.create(directory, what="名录库")
        return directory.id

    def target_directory(self, directory_id: UUID, version: int | None = None) -> TargetDirectory:
        return self.load(TargetDirectory, directory_id, "名录库", version)

    def register_targets(self, directory_id: UUID, targets: Iterable[Target], at: datetime) -> int:
        """All or nothing: a duplicate anywhere in the input refuses the whole import."""
        directory = self.target_directory(directory_id)
        count = 0
        items = iter(targets)
        while batch := list(islice(items, BATCH)):
            count += directory.register(batch, at)
        self.save(directory)
        return count

    def update_targets(
        self, directory_id: UUID, targets: Sequence[Target], reason: str, at: datetime
    ) -> int:
        return self.change(
            TargetDirectory, directory_id, "名录库", lambda d: d.update(targets, reason, at)
        )

    def population(
        self, directory_id: UUID, scope: Scope, position: int | None = None
    ) -> Population:
        directory = self.target_directory(directory_id, position)
        return Population(directory_id, directory.version, directory.population(scope))

    def target_names(self, directory_id: UUID, codes: Iterable[str]) -> dict[str, str]:
        directory = self.target_directory(directory_id)
        return {c: directory.targets[c].name for c in codes if c in directory.targets}

    # ------------------------------------------------------------------ inspectors
    def open_inspector_directory(self, department: str, at: datetime) -> UUID:
        directory = InspectorDirectory.open(department, at)
        self.create(directory, what="执法检查人员名录库")
        return directory.id

    def inspector_directory(
        self, department: str, version: int | None = None
    ) -> InspectorDirectory:
        return self.load(
            InspectorDirectory,
            InspectorDirectory.id_for(department),
            f"{department} 执法检查人员名录库",
            version,
        )

    def _change_inspectors(self, department: str, command: Callable[[InspectorDirectory], R]) -> R:
        return self.change(
            InspectorDirectory,
            InspectorDirectory.id_for(department),
            f"{department} 执法检查人员名录库",
            command,
        )

    def register_inspectors(
        self, department: str, inspectors: Iterable[Inspector], at: datetime
    ) -> int:
        batch = list(inspectors)
        return self._change_inspectors(department, lambda d: d.register(batch, at))

    def take_leave(self, department: str, inspector_id: str, at: datetime) -> None:
        self._change_inspectors(department, lambda d: d.take_leave(inspector_id, at))

    def end_leave(self, department: str, inspector_id: str, at: datetime) -> None:
        self._change_inspectors(department, lambda d: d.end_leave(inspector_id, at))

    def declare_conflict(
        self, department: str, inspector_id: str, credit_code: str, reason: str, at: datetime
    ) -> None:
        self._change_inspectors(
            department, lambda d: d.declare_conflict(inspector_id, credit_code, reason, at)
        )

    def pool(self, department: str, day: date, position: int | None = None) -> Pool:
        directory = self.inspector_directory(department, position)
        return Pool(department, directory.version, directory.pool(day))

    def conflicts(self, positions: dict[str, int]) -> dict[str, list[str]]:
        """Declared recusals of the given departments, each as of the given directory version."""
        found: dict[str, list[str]] = {}
        for department, position in positions.items():
            found.update(self.inspector_directory(department, position).conflicts())
        return found

    def contacts(self, department: str) -> dict[str, dict[str, str]]:
        directory = self.inspector_directory(department)
        return {i: {"name": p.name, "phone": p.phone} for i, p in directory.inspectors.items()}
