"""What 国办发〔2024〕54号's caps cost a commitment: `commit_seed`'s time with the year's caps set,
against the same commitment without caps (and no exclusion period, when the log is not read at
all), on a SQLite log holding 1,000, 10,000 and 100,000 draws of targets.

    python bench/caps.py [--sizes 1000,10000,100000] [--runs 5] [--keep DIR]

The log is grown cheaply: a province's institutions in one directory (400 regions of 40), and
tasks of education, market and fire, each planned, committed and drawn through the domain and
saved with the application a hundred tasks a transaction, their draws spread over 2025 and
2026. With `--no-index` the commitment reads every draw of the log, as it does without the
store's draw index (adapters/sqlite/draw_index.py), to show what the index saves. At each size a few tasks of region R000 are planned through the service; half commit
before the office sets 2026's caps (the baseline), half after; each figure is the median of
`--runs` commitments, and the ratio is against the baseline measured in the same run. The caps
(1,000 a year) are set high so that nothing is left out: every earlier draw of the population
is still counted, and the commitment is made, at every size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.bootstrap import Service, bootstrap, load_settings
from domain import draw
from domain.credit_code import make_credit_code
from domain.directories import TargetDirectory
from domain.directory import CheckItem, RiskGrade, Target
from domain.plan import Plan
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import Actor
from services.inspection_caps import Caps

CHINA = timezone(timedelta(hours=8))
REGIONS, PER_REGION = 400, 40
DEPARTMENTS = ("education", "market", "fire")
ITEMS = {d: (CheckItem(f"{d[:2].upper()}-1", "检查事项"),) for d in DEPARTMENTS}
RATIOS = dict.fromkeys("ABCD", "0.2")
DIRECTORY = "全省校外培训机构名录库"
SECRET = "5e" * 32
BATCH = 100


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)


def definition(n: int, lead: str, region: int, day: date, directory_id: object) -> TaskDefinition:
    return TaskDefinition(
        name=f"{day.year}年第{n}号抽查（{lead}）",
        lead=lead,
        cooperating=(),
        items={lead: ITEMS[lead]},
        directory_id=directory_id,  # type: ignore[arg-type]
        scope=Scope(category="校外培训机构", region=f"R{region:03d}"),
        ratios=RATIOS,
        directed=False,
        window_start=day,
        window_end=day + timedelta(days=60),
    )


class Log:
    def __init__(self, service: Service) -> None:
        self.service = service
        day = at(date(2025, 1, 2), 9)
        directory = TargetDirectory.open(DIRECTORY, "education", day)
        targets, self.populations = [], []
        for region in range(REGIONS):
            members = {}
            for k in range(PER_REGION):
                serial = region * PER_REGION + k + 1
                code = make_credit_code(f"52130283MJ{serial:07d}")
                grade = "ABCD"[k % 4]
                targets.append(
                    Target(
                        code, f"第{serial}校", "校外培训机构", f"R{region:03d}", RiskGrade(grade)
                    )
                )
                members[code] = grade
            self.populations.append(members)
        for start in range(0, len(targets), 5_000):
            directory.register(targets[start : start + 5_000], day)
        service.directories.save(directory)
        self.directory_id = directory.id
        self.position = directory.version
        self.draws = 0

    def grow(self, until: int) -> None:
        """Draws of targets up to `until`, spread over 2025 and 2026 (before the benched day)."""
        pending: list[object] = []
        while self.draws < until:
            n = self.draws
            self.draws += 1
            lead = DEPARTMENTS[n % 3]
            day = date(2025, 1, 6) + timedelta(days=n % 600)
            task = Task.plan(
                Plan.id_for(lead, day.year, f"第{n}号计划"),
                1,
                definition(n, lead, n % REGIONS, day, self.directory_id),
                at(day, 8),
            )
            plan = Plan.register(
                lead,
                day.year,
                f"第{n}号计划",
                "",
                [{"number": 1, "task_id": str(task.id)}],
                at(day, 8),
            )
            population = self.populations[n % REGIONS]
            secret = f"{n:064x}"
            task.commit_seed(draw.commitment_of(secret), self.position, population, "", at(day, 9))
            task.draw_targets(population, secret, f"{n:06d}", at(day, 10))
            pending += [plan, task]
            if len(pending) >= 2 * BATCH:
                self.service.tasks.save(*pending)  # type: ignore[arg-type]
                pending = []
        if pending:
            self.service.tasks.save(*pending)  # type: ignore[arg-type]

    def benched_tasks(self, count: int, size: int, day: date) -> list[UUID]:
        """Tasks of region R000 (its 40 institutions), planned through the service, uncommitted."""
        definitions = [
            definition(size * 100 + k, "education", 0, day, self.directory_id) for k in range(count)
        ]
        summary = self.service.tasks.register_plan(
            Actor.lead("education"), day.year, f"规模 {size} 的计划", definitions, at=at(day, 8)
        )
        return list(summary.task_ids)


def median_commit(service: Service, task_ids: list[UUID], day: date) -> float:
    times = []
    for task_id in task_ids:
        began = time.perf_counter()
        service.tasks.commit_seed(
            Actor.lead("education"), task_id, SECRET, "见证人报数", at=at(day, 9)
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


BASELINE_DAY = date(2024, 9, 2)
"""A year without caps: its commitments leave nothing out and read no draw."""
CAPPED_DAY = date(2026, 9, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="build the log in DIR and keep it")
    parser.add_argument(
        "--no-index",
        action="store_true",
        help="read every draw of the log, as without the store's index (what the index saves)",
    )
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    folder = options.keep or Path(tempfile.mkdtemp(prefix="ssj-bench-caps-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "ssj.db"
    for stale in folder.glob("ssj.db*"):
        stale.unlink()
    service = bootstrap(load_settings(db=db))
    if options.no_index:
        service.tasks.draw_index = None
    try:
        log = Log(service)
        Caps(service.tasks).set_caps(
            Actor.office(), 2026, {"education": 1_000}, 1_000, at=at(date(2026, 1, 2), 9)
        )
        print("commit_seed of a task of 40 institutions, with the year's caps set (2026) and")
        way = "every draw of the log read" if options.no_index else "the store's draw index"
        print(f"without (2024: no caps, no exclusion period); median of runs; SQLite, {way}")
        print(f"{'draws in log':>12}  {'no caps':>9}  {'caps':>9}  {'ratio':>6}")
        for size in sizes:
            began = time.perf_counter()
            log.grow(size)
            built = time.perf_counter() - began
            plain = log.benched_tasks(options.runs, size, BASELINE_DAY)
            capped = log.benched_tasks(options.runs, size, CAPPED_DAY)
            without = median_commit(service, plain, BASELINE_DAY)
            with_caps = median_commit(service, capped, CAPPED_DAY)
            print(
                f"{size:>12,}  {without * 1000:7.1f}ms  {with_caps * 1000:7.1f}ms  "
                f"{with_caps / without:5.1f}x   (log grown in {built:.0f} s)",
                flush=True,
            )
    finally:
        service.close()


if __name__ == "__main__":
    main()
