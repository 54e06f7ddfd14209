"""What staff read when something is refused: the field, what was expected, and the value as they
would write it, never a Python repr; times in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.errors import InvalidValueError, shown


def test_a_refused_time_is_shown_in_beijing_time_not_as_a_python_repr() -> None:
    error = InvalidValueError(
        "at", "不早于本任务最近一次记录的时间", datetime(2023, 11, 2, 3, 0, tzinfo=UTC)
    )

    assert (
        str(error)
        == "at: 应为不早于本任务最近一次记录的时间（收到 2023-11-02 11:00:00（北京时间））"
    )
    assert "datetime" not in str(error)


def test_values_are_shown_as_staff_write_them() -> None:
    assert shown(date(2027, 1, 6)) == "2027-01-06"
    assert shown("消防") == "“消防”"
    assert shown(["A", "B"]) == "[“A”，“B”]"
    assert shown(datetime(2023, 1, 1, 9, 0)) == "2023-01-01 09:00:00（未带时区）"
    assert shown(3) == "3"
