"""A message bigger than the server takes (its max_payload: a draw over millions of targets is
one event of megabytes) must not stop the relay at that event for good: it goes out without its
data, saying how big it was, and its readers take it from the log. Here the server takes
1,536 bytes, so the joint inspection's larger events and notices are such messages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from adapters.bootstrap import Service
from adapters.nats.messages import DeptNotice, EventDocument
from adapters.nats.relay import Relay
from adapters.nats.streams import DEPT, EVENTS, STREAMS, setup_bus
from tests.bus.conftest import DEPARTMENTS
from tests.bus.harness import NatsServer
from tests.bus.relaying import log_length, read_all
from tests.conftest import Database
from tests.services.conftest import JointInspection

MAX_PAYLOAD = 1536


@pytest.fixture
async def small_bus(tmp_path: Path) -> AsyncIterator[Client]:
    config = tmp_path / "small.conf"
    config.write_text(f"max_payload: {MAX_PAYLOAD}\n", encoding="utf-8")
    server = NatsServer(tmp_path / "jetstream", config=config).start()
    client = await nats.connect(server.url)
    js = client.jetstream()
    for plan in STREAMS:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(plan.name)
    await setup_bus(js, DEPARTMENTS)
    try:
        yield client
    finally:
        await client.close()
        server.stop()


async def test_an_event_or_notice_too_big_for_the_server_goes_out_without_its_data(
    database: Database, service: Service, small_bus: Client
) -> None:
    JointInspection(service).matched()
    stored = log_length(database.service_url)
    assert small_bus.max_payload == MAX_PAYLOAD

    async with Relay(database.service_url, small_bus.jetstream(), service.tasks.mapper) as relay:
        while await relay.relay_once():
            pass
        assert await relay.position() == stored  # nothing stuck behind a big event

    events: list[dict[str, Any]] = []
    seen = await read_all(small_bus, EVENTS, "auditor", "ssj.events.>", stored, documents=events)
    assert set(seen) == {f"ssj:{n}" for n in range(1, stored + 1)}
    parsed = [EventDocument.model_validate(e) for e in events]
    omitted = [e for e in parsed if e.omitted is not None]
    whole = [e for e in parsed if e.omitted is None]
    assert omitted and whole
    assert all(e.data == {} and e.omitted > MAX_PAYLOAD - 1024 for e in omitted)

    notices: list[dict[str, Any]] = []
    await read_all(small_bus, DEPT, "police-reader", "ssj.dept.police.>", 2, documents=notices)
    sheets = [DeptNotice.model_validate(n) for n in notices if n["kind"] == "sheets"]
    assert sheets
    assert all(n.omitted and not n.sheets and not n.targets for n in sheets)
