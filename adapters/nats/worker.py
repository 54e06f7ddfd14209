"""`ssj worker`: the relay, the command intake and the processes (dispatch, deadlines), together,
with its probes and metrics on SSJ_WORKER_HOST:SSJ_WORKER_PORT (adapters/http/health.py).

One process of the service beside PostgreSQL and NATS. Several may run: the relay publishes only
in the one that holds its lock (the others wait as standbys), the intake's durable consumer hands
each command to one of them, and the processes are idempotent, so two running at once change
nothing more than one.

Every second the worker samples what its metrics report and no part counts by itself: whether
its relay leads, the relay's lag behind the log (in events, and in seconds as adapters/metrics.py
defines it), and the intake consumer's queue. Its logs are JSON lines on standard error, as
`ssj serve`'s are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Iterator
from time import monotonic

import uvicorn

from adapters import metrics
from adapters.bootstrap import bootstrap
from adapters.http import health, logs
from adapters.nats.connect import connect_with
from adapters.nats.intake import Intake
from adapters.nats.processes import ProcessWorker
from adapters.nats.relay import Relay
from adapters.nats.streams import CMD, INTAKE
from adapters.postgres.urls import DatabaseSettingError
from adapters.settings import Settings

log = logging.getLogger(__name__)

SAMPLE = 1.0
"""Seconds between samples of the relay's lag and the intake's queue."""


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Until `stop` is set; a part that fails stops the others, so the process manager restarts
    the whole worker rather than leaving it half-alive."""
    if not settings.database_url:
        raise DatabaseSettingError(
            "SSJ_DATABASE_URL: ssj worker 需要 PostgreSQL 事件库（postgresql://…），"
            "内嵌的 SQLite 库没有消息总线"
        )
    logs.configure()  # this is the worker process's own start: its lines are JSON from here on
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
        probes = ProbeServer(health.worker_app(settings, nc, relay.leading), settings)
        async with relay, intake:
            parts = [
                asyncio.create_task(relay.run(stop), name="relay"),
                asyncio.create_task(intake.run(stop), name="intake"),
                asyncio.create_task(processes.run(stop), name="processes"),
                asyncio.create_task(probes.run(stop), name="probes"),
                asyncio.create_task(Sampler(relay, intake).run(stop), name="sampler"),
            ]
            log.info(
                "ssj worker: relay, intake and processes running; probes on http://%s:%d",
                settings.worker_host,
                settings.worker_port,
            )
            done, _ = await asyncio.wait(parts, return_when=asyncio.FIRST_EXCEPTION)
            stop.set()
            await asyncio.gather(*parts, return_exceptions=True)
            for part in done:
                part.result()  # the failure that stopped the others, raised here
    finally:
        metrics.RELAY_LEADER.set(0)
        if nc is not None:
            # A server that is gone makes close() fail flushing: the store is closed all the same.
            with contextlib.suppress(Exception):
                await nc.close()
        await asyncio.to_thread(service.close)


class ProbeServer(uvicorn.Server):
    """uvicorn in the worker's own loop; the worker's signal handlers stay its own."""

    def __init__(self, app: object, settings: Settings) -> None:
        self.where = f"{settings.worker_host}:{settings.worker_port}"
        super().__init__(
            uvicorn.Config(
                app,  # type: ignore[arg-type]
                host=settings.worker_host,
                port=settings.worker_port,
                log_config=None,
                access_log=False,
                lifespan="off",
                server_header=False,
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # `ssj worker` handles SIGINT and SIGTERM by setting its stop event

    async def run(self, stop: asyncio.Event) -> None:  # type: ignore[override]
        listening = self.bind()
        serving = asyncio.create_task(self.serve(sockets=[listening]))
        await asyncio.wait(
            [serving, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
        )
        self.should_exit = True
        await serving

    def bind(self) -> socket.socket:
        """The listening socket, bound here: uvicorn would exit the process on a port in use,
        where the worker names the settings to change."""
        host, port = self.config.host, self.config.port
        try:
            family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
            return socket.create_server((host, port), family=family)
        except OSError as error:
            raise ProbePortError(
                f"SSJ_WORKER_HOST/SSJ_WORKER_PORT: 无法在 {self.where} 上提供 /healthz、/readyz "
                f"与 /metrics（{error.strerror or error}；同一台机器上的每个 ssj worker "
                "须用各自的端口）"
            ) from None


class ProbePortError(ValueError):
    """The worker's probes cannot listen where the settings say (`ssj worker` exits 2)."""


class Sampler:
    """The gauges the worker's metrics report, sampled (adapters/metrics.py defines them)."""

    def __init__(self, relay: Relay, intake: Intake, interval: float = SAMPLE) -> None:
        self.relay = relay
        self.intake = intake
        self.interval = interval
        self._seen: deque[tuple[int, float]] = deque()
        """Each head of the log seen, with when it was first seen, oldest first."""
        self._failing = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sample()
                self._failing = False
            except Exception as error:  # the store or the bus away: the last values stand
                if not self._failing:
                    log.warning("metrics: sampling failed: %s", error)
                self._failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def sample(self) -> None:
        metrics.RELAY_LEADER.set(1 if self.relay.leading() else 0)
        head, position = await self.relay.head(), await self.relay.position()
        self.lag(head, position, monotonic())
        info = await self.intake.js.consumer_info(CMD, INTAKE)
        metrics.INTAKE_QUEUE.set((info.num_pending or 0) + (info.num_ack_pending or 0))

    def lag(self, head: int, position: int, now: float) -> float:
        """The relay's lag in events and seconds, given the log's head and its position now."""
        if not self._seen or head > self._seen[-1][0]:
            self._seen.append((head, now))
        while self._seen and self._seen[0][0] <= position:
            self._seen.popleft()  # every event of that head relayed
        seconds = now - self._seen[0][1] if self._seen else 0.0
        metrics.RELAY_LAG_EVENTS.set(max(0, head - position))
        metrics.RELAY_LAG_SECONDS.set(seconds)
        return seconds
