"""The console's world (tests/console/conftest.py: the demo prepared, everyone signed in), for the
caps' and exemptions' pages."""

from __future__ import annotations

from tests.console.conftest import clock, service, world

__all__ = ["clock", "service", "world"]
