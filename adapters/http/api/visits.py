"""/api/v1/joint-visits: offers of one visit for many items, and their merging."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
