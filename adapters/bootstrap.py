"""The composition root: builds the applications, the read models and the processes from the one
typed settings object. The CLI, the worker, the demo and the tests all start here.

Nothing here replays the log: the read models live in the store (the SQLite file of the embedded
default, or PostgreSQL), each with its position, so a start costs the same whatever the log's
length, and `settle()` folds only what was logged since. Each part is built when first used, so a
query that finds the read models current loads neither the applications nor the domain's events.
Tests pass `memory=True` for an in-memory store, and a clock of their own.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from adapters.clock import SystemClock
from adapters.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from adapters.accounts.rows import SqlAccountStore
    from adapters.postgres.urls import PgUrl
    from domain.calendar import WorkCalendar
    from services.accounts import Accounts
    from services.audit import Auditor
    from services.calendars import Calendars
    from services.clock import Clock, TimeGuard
    from services.directories import Directories
    from services.documents import Documents
    from services.idempotency import Idempotency
    from services.item_catalogues import ItemCatalogues
    from services.joint_visits import JointVisits
    from services.processes import DeadlineWatch, DispatchProcess
    from services.queries import Queries
    from services.read_models import ReadModels
    from services.tasks import Tasks


def load_settings(**overrides: Any) -> Settings:
    """The settings, read once from the environment; `overrides` are what a command line gave."""
    settings = Settings()
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings.model_validate({**settings.model_dump(), **given}) if given else settings


class Service:
    """Everything one process of the service uses, each part built on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        memory: bool = False,
        clock: Clock | None = None,
        calendar: WorkCalendar | None = None,
    ) -> None:
        self.settings = settings
        self.memory = memory
        self.clock: Clock = clock or SystemClock()
        self._calendar = calendar
        self.closed = False
        self.pg_url: PgUrl | None = None
        """The PostgreSQL store's address, when the settings name one (and not `memory`)."""
        if settings.database_url is not None and not memory:
            from adapters.postgres.urls import PgUrl

            self.pg_url = PgUrl.parse(settings.database_url, "SSJ_DATABASE_URL")

    @cached_property
    def sqlite_file(self) -> Path:
        """The embedded store's file, its directory made on first use (by the write side or the
        read models, whichever comes first). A new file is readable by its owner alone: it holds
        the accounts' password hashes and the secrets of draws not yet made (SQLite gives its
        journal files the same mode)."""
        path = self.settings.db
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return path

    # ------------------------------------------------------------------ the write side
    @cached_property
    def env(self) -> dict[str, str]:
        if self.memory:
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.pg_url is not None:
            from adapters.postgres.connect import check_reachable

            check_reachable(self.pg_url, "SSJ_DATABASE_URL")
            return self.pg_url.eventsourcing_env(self.settings.database_schema)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.sqlite_file),
        }

    @cached_property
    def guard(self) -> TimeGuard:
        from services.clock import TimeGuard

        return TimeGuard(self.clock, self.settings.clock_tolerance)

    @cached_property
    def directories(self) -> Directories:
        from services.directories import Directories

        return Directories(self.guard, self.env)

    @cached_property
    def calendars(self) -> Calendars:
        from adapters.calendar import china_work_calendar
        from services.calendars import Calendars

        base = self._calendar or china_work_calendar(self.settings.calendar_dir)
        return Calendars(base, self.guard, self.env, recorder=self.directories.recorder)

    @cached_property
    def item_catalogues(self) -> ItemCatalogues:
        """Each department's 随机抽查事项清单, in the one log."""
        from services.item_catalogues import ItemCatalogues

        return ItemCatalogues(self.guard, self.env, recorder=self.directories.recorder)

    @cached_property
    def tasks(self) -> Tasks:
        from services.tasks import Tasks

        tasks = Tasks(self.directories, self.calendars, self.guard, self.env)
        # 国办发〔2024〕54号: where a commitment finds its population's earlier draws.
        if self.pg_url is not None:
            from adapters.postgres.draw_index import PgDrawIndex
            from adapters.postgres.read_model_schema import EVENTS

            schema = self.settings.database_schema
            tasks.draw_index = PgDrawIndex(self.pg_url.conninfo(), schema, EVENTS)
        elif not self.memory:
            from adapters.sqlite.draw_index import SqliteDrawIndex

            tasks.draw_index = SqliteDrawIndex(self.sqlite_file)
        return tasks

    @cached_property
    def documents(self) -> Documents:
        from adapters.documents.kinds import KindsMaker
        from services.documents import Documents

        maker = KindsMaker(self.settings.font_dir)
        return Documents(self.tasks, maker, self.guard, self.settings.public_base_url, self.env)

    @cached_property
    def auditor(self) -> Auditor:
        from services.audit import Auditor

        return Auditor(self.tasks, self.directories)

    # ------------------------------------------------------------------ the read side
    @cached_property
    def read_models(self) -> ReadModels:
        if self.settings.database_url is not None and not self.memory:
            from adapters.postgres.read_models_sync import PgReadModelsSync

            return PgReadModelsSync(
                self.settings.database_url, lambda: self.tasks.mapper, self.settings.database_schema
            )
        from adapters.sqlite.read_models import SqliteReadModels

        if self.memory:
            return SqliteReadModels(":memory:", lambda: self.tasks)
        return SqliteReadModels(self.sqlite_file, lambda: self.tasks)

    @cached_property
    def queries(self) -> Queries:
        from services.queries import Queries

        return Queries(self.read_models)

    @cached_property
    def dispatch(self) -> DispatchProcess:
        from services.processes import DispatchProcess

        return DispatchProcess(self.tasks, self.read_models, self.clock)

    @cached_property
    def deadlines(self) -> DeadlineWatch:
        from services.processes import DeadlineWatch

        return DeadlineWatch(self.tasks, self.read_models, self.clock)

    @cached_property
    def joint_visits(self) -> JointVisits:
        """进一次门、查多项事: offers from the read models, merges in the one log."""
        from services.joint_visits import JointVisits

        return JointVisits(self.tasks, self.read_models, self.guard, self.env)

    # ------------------------------------------------------------------ the HTTP front's own
    @cached_property
    def account_store(self) -> SqlAccountStore:
        """Accounts, API keys and idempotency keys, in the same store as the events."""
        if self.pg_url is not None:
            from adapters.accounts.postgres import PgAccountStore
            from adapters.postgres.connect import check_reachable

            check_reachable(self.pg_url, "SSJ_DATABASE_URL")
            return PgAccountStore(self.pg_url, self.settings.database_schema)
        from adapters.accounts.sqlite import SqliteAccountStore

        return SqliteAccountStore(":memory:" if self.memory else self.sqlite_file)

    @cached_property
    def accounts(self) -> Accounts:
        from adapters.accounts.hashing import Argon2PasswordHasher
        from services.accounts import Accounts

        return Accounts(self.account_store, Argon2PasswordHasher())

    @cached_property
    def idempotency(self) -> Idempotency:
        from services.idempotency import Idempotency

        return Idempotency(self.account_store)

    # ------------------------------------------------------------------ life
    def settle(self) -> None:
        """Bring the read models up to the log, let the processes react to what is new (a draw
        dispatches, a loaded year counts held deadlines), and fold what they did. The embedded
        default has no workers: this is what they would do, run in process."""
        self.read_models.catch_up()
        self.dispatch.follow()
        self.read_models.catch_up()

    def close(self) -> None:
        """Release the store's connections (the applications share one recorder)."""
        if self.closed:
            return
        self.closed = True
        built = self.__dict__
        if "read_models" in built:
            self.read_models.close()
        if "account_store" in built:
            self.account_store.close()
        if "tasks" in built:
            self.tasks.close()
        if "directories" in built:
            self.directories.close()

    def __repr__(self) -> str:
        return f"Service({'memory' if self.memory else self.settings.database_url or self.settings.db})"


def bootstrap(
    settings: Settings | None = None,
    *,
    memory: bool = False,
    clock: Clock | None = None,
    calendar: WorkCalendar | None = None,
) -> Service:
    """The service on the store the settings name: PostgreSQL when `database_url` is set, else
    the SQLite file `db`; with `memory`, everything stays in memory (tests). A URL that is not
    one is refused at once; a store that cannot be reached, on first use; both name the setting."""
    return Service(settings or load_settings(), memory=memory, clock=clock, calendar=calendar)
