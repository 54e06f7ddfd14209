"""What an import found: the good rows, and every bad one with its row number as the user sees it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """One thing wrong in one row of the user's file."""

    row: int
    """The spreadsheet's row number: the header is row 1, the first data row is row 2."""
    field: str
    """The field's name in code (`credit_code`); `render` adds the Chinese column name."""
    reason: str
    """In Chinese, saying what was expected and what was found."""


@dataclass(frozen=True)
class ImportReport(Generic[T]):
    """The outcome of reading one directory file.

    `good` holds only the rows without errors; whether to import them when other rows are bad is
    the caller's decision, not the reader's.
    """

    good: tuple[T, ...]
    errors: tuple[RowError, ...]
    total_rows: int
    """Data rows read, blank rows not counted."""
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    """Chinese column names by field, so `render` speaks the user's headers."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> tuple[int, ...]:
        return tuple(sorted({error.row for error in self.errors}))

    def render(self) -> str:
        """A summary line, then one line per error, for department staff to fix their file."""
        if self.ok:
            head = f"共 {self.total_rows} 行数据，全部通过校验。"
        else:
            head = (
                f"共 {self.total_rows} 行数据：{len(self.good)} 行有效，"
                f"{len(self.bad_rows)} 行有错误（{len(self.errors)} 处）。"
            )
        lines = [head]
        for error in self.errors:
            label = self.labels.get(error.field)
            column = f"{error.field}（{label}）" if label else error.field
            lines.append(f"第 {error.row} 行 {column}：{error.reason}")
        return "\n".join(lines)
