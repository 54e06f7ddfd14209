"""An enterprise's own page: every inspection of it (国办发〔2024〕54号), its caps and exemptions,
and the form granting one (adapters/http/console/caps.py takes it)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from adapters.cli.words import DEPARTMENTS
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    page,
    principal,
    refused_page,
    service_of,
    to_signin,
    today,
)
from domain.inspection_caps import ExemptionKind
from services.accounts import Principal
from services.inspection_caps import Caps
from services.inspection_ledger import InspectionLedgers, joint_visits_in
from services.permissions import Action, Parties, allows

router = APIRouter(include_in_schema=False)


def enterprise_page(
    request: Request, who: Principal, credit_code: str, refusal: Refusal | None = None
) -> Response:
    service = service_of(request)
    reader = actor(request, who)
    ledgers = InspectionLedgers(service.read_models, joint_visits_in(service.tasks))
    ledger = attempt(lambda: ledgers.ledger(reader, credit_code))
    if isinstance(ledger, Refusal):
        return refused_page(request, ledger, who)
    this_year = today(request).year
    years = []
    exemptions = []
    for year in sorted({*ledger.by_year(), this_year}, reverse=True):
        caps = attempt(partial(Caps(service.tasks).caps, reader, year))
        if not isinstance(caps, Refusal) and caps is not None:
            exemptions += [
                (year, e) for e in caps.exemptions if e.credit_code == ledger.credit_code
            ]
        if year not in ledger.by_year():
            continue
        per, total = ledger.counts(year)
        years.append(
            {
                "year": year,
                "visits": ledger.visits(year),
                "per": per,
                "total": total,
                "caps": None if isinstance(caps, Refusal) else caps,
            }
        )
    return page(
        request,
        "enterprises/ledger.html",
        {
            "title": f"企业检查台账 · {ledger.credit_code}",
            "ledger": ledger,
            "years": years,
            "exemptions": exemptions,
            "this_year": this_year,
            "kinds": list(ExemptionKind),
            "departments": [d for d in DEPARTMENTS if d != "office"],
            "own_department": reader.department,
            "may_exempt": allows(
                reader, Action.GRANT_CAP_EXEMPTION, Parties(lead=reader.department)
            ),
        },
        refusal=refusal,
        who=who,
    )


@router.get("/enterprises/{credit_code}")
def enterprise(request: Request, credit_code: str) -> Response:
    """企业检查台账: each year's inspections of the enterprise by every department and task, with
    the counts the year's caps are judged by (a joint visit's tasks: one entry through the door);
    for departments, the office and the auditor."""
    who = principal(request)
    if who is None:
        return to_signin(request)
    return enterprise_page(request, who, credit_code)
