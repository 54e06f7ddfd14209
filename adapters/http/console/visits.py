"""The office's offers of one joint visit for tasks that drew the same target (进一次门、查多项事)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
