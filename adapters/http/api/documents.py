"""/api/v1/documents: issue a document from the log, download it, check a copy."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
