"""Directories: the 名录库 of targets and of each department's inspectors.

A department keeps its own: the target directories it draws from and its inspectors' directory.
Commands take who asks (`actor`) and when (`at`); the reads without an actor below serve the
other applications (the population of a draw, a pool of inspectors), never a front.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import TypeVar
from uuid import UUID

from domain.directories import InspectorDirectory, TargetDirectory
from domain.directory import Inspector, Recusal, Target
from domain.values import Scope
from services.actors import Actor
from services.clock import TimeGuard
from services.permissions import Action, Parties, require
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
    def __init__(self, guard: TimeGuard, env: Mapping[str, str] | None = None) -> None:
        self.guard = guard
        super().__init__(env)

    # ------------------------------------------------------------------ targets
    def open_target_directory(
        self, actor: Actor, name: str, *, at: datetime, command_id: UUID | None = None
    ) -> UUID:
        self.guard.admit(at)
        require(actor, Action.OPEN_TARGET_DIRECTORY, Parties.owned_by(actor.department or ""))
        directory = TargetDirectory.open(name, actor.speaks_for, at)
        self.create(directory, what="名录库", command_id=command_id)
        return directory.id

    def target_directory(self, directory_id: UUID, version: int | None = None) -> TargetDirectory:
        return self.load(TargetDirectory, directory_id, "名录库", version)

    def _change_targets(
        self,
        actor: Actor,
        action: Action,
        directory_id: UUID,
        command: Callable[[TargetDirectory], R],
        at: datetime,
        command_id: UUID | None,
    ) -> R:
        self.guard.admit(at)

        def guarded(directory: TargetDirectory) -> R:
            require(actor, action, Parties.owned_by(directory.owner))
            return command(directory)

        return self.change(TargetDirectory, directory_id, "名录库", guarded, command_id)

    def register_targets(
        self,
        actor: Actor,
        directory_id: UUID,
        targets: Iterable[Target],
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> int:
        """All or nothing: a duplicate anywhere in the input, or already stored, refuses the
        whole import (DuplicateTargetError, checked again on the stored directory should
        another import land first)."""
        batch = list(targets)

        def register(directory: TargetDirectory) -> int:
            count = 0
            items = iter(batch)
            while chunk := list(islice(items, BATCH)):
                count += directory.register(chunk, at)
            return count

        return self._change_targets(
            actor, Action.REGISTER_TARGETS, directory_id, register, at, command_id
        )

    def update_targets(
        self,
        actor: Actor,
        directory_id: UUID,
        targets: Sequence[Target],
        reason: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> int:
        return self._change_targets(
            actor,
            Action.UPDATE_TARGETS,
            directory_id,
            lambda d: d.update(targets, reason, at),
            at,
            command_id,
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
    def open_inspector_directory(
        self, actor: Actor, *, at: datetime, command_id: UUID | None = None
    ) -> UUID:
        self.guard.admit(at)
        require(actor, Action.OPEN_INSPECTOR_DIRECTORY, Parties.owned_by(actor.department or ""))
        directory = InspectorDirectory.open(actor.speaks_for, at)
        self.create(directory, what="执法检查人员名录库", command_id=command_id)
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

    def _change_inspectors(
        self,
        actor: Actor,
        action: Action,
        command: Callable[[InspectorDirectory], R],
        at: datetime,
        command_id: UUID | None,
    ) -> R:
        self.guard.admit(at)
        require(actor, action, Parties.owned_by(actor.department or ""))
        department = actor.speaks_for
        return self.change(
            InspectorDirectory,
            InspectorDirectory.id_for(department),
            f"{department} 执法检查人员名录库",
            command,
            command_id,
        )

    def register_inspectors(
        self,
        actor: Actor,
        inspectors: Iterable[Inspector],
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> int:
        batch = list(inspectors)
        return self._change_inspectors(
            actor, Action.REGISTER_INSPECTORS, lambda d: d.register(batch, at), at, command_id
        )

    def take_leave(
        self, actor: Actor, inspector_id: str, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        self._change_inspectors(
            actor, Action.CHANGE_INSPECTOR, lambda d: d.take_leave(inspector_id, at), at, command_id
        )

    def end_leave(
        self, actor: Actor, inspector_id: str, *, at: datetime, command_id: UUID | None = None
    ) -> None:
        self._change_inspectors(
            actor, Action.CHANGE_INSPECTOR, lambda d: d.end_leave(inspector_id, at), at, command_id
        )

    def declare_conflict(
        self,
        actor: Actor,
        inspector_id: str,
        credit_code: str,
        reason: str,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        self._change_inspectors(
            actor,
            Action.CHANGE_INSPECTOR,
            lambda d: d.declare_conflict(inspector_id, credit_code, reason, at),
            at,
            command_id,
        )

    def pool(self, department: str, day: date, position: int | None = None) -> Pool:
        directory = self.inspector_directory(department, position)
        return Pool(department, directory.version, directory.pool(day))

    def recusals_now(self, departments: Iterable[str]) -> tuple[dict[str, int], list[Recusal]]:
        """Each department's directory as it stands, read once: its version, and its declared
        recusals, which a match records with that version so an auditor can read them again."""
        directories = {d: self.inspector_directory(d) for d in departments}
        positions = {d: directory.version for d, directory in directories.items()}
        return positions, [r for directory in directories.values() for r in directory.recusals()]

    def recusals(self, positions: dict[str, int]) -> list[Recusal]:
        """Declared recusals of the given departments, each as of the given directory version."""
        return [
            recusal
            for department, position in positions.items()
            for recusal in self.inspector_directory(department, position).recusals()
        ]

    def contacts(self, department: str) -> dict[str, dict[str, str]]:
        directory = self.inspector_directory(department)
        return {i: {"name": p.name, "phone": p.phone} for i, p in directory.inspectors.items()}
