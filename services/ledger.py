"""随机抽查后续处置工作台账: every follow-up, what it is about, and what became of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.values import FollowUpStatus
from services.projection import Dispatching

if TYPE_CHECKING:
    from domain.task import Task


@dataclass
class LedgerRow:
    """One line of the 随机抽查后续处置工作台账."""

    task_id: UUID
    task_name: str
    number: int
    department: str
    target: str
    problem: str
    due: date
    status: str = FollowUpStatus.OPEN.label
    transferred_to: str = ""
    outcome: str = ""

    def as_record(self) -> dict[str, Any]:
        """Plain JSON values, for a store that keeps the row as a document."""
        return {**asdict(self), "task_id": str(self.task_id), "due": self.due.isoformat()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LedgerRow:
        return cls(
            **{
                **record,
                "task_id": UUID(record["task_id"]),
                "due": date.fromisoformat(record["due"]),
            }
        )


class FollowUpLedger(Dispatching):
    def __init__(self) -> None:
        self.task_names: dict[UUID, str] = {}
        self.rows: dict[tuple[UUID, int], LedgerRow] = {}

    def when_Planned(self, e: Task.Planned) -> None:
        self.task_names[e.originator_id] = e.definition["name"]

    def when_FollowUpOpened(self, e: Task.FollowUpOpened) -> None:
        self.rows[(e.originator_id, e.number)] = LedgerRow(
            e.originator_id,
            self.task_names[e.originator_id],
            e.number,
            e.department,
            e.target,
            e.problem,
            e.due,
        )

    def when_FollowUpTransferred(self, e: Task.FollowUpTransferred) -> None:
        row = self.rows[(e.originator_id, e.number)]
        row.status, row.transferred_to = FollowUpStatus.TRANSFERRED.label, e.to

    def when_FollowUpClosed(self, e: Task.FollowUpClosed) -> None:
        row = self.rows[(e.originator_id, e.number)]
        row.status, row.outcome = FollowUpStatus.CLOSED.label, e.outcome
