"""What a front shows of the 名录库: the target directories, and a directory's targets a page at a
time, to the directory's owner, the coordinating office and the auditor (Action.READ_DIRECTORY).

The directories are found in the log by their `Opened` events, so a directory nobody has yet
drawn from is listed too; a directory's targets are read from the aggregate as it stands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.directories import TargetDirectory
from domain.directory import RiskGrade, Target
from services.actors import Actor
from services.directories import Directories
from services.log import raw_log
from services.permissions import Action, Parties, departments_seen, require


@dataclass(frozen=True)
class DirectoryEntry:
    directory_id: UUID
    name: str
    owner: str
    targets: int
    active: int
    """Targets a draw may take (not closed or deregistered)."""


@dataclass(frozen=True)
class TargetFilter:
    """Each given condition must hold; `text` is part of the name or of the credit code."""

    category: str | None = None
    region: str | None = None
    tag: str | None = None
    grade: RiskGrade | None = None
    text: str | None = None
    active_only: bool = False

    def admits(self, target: Target) -> bool:
        return (
            (self.category is None or target.category == self.category)
            and (self.region is None or target.region == self.region)
            and (self.tag is None or self.tag in target.tags)
            and (self.grade is None or target.risk_grade is self.grade)
            and (not self.active_only or target.active)
            and (
                self.text is None
                or self.text in target.name
                or self.text.upper() in target.credit_code
            )
        )


@dataclass(frozen=True)
class TargetPage:
    directory: DirectoryEntry
    targets: tuple[Target, ...]
    matching: int
    """Targets the filter admits, on every page."""
    next_after: str | None
    """The credit code to continue after, when there are more."""
    categories: tuple[str, ...]
    """Every category of the directory, so that a filter that finds nothing can say what is."""


def _opened(directories: Directories) -> Iterator[UUID]:
    for row in raw_log(directories.recorder, topics=(get_topic(TargetDirectory.Opened),)):
        if isinstance(row, Notification) and isinstance(row.originator_id, UUID):
            yield row.originator_id


def _entry(directory: TargetDirectory) -> DirectoryEntry:
    targets = directory.targets.values()
    active = sum(1 for t in targets if t.active)
    return DirectoryEntry(directory.id, directory.name, directory.owner, len(targets), active)


def target_directories(directories: Directories, actor: Actor) -> list[DirectoryEntry]:
    """The directories the actor may read, in the order they were opened."""
    seen = departments_seen(actor, Action.READ_DIRECTORY)
    found = []
    for directory_id in dict.fromkeys(_opened(directories)):
        directory = directories.target_directory(directory_id)
        if seen is None or directory.owner in seen:
            found.append(_entry(directory))
    return found


def readable_directory(
    directories: Directories, actor: Actor, directory_id: UUID
) -> TargetDirectory:
    directory = directories.target_directory(directory_id)  # NotFoundError names a wrong one
    require(actor, Action.READ_DIRECTORY, Parties.owned_by(directory.owner))
    return directory


def targets_page(
    directories: Directories,
    actor: Actor,
    directory_id: UUID,
    where: TargetFilter = TargetFilter(),
    *,
    limit: int = 50,
    after: str | None = None,
) -> TargetPage:
    """Targets by credit code, `limit` at a time after `after`."""
    directory = readable_directory(directories, actor, directory_id)
    matching = sorted(
        (t for t in directory.targets.values() if where.admits(t)), key=lambda t: t.credit_code
    )
    rest = [t for t in matching if after is None or t.credit_code > after]
    page = tuple(rest[:limit])
    more = len(rest) > limit
    categories = tuple(sorted({t.category for t in directory.targets.values()}))
    return TargetPage(
        _entry(directory),
        page,
        len(matching),
        page[-1].credit_code if more and page else None,
        categories,
    )
