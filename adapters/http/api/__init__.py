"""/api/v1: every command and query of the applications, each route declaring the permission
action it takes (`x-ssj-action`), each handler asking the services, which ask the policy."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.http.api.audit import router as audit
from adapters.http.api.calendar import router as calendar
from adapters.http.api.caps import router as caps
from adapters.http.api.directories import router as directories
from adapters.http.api.documents import router as documents
from adapters.http.api.enterprises import router as enterprises
from adapters.http.api.items import router as items
from adapters.http.api.plans import router as plans
from adapters.http.api.queries import router as queries
from adapters.http.api.session import router as session
from adapters.http.api.tasks import router as tasks
from adapters.http.api.visits import router as visits

api_router = APIRouter()
for router in (
    session,
    directories,
    plans,
    tasks,
    calendar,
    queries,
    audit,
    documents,
    items,
    enterprises,
    visits,
    caps,
):
    api_router.include_router(router)

__all__ = ["api_router"]
