"""An enterprise's own page: every inspection of it (国办发〔2024〕54号), its caps and exemptions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
