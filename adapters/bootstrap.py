"""The composition root: builds the applications, the read models and the processes from the one
typed settings object. The CLI, the worker, the demo and the tests all start here.

Nothing here replays the log: the read models live in the store (the SQLite file of the embedded
default, or PostgreSQL), each with its position, so a start costs the same whatever the log's
length; `settle()` folds only what was logged since. Tests pass `memory=True` for an in-memory
store, and a clock of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.calendar import china_work_calendar
from adapters.clock import SystemClock
from adapters.postgres.connect import check_reachable
from adapters.postgres.urls import PgUrl
from adapters.settings import Settings
from adapters.sqlite.read_models import SqliteReadModels
from domain.calendar import WorkCalendar
from services.audit import Auditor
from services.calendars import Calendars
from services.clock import Clock, TimeGuard
from services.directories import Directories
from services.processes import DeadlineWatch, DispatchProcess
from services.queries import Queries
from services.read_models import ReadModels
from services.tasks import Tasks


def load_settings(**overrides: Any) -> Settings:
    """The settings, read once from the environment; `overrides` are what a command line gave."""
    settings = Settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=given) if given else settings


@dataclass
class Service:
    settings: Settings
    clock: Clock
    directories: Directories
    tasks: Tasks
    calendars: Calendars
    read_models: ReadModels
    queries: Queries
    dispatch: DispatchProcess
    deadlines: DeadlineWatch
    auditor: Auditor
    closed: bool = field(default=False)

    def settle(self) -> None:
        """Bring the read models up to the log, let the processes react to what is new (a draw
        dispatches, a loaded year counts held deadlines), and fold what they did. The embedded
        default has no workers: this is what they would do, run in process."""
        self.read_models.catch_up()
        self.dispatch.follow()
        self.read_models.catch_up()

    def close(self) -> None:
        """Release the store's connections (the applications share one recorder)."""
        if not self.closed:
            self.closed = True
            self.read_models.close()
            self.tasks.close()
            self.directories.close()


def store_env(settings: Settings, memory: bool = False) -> dict[str, str]:
    if memory:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if settings.database_url is not None:
        url = PgUrl.parse(settings.database_url, "SSJ_DATABASE_URL")
        check_reachable(url, "SSJ_DATABASE_URL")
        return url.eventsourcing_env(settings.database_schema)
    settings.db.parent.mkdir(parents=True, exist_ok=True)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(settings.db)}


def _read_models(settings: Settings, tasks: Tasks, memory: bool) -> ReadModels:
    if memory:
        return SqliteReadModels(":memory:", tasks)
    if settings.database_url is not None:
        from adapters.postgres.read_models import PgReadModelsSync

        return PgReadModelsSync(settings.database_url, tasks.mapper, settings.database_schema)
    return SqliteReadModels(settings.db, tasks)


def bootstrap(
    settings: Settings | None = None,
    *,
    memory: bool = False,
    clock: Clock | None = None,
    calendar: WorkCalendar | None = None,
) -> Service:
    """The service on the store the settings name: PostgreSQL when `database_url` is set, else
    the SQLite file `db`; with `memory`, everything stays in memory (tests)."""
    settings = settings or load_settings()
    clock = clock or SystemClock()
    guard = TimeGuard(clock, settings.clock_tolerance)
    env = store_env(settings, memory)
    base = calendar or china_work_calendar(settings.calendar_dir)
    directories = Directories(guard, env)
    calendars = Calendars(base, guard, env, recorder=directories.recorder)
    tasks = Tasks(directories, calendars, guard, env)
    read_models = _read_models(settings, tasks, memory)
    return Service(
        settings=settings,
        clock=clock,
        directories=directories,
        tasks=tasks,
        calendars=calendars,
        read_models=read_models,
        queries=Queries(read_models),
        dispatch=DispatchProcess(tasks, read_models, clock),
        deadlines=DeadlineWatch(tasks, read_models, clock),
        auditor=Auditor(tasks, directories),
    )


__all__ = ["Path", "Service", "bootstrap", "load_settings", "store_env"]
