"""The demo's log on a SQLite file: 迁安市's 2023 joint inspection run to its close
(adapters/cli/demo.py), made once for a module's tests, which only read it and issue documents
from it; helpers to read the XLSX and PDF copies back."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli import demo
from domain.task import Task
from domain.values import CHINA
from services.actors import Actor
from services.documents import IssuedCopy, Subject

SECRET = "5f" * 32
ISSUED_AT = datetime(2024, 1, 5, 9, 0, tzinfo=CHINA)


@dataclass
class Demo:
    service: Service
    task_id: UUID

    @property
    def task(self) -> Task:
        return self.service.tasks.task(Actor.office(), self.task_id)

    def issue(self, kind: str, fmt: str, subject: Subject | None = None) -> IssuedCopy:
        subject = subject or Subject(task=self.task_id)
        actor = Actor.office() if subject.year is not None else demo.EDUCATION
        return self.service.documents.issue(actor, kind, fmt, subject, at=ISSUED_AT)


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    db = tmp_path_factory.mktemp("demo") / "ssj.db"
    service = bootstrap(load_settings().model_copy(update={"db": db, "database_url": None}))
    task_id = demo._prepare(service)
    demo._inspect(service, task_id, SECRET)
    service.settle()
    yield Demo(service, task_id)
    service.close()


def sheet_of(content: bytes, name: str | None = None) -> Worksheet:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book[name] if name else book.worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def table_rows(sheet: Worksheet, first_header: str = "序号") -> tuple[list[str], list[list[str]]]:
    """The header row (the last row above the data whose first cell is `first_header` or a
    band's) and the data rows under it, as text."""
    values = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    header = max(i for i, row in enumerate(values) if row and row[0] == first_header)
    if header + 1 < len(values) and values[header + 1][0] == "":
        header += 1  # a two-row header whose first column spans both rows
    rows = [row for row in values[header + 1 :] if row[0].isdigit()]
    return values[header], rows
