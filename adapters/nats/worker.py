"""`ssj worker`: the relay, the command intake and the processes (dispatch, deadlines), together.

One process of the service beside PostgreSQL and NATS. Several may run: the relay publishes only
in the one that holds its lock (the others wait as standbys), the intake's durable consumer hands
each command to one of them, and the processes are idempotent, so two running at once change
nothing more than one.
"""

from __future__ import annotations

import asyncio
import logging

from adapters.bootstrap import bootstrap
from adapters.nats.connect import connect_with
from adapters.nats.intake import Intake
from adapters.nats.processes import ProcessWorker
from adapters.nats.relay import Relay
from adapters.postgres.urls import DatabaseSettingError
from adapters.settings import Settings

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Until `stop` is set; a part that fails stops the others, so the process manager restarts
    the whole worker rather than leaving it half-alive."""
    if not settings.database_url:
        raise DatabaseSettingError(
            "SSJ_DATABASE_URL: ssj worker 需要 PostgreSQL 事件库（postgresql://…），"
            "内嵌的 SQLite 库没有消息总线"
        )
    service = await asyncio.to_thread(bootstrap, settings)
    nc = None
    try:
        nc = await connect_with(settings, "ssj-worker")
        js = nc.jetstream()
        relay = Relay(
            settings.database_url, js, service.tasks.mapper, schema=settings.database_schema
        )
        intake = Intake(settings.database_url, js, service, schema=settings.database_schema)
        processes = ProcessWorker(service)
        async with relay, intake:
            parts = [
                asyncio.create_task(relay.run(stop), name="relay"),
                asyncio.create_task(intake.run(stop), name="intake"),
                asyncio.create_task(processes.run(stop), name="processes"),
            ]
            log.info("ssj worker: relay, intake and processes running")
            done, _ = await asyncio.wait(parts, return_when=asyncio.FIRST_EXCEPTION)
            stop.set()
            await asyncio.gather(*parts, return_exceptions=True)
            for part in done:
                part.result()  # the failure that stopped the others, raised here
    finally:
        if nc is not None:
            await nc.close()
        await asyncio.to_thread(service.close)
