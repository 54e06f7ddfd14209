"""Documents on the console: each download of a document, and the public page that checks a copy
against its recorded SHA-256 (/check/{code}).

A download issues the document (services/documents.py): made from the log as it stands, recorded
once with its hash; the same download again from an unchanged log gives the same bytes and
records nothing. The check page is public: anyone types the code printed on a copy and chooses
the file, which the browser hashes itself (check.js, with sha256.js where there is no WebCrypto),
so the copy never leaves the visitor's machine; a SHA-256 typed in or a file uploaded does too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters.documents.kinds import KINDS, About, Kind
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
from services.actors import Actor
from services.documents import IssuedCopy, Subject

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


def document_links(task_id: UUID, target: str | None = None) -> list[dict[str, Any]]:
    """The downloads a task's page (or, with a target, its 一企一表 page) offers."""
    about = About.TASK_TARGET if target is not None else About.TASK
    base = f"/dept/tasks/{task_id}" + (f"/targets/{target}" if target is not None else "")
    return [
        {
            "title": kind.title,
            "kind": kind.code,
            "formats": [
                {
                    "format": f,
                    "label": FORMAT_LABELS[f],
                    "href": f"{base}/documents/{slug(kind)}?format={f}",
                }
                for f in kind.formats
            ],
        }
        for kind in KINDS.values()
        if kind.about is about and kind.code not in LINKED_WHERE_THEY_APPLY
    ]


LINKED_WHERE_THEY_APPLY = frozenset({"joint_record_sheet"})
"""Kinds a page links only where their subject exists: a merged visit's 一企一表 from the
target's joint-visit part (visits/joint_visit_part.html), not from every target."""


environment.globals["document_links"] = document_links


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


async def _issue(
    request: Request, kind: Kind, fmt: str, task_id: UUID, target: str | None
) -> Response:
    who = principal(request)
    if who is None:
        return to_signin(request)
    if who.department is None:
        return RedirectResponse("/office", status_code=303)
    issuer = actor(request, who, task_id, write=True)
    subject = Subject(task=task_id, target=target)
    service = service_of(request)
    at = now(request)

    def issue() -> IssuedCopy | Refusal:
        return attempt(lambda: service.documents.issue(issuer, kind.code, fmt, subject, at=at))

    copy = await run_in_threadpool(issue)
    if isinstance(copy, Refusal):
        return refused_page(request, copy, who)
    return _download(copy, kind)


def _register(kind: Kind) -> None:
    path = f"/dept/tasks/{{task_id}}/documents/{slug(kind)}"
    if kind.about is About.TASK_TARGET:
        path = f"/dept/tasks/{{task_id}}/targets/{{target}}/documents/{slug(kind)}"

        async def of_target(
            request: Request, task_id: UUID, target: str, format: str = kind.formats[0]
        ) -> Response:
            return await _issue(request, kind, format, task_id, target)

        router.add_api_route(path, of_target, methods=["GET"], name=f"document_{kind.code}")
    elif kind.about is About.TASK:

        async def of_task(
            request: Request, task_id: UUID, format: str = kind.formats[0]
        ) -> Response:
            return await _issue(request, kind, format, task_id, None)

        router.add_api_route(path, of_task, methods=["GET"], name=f"document_{kind.code}")


for _kind in KINDS.values():
    _register(_kind)


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
