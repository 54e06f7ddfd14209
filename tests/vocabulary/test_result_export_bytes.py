"""The export of published results gives the same bytes from the same log in every format: the
workbook's zip entries and core properties carry the day its last task was published, never
the time it was written."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl

from adapters.bootstrap import Service
from adapters.results_file import ExportFormat, export_bytes
from services.result_export import ResultExport
from tests.services.conftest import PUBLIC
from tests.vocabulary.test_result_export import db, old  # noqa: F401  (the fixtures)


def test_the_same_log_gives_the_same_bytes_in_every_format(old: Service) -> None:  # noqa: F811
    first = ResultExport(old.tasks).published(PUBLIC)
    again = ResultExport(old.tasks).published(PUBLIC)
    for kind in ExportFormat:
        assert export_bytes(first, kind) == export_bytes(again, kind), kind


def test_the_workbook_is_dated_the_day_of_publication(old: Service) -> None:  # noqa: F811
    tasks = ResultExport(old.tasks).published(PUBLIC)
    [published] = {t.published_on for t in tasks}
    content = export_bytes(tasks, ExportFormat.XLSX)
    archive = zipfile.ZipFile(io.BytesIO(content))
    day = (published.year, published.month, published.day, 0, 0, 0)
    assert {info.date_time for info in archive.infolist()} == {day}
    assert archive.namelist()[0] == "[Content_Types].xml"
    core = archive.read("docProps/core.xml").decode()
    stamps = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]+)<", core)
    assert len(stamps) == 2 and len(set(stamps)) == 1
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.properties.modified is not None
    assert workbook.properties.modified.date() <= published  # midnight in China, in UTC
    assert workbook.active is not None and workbook.active.title == "抽查检查结果"


def test_no_results_give_a_workbook_of_headers_alone() -> None:
    content = export_bytes([], ExportFormat.XLSX)
    assert content == export_bytes([], ExportFormat.XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None and sheet.max_row == 1
