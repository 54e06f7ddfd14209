"""The composition root: builds the applications, stores, read models and processes.

The CLI, the demo and the tests all start here; tests pass `memory=True` for an in-memory store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adapters.calendar import china_work_calendar
from adapters.postgres.connect import check_reachable
from adapters.postgres.urls import PgUrl
from domain.calendar import WorkCalendar
from services.audit import Auditor
from services.directories import Directories
from services.processes import DeadlineWatch, DispatchProcess
from services.read_models import (
    FollowUpLedger,
    PlanStatistics,
    PublicRegister,
    ReadModels,
    TaskIndex,
)
from services.tasks import Tasks


@dataclass
class Service:
    directories: Directories
    tasks: Tasks
    calendar: WorkCalendar
    index: TaskIndex
    register: PublicRegister
    ledger: FollowUpLedger
    statistics: PlanStatistics
    read_models: ReadModels
    dispatch: DispatchProcess
    deadlines: DeadlineWatch
    auditor: Auditor

    def settle(self) -> None:
        """Let the processes react to what was just recorded, then bring the read models up.

        The embedded default has no workers: this is what they would do, run in process.
        """
        self.dispatch.follow()
        self.read_models.catch_up()

    def close(self) -> None:
        """Release the store's connections (the applications share one recorder)."""
        self.tasks.close()
        self.directories.close()


def store_env(
    db: Path | None, database_url: str | None = None, schema: str = "public"
) -> dict[str, str]:
    if database_url is not None:
        url = PgUrl.parse(database_url, "SSJ_DATABASE_URL")
        check_reachable(url, "SSJ_DATABASE_URL")
        return url.eventsourcing_env(schema)
    if db is None:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    db.parent.mkdir(parents=True, exist_ok=True)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}


def bootstrap(
    db: Path | None = None,
    calendar: WorkCalendar | None = None,
    database_url: str | None = None,
    schema: str = "public",
) -> Service:
    """`database_url` is the production PostgreSQL store; else `db` is the embedded SQLite
    file; with neither, everything stays in memory (tests)."""
    env = store_env(db, database_url, schema)
    calendar = calendar or china_work_calendar()
    directories = Directories(env)
    tasks = Tasks(directories, calendar, env)
    index, register, ledger, statistics = (
        TaskIndex(),
        PublicRegister(),
        FollowUpLedger(),
        PlanStatistics(),
    )
    service = Service(
        directories=directories,
        tasks=tasks,
        calendar=calendar,
        index=index,
        register=register,
        ledger=ledger,
        statistics=statistics,
        read_models=ReadModels(tasks, index, register, ledger, statistics),
        dispatch=DispatchProcess(tasks),
        deadlines=DeadlineWatch(tasks, index),
        auditor=Auditor(tasks, directories),
    )
    service.settle()
    return service
