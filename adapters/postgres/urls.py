"""Turning a `postgresql://` URL into what each driver wants, with errors that name the setting."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseSettingError(Exception):
    """A database setting is not usable; the message names the setting and what was expected."""


@dataclass(frozen=True)
class PgUrl:
    host: str
    """A host name, or a directory holding the server's unix socket."""
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def parse(cls, url: str, setting: str) -> PgUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise DatabaseSettingError(
                f"{setting}: 应为 postgresql://用户:密码@主机:端口/数据库 形式的地址（收到 {url!r}）"
            )
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or ""])[0]
        dbname = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
        if not host or not dbname:
            raise DatabaseSettingError(
                f"{setting}: 地址须包含主机（或 ?host=套接字目录）与数据库名（收到 {url!r}）"
            )
        try:
            port = int(query.get("port", [parts.port or 5432])[0])
        except ValueError:
            raise DatabaseSettingError(f"{setting}: 端口应为整数（收到 {url!r}）") from None
        return cls(
            host=host,
            port=port,
            dbname=dbname,
            user=unquote(parts.username or "") or "postgres",
            password=unquote(parts.password or ""),
        )

    def conninfo(self) -> str:
        """For psycopg."""
        return f"host={self.host} port={self.port} dbname={self.dbname} user={self.user}" + (
            f" password={self.password}" if self.password else ""
        )

    def asyncpg_kwargs(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "database": self.dbname,
            "user": self.user,
            "password": self.password or None,
        }

    def eventsourcing_env(self, schema: str) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "adapters.postgres.recorder:SsjRecorder",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": schema,
            # The service never creates tables: `ssj db migrate` does, as the owner.
            "CREATE_TABLE": "n",
            # Seconds to wait for a connection (the library's default is 30): with the database
            # away, a command is answered 503 store_unavailable within seconds.
            "POSTGRES_CONNECT_TIMEOUT": "5",
        }
