"""Refuse to start against a server that is not there, naming the setting that points at it."""

from __future__ import annotations

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
