"""Every way the domain refuses a command, named after the rule it protects.

A refused command leaves no event behind: the aggregate checks first, then records.
Each error says what was expected, so a department's staff can fix the input themselves.

    DomainError
    ├── InvalidValueError              bad input; names the field and what was expected
    │   └── InvalidCreditCodeError     not a valid 统一社会信用代码 / 注册号
    ├── CalendarUnknownError           a date outside the years the work calendar knows
    ├── CalendarYearKnownError         a year's holiday arrangement is loaded once
    ├── DrawError                      the draw cannot be made as DRAW-SPEC.md says
    │   ├── CommitmentMismatchError    the revealed secret does not match SeedCommitted
    │   ├── PopulationChangedError     the population differs from the committed one
    │   ├── NotEnoughInspectorsError   fewer eligible inspectors than groups × per group
    │   └── UnmatchableTargetError     every group must recuse from a target
    ├── DirectoryError                 a directory refuses a change
    │   ├── DuplicateTargetError
    │   ├── DuplicateInspectorError
    │   ├── UnknownTargetError
    │   └── UnknownInspectorError
    └── RuleBrokenError                the command comes at the wrong time or from the wrong party
        ├── TaskClosedError            nothing happens after 结案
        ├── SeedNotCommittedError      no draw before the commitment
        ├── SeedAlreadyCommittedError
        ├── TargetsAlreadyDrawnError   no second draw
        ├── TargetsNotDrawnError
        ├── NotACooperatingDepartmentError
        ├── NotADepartmentOfTheTaskError
        ├── AlreadyAnsweredError       a department confirms or declines once
        ├── InspectorsAlreadyDrawnError
        ├── InspectorsNotDrawnError
        ├── ConfirmationPendingError   matching waits for every cooperating department
        ├── GroupsAlreadyMatchedError
        ├── GroupsNotMatchedError
        ├── TargetNotMatchedError      only drawn and matched targets are notified, visited, recorded
        ├── NoticeNotServedError
        ├── NotVisitedError
        ├── AlreadyVisitedError        one joint visit per target
        ├── NotOwnItemError            a department records only its own check items
        ├── ResultAlreadyRecordedError a second result is a correction, with a reason
        ├── ResultNotRecordedError
        ├── ResultsMissingError        no publication before every result is in
        ├── AlreadyPublishedError
        ├── NotPublishedError
        ├── UnknownFollowUpError
        ├── FollowUpNotOpenError
        ├── NotOwnFollowUpError        the department that found the problem handles it
        └── FollowUpsOpenError         a task closes only when every follow-up is handled
"""

from __future__ import annotations

from datetime import date, datetime


def shown(value: object) -> str:
    """A value as staff read it in a message: times in Beijing time, never a Python repr."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M:%S") + "（未带时区）"
        from domain.values import CHINA  # values checks its input with these errors

        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "[" + "，".join(shown(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + "，".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


class DomainError(Exception):
    """Base of every refusal by the domain."""


class InvalidValueError(DomainError):
    """A value is not what the regulation or the form expects."""

    def __init__(self, field: str, expected: str, got: object = None) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        received = "" if got is None else f"（收到 {shown(got)}）"
        super().__init__(f"{field}: 应为{expected}{received}")


class InvalidCreditCodeError(InvalidValueError):
    """Not an 18-character 统一社会信用代码 with a valid check character, nor a 15-digit 注册号."""


class CalendarUnknownError(DomainError):
    """The work calendar does not know this year: a deadline is never computed from a guess."""

    def __init__(self, day: date, known: str) -> None:
        self.day = day
        self.year = day.year
        super().__init__(
            f"工作日历未收录 {day.year} 年（{day} 所在年份；已收录 {known}），"
            f"请先导入该年的节假日安排（ssj calendar import）"
        )


class CalendarYearKnownError(DomainError):
    """A year already known is never loaded again: its deadlines were counted on it."""

    field = "year"

    def __init__(self, year: int, source: str) -> None:
        self.year = year
        super().__init__(
            f"year: {year} 年的节假日安排已收录（{source or '已有数据'}），不能再次导入"
        )


class DrawError(DomainError):
    """The draw cannot be made as ssj-draw-v1 says."""


class CommitmentMismatchError(DrawError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"secret: H(secret) 应等于承诺值 {expected}，实际为 {got}")


class PopulationChangedError(DrawError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"population: 抽取总体摘要应为 {expected}（承诺时），实际为 {got}")


class NotEnoughInspectorsError(DrawError):
    def __init__(self, department: str, needed: int, available: int) -> None:
        self.department = department
        self.needed = needed
        self.available = available
        super().__init__(
            f"{department}: 需要 {needed} 名符合条件的执法检查人员，名录库中仅有 {available} 名"
        )


class UnmatchableTargetError(DrawError):
    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(f"{target}: 每个检查组都有须回避的成员，无法匹配")


class DirectoryError(DomainError):
    """A directory refuses a change."""


class DuplicateTargetError(DirectoryError):
    def __init__(self, credit_code: str) -> None:
        super().__init__(f"credit_code: {credit_code} 已在名录库中")


class DuplicateInspectorError(DirectoryError):
    def __init__(self, inspector_id: str) -> None:
        super().__init__(f"inspector_id: {inspector_id} 已在名录库中")


class UnknownTargetError(DirectoryError):
    def __init__(self, credit_code: str) -> None:
        super().__init__(f"credit_code: 名录库中没有 {credit_code}")


class UnknownInspectorError(DirectoryError):
    def __init__(self, inspector_id: str) -> None:
        super().__init__(f"inspector_id: 名录库中没有 {inspector_id}")


class RuleBrokenError(DomainError):
    """The command is refused because of where the task stands or who asks."""

    message = "规则不允许"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.message}：{detail}" if detail else self.message)


class TaskClosedError(RuleBrokenError):
    message = "任务已结案，不再接受任何操作"


class SeedNotCommittedError(RuleBrokenError):
    message = "尚未提交随机种子承诺，不能抽取"


class SeedAlreadyCommittedError(RuleBrokenError):
    message = "随机种子承诺已提交"


class TargetsAlreadyDrawnError(RuleBrokenError):
    message = "检查对象已抽取，不能再次抽取"


class TargetsNotDrawnError(RuleBrokenError):
    message = "尚未抽取检查对象"


class NotACooperatingDepartmentError(RuleBrokenError):
    message = "不是本任务的配合部门"


class NotADepartmentOfTheTaskError(RuleBrokenError):
    message = "不是本任务的参与部门"


class AlreadyAnsweredError(RuleBrokenError):
    message = "该部门已确认或拒绝过本任务"


class InspectorsAlreadyDrawnError(RuleBrokenError):
    message = "该部门已抽取执法检查人员"


class InspectorsNotDrawnError(RuleBrokenError):
    message = "仍有部门未抽取执法检查人员"


class ConfirmationPendingError(RuleBrokenError):
    message = "仍有配合部门未确认"


class GroupsAlreadyMatchedError(RuleBrokenError):
    message = "检查组已匹配"


class GroupsNotMatchedError(RuleBrokenError):
    message = "检查组尚未匹配"


class TargetNotMatchedError(RuleBrokenError):
    message = "该对象不在本任务已匹配的检查对象中"


class NoticeNotServedError(RuleBrokenError):
    message = "尚未送达告知书"


class NotVisitedError(RuleBrokenError):
    message = "尚未实地检查"


class AlreadyVisitedError(RuleBrokenError):
    message = "该对象已实地检查"


class NotOwnItemError(RuleBrokenError):
    message = "只能录入本部门的抽查事项"


class ResultAlreadyRecordedError(RuleBrokenError):
    message = "结果已录入，更正须说明理由"


class ResultNotRecordedError(RuleBrokenError):
    message = "尚未录入结果，无可更正"


class ResultsMissingError(RuleBrokenError):
    message = "仍有部门的检查结果未录入，不能公示"


class AlreadyPublishedError(RuleBrokenError):
    message = "结果已公示"


class NotPublishedError(RuleBrokenError):
    message = "结果尚未公示"


class UnknownFollowUpError(RuleBrokenError):
    message = "没有该后续处置记录"


class FollowUpNotOpenError(RuleBrokenError):
    message = "该后续处置已办结或已移送"


class NotOwnFollowUpError(RuleBrokenError):
    message = "只能办理本部门开启的后续处置"


class FollowUpsOpenError(RuleBrokenError):
    message = "仍有未办结的后续处置"
