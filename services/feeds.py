"""What each stored event means for the departments and the office, read from the event alone.

The relay turns every event into messages; this module says which, so that the rule is tested
without a bus. A department is told what it must see and do (DESIGN.md): a dispatch with its
deadline, the 一企一表 of its inspectors once groups are matched, and each deadline it let pass;
the office (双随机办) is told of every passed deadline. Nothing here needs the task's state, so
the relay never loads an aggregate and can start from any position.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.task import RecordSheet, Task


@dataclass(frozen=True)
class Notice:
    """One message for one department (or, with `to_office`, an escalation about it)."""

    department: str
    kind: str
    at: datetime
    deadline: date | None = None
    targets: tuple[str, ...] = ()
    sheets: tuple[RecordSheet, ...] = field(default_factory=tuple)
    """Each as the department receives it (RecordSheet.for_department)."""
    target: str | None = None
    year: int | None = None
    """The calendar year a held dispatch or deadline waits for."""
    to_office: bool = False


NOTICE_EVENTS: tuple[type, ...] = (
    Task.TaskDispatched,
    Task.DispatchHeld,
    Task.InspectionVisited,
    Task.GroupsMatched,
    Task.ConfirmationOverdue,
    Task.ResultOverdue,
)
"""The only events that tell a department or the office anything (the relay decodes no other)."""


def notices_of(event: object) -> list[Notice]:
    """The department notices and office escalations an event gives rise to, in that order."""
    if isinstance(event, Task.TaskDispatched):
        return [
            Notice(
                event.department,
                "dispatched",
                event.at,
                deadline=event.deadline,
                targets=tuple(event.targets),
            )
        ]
    if isinstance(event, Task.DispatchHeld):
        held = Notice(event.department, "dispatch_held", event.at, year=event.year)
        return [held, dataclasses.replace(held, to_office=True)]
    if isinstance(event, Task.InspectionVisited):
        if event.results_due is None and event.awaiting_calendar is not None:
            who = event.department
            return [
                Notice(
                    who,
                    "results_deadline_held",
                    event.at,
                    target=event.target,
                    year=event.awaiting_calendar,
                    to_office=True,
                )
            ]
        return []
    if isinstance(event, Task.GroupsMatched):
        return [
            Notice(department, "sheets", event.at, sheets=tuple(sheets))
            for department, sheets in _sheets_by_department(event).items()
        ]
    if isinstance(event, Task.ConfirmationOverdue):
        overdue = Notice(
            event.department, "confirmation_overdue", event.at, deadline=event.deadline
        )
        return [overdue, dataclasses.replace(overdue, to_office=True)]
    if isinstance(event, Task.ResultOverdue):
        late = Notice(
            event.department,
            "result_overdue",
            event.at,
            deadline=event.deadline,
            target=event.target,
        )
        return [late, dataclasses.replace(late, to_office=True)]
    return []


def _sheets_by_department(event: Task.GroupsMatched) -> dict[str, list[RecordSheet]]:
    """Each department gets every sheet, with its own inspectors and its own items only: what
    another department checks, and who for it, is that department's business."""
    sheets: dict[str, list[RecordSheet]] = {}
    for sheet in event.record_sheets():
        for department in sheet.departments:
            sheets.setdefault(department, []).append(sheet.for_department(department))
    return sheets
