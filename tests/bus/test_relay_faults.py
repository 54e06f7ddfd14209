"""The NATS server killed with SIGKILL while the relay is publishing 10,000 events: after the
restart, every event is in the stream once and reaches each subscriber exactly once by id."""

from __future__ import annotations

import asyncio

import nats

from adapters.bootstrap import Service
from adapters.nats.relay import Relay
from adapters.nats.streams import DEFAULT_DEPARTMENTS, EVENTS, setup_bus
from tests.bus.harness import NatsServer
from tests.bus.relaying import log_length, plans_of, read_all, until
from tests.conftest import Database


async def test_a_nats_server_killed_mid_stream_loses_and_doubles_nothing(
    database: Database, service: Service, own_nats: NatsServer
) -> None:
    plans_of(service, 10_000)
    stored = log_length(database.service_url)
    assert stored >= 10_000
    client = await nats.connect(
        own_nats.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1, connect_timeout=2
    )
    await setup_bus(client.jetstream(), DEFAULT_DEPARTMENTS)
    relay = Relay(
        database.service_url,
        client.jetstream(),
        service.tasks.mapper,
        batch=250,
        ack_timeout=1.0,
        poll=0.1,
    )
    await relay.open()
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:

        async def under_way() -> bool:
            return await relay.position() >= 2_000

        async def done() -> bool:
            return await relay.position() == stored

        await until(under_way, 60)
        own_nats.kill9()
        assert await relay.position() < stored  # killed in the middle, not after
        await asyncio.sleep(0.5)
        own_nats.start()
        await until(done, 120)
    finally:
        stop.set()
        await running
        await relay.close()

    info = await client.jetstream().stream_info(EVENTS)
    auditor = await read_all(client, EVENTS, "auditor", "ssj.events.>", stored)
    projection = await read_all(client, EVENTS, "projection", "ssj.events.>", stored)
    await client.close()

    assert info.state.messages == stored
    expected = {f"ssj:{n}" for n in range(1, stored + 1)}
    for seen in (auditor, projection):
        assert set(seen) == expected
        assert set(seen.values()) == {1}
