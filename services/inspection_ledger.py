"""企业检查台账 (国办发〔2024〕54号): every inspection of one enterprise, by any department and task,
across years, folded from the log into one row per (credit code, task).

A row is opened by the draw that contains the target and follows it: the visit, each
department's result (corrections included), the publication. The task's name, plan and
departments are read once, from the task's Planned event, when its draw is folded: the
enterprise's page then reads its rows and nothing else.

Who reads it: every department (to see what others already inspected), the office and the
auditor. A department sees another task's visit and results only once they are published.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from domain.values import local_day
from services.actors import Actor, Role
from services.log import Logged
from services.permissions import Action, require
from services.projection import Dispatching

if TYPE_CHECKING:
    from domain.task import Task
    from services.store import SsjApplication

ORDINALS = 100_000
"""Targets of one draw at most: a row's place is the draw's position × ORDINALS + its ordinal."""


@dataclass(frozen=True)
class TaskHeader:
    """What the ledger says of the task of an inspection, from its Planned event."""

    name: str
    plan_id: str
    lead: str
    cooperating: tuple[str, ...]


@dataclass
class Inspection:
    """One inspection of one enterprise: one task's draw of it, and what followed."""

    credit_code: str
    task_id: UUID
    task_name: str
    plan_id: str
    lead: str
    cooperating: tuple[str, ...]
    drawn_at: datetime
    grade: str
    visited_on: date | None = None
    signed: bool | None = None
    results: dict[str, str] = field(default_factory=dict)
    """Department -> result category, as last recorded or corrected."""
    corrected: int = 0
    published_on: date | None = None
    joint_visit_id: UUID | None = None
    """The joint visit this task's visit was merged into (进一次门、查多项事), read from the log's
    index when the ledger is read, never stored in the row: one entry through the door."""

    @property
    def entry(self) -> str:
        """What counts once against the caps: the joint visit, or else this task's own visit."""
        return f"joint:{self.joint_visit_id}" if self.joint_visit_id else f"task:{self.task_id}"

    @property
    def departments(self) -> tuple[str, ...]:
        return (self.lead, *self.cooperating)

    @property
    def year(self) -> int:
        return local_day(self.drawn_at).year

    def as_record(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "task_id": str(self.task_id),
            "cooperating": list(self.cooperating),
            "drawn_at": self.drawn_at.isoformat(),
            "visited_on": self.visited_on.isoformat() if self.visited_on else None,
            "results": [[d, c] for d, c in self.results.items()],
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "joint_visit_id": str(self.joint_visit_id) if self.joint_visit_id else None,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Inspection:
        visited, published = record.get("visited_on"), record.get("published_on")
        results = record.get("results") or []
        return cls(
            record["credit_code"],
            UUID(str(record["task_id"])),
            record["task_name"],
            record.get("plan_id", ""),
            record["lead"],
            tuple(record.get("cooperating") or ()),
            datetime.fromisoformat(record["drawn_at"]),
            record.get("grade", ""),
            date.fromisoformat(visited) if visited else None,
            record.get("signed"),
            dict(results.items() if isinstance(results, dict) else map(tuple, results)),
            int(record.get("corrected", 0)),
            date.fromisoformat(published) if published else None,
            UUID(str(record["joint_visit_id"])) if record.get("joint_visit_id") else None,
        )


class InspectionLedger(Dispatching):
    """Folds the events of a batch into the rows they change."""

    def __init__(self, header: Callable[[UUID], TaskHeader | None]) -> None:
        self.header = header
        self.rows: dict[tuple[str, UUID], Inspection] = {}
        self.places: dict[tuple[str, UUID], int] = {}
        self.position = 0

    def process(self, logged: Logged) -> None:
        self.position = logged.position
        super().process(logged)

    def _of(self, target: str, task_id: UUID) -> Inspection | None:
        return self.rows.get((target, task_id))

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        header = self.header(e.originator_id)
        if header is None:
            return
        ordinal = 0
        for grade in sorted(e.drawn):
            for code in e.drawn[grade]:
                key = (code, e.originator_id)
                self.rows[key] = Inspection(
                    code,
                    e.originator_id,
                    header.name,
                    header.plan_id,
                    header.lead,
                    header.cooperating,
                    e.at,
                    grade,
                )
                self.places.setdefault(key, self.position * ORDINALS + ordinal)
                ordinal += 1

    def when_InspectionVisited(self, e: Task.InspectionVisited) -> None:
        row = self._of(e.target, e.originator_id)
        if row is not None:
            row.visited_on, row.signed = local_day(e.at), e.signed

    def when_ResultRecorded(self, e: Task.ResultRecorded) -> None:
        row = self._of(e.target, e.originator_id)
        if row is not None:
            row.results[e.department] = e.category

    def when_ResultCorrected(self, e: Task.ResultCorrected) -> None:
        row = self._of(e.target, e.originator_id)
        if row is not None:
            row.results[e.department] = e.category
            row.corrected += 1

    def when_ResultsPublished(self, e: Task.ResultsPublished) -> None:
        for entry in e.entries:
            row = self._of(entry["target"], e.originator_id)
            if row is not None:
                row.published_on = local_day(e.at)


def header_of(planned: Any) -> TaskHeader | None:
    """The header from a task's decoded first event (None if it is not a Planned event)."""
    from domain.task import Task

    if not isinstance(planned, Task.Planned):
        return None
    definition = planned.definition
    return TaskHeader(
        definition["name"],
        str(planned.plan_id),
        definition["lead"],
        tuple(definition.get("cooperating") or ()),
    )


def ledger_tasks(batch: Sequence[Logged]) -> list[UUID]:
    """The tasks of the batch whose ledger rows the fold needs."""
    return list(
        dict.fromkeys(
            logged.event.originator_id
            for logged in batch
            if hasattr(InspectionLedger, "when_" + type(logged.event).__qualname__.split(".")[-1])
        )
    )


def fold_inspections(
    stored: Sequence[tuple[int, Inspection]],
    batch: Sequence[Logged],
    header: Callable[[UUID], TaskHeader | None],
) -> list[tuple[int, Inspection]]:
    """(place, row) of every row the batch opened or changed, from the stored rows of the
    batch's tasks (`ledger_tasks`)."""
    ledger = InspectionLedger(header)
    before: dict[tuple[str, UUID], Inspection] = {}
    for place, row in stored:
        key = (row.credit_code, row.task_id)
        ledger.rows[key] = replace(row, results=dict(row.results))
        ledger.places[key] = place
        before[key] = row
    for logged in batch:
        ledger.process(logged)
    return [(ledger.places[key], row) for key, row in ledger.rows.items() if row != before.get(key)]


# ---------------------------------------------------------------------------- reading it
class InspectionRows(Protocol):
    def inspections(self, credit_code: str) -> list[Inspection]:
        """Every inspection of the enterprise, in the order drawn."""
        ...


@dataclass(frozen=True)
class EnterpriseLedger:
    credit_code: str
    inspections: tuple[Inspection, ...]

    def by_year(self) -> dict[int, list[Inspection]]:
        years: dict[int, list[Inspection]] = {}
        for row in self.inspections:
            years.setdefault(row.year, []).append(row)
        return years

    def counts(self, year: int) -> tuple[dict[str, int], int]:
        """(inspections per department, inspections in total) in the year, as the caps count:
        the tasks of one joint visit are one entry through the door."""
        per: dict[str, set[str]] = {}
        rows = self.by_year().get(year, [])
        for row in rows:
            for department in row.departments:
                per.setdefault(department, set()).add(row.entry)
        return {d: len(e) for d, e in per.items()}, len({row.entry for row in rows})

    def visits(self, year: int) -> list[list[Inspection]]:
        """The year's inspections as entries through the door: a joint visit's tasks together,
        in the order their first task drew."""
        found: dict[str, list[Inspection]] = {}
        for row in self.by_year().get(year, []):
            found.setdefault(row.entry, []).append(row)
        return list(found.values())


JointOf = Callable[[UUID, str], "UUID | None"]
"""(task, credit code) -> the joint visit that task's visit of it was merged into."""


def joint_visits_in(app: SsjApplication) -> JointOf:
    """The joint visit index (domain/joint_visit.py `VisitMerged`) as the log holds it."""
    from domain.joint_visit import VisitMerged
    from services.errors import NotFoundError

    def joint_of(task_id: UUID, credit_code: str) -> UUID | None:
        try:
            index = app.load(VisitMerged, VisitMerged.id_for(task_id, credit_code), "联合检查")
        except NotFoundError:
            return None
        return index.joint_visit_id

    return joint_of


class InspectionLedgers:
    """The enterprise's ledger, as each actor may read it; with `joint_of`, the tasks of one
    joint visit read as one entry through the door."""

    def __init__(self, rows: InspectionRows, joint_of: JointOf | None = None) -> None:
        self.rows = rows
        self.joint_of = joint_of

    def ledger(self, actor: Actor, credit_code: str) -> EnterpriseLedger:
        require(actor, Action.READ_INSPECTION_LEDGER)
        code = credit_code.strip().upper()
        rows = self.rows.inspections(code)
        if self.joint_of is not None:
            rows = [replace(r, joint_visit_id=self.joint_of(r.task_id, code)) for r in rows]
        if actor.role not in (Role.OFFICE, Role.AUDITOR, Role.SERVICE):
            # The draw is public from the moment it is made; what happened at the door (the
            # visit, the signature, the results and their corrections) is the task's
            # departments' until they publish it.
            rows = [
                r
                if r.published_on is not None or actor.department in r.departments
                else replace(r, visited_on=None, signed=None, results={}, corrected=0)
                for r in rows
            ]
        return EnterpriseLedger(code, tuple(rows))
