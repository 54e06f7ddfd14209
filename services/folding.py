"""A batch of the log folded into the rows it changes, for a store that keeps read models in tables.

A store asks which tasks' rows each read model needs (`wanted`), loads what those tasks already
have, hands it here with the batch (`fold_batch`), and writes back only what changed, with its
position, in one transaction. The read models' own rules (what a
department owes, how a correction reads, what counts as a month's work) stay in their modules;
this is how a batch of them becomes rows, the same for every store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.utils import TopicError, resolve_topic

from domain.task import Task
from services.ledger import FollowUpLedger, LedgerRow
from services.log import Logged, event_name
from services.projection import handled_events
from services.register import PublicRegister, PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload, PlanStatistics
from services.task_index import TaskIndex
from services.task_views import Escalation, TaskView

ORDINALS = 100_000
"""Entries of one publication at most: a register entry's place is position × ORDINALS + ordinal."""
ESCALATIONS_PER_EVENT = 1_000
"""Escalations one event gives rise to at most: an escalation's place is position ×
ESCALATIONS_PER_EVENT + its n-th."""


@cache
def folded_events() -> frozenset[type]:
    """The event classes some read model folds: a store decodes no other."""
    return (
        handled_events(TaskIndex)
        | handled_events(PublicRegister)
        | handled_events(FollowUpLedger)
        | handled_events(PlanStatistics)
    )


@cache
def folds(topic: str) -> bool:
    """Whether a read model folds the events stored under `topic`, a renamed class's old topic
    too. A topic that names no class of this code is folded by none: the auditor names its row,
    and the read models go on past it."""
    try:
        return resolve_topic(topic) in folded_events()
    except TopicError:
        return False


def task_ids(batch: Sequence[Logged], model: type) -> list[UUID]:
    """The tasks of the batch's events that `model` has a handler for: the only tasks whose rows
    it needs."""
    return list(
        dict.fromkeys(
            logged.event.originator_id
            for logged in batch
            if hasattr(model, f"when_{event_name(logged.event)}")
        )
    )


@dataclass(frozen=True)
class Wanted:
    """The tasks whose rows a store loads for a batch."""

    views: list[UUID]
    """Every task some read model folds an event of: its view names it (name, lead,
    cooperating) for the register, the ledger and the statistics, which keep no copy."""
    register: list[UUID]
    ledger: list[UUID]


def wanted(batch: Sequence[Logged]) -> Wanted:
    register = task_ids(batch, PublicRegister)
    ledger = task_ids(batch, FollowUpLedger)
    named = [*task_ids(batch, TaskIndex), *register, *ledger, *task_ids(batch, PlanStatistics)]
    return Wanted(list(dict.fromkeys(named)), register, ledger)


@dataclass
class Changes:
    views: ViewChanges
    register: RegisterChanges
    ledger: LedgerChanges
    statistics: StatisticsChanges


def fold_batch(
    views: Mapping[UUID, dict[str, Any]],
    entries: Sequence[Placed],
    rows: Sequence[tuple[int, LedgerRow]],
    batch: Sequence[Logged],
) -> Changes:
    """The batch's effect on every read model, from the stored views (as records), register
    entries and ledger rows of the tasks `wanted(batch)` names."""
    folded = fold_views(views, batch)
    names = {task: view.name for task, view in folded.held.items()}
    departments = {task: (view.lead, *view.cooperating) for task, view in folded.held.items()}
    return Changes(
        folded,
        fold_register(names, entries, batch),
        fold_ledger(names, rows, batch),
        fold_statistics(departments, batch),
    )


# ---------------------------------------------------------------------------- task views
@dataclass
class ViewChanges:
    views: dict[UUID, TaskView] = field(default_factory=dict)
    """Every view the batch changed, whole."""
    records: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    """Each changed view as the store keeps it (`to_record()`, made once)."""
    held: dict[UUID, TaskView] = field(default_factory=dict)
    """Every view the fold held, changed or not: the stored ones and those planned here."""
    planned: dict[UUID, int] = field(default_factory=dict)
    """New tasks -> the position of their Planned event: their place in every list."""
    escalations: list[tuple[int, Escalation]] = field(default_factory=list)
    """(place, escalation): in the order they were raised."""


def fold_views(stored: Mapping[UUID, dict[str, Any]], batch: Sequence[Logged]) -> ViewChanges:
    """`stored`: the views as the store keeps them (`to_record()`), each read once here."""
    index = TaskIndex()
    index.tasks.update({task: TaskView.from_record(record) for task, record in stored.items()})
    changes = ViewChanges(held=index.tasks)
    for logged in batch:
        told = len(index.escalations)
        index.process(logged)
        task = logged.event.originator_id
        if task in index.tasks and task not in stored:
            changes.planned.setdefault(task, logged.position)
        changes.escalations += [
            (logged.position * ESCALATIONS_PER_EVENT + n, e)
            for n, e in enumerate(index.escalations[told:])
        ]
    for task, view in index.tasks.items():
        record = view.to_record()
        if record != stored.get(task):
            changes.views[task] = view
            changes.records[task] = record
    return changes


# ---------------------------------------------------------------------------- public register
@dataclass(frozen=True)
class Placed:
    """A register entry and its place: its publication's position and its place in it."""

    entry: RegisterEntry
    place: int


@dataclass
class RegisterChanges:
    entries: list[Placed] = field(default_factory=list)
    draws: dict[UUID, tuple[int, PublishedDraw]] = field(default_factory=dict)


def fold_register(
    names: Mapping[UUID, str], stored: Sequence[Placed], batch: Sequence[Logged]
) -> RegisterChanges:
    register = PublicRegister()
    register.task_names.update(names)
    places: dict[tuple[str, UUID], int] = {}
    before: dict[tuple[str, UUID], RegisterEntry] = {}
    for placed in stored:
        key = (placed.entry.credit_code, placed.entry.task_id)
        entry = dataclasses.replace(
            placed.entry,
            results=dict(placed.entry.results),
            corrections=list(placed.entry.corrections),
        )
        register.entries.setdefault(entry.credit_code, []).append(entry)
        places[key] = placed.place
        before[key] = placed.entry
    changes = RegisterChanges()
    for logged in batch:
        register.process(logged)
        event = logged.event
        if isinstance(event, Task.ResultsPublished):
            for ordinal, published in enumerate(event.entries):
                key = (published["target"], event.originator_id)
                places.setdefault(key, logged.position * ORDINALS + ordinal)
        if isinstance(event, Task.TargetsDrawn):
            changes.draws[event.originator_id] = (
                logged.position,
                register.draws[event.originator_id],
            )
    for entries in register.entries.values():
        for entry in entries:
            key = (entry.credit_code, entry.task_id)
            if entry != before.get(key):
                changes.entries.append(Placed(entry, places[key]))
    return changes


# ---------------------------------------------------------------------------- follow-up ledger
@dataclass
class LedgerChanges:
    rows: list[tuple[int, LedgerRow]] = field(default_factory=list)
    """(position of the FollowUpOpened, the row as it now stands). A FollowUpOpened opens one
    row, so its position is the row's own place in the ledger, and a page's cursor."""


def fold_ledger(
    names: Mapping[UUID, str], stored: Sequence[tuple[int, LedgerRow]], batch: Sequence[Logged]
) -> LedgerChanges:
    ledger = FollowUpLedger()
    ledger.task_names.update(names)
    opened: dict[tuple[UUID, int], int] = {}
    before: dict[tuple[UUID, int], LedgerRow] = {}
    for position, row in stored:
        key = (row.task_id, row.number)
        ledger.rows[key] = row
        before[key] = row
        opened[key] = position
    for logged in batch:
        known = len(ledger.rows)
        ledger.process(logged)
        for key in list(ledger.rows)[known:]:
            opened[key] = logged.position
    return LedgerChanges(
        [(opened[k], row) for k, row in ledger.rows.items() if row != before.get(k)]
    )


# ---------------------------------------------------------------------------- plan statistics
@dataclass
class StatisticsChanges:
    increments: list[MonthlyWorkload] = field(default_factory=list)
    """Counts to add to what the store holds for each (department, month)."""


def fold_statistics(
    departments: Mapping[UUID, tuple[str, ...]], batch: Sequence[Logged]
) -> StatisticsChanges:
    statistics = PlanStatistics()
    statistics.departments.update(departments)
    for logged in batch:
        statistics.process(logged)
    return StatisticsChanges(list(statistics.months.values()))
