"""An enterprise's own page: every inspection of it (国办发〔2024〕54号), its caps and exemptions."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    page,
    principal,
    refused_page,
    service_of,
    to_signin,
)
from services.inspection_caps import Caps
from services.inspection_ledger import InspectionLedgers

router = APIRouter(include_in_schema=False)


@router.get("/enterprises/{credit_code}")
def enterprise(request: Request, credit_code: str) -> Response:
    """企业检查台账: each year's inspections of the enterprise by every department and task, with
    the counts the year's caps are judged by; for departments, the office and the auditor."""
    who = principal(request)
    if who is None:
        return to_signin(request)
    service = service_of(request)
    reader = actor(request, who)
    ledger = attempt(lambda: InspectionLedgers(service.read_models).ledger(reader, credit_code))
    if isinstance(ledger, Refusal):
        return refused_page(request, ledger, who)
    years = []
    for year, rows in sorted(ledger.by_year().items(), reverse=True):
        per, total = ledger.counts(year)
        caps = attempt(partial(Caps(service.tasks).caps, reader, year))
        years.append({"year": year, "rows": rows, "per": per, "total": total, "caps": caps})
    return page(
        request,
        "enterprises/ledger.html",
        {"title": f"企业检查台账 · {ledger.credit_code}", "ledger": ledger, "years": years},
        who=who,
    )
