"""The yearly caps on inspections of one enterprise and their exemptions (国办发〔2024〕54号), and
what a commitment leaves out of its population because of them (domain/inspection_caps.py).

The caps live in the one log, as the year's `InspectionCaps` aggregate, so that the exclusions a
commitment records can be checked against the caps as they stood (their version is recorded).
The earlier draws that count are read from the log itself, never from a read model that might
lag behind it: the auditor reads the same events to check them.

Cost. Read naively, a commitment under caps reads and decodes every `TargetsDrawn` (and every
`JointVisit.Merged`) of the log, and loads each drawing task's first event: its cost grows with
the whole log (bench/caps.py measures it). Where the store keeps a `DrawIndex` (SQLite: triggers
on the stored events, adapters/sqlite/draw_index.py, filled in the transaction of each event, so
it never lags behind the log), the commitment reads only the draws that drew one of its
population's credit codes since the earliest day that can count (1 January of the commitment's
year, or the exclusion period's first day if earlier, less a day for the time's written offset),
and the joint visits of those tasks: what it reads grows with the population's own inspections,
not with the log. The result is the same as reading every draw, since a draw that drew none of
the population, or earlier than that day, changes no exclusion. PostgreSQL keeps the same index
(adapters/postgres/draw_index.py, made by `ssj db migrate`); without one (the in-memory store, a
database not migrated since) every draw is read. The auditor (services/exclusion_checks.py) always
recomputes from the whole log, without the index, as of the commitment's position.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.inspection_caps import (
    NONE,
    Exclusions,
    Exemption,
    InspectionCaps,
    PriorDraw,
    YearCaps,
    exclusions,
)
from domain.task import Task
from domain.values import local_day
from services.actors import Actor
from services.errors import NotFoundError
from services.log import raw_log
from services.permissions import Action, Parties, require
from services.store import SsjApplication

if TYPE_CHECKING:
    from services.tasks import Tasks

WHAT = "年度检查次数上限"


def year_caps(app: SsjApplication, year: int, version: int | None = None) -> YearCaps | None:
    """The year's caps and exemptions (as of `version`); None when the office set none."""
    try:
        caps = app.load(InspectionCaps, InspectionCaps.id_for(year), WHAT, version)
    except NotFoundError:
        return None
    return caps.in_force()


def prior_draws(app: SsjApplication, before: int | None = None) -> Iterator[PriorDraw]:
    """Every draw of targets in the log (before log position `before`), with its task's name
    and departments."""
    for _, prior in logged_draws(app, before):
        yield prior


def logged_draws(app: SsjApplication, before: int | None = None) -> Iterator[tuple[int, PriorDraw]]:
    """(position, draw) of every draw before `before`, each with the targets whose visits were
    merged into a joint visit before `before` (进一次门、查多项事: one entry through the door)."""
    from domain.joint_visit import JointVisit

    topics = (get_topic(Task.TargetsDrawn), get_topic(JointVisit.Merged))
    headers: dict[UUID, Task] = {}
    draws: list[tuple[int, PriorDraw]] = []
    joint: dict[UUID, dict[str, UUID]] = {}
    """Task -> target -> the joint visit its visit is part of."""
    for row in raw_log(app.recorder, topics=topics):
        if before is not None and row.id >= before:
            break
        if not isinstance(row, Notification):
            continue
        e = app.mapper.to_domain_event(row)
        if isinstance(e, JointVisit.Merged):
            for merged in e.tasks:
                joint.setdefault(UUID(str(merged["task_id"])), {})[e.target] = e.originator_id
            continue
        if not isinstance(e, Task.TargetsDrawn):
            continue
        task = headers.get(e.originator_id)
        if task is None:
            task = headers[e.originator_id] = app.load(Task, e.originator_id, "抽查任务", 1)
        targets = frozenset(t for ids in e.drawn.values() for t in ids)
        departments = task.definition.departments
        draws.append((row.id, PriorDraw(e.originator_id, task.name, departments, e.at, targets)))
    for position, prior in draws:
        # A merge always follows both draws it merges: known only once the range is read.
        merged_here = joint.get(prior.task_id)
        yield position, replace(prior, joint=merged_here) if merged_here else prior


def caps_version_before(app: SsjApplication, year: int, before: int) -> int | None:
    """The version the year's caps had just before log position `before` (None: not set yet)."""
    caps_id = InspectionCaps.id_for(year)
    topics = tuple(
        get_topic(c)
        for c in (InspectionCaps.Opened, InspectionCaps.CapsSet, InspectionCaps.ExemptionGranted)
    )
    version = None
    for row in raw_log(app.recorder, topics=topics):
        if row.id >= before:
            break
        if isinstance(row, Notification) and row.originator_id == caps_id:
            version = row.originator_version
    return version


class DrawIndex(Protocol):
    """Where the log's draws of a credit code are, kept by the store in step with the log."""

    def drawn(
        self, credit_codes: Collection[str], since: date, before: int | None = None
    ) -> list[int] | None:
        """Log positions of the draws that drew any of `credit_codes`, dated `since` or later
        (by the date their time is written with), in log order; None when this store has no
        index (yet): then every draw is read."""
        ...

    def merged(
        self, task_ids: Collection[UUID], before: int | None = None
    ) -> dict[UUID, dict[str, UUID]]:
        """Task -> target -> the joint visit its visit of the target was merged into."""
        ...

    def close(self) -> None: ...


def earliest_day(at: datetime, exclusion_days: int | None) -> date:
    """The first day a draw may count on for a commitment at `at`, less one: an event's time is
    written with its own offset, whose date may be a day before China's."""
    day = local_day(at)
    first = date(day.year, 1, 1)
    if exclusion_days:
        first = min(first, day - timedelta(days=exclusion_days))
    return first - timedelta(days=1)


def indexed_draws(
    app: SsjApplication,
    index: DrawIndex,
    credit_codes: Collection[str],
    since: date,
    before: int | None = None,
) -> list[PriorDraw] | None:
    """The draws the index names (logged before `before`), read from the log and decoded, with
    their joint visits (None when the store has no index)."""
    positions = index.drawn(credit_codes, since, before)
    if positions is None:
        return None
    topic = get_topic(Task.TargetsDrawn)
    headers: dict[UUID, Task] = {}
    draws: list[PriorDraw] = []
    for position in positions:
        rows = app.recorder.select_notifications(start=position, limit=1, topics=(topic,))
        if not rows or rows[0].id != position:
            raise ValueError(f"抽取索引指向位置 {position}，日志中该位置不是抽取事件")
        e = app.mapper.to_domain_event(rows[0])
        assert isinstance(e, Task.TargetsDrawn)
        task = headers.get(e.originator_id)
        if task is None:
            task = headers[e.originator_id] = app.load(Task, e.originator_id, "抽查任务", 1)
        targets = frozenset(t for ids in e.drawn.values() for t in ids)
        draws.append(
            PriorDraw(e.originator_id, task.name, task.definition.departments, e.at, targets)
        )
    joint = index.merged({d.task_id for d in draws}, before)
    return [replace(d, joint=joint[d.task_id]) if d.task_id in joint else d for d in draws]


def exclusions_for(
    app: SsjApplication, task: Task, population: Mapping[str, str], at: datetime
) -> Exclusions:
    """What the task's commitment at `at` leaves out: nothing, without caps for the year and
    without an exclusion period (and then the log is not even read)."""
    year, days = local_day(at).year, task.definition.exclusion_days
    caps, head = caps_and_head(app, year)
    if caps is None and days is None:
        return NONE
    # Only what the log held at `head` counts, and the commitment says so (counted_through): a
    # draw logged by another task between this read and the commitment's save is left out by
    # the rule itself, which the auditor re-runs as of the same position.
    before = head + 1
    index: DrawIndex | None = getattr(app, "draw_index", None)
    prior: list[PriorDraw] | Iterator[PriorDraw] | None = None
    if index is not None:
        prior = indexed_draws(app, index, population, earliest_day(at, days), before)
    if prior is None:
        prior = prior_draws(app, before)
    found = exclusions(population, task.id, task.definition.departments, at, days, caps, prior)
    return replace(found, inputs={**found.inputs, "counted_through": head})


def caps_and_head(app: SsjApplication, year: int) -> tuple[YearCaps | None, int]:
    """The year's caps as the log stands at its head, and that head's position: read again
    until no change of the caps came between the two reads."""
    while True:
        caps = year_caps(app, year)
        head = app.recorder.max_notification_id() or 0
        again = year_caps(app, year)
        if (caps and caps.version) == (again and again.version):
            return caps, head


@dataclass(frozen=True)
class CapsChange:
    """One change of a year's caps, as its history lists them: caps set, or an exemption."""

    version: int
    at: datetime
    departments: Mapping[str, int] | None = None
    """Set caps: department -> cap (None: this change is an exemption)."""
    total: int | None = None
    exemption: Exemption | None = None
    granted_by: str = ""


class Caps:
    """The office's commands on the caps, and the lead's or office's exemptions."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def caps(self, actor: Actor, year: int) -> YearCaps | None:
        require(actor, Action.READ_INSPECTION_LEDGER)
        return year_caps(self.tasks, year)

    def history(self, actor: Actor, year: int) -> list[CapsChange]:
        """Every change of the year's caps, oldest first (nothing when none was ever set)."""
        require(actor, Action.READ_INSPECTION_LEDGER)
        changes: list[CapsChange] = []
        for e in self.tasks.repository.event_store.get(InspectionCaps.id_for(year)):
            if isinstance(e, InspectionCaps.CapsSet):
                changes.append(CapsChange(e.originator_version, e.at, dict(e.departments), e.total))
            elif isinstance(e, InspectionCaps.ExemptionGranted):
                exemption = Exemption(
                    e.credit_code,
                    e.department,
                    e.task_id,
                    e.reason_kind,
                    e.reason,
                    e.originator_version,
                )
                changes.append(
                    CapsChange(
                        e.originator_version, e.at, exemption=exemption, granted_by=e.granted_by
                    )
                )
        return changes

    def _change(self, year: int, command: Any, at: datetime, command_id: UUID | None) -> None:
        self.tasks.guard.admit(at)
        caps_id = InspectionCaps.id_for(year)
        try:
            self.tasks.load(InspectionCaps, caps_id, WHAT)
        except NotFoundError:
            opened = InspectionCaps.open(year, at)
            command(opened)
            self.tasks.create(opened, what=WHAT, command_id=command_id)
            return
        self.tasks.change(InspectionCaps, caps_id, WHAT, command, command_id)

    def set_caps(
        self,
        actor: Actor,
        year: int,
        departments: Mapping[str, int],
        total: int | None,
        *,
        at: datetime,
        command_id: UUID | None = None,
    ) -> None:
        require(actor, Action.SET_INSPECTION_CAPS)
        self._change(year, lambda c: c.set_caps(departments, total, at), at, command_id)

    def grant_exemption(
        self,
        actor: Actor,
        credit_code: str,
        year: int,
        reason_kind: str,
        reason: str,
        *,
        at: datetime,
        department: str | None = None,
        task_id: UUID | None = None,
        command_id: UUID | None = None,
    ) -> None:
        """The office for any target; a lead for its own tasks, or its own department's caps."""
        if task_id is not None:
            parties = Parties(lead=self.tasks.load(Task, task_id, "抽查任务", 1).lead)
        else:
            parties = Parties(lead=department)
        require(actor, Action.GRANT_CAP_EXEMPTION, parties)
        by = str(actor)
        self._change(
            year,
            lambda c: c.grant_exemption(
                credit_code, reason_kind, reason, by, at, department=department, task_id=task_id
            ),
            at,
            command_id,
        )


def exclusion_period(app: SsjApplication, actor: Actor, task_id: UUID) -> int | None:
    """The task's exclusion period in days (its plan's row; None: none), public as part of its
    draw's rule: what its departments drew that recently is left out of its population."""
    require(actor, Action.READ_REGISTER)
    return app.load(Task, task_id, "抽查任务", 1).definition.exclusion_days
