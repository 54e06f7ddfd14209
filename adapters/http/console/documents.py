"""Documents on the console: each download of a document, and the public page that checks a copy
against its recorded SHA-256 (/check/{code}).

A download issues the document (services/documents.py): made from the log as it stands, recorded
once with its hash; the same download again from an unchanged log gives the same bytes and
records nothing. The check page is public: anyone types the code printed on a copy and chooses
the file, which the browser hashes itself (check.js, with sha256.js where there is no WebCrypto),
so the copy never leaves the visitor's machine; a SHA-256 typed in or a file uploaded does too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters.documents.kinds import KINDS, About, Kind
from adapters.http.console.office import overseer
from adapters.http.console.signin import home_of
from adapters.http.console.web import (
    Refusal,
    actor,
    attempt,
    environment,
    now,
    page,
    principal,
    refused_page,
    service_of,
    to_signin,
)
from domain.document import CODE_PATTERN
from services.actors import Actor, Role
from services.documents import IssuedCopy, Subject

if TYPE_CHECKING:
    from services.accounts import Principal

router = APIRouter(include_in_schema=False)

MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMAT_LABELS = {"pdf": "PDF", "docx": "Word", "xlsx": "Excel"}
MAX_UPLOAD = 50 * 1024 * 1024


def slug(kind: Kind) -> str:
    return kind.code.replace("_", "-")


AREAS = {
    "dept": "/dept/tasks/{task_id}",
    "office": "/office/tasks/{task_id}",
}
"""Where a task's documents are downloaded: by its departments from their pages, and by the
office (which may issue them too: Action.ISSUE_DOCUMENT) from its own."""
PLAN_BASE = "/dept/plans/{plan_id}"
"""A plan's documents: from the lead department's page of its plans."""
YEAR_BASE = "/office/years/{year}"
"""A year's documents (the statistics report): from the office's statistics page."""


def document_path(kind: Kind, area: str = "dept") -> str:
    """The route of a kind's download, its subject's fields as path parameters."""
    if kind.about is About.TASK_TARGET:
        return AREAS[area] + f"/targets/{{target}}/documents/{slug(kind)}"
    if kind.about is About.TASK:
        return AREAS[area] + f"/documents/{slug(kind)}"
    if kind.about is About.PLAN:
        return PLAN_BASE + f"/documents/{slug(kind)}"
    return YEAR_BASE + f"/documents/{slug(kind)}"


def _links(about: About, area: str, **values: object) -> list[dict[str, Any]]:
    return [
        {
            "title": kind.title,
            "kind": kind.code,
            "formats": [
                {
                    "format": f,
                    "label": FORMAT_LABELS[f],
                    "href": document_path(kind, area).format(**values) + f"?format={f}",
                }
                for f in kind.formats
            ],
        }
        for kind in KINDS.values()
        if kind.about is about and kind.code not in LINKED_WHERE_THEY_APPLY
    ]


def document_links(task_id: UUID, target: str | None = None) -> list[dict[str, Any]]:
    """The downloads a task's page (or, with a target, its 一企一表 page) offers."""
    about = About.TASK_TARGET if target is not None else About.TASK
    return _links(about, "dept", task_id=task_id, target=target)


def office_document_links(task_id: UUID, target: str | None = None) -> list[dict[str, Any]]:
    """The same downloads on the office's page of the task."""
    about = About.TASK_TARGET if target is not None else About.TASK
    return _links(about, "office", task_id=task_id, target=target)


def plan_document_links(plan_id: UUID) -> list[dict[str, Any]]:
    """A plan's downloads (its two tables), on the lead department's page of its plans."""
    return _links(About.PLAN, "dept", plan_id=plan_id)


def year_document_links(year: int) -> list[dict[str, Any]]:
    """A year's downloads (the statistics report), on the office's statistics page."""
    return _links(About.YEAR, "office", year=year)


LINKED_WHERE_THEY_APPLY = frozenset({"joint_record_sheet"})
"""Kinds a page links only where their subject exists: a merged visit's 一企一表 from the
target's joint-visit part (visits/joint_visit_part.html), not from every target."""


environment.globals.update(
    document_links=document_links,
    office_document_links=office_document_links,
    plan_document_links=plan_document_links,
    year_document_links=year_document_links,
)


def _download(copy: IssuedCopy, kind: Kind) -> Response:
    record = copy.record
    name = f"{kind.title}-{record.code}.{record.format}"
    return Response(
        copy.content,
        media_type=MEDIA[record.format],
        headers={
            "Content-Disposition": f"attachment; filename={kind.code}-{record.code}.{record.format}; "
            f"filename*=UTF-8''{quote(name)}",
            "X-SSJ-Document-Code": record.code,
            "X-SSJ-Document-SHA256": record.sha256,
            "Cache-Control": "no-store",
        },
    )


def _admitted(request: Request, area: str) -> Principal | Response:
    """Who asks, in the download's area: a department's staff under /dept, the office (and the
    auditor, whom the policy then refuses) under /office; anyone else to sign in or home."""
    if area == "office":
        return overseer(request, Role.OFFICE)
    who = principal(request)
    if who is None:
        return to_signin(request)
    if who.department is None:
        return RedirectResponse(home_of(who.roles), status_code=303)
    return who


async def _issue(
    request: Request, kind: Kind, fmt: str, subject: Subject, area: str = "dept"
) -> Response:
    who = _admitted(request, area)
    if isinstance(who, Response):
        return who
    issuer = actor(request, who, subject.task, write=True)
    service = service_of(request)
    at = now(request)

    def issue() -> IssuedCopy | Refusal:
        return attempt(lambda: service.documents.issue(issuer, kind.code, fmt, subject, at=at))

    copy = await run_in_threadpool(issue)
    if isinstance(copy, Refusal):
        return refused_page(request, copy, who)
    return _download(copy, kind)


def _register(kind: Kind, area: str) -> None:
    """One GET route for the kind in the area, its format a query parameter (the first by
    default)."""
    path, name = document_path(kind, area), f"{area}_document_{kind.code}"
    first = kind.formats[0]
    if kind.about is About.TASK_TARGET:

        async def of_target(
            request: Request, task_id: UUID, target: str, format: str = first
        ) -> Response:
            subject = Subject(task=task_id, target=target.strip().upper())
            return await _issue(request, kind, format, subject, area)

        router.add_api_route(path, of_target, methods=["GET"], name=name)
    elif kind.about is About.TASK:

        async def of_task(request: Request, task_id: UUID, format: str = first) -> Response:
            return await _issue(request, kind, format, Subject(task=task_id), area)

        router.add_api_route(path, of_task, methods=["GET"], name=name)
    elif kind.about is About.PLAN:

        async def of_plan(request: Request, plan_id: UUID, format: str = first) -> Response:
            return await _issue(request, kind, format, Subject(plan=plan_id), area)

        router.add_api_route(path, of_plan, methods=["GET"], name=name)
    else:

        async def of_year(
            request: Request, year: Annotated[int, Path(ge=2000, le=2100)], format: str = first
        ) -> Response:
            return await _issue(request, kind, format, Subject(year=year), area)

        router.add_api_route(path, of_year, methods=["GET"], name=name)


for _kind in KINDS.values():
    if _kind.about in (About.TASK_TARGET, About.TASK):
        _register(_kind, "dept")
        _register(_kind, "office")
    elif _kind.about is About.PLAN:
        _register(_kind, "dept")
    else:
        _register(_kind, "office")


# ---------------------------------------------------------------------------- the public check
def _check_page(
    request: Request, code: str, sha256: str = "", content: bytes | None = None
) -> Response:
    service = service_of(request)
    public = Actor.public()
    answer = attempt(
        lambda: service.documents.check(public, code, content=content, sha256=sha256 or None)
    )
    if isinstance(answer, Refusal):
        return page(
            request,
            "public/check.html",
            {"title": "文书核验", "code": code, "answer": None, "given": sha256},
            refusal=answer,
        )
    status = 200 if answer.found else 404
    return page(
        request,
        "public/check.html",
        {"title": "文书核验", "code": answer.code, "answer": answer, "given": answer.given},
        status=status,
    )


@router.get("/check")
def check_home(request: Request, code: str = "") -> Response:
    """The form to type a code; with one, its page."""
    typed = code.strip().upper().replace("-", "").replace(" ", "")
    if typed:
        if CODE_PATTERN.match(typed):
            return RedirectResponse(f"/check/{typed}", status_code=303)
        return _check_page(request, typed)
    return page(
        request,
        "public/check.html",
        {"title": "文书核验", "code": "", "answer": None, "given": ""},
    )


@router.get("/check/{code}")
def check_document(request: Request, code: str, sha256: str = "") -> Response:
    """What the code names, and, given a SHA-256 (check.js computes it from the chosen file in
    the browser), whether the copy is the recorded one."""
    return _check_page(request, code, sha256)


@router.post("/check/{code}")
async def check_upload(request: Request, code: str, file: UploadFile) -> Response:
    """The same check for a browser without scripts: the copy is uploaded, hashed, not kept."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        refusal = Refusal(413, "too_large", "file", "file: 文书不超过 50 MB")
        return page(
            request,
            "public/check.html",
            {"title": "文书核验", "code": code, "answer": None, "given": ""},
            refusal=refusal,
        )
    return await run_in_threadpool(_check_page, request, code, "", content)
