"""The service's one reading of the wall clock, in China time: the domain reads none (every
command says when it happened), so only adapters that stand for "now" call this."""

from __future__ import annotations

from datetime import datetime

from domain.values import CHINA


def china_now() -> datetime:
    return datetime.now(CHINA)
