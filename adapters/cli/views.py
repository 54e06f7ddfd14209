"""What the CLI shows of the read models: in process on the embedded store, and from the
PostgreSQL read models over asyncpg on the production store (caught up before each query)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.bootstrap import Service
from adapters.postgres.read_models import PgReadModels, open_pool
from services.read_models import Escalation, InboxItem, LedgerRow, MonthlyWorkload, RegisterEntry

T = TypeVar("T")


class Views:
    def __init__(self, service: Service, database_url: str | None, schema: str) -> None:
        self.service = service
        self.database_url = database_url
        self.schema = schema

    def _pg(self, query: Callable[[PgReadModels], Awaitable[T]]) -> T:
        async def run(url: str) -> T:
            pool = await open_pool(url)
            try:
                models = PgReadModels(pool, self.service.tasks.mapper, schema=self.schema)
                await models.catch_up()
                return await query(models)
            finally:
                await pool.close()

        assert self.database_url is not None
        return asyncio.run(run(self.database_url))

    def inbox(self, department: str) -> list[InboxItem]:
        if self.database_url:
            return self._pg(lambda m: m.inbox(department))
        return self.service.index.inbox(department)

    def escalations(self) -> list[Escalation]:
        if self.database_url:
            return self._pg(lambda m: m.escalations())
        return list(self.service.index.escalations)

    def register(self, credit_code: str | None) -> list[RegisterEntry]:
        if self.database_url:
            return self._pg(lambda m: m.register(credit_code))
        reg = self.service.register
        return reg.of_target(credit_code) if credit_code else reg.all_entries()

    def ledger(self) -> list[LedgerRow]:
        if self.database_url:
            return self._pg(lambda m: m.ledger())
        return self.service.ledger.all_rows()

    def statistics(self, year: int | None) -> list[MonthlyWorkload]:
        if self.database_url:
            return self._pg(lambda m: m.plan_statistics(year))
        return self.service.statistics.by_month(year)

    def rebuild(self) -> int:
        return self._pg(lambda m: m.rebuild())
