"""Import directories (名录库) from the Excel and CSV files department staff keep.

    report = read_targets(Path("抽查对象名录.xlsx"))
    if not report.ok:
        print(report.render())   # 第 7 行 credit_code（统一社会信用代码）：应为正确的校验码…

The reader parses and checks every row; the caller decides what to import.
"""

from adapters.importing.errors import (
    ACCEPTED_SUFFIXES,
    HeaderError,
    ImportFileError,
    UnreadableFileError,
    UnsupportedFileTypeError,
)
from adapters.importing.readers import read_inspectors, read_targets
from adapters.importing.report import ImportReport, RowError

__all__ = [
    "ACCEPTED_SUFFIXES",
    "HeaderError",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "UnreadableFileError",
    "UnsupportedFileTypeError",
    "read_inspectors",
    "read_targets",
]
