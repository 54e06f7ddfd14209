"""The export of published results as files: XLSX for the office, CSV that Excel opens with its
Chinese intact (UTF-8 with a byte-order mark), and JSON for other systems.

The same published log gives the same bytes in every format: the workbook is dated the day the
last of its tasks was published, and its zip is written again as the documents' are
(adapters/documents/packaging.py), so no time of writing stays in it.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time
from enum import StrEnum

from adapters.cli.words import dept
from adapters.documents.packaging import xlsx_bytes
from domain.values import CHINA
from services.result_export import COLUMNS, PublishedTask, document, rows

FIXED = datetime(2000, 1, 1, tzinfo=CHINA)
"""The date of a workbook of no results: the file must not depend on when it was made."""
TITLE = "“双随机、一公开”抽查检查结果"


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return {
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "csv": "text/csv; charset=utf-8",
            "json": "application/json",
        }[self.value]

    @classmethod
    def parse(cls, value: str, field: str = "format") -> ExportFormat:
        from domain.errors import InvalidValueError

        for kind in cls:
            if value.strip().lower() in (kind.value, f".{kind.value}"):
                return kind
        raise InvalidValueError(field, "xlsx、csv 或 json", value)


def export_bytes(tasks: list[PublishedTask], kind: ExportFormat) -> bytes:
    if kind is ExportFormat.JSON:
        text = json.dumps(document(tasks, dept), ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")
    table = rows(tasks, dept)
    if kind is ExportFormat.CSV:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([label for _, label in COLUMNS])
        writer.writerows([row[key] for key, _ in COLUMNS] for row in table)
        return out.getvalue().encode("utf-8-sig")
    return _xlsx(table, dated_of(tasks))


def dated_of(tasks: list[PublishedTask]) -> datetime:
    """The export's date: the day its last task was published (a fact of the log, not the
    clock)."""
    if not tasks:
        return FIXED
    return datetime.combine(max(t.published_on for t in tasks), time(), tzinfo=CHINA)


def _xlsx(table: list[dict[str, str]], dated: datetime) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = "抽查检查结果"
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append([row[key] for key, _ in COLUMNS])
    widths = {"plan": 36, "task": 30, "authorities": 28, "name": 26, "item_name": 28}
    for n, (key, _) in enumerate(COLUMNS):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(n + 1)].width = widths.get(key, 16)
    sheet.freeze_panes = "A2"
    return xlsx_bytes(workbook, dated, TITLE)
