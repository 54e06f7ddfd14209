"""/api/v1/item-lists and /api/v1/results/export: the 抽查事项清单 and the published results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
