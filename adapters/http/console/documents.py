"""Documents on the console: each download of a document, and the public page that checks a copy
against its recorded SHA-256 (/check/{code})."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
