"""The demo's log: 迁安市's 2023 joint inspection run to its close (adapters/cli/demo.py) on the
in-memory service, with a clock after it; helpers to read the documents back as people do
(pdftotext, pdftoppm, python-docx)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import docx
import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli import demo
from adapters.clock import ManualClock
from domain.task import Task
from domain.values import CHINA
from services.actors import Actor
from services.documents import IssuedCopy, Subject

SECRET = "7c" * 32
NOW = datetime(2024, 1, 8, 9, 0, tzinfo=CHINA)


@dataclass
class Demo:
    service: Service
    task_id: UUID

    @property
    def task(self) -> Task:
        return self.service.tasks.task(Actor.office(), self.task_id)

    @property
    def refused(self) -> str:
        """The institution whose legal representative refused to sign the 一企一表."""
        [target] = [t for t, v in self.task.visits.items() if not v.signed]
        return target

    @property
    def signed(self) -> str:
        return next(t for t, v in self.task.visits.items() if v.signed)

    def issue(self, kind: str, fmt: str, target: str, actor: Actor = demo.EDUCATION) -> IssuedCopy:
        subject = Subject(task=self.task_id, target=target)
        return self.service.documents.issue(actor, kind, fmt, subject, at=NOW)


def demo_service() -> tuple[Service, UUID]:
    service = bootstrap(load_settings(), memory=True, clock=ManualClock(NOW))
    task_id = demo._prepare(service)
    demo._inspect(service, task_id, SECRET)
    service.settle()
    return service, task_id


@pytest.fixture
def demo_log() -> Iterator[Demo]:
    service, task_id = demo_service()
    yield Demo(service, task_id)
    service.close()


def page_png(tmp_path: Path, name: str = "document") -> Path:
    """The first page that `pdf_text` kept."""
    return tmp_path / f"{name}.png"


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return re.sub(r"\s+", "", "".join(parts))
