"""Why a directory file cannot be read at all, as opposed to some of its rows being wrong.

Bad rows are collected in an `ImportReport`; these errors mean there are no rows to judge, and
each message (in Chinese, for department staff) names the file and what to do about it.

    ImportFileError
    ├── UnsupportedFileTypeError   neither .csv nor .xlsx
    ├── UnreadableFileError        missing, not a real workbook, or an unknown text encoding
    └── HeaderError                empty file, a required column missing, or a column twice
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

ACCEPTED_SUFFIXES = (".csv", ".xlsx")


class ImportFileError(Exception):
    """The file cannot be imported; nothing in it was read."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}：{message}")


class UnsupportedFileTypeError(ImportFileError):
    def __init__(self, path: Path) -> None:
        accepted = "、".join(ACCEPTED_SUFFIXES)
        super().__init__(
            path,
            f"不支持的文件类型 {path.suffix or '（无扩展名）'!s}，只接受 {accepted}"
            "（.xls 等旧格式请在 Excel 中另存为 .xlsx）",
        )


class UnreadableFileError(ImportFileError):
    pass


class HeaderError(ImportFileError):
    """The header row does not name the columns the directory needs."""

    def __init__(self, path: Path, message: str, missing: Sequence[str] = ()) -> None:
        self.missing = tuple(missing)
        """Field names of the required columns not found."""
        super().__init__(path, message)
