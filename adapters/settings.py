"""The one typed settings object. No other module reads the environment."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_db_path() -> Path:
    return user_data_path("ssj", appauthor=False) / "ssj.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SSJ_", extra="ignore")

    db: Path = Field(
        default_factory=default_db_path,
        description="SQLite event store of the embedded default (SSJ_DB)",
    )
    calendar_dir: Path | None = Field(
        default=None,
        description="Extra working-day calendar files (SSJ_CALENDAR_DIR), beside the packaged ones",
    )
