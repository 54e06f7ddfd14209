"""12. Follow-up (后续处置): a problem found opens a follow-up with a rectification deadline
(责令限期整改); the department that found it hands it over (抄告 / 移送) or closes it."""

from __future__ import annotations

from datetime import date, datetime

from domain.errors import (
    FollowUpNotOpenError,
    InvalidValueError,
    NotOwnFollowUpError,
    ResultNotRecordedError,
    UnknownFollowUpError,
)
from domain.task.base import Step, TaskBase
from domain.task.fieldwork import ResultCorrected, ResultRecorded
from domain.values import (
    FollowUp,
    ResultCategory,
    department_code,
    local_day,
    text,
)


class FollowUpOpened(Step):
    """后续处置: 责令整改 with a rectification deadline."""

    number: int
    department: str
    target: str
    problem: str
    due: date
    at: datetime

    def follow_up(self) -> FollowUp:
        return FollowUp(self.number, self.department, self.target, self.problem, self.due)

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = self.follow_up()


class FollowUpTransferred(Step):
    """抄告 / 移送 to another department or to the judiciary."""

    number: int
    to: str
    reason: str
    at: datetime

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = task.follow_ups[self.number].transferred(
            self.to, self.reason
        )


class FollowUpClosed(Step):
    number: int
    outcome: str
    at: datetime

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = task.follow_ups[self.number].closed(self.outcome)


class FollowUps(TaskBase):
    follow_ups: dict[int, FollowUp]
    results: dict[tuple[str, str], ResultRecorded | ResultCorrected]

    def open_follow_ups(self) -> list[int]:
        return [n for n, f in self.follow_ups.items() if f.is_open]

    def open_follow_up(
        self, department: str, target: str, problem: str, due: date, at: datetime
    ) -> int:
        self._require_matched_target(target)
        department = self._require_participant(department)
        result = self.results.get((department, target))
        if result is None:
            raise ResultNotRecordedError(f"{department} / {target}")
        if not ResultCategory(result.category).is_problem:
            raise InvalidValueError("target", "检查结果为发现问题的对象", target)
        at = self._when(at)
        if isinstance(due, datetime) or not isinstance(due, date) or due < local_day(at):
            raise InvalidValueError("due", "不早于今天的整改期限", due)
        number = len(self.follow_ups) + 1
        self.trigger_event(
            self._named(FollowUpOpened),
            number=number,
            department=department,
            target=target,
            problem=text(problem, "problem", "发现的问题"),
            due=due,
            at=at,
        )
        return number

    def _require_own_open(self, department: str, number: int) -> FollowUp:
        self._require_open()
        department = department_code(department)
        follow_up = self.follow_ups.get(number)
        if follow_up is None:
            raise UnknownFollowUpError(str(number))
        if follow_up.department != department:
            raise NotOwnFollowUpError(f"#{number} 由 {follow_up.department} 负责")
        if not follow_up.is_open:
            raise FollowUpNotOpenError(str(number))
        return follow_up

    def transfer_follow_up(
        self, department: str, number: int, to: str, reason: str, at: datetime
    ) -> None:
        self._require_own_open(department, number)
        self.trigger_event(
            self._named(FollowUpTransferred),
            number=number,
            to=text(to, "to", "接收部门或司法机关"),
            reason=text(reason, "reason", "移送理由"),
            at=self._when(at),
        )

    def close_follow_up(self, department: str, number: int, outcome: str, at: datetime) -> None:
        self._require_own_open(department, number)
        self.trigger_event(
            self._named(FollowUpClosed),
            number=number,
            outcome=text(outcome, "outcome", "整改结果"),
            at=self._when(at),
        )
