"""The auditor's tools: replay a task's history, see it as of any event, export the whole log,
check the raw log row by row, and verify every draw by re-running it from the log alone
(services/verification.py). The auditor reads everything and writes nothing.

A damaged log never stops it: what the damage is and where lies in the raw log (`check_log`,
services/integrity.py); a task that cannot be read is a finding, and the others are verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.task import Task
from services.actors import Actor
from services.directories import Directories
from services.integrity import LogReport, check_log, why_unreadable
from services.log import aggregate_name, event_name, raw_log
from services.permissions import Action, require
from services.stored import HistoryEntry, event_of, fields_of
from services.tasks import Tasks
from services.verification import DrawVerifier, Unverifiable, VerificationReport

__all__ = ["Auditor", "Unverifiable", "VerificationReport", "fields_of"]


class Auditor:
    """Reads everything, writes nothing."""

    def __init__(self, tasks: Tasks, directories: Directories) -> None:
        self.tasks = tasks
        self.directories = directories

    # ------------------------------------------------------------------ replay
    def history(self, actor: Actor, task_id: UUID) -> list[HistoryEntry]:
        require(actor, Action.READ_HISTORY)
        self.tasks.load(Task, task_id, "抽查任务", 1)  # a clear "not found", not an empty history
        return [
            HistoryEntry(e.originator_version, event_name(e), e.timestamp, fields_of(e))
            for e in self.tasks.events_of(task_id)
        ]

    def state_as_of(self, actor: Actor, task_id: UUID, version: int) -> Task:
        return self.tasks.task(actor, task_id, version)

    def export(self, actor: Actor) -> Iterator[dict[str, Any]]:
        """Every stored event, in log order: position, aggregate, version, type, time, fields."""
        require(actor, Action.EXPORT_LOG)
        return self._export()

    def _export(self) -> Iterator[dict[str, Any]]:
        """Row by row from the raw log: a row that does not decode is exported as what it is
        (position, aggregate, version, type as stored, and why), and the export goes on."""
        for row in raw_log(self.tasks.recorder):
            if not isinstance(row, Notification):
                yield {"position": row.id, "unreadable": "存储的行无法读出（聚合编号已被改动）"}
                continue
            try:
                e: Any = self.tasks.mapper.to_domain_event(row)
            except Exception as error:
                yield {
                    "position": row.id,
                    "aggregate_id": str(row.originator_id),
                    "version": row.originator_version,
                    "type": event_of(row.topic),
                    "topic": row.topic,
                    "unreadable": why_unreadable(error, row.topic),
                }
                continue
            yield {
                "position": row.id,
                "aggregate_id": str(e.originator_id),
                "aggregate": aggregate_name(e),
                "version": e.originator_version,
                "type": event_name(e),
                "recorded_at": e.timestamp.isoformat(),
                "fields": fields_of(e),
            }

    # ------------------------------------------------------------------ verify
    def check_log(self, actor: Actor) -> LogReport:
        """The raw log, row by row: every changed, deleted, reordered or inserted event."""
        require(actor, Action.VERIFY_LOG)
        return check_log(self.tasks.recorder, self.tasks.mapper)

    def task_ids(self) -> list[UUID]:
        """Every planned task, from the stored rows themselves: a row that does not decode
        still names its task."""
        planned = (get_topic(Task.Planned),)
        return [
            row.originator_id
            for row in raw_log(self.tasks.recorder, topics=planned)
            if isinstance(row, Notification) and isinstance(row.originator_id, UUID)
        ]

    def verify(self, actor: Actor, log: LogReport | None = None) -> VerificationReport:
        """Re-run every draw of every task; a task that cannot be read is a finding, and the
        others are verified all the same. Given the raw log's report of the same log, the tasks
        it found are verified without reading the log again, and an event it names as not
        decoding is counted, not named a second time."""
        require(actor, Action.VERIFY_LOG)
        report = VerificationReport()
        named = log.undecodable if log is not None else frozenset()
        verifier = DrawVerifier(self.tasks, self.directories, named)
        for task_id in log.planned if log is not None else self.task_ids():
            report.tasks += 1
            try:
                verifier.verify_task(task_id, report)
            except Exception as error:  # the auditor reports damage, it never stops at it
                report.differences.append(
                    Unverifiable(task_id, "", "", f"无法载入（{why_unreadable(error)}）")
                )
        return report
