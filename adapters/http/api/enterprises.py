"""/api/v1/enterprises: the inspection ledger of each enterprise, the caps, the exemptions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
