"""公示: the public register of published results, and the inputs of every draw.

What the public sees: never an inspector's name, id or phone, never anything unpublished."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.values import local_day
from services.projection import Dispatching

if TYPE_CHECKING:
    from domain.task import Task


@dataclass
class RegisterEntry:
    """One published result of one target, as the public sees it: never an inspector's name."""

    credit_code: str
    name: str
    task_id: UUID
    task_name: str
    results: dict[str, str]
    """Department -> result category."""
    published_on: date
    corrections: list[str] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        """Plain JSON values, for a store that keeps the entry as a document."""
        # Mappings as lists of pairs: a JSON object (JSONB above all) may reorder its keys, and
        # the results are shown department by department in the order of the publication.
        return {
            **asdict(self),
            "task_id": str(self.task_id),
            "results": [[d, c] for d, c in self.results.items()],
            "published_on": str(self.published_on),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RegisterEntry:
        return cls(
            record["credit_code"],
            record["name"],
            UUID(record["task_id"]),
            record["task_name"],
            dict(pairs(record["results"])),
            date.fromisoformat(record["published_on"]),
            list(record["corrections"]),
        )


@dataclass(frozen=True)
class PublishedDraw:
    """What anyone needs to re-run a task's draw of targets (DRAW-SPEC.md)."""

    task_id: UUID
    task_name: str
    rule: str
    directory_position: int
    population_digest: str
    strata: dict[str, dict[str, Any]]
    commitment: str
    secret: str
    beacon: str
    seed: str
    drawn: dict[str, list[str]]
    excluded: tuple[dict[str, Any], ...] = ()
    """What the population left out before it was fixed (国办发〔2024〕54号), with the reasons:
    credit code, grade, reason, reason text and the earlier draws that count (no inspector)."""

    def as_record(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "task_id": str(self.task_id),
            "strata": [[g, s] for g, s in self.strata.items()],
            "drawn": [[g, ids] for g, ids in self.drawn.items()],
            "excluded": [dict(e) for e in self.excluded],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PublishedDraw:
        return cls(
            **{
                **record,
                "task_id": UUID(record["task_id"]),
                "strata": {g: _stratum(s) for g, s in pairs(record["strata"])},
                "drawn": dict(pairs(record["drawn"])),
                "excluded": tuple(record.get("excluded") or ()),
            }
        )


def _stratum(figures: dict[str, Any]) -> dict[str, Any]:
    """N, r, k in the order DRAW-SPEC.md names them, whatever order a store kept them in."""
    return {key: figures[key] for key in ("N", "r", "k") if key in figures} | figures


def pairs(value: Any) -> list[tuple[Any, Any]]:
    """A mapping stored as [[key, value], …] (or, as first stored, as an object)."""
    return list(value.items()) if isinstance(value, dict) else [tuple(pair) for pair in value]


class PublicRegister(Dispatching):
    """公示: published results under each target, and the inputs of every draw."""

    def __init__(self) -> None:
        self.task_names: dict[UUID, str] = {}
        self.entries: dict[str, list[RegisterEntry]] = {}
        self.draws: dict[UUID, PublishedDraw] = {}

    def when_Planned(self, e: Task.Planned) -> None:
        self.task_names[e.originator_id] = e.definition["name"]

    def when_TargetsDrawn(self, e: Task.TargetsDrawn) -> None:
        self.draws[e.originator_id] = PublishedDraw(
            e.originator_id,
            self.task_names[e.originator_id],
            e.rule,
            e.directory_position,
            e.population_digest,
            e.strata,
            e.commitment,
            e.secret,
            e.beacon,
            e.seed,
            e.drawn,
            tuple(e.excluded),
        )

    def when_ResultsPublished(self, e: Task.ResultsPublished) -> None:
        for entry in e.entries:
            self.entries.setdefault(entry["target"], []).append(
                RegisterEntry(
                    entry["target"],
                    entry["name"],
                    e.originator_id,
                    self.task_names[e.originator_id],
                    dict(entry["results"]),
                    local_day(e.at),
                )
            )

    def when_ResultCorrected(self, e: Task.ResultCorrected) -> None:
        for entry in self.entries.get(e.target, []):
            if entry.task_id == e.originator_id:
                entry.results[e.department] = e.category
                entry.corrections.append(f"{local_day(e.at)} {e.department} 更正：{e.reason}")
