"""The 抽查事项清单 of each department, and the export of published results, on the console.

Both are public pages (READ_ITEM_LIST and EXPORT_RESULTS are everyone's): whoever is signed in
sees and downloads what the public does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapters.http.console.web import Refusal, actor, attempt, page, refused_page, service_of

router = APIRouter(include_in_schema=False)


@router.get("/public/items")
def item_lists(request: Request) -> Response:
    """Every department's 随机抽查事项清单, item by item."""
    service = service_of(request)
    found = attempt(lambda: service.item_catalogues.catalogues(actor(request, None)))
    if isinstance(found, Refusal):
        return refused_page(request, found)
    return page(request, "items/lists.html", {"title": "随机抽查事项清单", "catalogues": found})


@router.get("/public/results/export")
def results_export(request: Request, format: str = "xlsx", year: str = "") -> Response:
    """The published results as a file, in the national publicity system's structure."""
    from adapters.results_file import ExportFormat, export_bytes
    from services.result_export import ResultExport

    service = service_of(request)

    def export() -> tuple[ExportFormat, bytes, str]:
        from domain.errors import InvalidValueError

        kind = ExportFormat.parse(format)
        if year and not (year.isdigit() and len(year) == 4):
            raise InvalidValueError("year", "四位数的计划年度，例如 2023", year)
        chosen = int(year) if year else None
        tasks = ResultExport(service.tasks).published(actor(request, None), chosen)
        return kind, export_bytes(tasks, kind), f"抽查结果{year}.{kind.value}"

    made = attempt(export)
    if isinstance(made, Refusal):
        return refused_page(request, made)
    kind, data, name = made
    from urllib.parse import quote

    disposition = f"attachment; filename=\"results.{kind.value}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=kind.media_type, headers={"Content-Disposition": disposition})
