"""Connections to the service's database: refusing to start against a server that is not there,
naming the setting that points at it, and the asyncpg connection the audit chain is read and
checkpointed through."""

from __future__ import annotations

import asyncpg
import psycopg

from adapters.postgres.urls import DatabaseSettingError, PgUrl


def check_reachable(url: PgUrl, setting: str) -> None:
    try:
        psycopg.connect(url.conninfo(), connect_timeout=5).close()
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseSettingError(
            f"{setting}: 无法连接 {url.host}:{url.port}/{url.dbname}（{reason}）"
        ) from None


async def connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**PgUrl.parse(database_url, "SSJ_DATABASE_URL").asyncpg_kwargs())
