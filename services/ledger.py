"""随机抽查后续处置工作台账: every follow-up, what it is about, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.values import FollowUp
from services.projection import Dispatching
from services.task_views import follow_up_of, follow_up_record

if TYPE_CHECKING:
    from domain.task import Task


@dataclass(frozen=True)
class LedgerRow:
    """One line of the 随机抽查后续处置工作台账: a task's follow-up, as the task itself holds it,
    under the task's name."""

    task_id: UUID
    task_name: str
    follow_up: FollowUp

    @property
    def number(self) -> int:
        return self.follow_up.number

    @property
    def department(self) -> str:
        return self.follow_up.department

    @property
    def target(self) -> str:
        return self.follow_up.target

    @property
    def problem(self) -> str:
        return self.follow_up.problem

    @property
    def due(self) -> date:
        return self.follow_up.due

    @property
    def status(self) -> str:
        """As the 台账 writes it: 整改中, 已移送 or 已办结."""
        return self.follow_up.status.label

    @property
    def transferred_to(self) -> str:
        return self.follow_up.transferred_to

    @property
    def outcome(self) -> str:
        return self.follow_up.outcome

    @property
    def measures(self) -> tuple[str, ...]:
        """处置措施: the measure ordered, how it was handed over, a further one on closing."""
        return self.follow_up.measures

    def as_record(self) -> dict[str, Any]:
        """Plain JSON values, for a store that keeps the row as a document."""
        return {
            "task_id": str(self.task_id),
            "task_name": self.task_name,
            "number": self.number,
            **follow_up_record(self.follow_up),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LedgerRow:
        return cls(
            UUID(record["task_id"]),
            record["task_name"],
            follow_up_of(int(record["number"]), record),
        )


class FollowUpLedger(Dispatching):
    def __init__(self) -> None:
        self.task_names: dict[UUID, str] = {}
        self.rows: dict[tuple[UUID, int], LedgerRow] = {}

    def when_Planned(self, e: Task.Planned) -> None:
        self.task_names[e.originator_id] = e.definition["name"]

    def when_FollowUpOpened(self, e: Task.FollowUpOpened) -> None:
        self.rows[(e.originator_id, e.number)] = LedgerRow(
            e.originator_id, self.task_names[e.originator_id], e.follow_up()
        )

    def when_FollowUpTransferred(self, e: Task.FollowUpTransferred) -> None:
        row = self.rows[(e.originator_id, e.number)]
        self.rows[(e.originator_id, e.number)] = replace(
            row, follow_up=row.follow_up.transferred(e.to, e.reason, e.measure)
        )

    def when_FollowUpClosed(self, e: Task.FollowUpClosed) -> None:
        row = self.rows[(e.originator_id, e.number)]
        self.rows[(e.originator_id, e.number)] = replace(
            row, follow_up=row.follow_up.closed(e.outcome, e.measure)
        )
