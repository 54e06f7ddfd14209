"""The 抽查事项清单 of each department, and the export of published results, on the console."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
