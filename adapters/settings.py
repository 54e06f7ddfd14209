"""The one typed settings object. No other module reads the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
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
    nats_user: str | None = Field(default=None, description="SSJ_NATS_USER")
    nats_password: str | None = Field(default=None, description="SSJ_NATS_PASSWORD")
