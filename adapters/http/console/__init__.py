"""The web console: server-rendered pages (Jinja2, autoescaped) with htmx, for each department
(and the lead of its tasks), the office, the auditor and the public, in Chinese, at phone width.

Every page goes through the same services and permission policy as the API; no inline script,
style or handler anywhere (the CSP allows only this site's files). Addresses:

    /signin /signout /              sign in and out; `/` goes to the pages of one's role
    /dept …                         a department: inbox, tasks, 一企一表, results, follow-up
    /office …                       双随机办: tasks, overdue, escalations, faults, filings, statistics
    /audit …                        the auditor: timeline, state as of an event, verify, export
    /public …                       公示: results, search, each draw's inputs and its re-run
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from adapters.http.console import (
    audit,
    caps,
    department,
    department_commands,
    documents,
    enterprises,
    items,
    lead,
    office,
    plan_upload,
    public,
    signin,
    visits,
)

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
for part in (
    signin,
    department,
    department_commands,
    lead,
    plan_upload,
    office,
    audit,
    public,
    documents,
    items,
    enterprises,
    visits,
    caps,
):
    router.include_router(part.router)

__all__ = ["STATIC_DIR", "router"]
