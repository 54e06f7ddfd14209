"""Each test gets the county (tests/caps/world.py) on an in-memory store, SQLite read models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from tests.caps.world import County


@pytest.fixture
def service() -> Iterator[Service]:
    service = bootstrap(load_settings(), memory=True)
    yield service
    service.close()


@pytest.fixture
def county(service: Service) -> County:
    return County(service)
