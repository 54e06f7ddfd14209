"""Plan workbooks as offices keep them: the committed sample, and copies of it with bad cells."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli.main import app
from adapters.importing import read_targets
from adapters.importing.plan_cells import Vocabulary

DEMO_DATA = Path(__file__).resolve().parents[2] / "adapters" / "demo_data"
PLAN = DEMO_DATA / "plan-2024-sample.xlsx"
SCHOOLS = DEMO_DATA / "schools-2024-sample.csv"


def _sample_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_plan_sample", DEMO_DATA / "make_plan_sample.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sample = _sample_module()
"""adapters/demo_data/make_plan_sample.py: the seed's tables as typed into the sample."""
DIRECTORY = sample.DIRECTORY


@pytest.fixture(scope="session")
def schools() -> Vocabulary:
    """The words of the sample directory, as the CLI gives them to the importer."""
    targets = read_targets(SCHOOLS).good
    return Vocabulary(
        sample.DIRECTORY,
        frozenset(t.category for t in targets),
        frozenset(t.region for t in targets),
        frozenset(tag for t in targets for tag in t.tags),
    )


def write_plan(
    path: Path,
    joint: Sequence[Sequence[object]] | None = None,
    internal: Sequence[Sequence[object]] | None = None,
    departments: Sequence[Sequence[object]] | None = None,
    titles: tuple[str, str] | None = None,
    department_sheet: bool = True,
    extra: dict[str, Sequence[Sequence[object]]] | None = None,
) -> Path:
    """The sample's layout with other rows: the joint and internal tables under their titles."""
    workbook = openpyxl.Workbook()
    first = workbook.worksheets[0]
    first.title = "附件1"
    joint_title, internal_title = titles or (sample.JOINT_TITLE, sample.INTERNAL_TITLE)
    sample._table(first, [joint_title], sample.JOINT_HEADER, joint or sample.JOINT_ROWS)
    second = workbook.create_sheet("附件2")
    rows = sample.INTERNAL_ROWS if internal is None else internal
    sample._table(second, ["附件二", internal_title], sample.INTERNAL_HEADER, rows)
    if department_sheet:
        sheet = workbook.create_sheet("部门")
        for line in departments or sample.DEPARTMENTS:
            sheet.append(list(line))
    for name, lines in (extra or {}).items():
        sheet = workbook.create_sheet(name)
        for line in lines:
            sheet.append(list(line))
    workbook.save(path)
    return path


def joint_row(**changes: object) -> tuple[object, ...]:
    """Row 1 of the joint table, some of its cells changed (by header)."""
    row = list(sample.JOINT_ROWS[0])
    for header, value in changes.items():
        row[sample.JOINT_HEADER.index(header)] = value
    return tuple(row)


def internal_row(**changes: object) -> tuple[object, ...]:
    row = list(sample.INTERNAL_ROWS[0])
    for header, value in changes.items():
        row[sample.INTERNAL_HEADER.index(header)] = value
    return tuple(row)


DIRECTORY = sample.DIRECTORY


def ssj(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


@contextmanager
def service_of(db: Path) -> Iterator[Service]:
    service = bootstrap(load_settings(db=db))
    try:
        yield service
    finally:
        service.close()


def log_length(db: Path) -> int:
    with service_of(db) as service:
        return service.tasks.recorder.max_notification_id() or 0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh store holding the sample's directory of schools, imported under clerks' headers."""
    path = tmp_path / "ssj.db"
    ok(ssj(path, "directory", "open", DIRECTORY, "--owner", "education", "--at", "2024-02-01"))
    imported = ssj(
        path,
        "directory",
        "import-targets",
        str(SCHOOLS),
        "--directory",
        DIRECTORY,
        "--at",
        "2024-02-10",
    )
    assert "已导入 14 行" in ok(imported)
    return path
