"""12. Follow-up (后续处置): a problem found opens a follow-up with the measure ordered
(责令改正 with its 整改期限, 行政处罚, 约谈 …, as FollowUpMeasure names them) and a deadline; the
department that found it hands it over (移送 / 抄告 / 反馈日常监管部门) or closes it, with the
outcome and, where one was taken, a further measure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
    FollowUpMeasure,
    ResultCategory,
    department_code,
    local_day,
    text,
)

M = FollowUpMeasure
OPENING = (
    M.ORDER_RECTIFICATION,
    M.ADMINISTRATIVE_PENALTY,
    M.INTERVIEW,
    M.ABNORMAL_OPERATIONS_LIST,
    M.SERIOUS_DISHONESTY_LIST,
)
"""What a department orders itself when it opens a follow-up."""
HANDING_OVER = (M.TRANSFER, M.NOTIFY, M.REFER_TO_ROUTINE_SUPERVISION)
"""How it hands one over to another body: these are the transfer's, never an opening's."""
CLOSING = OPENING[1:]
"""A further measure on closing (the rectification ordered failed, a penalty followed …)."""


def measure_of(
    value: FollowUpMeasure | str, allowed: tuple[FollowUpMeasure, ...], what: str
) -> str:
    measure = FollowUpMeasure.parse(value, "measure")
    if measure not in allowed:
        expected = f"{what}的处置措施之一：{'、'.join(allowed)}"
        raise InvalidValueError("measure", expected, value)
    return measure.value


class FollowUpOpened(Step):
    """后续处置: the measure ordered (责令改正 with its 整改期限, …) and its deadline."""

    class_version = 2

    number: int
    department: str
    target: str
    problem: str
    due: date
    at: datetime
    measure: str = FollowUpMeasure.ORDER_RECTIFICATION.value

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Before measures were named, opening a follow-up was 责令限期整改 (责令改正) only.
        state.setdefault("measure", FollowUpMeasure.ORDER_RECTIFICATION.value)

    def follow_up(self) -> FollowUp:
        return FollowUp(
            self.number, self.department, self.target, self.problem, self.due, measure=self.measure
        )

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = self.follow_up()


class FollowUpTransferred(Step):
    """抄告 / 移送 to another department or to the judiciary."""

    class_version = 2

    number: int
    to: str
    reason: str
    at: datetime
    measure: str = ""
    """移送, 抄告 or 反馈日常监管部门; empty in a transfer recorded before it was asked, which
    may have been either: the log does not say, so neither do we."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("measure", "")

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = task.follow_ups[self.number].transferred(
            self.to, self.reason, self.measure
        )


class FollowUpClosed(Step):
    """办结: the outcome (整改结果), and a further measure where one was taken."""

    class_version = 2

    number: int
    outcome: str
    at: datetime
    measure: str = ""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("measure", "")

    def apply(self, task: FollowUps) -> None:
        task.follow_ups[self.number] = task.follow_ups[self.number].closed(
            self.outcome, self.measure
        )


class FollowUps(TaskBase):
    follow_ups: dict[int, FollowUp]
    results: dict[tuple[str, str], ResultRecorded | ResultCorrected]

    def open_follow_ups(self) -> list[int]:
        return [n for n, f in self.follow_ups.items() if f.is_open]

    def open_follow_up(
        self,
        department: str,
        target: str,
        problem: str,
        due: date,
        at: datetime,
        measure: FollowUpMeasure | str = FollowUpMeasure.ORDER_RECTIFICATION,
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
        ordered = measure_of(measure, OPENING, "开启后续处置")
        number = len(self.follow_ups) + 1
        self.trigger_event(
            self._named(FollowUpOpened),
            number=number,
            department=department,
            target=target,
            problem=text(problem, "problem", "发现的问题"),
            due=due,
            at=at,
            measure=ordered,
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
        self,
        department: str,
        number: int,
        to: str,
        reason: str,
        at: datetime,
        measure: FollowUpMeasure | str = FollowUpMeasure.TRANSFER,
    ) -> None:
        self._require_own_open(department, number)
        self.trigger_event(
            self._named(FollowUpTransferred),
            number=number,
            to=text(to, "to", "接收部门或司法机关"),
            reason=text(reason, "reason", "移送理由"),
            at=self._when(at),
            measure=measure_of(measure, HANDING_OVER, "移交后续处置"),
        )

    def close_follow_up(
        self,
        department: str,
        number: int,
        outcome: str,
        at: datetime,
        measure: FollowUpMeasure | str | None = None,
    ) -> None:
        """`measure`: a further one taken on closing, if any (None or empty: none)."""
        self._require_own_open(department, number)
        further = "" if measure is None or measure == "" else measure_of(measure, CLOSING, "办结时")
        self.trigger_event(
            self._named(FollowUpClosed),
            number=number,
            outcome=text(outcome, "outcome", "整改结果"),
            at=self._when(at),
            measure=further,
        )
