"""`setup_bus` makes the streams and consumers the service and the departments rely on."""

from __future__ import annotations

from nats.aio.client import Client
from nats.js import api

from adapters.nats.streams import CMD, DEPT, EVENTS, INTAKE, dept_consumer, setup_bus
from tests.bus.conftest import DEPARTMENTS


async def test_setup_makes_every_stream_and_consumer_and_can_run_again(bus: Client) -> None:
    js = bus.jetstream()
    await setup_bus(js, DEPARTMENTS)  # a second run changes nothing and fails on nothing

    events = await js.stream_info(EVENTS)
    commands = await js.stream_info(CMD)
    assert events.config.subjects == ["ssj.events.>"]
    assert events.config.retention == api.RetentionPolicy.LIMITS
    assert commands.config.retention == api.RetentionPolicy.WORK_QUEUE
    assert (await js.consumer_info(CMD, INTAKE)).config.max_deliver == 5
    fire = await js.consumer_info(DEPT, dept_consumer("fire"))
    assert fire.config.filter_subject == "ssj.dept.fire.>"


async def test_a_message_id_seen_before_is_stored_once(bus: Client) -> None:
    js = bus.jetstream()
    first = await js.publish("ssj.events.Task.X", b"{}", headers={"Nats-Msg-Id": "ssj:1"})
    again = await js.publish("ssj.events.Task.X", b"{}", headers={"Nats-Msg-Id": "ssj:1"})

    assert again.duplicate and not first.duplicate
    assert (await js.stream_info(EVENTS)).state.messages == 1
