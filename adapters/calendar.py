"""The Chinese work calendar: the `chinese_calendar` package plus newly published years as JSON.

The State Council publishes next year's holiday notice in the autumn, and a library release may
follow weeks later; deadlines in January cannot wait for it. A year can therefore be added as a
file in `calendar_data/` (see the README there) and it is merged with the library's years.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import chinese_calendar.constants

from domain.calendar import WorkCalendar
from domain.errors import InvalidValueError
from services.calendars import YearArrangement

DEFAULT_DATA_DIR = Path(__file__).with_name("calendar_data")

_FIELDS = frozenset({"year", "source", "holidays", "working_weekends"})
_SATURDAY = 5


class CalendarDataError(ValueError):
    """A calendar data file cannot be used; names the file and the field at fault."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        super().__init__(f"工作日历数据文件 {path}: {field}: {problem}")


def _problem(error: InvalidValueError) -> str:
    return f"应为{error.expected}，实际为 {error.got}"


def _library_calendar() -> WorkCalendar:
    holidays: dict[date, Any] = chinese_calendar.constants.holidays
    workdays: dict[date, Any] = chinese_calendar.constants.workdays
    # A notice can reach back into late December of the year before (元旦 调休), so a year
    # counts as known only when its own National Day is in the data, never from a stray date.
    years = {day.year for day in holidays if (day.month, day.day) == (10, 1)}
    source = f"chinese-calendar {metadata.version('chinese-calendar')}"
    return WorkCalendar(holidays, workdays, years, dict.fromkeys(years, source))


def _days(
    path: Path, document: dict[str, Any], field: str, year: int, strict: bool = False
) -> list[date]:
    values = document[field]
    if not isinstance(values, list):
        raise CalendarDataError(path, field, f"应为日期字符串列表，实际为 {values!r}")
    days: list[date] = []
    for index, value in enumerate(values):
        where = f"{field}[{index}]"
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None or len(value) != len("YYYY-MM-DD"):
            raise CalendarDataError(path, where, f"应为 YYYY-MM-DD 格式的日期，实际为 {value!r}")
        # Only the 元旦 arrangement of a shipped notice may fall in the previous December; a
        # year loaded into the log holds its own days only (the previous year is known already).
        if day.year not in ((year,) if strict else (year - 1, year)):
            raise CalendarDataError(path, where, f"{day} 不属于 {year} 年的节假日安排")
        if field == "working_weekends" and day.weekday() < _SATURDAY:
            raise CalendarDataError(path, where, f"{day} 不是周六或周日，不是调休上班的周末")
        days.append(day)
    return days


def _document(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CalendarDataError(path, "(文件)", f"无法读取：{error.strerror or error}") from None
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CalendarDataError(path, "(文件)", f"不是 UTF-8 编码的合法 JSON：{error}") from None
    return document, raw


def read_year_file(path: Path) -> YearArrangement:
    """One year's holiday notice from a JSON file, to be loaded into the log: checked field by
    field (every date in that year, working weekends on weekends only, the notice named)."""
    document, raw = _document(path)
    year, source = _checked_header(path, document)
    holidays = _days(path, document, "holidays", year, strict=True)
    working_weekends = _days(path, document, "working_weekends", year, strict=True)
    try:
        WorkCalendar(holidays, working_weekends, [year])
    except InvalidValueError as error:
        raise CalendarDataError(path, error.field, _problem(error)) from error
    return YearArrangement(
        year,
        source.strip(),
        tuple(sorted(set(holidays))),
        tuple(sorted(set(working_weekends))),
        hashlib.sha256(raw).hexdigest(),
    )


def load_calendar_file(path: Path) -> WorkCalendar:
    """One year's holiday notice from a JSON file shipped with the service, checked field by field."""
    document, raw = _document(path)
    year, source = _checked_header(path, document)
    holidays = _days(path, document, "holidays", year)
    working_weekends = _days(path, document, "working_weekends", year)
    label = f"{source.strip()}（{path.name}，sha256:{hashlib.sha256(raw).hexdigest()[:16]}）"
    try:
        return WorkCalendar(holidays, working_weekends, [year], {year: label})
    except InvalidValueError as error:
        raise CalendarDataError(path, error.field, _problem(error)) from error


def _checked_header(path: Path, document: Any) -> tuple[int, str]:
    if not isinstance(document, dict):
        raise CalendarDataError(path, "(文件)", "应为一个 JSON 对象")
    missing = sorted(_FIELDS - document.keys())
    if missing:
        raise CalendarDataError(path, missing[0], "缺少该字段")
    unknown = sorted(document.keys() - _FIELDS)
    if unknown:
        raise CalendarDataError(path, unknown[0], f"未知字段，只允许 {'、'.join(sorted(_FIELDS))}")
    year = document["year"]
    if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
        raise CalendarDataError(path, "year", f"应为四位年份整数，实际为 {year!r}")
    source = document["source"]
    if not isinstance(source, str) or not source.strip():
        raise CalendarDataError(path, "source", "应注明所依据的通知名称，不能为空")
    return year, source


def _build(data_dir: Path) -> WorkCalendar:
    calendar = _library_calendar()
    first_file_of_year: dict[int, Path] = {}
    for path in sorted(data_dir.glob("*.json")):
        addition = load_calendar_file(path)
        (year,) = addition.years
        if year in first_file_of_year:
            raise CalendarDataError(
                path, "year", f"{year} 年已由 {first_file_of_year[year].name} 给出，不能重复"
            )
        first_file_of_year[year] = path
        try:
            calendar = calendar.merged(addition)
        except InvalidValueError as error:
            raise CalendarDataError(
                path, error.field, f"与已有日历数据矛盾：{_problem(error)}"
            ) from error
    return calendar


@functools.cache
def _default_calendar() -> WorkCalendar:
    # The packaged folder holds no JSON until a year is added, and an installed wheel then
    # omits it altogether: a missing default folder simply means nothing to add.
    if not DEFAULT_DATA_DIR.is_dir():
        return _library_calendar()
    return _build(DEFAULT_DATA_DIR)


def china_work_calendar(data_dir: Path | None = None) -> WorkCalendar:
    """The library's years merged with every `*.json` year in `data_dir` (default: packaged)."""
    if data_dir is None:
        return _default_calendar()
    if not data_dir.is_dir():
        raise CalendarDataError(data_dir, "(目录)", "目录不存在")
    return _build(data_dir)
