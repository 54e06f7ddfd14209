"""Read a department's 名录库 from the CSV or Excel file its staff keep.

Every bad row is reported, with the row number Excel shows, so one round of corrections fixes
the whole file; the reader never decides to import a file that has errors.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from adapters.importing.errors import (
    ACCEPTED_SUFFIXES,
    HeaderError,
    UnreadableFileError,
    UnsupportedFileTypeError,
)
from adapters.importing.report import ImportReport, RowError
from adapters.importing.rows import CELL_ERROR, INSPECTORS, TARGETS, Sheet, cell_text, reason_of
from domain.directory import Inspector, Target
from domain.errors import InvalidValueError

T = TypeVar("T")

Row = Sequence[object]

_HEADER_SEARCH = 10
"""Templates often put a title such as 某某县执法检查人员名录 above the header row."""


def read_targets(path: Path) -> ImportReport[Target]:
    """抽查对象名录库 from a .csv or .xlsx file."""
    return _read(path, TARGETS, optional=(), context={})


def read_inspectors(path: Path, department: str | None = None) -> ImportReport[Inspector]:
    """执法检查人员名录库 from a .csv or .xlsx file.

    With `department`, the file needs no 部门 column; a row that names another one is an error.
    """
    given = (department or "").strip()
    if not given:
        return _read(path, INSPECTORS, optional=(), context={})
    return _read(path, INSPECTORS, optional=("department",), context={"department": given})


def _read(
    path: Path, sheet: Sheet[T], optional: Sequence[str], context: Mapping[str, object]
) -> ImportReport[T]:
    rows = _load(path)
    header_index, positions = find_header(path, rows, sheet, optional)
    return read_rows(rows, sheet, header_index, positions, context)


def read_rows(
    rows: Sequence[Row],
    sheet: Sheet[T],
    header_index: int,
    positions: Mapping[str, int],
    context: Mapping[str, object],
) -> ImportReport[T]:
    """Every row below the header, parsed; `context["row"]` tells `sheet.parse` the row number
    Excel shows, for values (such as item codes) that name their row."""
    order = {column.field: index for index, column in enumerate(sheet.columns)}
    content = {c.field for c in sheet.columns if c.counts_as_content}
    good: list[T] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    total = 0
    for index in range(header_index + 1, len(rows)):
        number = index + 1
        row = rows[index]
        cells = {field: row[at] if at < len(row) else None for field, at in positions.items()}
        # A row with nothing but its 序号 is the blank line a template leaves for one more task.
        if not any(cell_text(value) for field, value in cells.items() if field in content):
            continue
        total += 1
        row_errors: list[RowError] = []
        key_text = cell_text(cells.get(sheet.key))
        if key_text:
            key = sheet.normalise_key(key_text)
            if key in first_seen:
                reason = f"{key} 与第 {first_seen[key]} 行重复，同一文件中只能出现一次"
                row_errors.append(RowError(number, sheet.key, reason))
            else:
                first_seen[key] = number
        try:
            value = sheet.parse(cells, {**context, "row": number})
        except ValidationError as error:
            row_errors.extend(_pydantic_errors(number, error))
        except InvalidValueError as error:
            row_errors.append(RowError(number, error.field, reason_of(error)))
        else:
            if not row_errors:
                good.append(value)
        errors.extend(sorted(row_errors, key=lambda e: order.get(e.field, len(order))))
    return ImportReport(
        good=tuple(good), errors=tuple(errors), total_rows=total, labels=sheet.labels
    )


def _pydantic_errors(number: int, error: ValidationError) -> list[RowError]:
    found = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else ""
        if detail["type"] == CELL_ERROR:
            reason = detail["msg"]
        elif detail["type"] == "missing":
            reason = "缺少该项"
        else:
            reason = f"格式不正确（{detail['msg']}）"
        found.append(RowError(number, field, reason))
    return found


def header_name(value: object) -> str:
    """A header as compared: 「*企业名称（必填）」 and 企业名称 are the same column."""
    text = unicodedata.normalize("NFKC", cell_text(value)).lstrip("\ufeff").strip()
    text = re.sub(r"[(（][^()（）]*[)）]$", "", text.lstrip("*")).strip()
    return text.lower()


def find_header(
    path: Path, rows: Sequence[Row], sheet: Sheet[T], optional: Sequence[str] = ()
) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and the position of each recognised column."""
    names: dict[str, str] = {}
    fallbacks: dict[str, str] = {}
    for column in sheet.columns:
        for name in (column.label, column.field, *column.aliases):
            names[header_name(name)] = column.field
        for name in column.fallbacks:
            fallbacks[header_name(name)] = column.field
    required = [c.field for c in sheet.columns if c.required and c.field not in optional]
    best: tuple[int, dict[str, int]] | None = None
    for index, row in enumerate(rows[:_HEADER_SEARCH]):
        if not any(cell_text(value) for value in row):
            continue
        positions: dict[str, int] = {}
        standing_in: dict[str, int] = {}
        for at, value in enumerate(row):
            field = names.get(header_name(value))
            if field is None:
                if (fallback := fallbacks.get(header_name(value))) is not None:
                    standing_in.setdefault(fallback, at)
                continue
            if field in positions:
                label = sheet.labels[field]
                raise HeaderError(
                    path,
                    f"第 {index + 1} 行的第 {positions[field] + 1} 列和第 {at + 1} 列"
                    f"都是「{label}」（{field}），请删去其中一列",
                )
            positions[field] = at
        for field, at in standing_in.items():
            positions.setdefault(field, at)  # 地址 stands for 所属区域 only where there is none
        if all(field in positions for field in required):
            return index, positions
        if best is None or len(positions) > len(best[1]):
            best = index, positions
    if best is None:
        raise HeaderError(
            path,
            "文件是空的（前 10 行没有内容）：第 1 行应为表头（列名），其后每行一条记录",
            required,
        )
    missing = [field for field in required if field not in best[1]]
    shown = "、".join(f"「{sheet.labels[field]}」（{field}）" for field in missing)
    raise HeaderError(
        path,
        f"缺少必需的列 {shown}。表头（第 {best[0] + 1} 行）可以用中文列名或英文字段名",
        missing,
    )


def _load(path: Path) -> list[Row]:
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise UnsupportedFileTypeError(path)
    if not path.is_file():
        raise UnreadableFileError(path, "找不到该文件")
    return _load_csv(path) if suffix == ".csv" else _load_xlsx(path)


def _load_csv(path: Path) -> list[Row]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel in China saves "CSV" in the system code page, GBK, which GB18030 contains.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise UnreadableFileError(
                path, "无法识别文件编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
            ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableFileError(path, f"CSV 格式有误：{error}") from error


def _load_xlsx(path: Path) -> list[Row]:
    with warnings.catch_warnings():
        # openpyxl warns about what it drops on reading (default styles, data-validation and
        # conditional-formatting extensions); none of it touches a cell's value.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
            raise UnreadableFileError(
                path, f"不是有效的 .xlsx 工作簿（{type(error).__name__}），请用 Excel 重新保存"
            ) from error
        try:
            if not workbook.worksheets:
                return []
            worksheet = workbook.worksheets[0]
            # Some programs write a wrong <dimension>; reading without it reads every row.
            worksheet.reset_dimensions()
            return [tuple(row) for row in worksheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
