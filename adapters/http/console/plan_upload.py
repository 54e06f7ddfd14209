"""A plan from the office's own workbook, uploaded on the lead department's page of its plans:
read by the same importer as `ssj plan import` (adapters/importing/plan_xlsx.py, with the names
adapters/cli/plan_import.py knows), registered by the same service. A workbook with any error
registers nothing: the page comes back with every error by sheet, row and column, in Chinese.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adapters.cli.plan_import import known_names, vocabulary_of
from adapters.http.console.department import staff
from adapters.http.console.lead import plans_context
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    command_id,
    now,
    page,
    refused_page,
    service_of,
)
from adapters.importing.errors import ImportFileError
from adapters.importing.plan_xlsx import PlanWorkbook, read_plan_workbook
from services.directory_listing import readable_directory

if TYPE_CHECKING:
    from services.accounts import Principal

router = APIRouter(include_in_schema=False)

MAX_WORKBOOK = 10 * 1024 * 1024
"""A plan's workbook is a few dozen rows: anything larger is not one."""


@dataclass(frozen=True)
class CellProblem:
    """One error of the workbook as the page lists it."""

    sheet: str
    row: int | None
    column: str
    reason: str


def problems_of(workbook: PlanWorkbook) -> list[CellProblem]:
    """Every error, by sheet, row and column (the column by its Chinese header)."""
    found = [CellProblem("", None, "", problem) for problem in workbook.problems]
    for sheet in workbook.sheets:
        report = sheet.report
        for error in report.errors:
            column = report.labels.get(error.field, error.field)
            found.append(CellProblem(sheet.sheet, error.row, column, error.reason))
    return found


@dataclass(frozen=True)
class Imported:
    plan_id: UUID


def _import(
    request: Request, who: Principal, content: bytes, fields: dict[str, str]
) -> Imported | Refusal | list[CellProblem]:
    service = service_of(request)
    registrar = actor(request, who)
    try:
        directory_id = UUID(fields.get("directory", ""))
    except ValueError:
        return Refusal(
            422, "invalid_value", "directory", "directory: 请选择任务从中抽取对象的名录库"
        )
    document = fields.get("document", "").strip()
    with tempfile.TemporaryDirectory(prefix="ssj-plan-") as folder:
        path = Path(folder) / "plan.xlsx"  # the importer reads .xlsx files by their name
        path.write_bytes(content)

        def read() -> PlanWorkbook:
            found = readable_directory(service.directories, registrar, directory_id)
            return read_plan_workbook(
                path,
                vocabulary_of(found),
                {},
                known_names(),
                document=document,
                department=registrar.department,
            )

        try:
            workbook = attempt(read)
        except ImportFileError as error:
            return [CellProblem("", None, "", str(error).removeprefix(f"{path}："))]
    if isinstance(workbook, Refusal):
        return workbook
    if not workbook.ok:
        return problems_of(workbook)

    def register() -> UUID:
        plan = workbook.plan()
        return service.tasks.register_plan(
            registrar,
            plan.year,
            plan.title,
            plan.definitions,
            at=now(request),
            document=plan.document,
            command_id=command_id(fields),
        ).plan_id

    summary = attempt(register)
    if isinstance(summary, Refusal):
        return summary
    return Imported(summary)


@router.post("/dept/plans/import")
async def import_plan(request: Request) -> Response:
    """The uploaded workbook: registered as a plan of the department, or every error shown."""
    who = staff(request)
    if isinstance(who, Response):
        return who
    content = b""
    async with request.form() as form:  # closes the uploaded file's spool when read
        upload = form.get("file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if isinstance(upload, UploadFile):
            content = await upload.read(MAX_WORKBOOK + 1)
    outcome: Imported | Refusal | list[CellProblem]
    if not content:
        outcome = Refusal(422, "invalid_value", "file", "file: 请选择计划工作簿（.xlsx 文件）")
    elif len(content) > MAX_WORKBOOK:
        outcome = Refusal(413, "too_large", "file", "file: 计划工作簿不超过 10 MB")
    else:
        outcome = await run_in_threadpool(_import, request, who, content, fields)
    if isinstance(outcome, Imported):
        return RedirectResponse(
            f"/dept/plans?done=plan_imported#plan-{outcome.plan_id}", status_code=303
        )
    context = await run_in_threadpool(plans_context, request, who)
    if isinstance(context, Refusal):
        return refused_page(request, context, who)
    problems = outcome if isinstance(outcome, list) else []
    refusal = outcome if isinstance(outcome, Refusal) else None
    values = {
        **context,
        "import_problems": problems,
        "chosen_directory": fields.get("directory", ""),
        "document": fields.get("document", ""),
    }
    status = 422 if problems else 200
    return page(request, "dept/plans.html", values, refusal=refusal, status=status, who=who)
