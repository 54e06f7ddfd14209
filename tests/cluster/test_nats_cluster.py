"""A three-node JetStream cluster with every stream replicated three times: the node that leads
SSJ_EVENTS and SSJ_DEPT is killed -9 while the relay publishes 10,000 events; the relay, connected
to all three, carries on with the other two, every event is in SSJ_EVENTS once, every notice
reaches its department's durable consumer (exactly once after dropping repeats by id, as the
departments' client does), and the killed node, started again, catches up."""

from __future__ import annotations

import asyncio
import time

from adapters.bootstrap import Service
from adapters.nats.relay import Relay
from adapters.nats.streams import (
    DEFAULT_DEPARTMENTS,
    DEPT,
    EVENTS,
    STREAMS,
    dept_consumer,
    setup_bus,
)
from tests.bus.harness import NatsCluster
from tests.bus.relaying import log_length, until
from tests.cluster.conftest import (
    connect_service,
    drain,
    expected_ids,
    many_events,
    move_leader,
    stream_leader,
)
from tests.conftest import Database


async def test_killing_the_streams_leader_mid_relay_loses_and_doubles_nothing(
    database: Database, service: Service, cluster: NatsCluster
) -> None:
    many_events(service, plans=100, dispatched=60)
    stored = log_length(database.service_url)
    assert stored >= 10_000
    bus = await connect_service(cluster.urls)
    try:
        js = bus.jetstream()
        await setup_bus(js, DEFAULT_DEPARTMENTS, replicas=3)
        for plan in STREAMS:
            info = await js.stream_info(plan.name)
            assert info.config.num_replicas == 3 and info.cluster is not None
            assert len(info.cluster.replicas or []) == 2  # the leader and two followers
        victim = cluster.by_name(await stream_leader(bus, EVENTS))
        await move_leader(bus, DEPT, victim.name or "")  # one kill takes both leaders away

        relay = Relay(
            database.service_url, js, service.tasks.mapper, batch=250, ack_timeout=1.0, poll=0.1
        )
        await relay.open()
        expected = await expected_ids(relay)
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        try:

            async def under_way() -> bool:
                return await relay.position() >= 3_000

            async def done() -> bool:
                return await relay.position() == stored

            await until(under_way, 60)
            victim.kill9()
            killed_at, position_at_kill = time.monotonic(), await relay.position()
            assert position_at_kill < stored  # killed in the middle, not after
            await until(done, 90)
            finished = time.monotonic() - killed_at
        finally:
            stop.set()
            await running
            await relay.close()
        new_leaders = {await stream_leader(bus, EVENTS), await stream_leader(bus, DEPT)}
        assert victim.name not in new_leaders

        events = await drain(bus, EVENTS, "auditor", "ssj.events.>")
        departments = {d: await drain(bus, DEPT, dept_consumer(d)) for d in DEFAULT_DEPARTMENTS}
        assert (await js.stream_info(EVENTS)).state.messages == stored
        assert set(events) == expected["events"] == {f"ssj:{n}" for n in range(1, stored + 1)}
        for department, delivered in departments.items():
            wanted = expected.get(f"dept.{department}", set())
            assert set(delivered) == wanted, department  # none missing, none foreign
        assert {d for d, delivered in departments.items() if delivered} == {"police", "fire"}
        repeats = sum(sum(c.values()) - len(c) for c in (events, *departments.values()))

        victim.start()  # with its store as it was: it catches up from the leaders
        for plan in (EVENTS, DEPT):

            async def caught_up(stream: str = plan) -> bool:
                jsz = victim.monitor("/jsz?streams=true")
                held = {
                    s["name"]: s["state"]["messages"]
                    for account in jsz.get("account_details", [])
                    for s in account.get("stream_detail", [])
                }
                return held.get(stream) == (await js.stream_info(stream)).state.messages

            await until(caught_up, 30)
    finally:
        await bus.close()
    print(
        f"\n{stored} events; killed {victim.name} (leader of {EVENTS} and {DEPT}) at position "
        f"{position_at_kill}; relay done {finished:.1f} s later; "
        f"{sum(len(d) for d in departments.values())} notices; {repeats} repeats delivered"
    )
