"""The one typed settings object. No other module reads the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.clock import DEFAULT_TOLERANCE


def default_db_path() -> Path:
    return user_data_path("ssj", appauthor=False) / "ssj.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SSJ_", extra="ignore")

    db: Path = Field(
        default_factory=default_db_path,
        description="SQLite event store of the embedded default (SSJ_DB)",
    )
    database_url: str | None = Field(
        default=None,
        description="SSJ_DATABASE_URL: unset, the embedded SQLite store; postgresql://… the "
        "production store, as the service's role (which may only INSERT and SELECT events)",
    )
    admin_database_url: str | None = Field(
        default=None,
        description="SSJ_ADMIN_DATABASE_URL: the schema owner, used only by `ssj db migrate`",
    )
    database_schema: str = Field(default="public", description="SSJ_DATABASE_SCHEMA")
    service_role: str = Field(
        default="ssj_service", description="SSJ_SERVICE_ROLE: the role `ssj db migrate` grants to"
    )
    calendar_dir: Path | None = Field(
        default=None,
        description="Extra working-day calendar files (SSJ_CALENDAR_DIR), beside the packaged ones",
    )
    clock_tolerance: timedelta = Field(
        default=DEFAULT_TOLERANCE,
        description="SSJ_CLOCK_TOLERANCE: how far ahead of this machine's clock a command's time "
        "may be (seconds, or ISO 8601 such as PT5M), for clocks that differ a little; later is "
        "refused",
    )
    nats_url: str | None = Field(
        default=None,
        description="SSJ_NATS_URL: the NATS JetStream server (nats://host:4222) of `ssj worker`, "
        "`ssj bus setup` and `ssj dept …`",
    )
    worker_host: str = Field(
        default="127.0.0.1",
        description="SSJ_WORKER_HOST: the address `ssj worker` serves /healthz, /readyz and "
        "/metrics on",
    )
    worker_port: int = Field(
        default=8081, ge=0, le=65535, description="SSJ_WORKER_PORT: its port (0: any free one)"
    )
    nats_user: str | None = Field(default=None, description="SSJ_NATS_USER")
    nats_password: str | None = Field(default=None, description="SSJ_NATS_PASSWORD")
    # ------------------------------------------------------------------ the HTTP front (ssj serve)
    session_secret: SecretStr | None = Field(
        default=None,
        description="SSJ_SESSION_SECRET: signs the console's session cookies (at least 32 "
        "characters). Unset: one is generated once and kept in a file readable only by the "
        "service (mode 0600) beside the SQLite store, so a restart keeps everyone signed in; "
        "set it when several processes serve the same store (PostgreSQL)",
    )
    session_https_only: bool = Field(
        default=False,
        description="SSJ_SESSION_HTTPS_ONLY: send the session cookie over HTTPS only (Secure); "
        "set it whenever the service is reached over HTTPS",
    )
    host: str = Field(default="127.0.0.1", description="SSJ_HOST: the address `ssj serve` binds")
    port: int = Field(default=8000, ge=1, le=65535, description="SSJ_PORT: its port")
    public_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=3600,
        description="SSJ_PUBLIC_CACHE_SECONDS: how long the public pages' answers are kept for "
        "visitors without credentials (0: never); a command settled here drops them at once",
    )
    deadline_interval: timedelta = Field(
        default=timedelta(minutes=1),
        gt=timedelta(0),
        description="SSJ_DEADLINE_INTERVAL: how often `ssj serve` runs the deadline watch itself "
        "(the embedded default has no worker to run it)",
    )

    font_dir: Path = Field(
        default=Path("/usr/share/fonts/opentype/noto"),
        description="SSJ_FONT_DIR: where the CJK font of the PDFs is (Noto Serif CJK SC, Debian's "
        "fonts-noto-cjk); a PDF is refused, never printed with boxes, when it is missing",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="SSJ_PUBLIC_BASE_URL: the public address of the console, printed on every "
        "document with its check code (<address>/check/<code>) and in its QR code",
    )

    @field_validator("session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short or placeholder secret lets anyone forge a session: refuse to start with one.
        if value is not None and (
            len(value.get_secret_value()) < 32 or value.get_secret_value() in PLACEHOLDERS
        ):
            raise ValueError("SSJ_SESSION_SECRET: 应为至少 32 个字符的随机字符串（勿用示例值）")
        return value


PLACEHOLDERS = frozenset({"changethis" * 4, "x" * 32, "0" * 32, "secret" * 6})
"""Secrets copied from examples, refused however long they are."""
