"""`ssj serve` starts the app on the settings' store: the embedded SQLite file by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from adapters.cli.main import app as cli_app


def test_serve_starts_the_api_and_the_console_on_the_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:
        started.update(options, app=app)

    monkeypatch.setattr("uvicorn.run", run)
    db = tmp_path / "ssj.db"
    result = CliRunner().invoke(cli_app, ["serve", "--port", "8123", "--db", str(db)])

    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/" in result.output
    assert started["app"].state.service.settings.db == db
    assert (tmp_path / "ssj.db.session-secret").exists()


async def test_the_served_app_answers_on_its_store(tmp_path: Path) -> None:
    from adapters.bootstrap import bootstrap, load_settings
    from adapters.http.app import create_app

    service = bootstrap(load_settings(db=tmp_path / "ssj.db"))
    transport = httpx.ASGITransport(create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        answer = await client.get("/api/v1/calendar/2024")
        document = await client.get("/openapi.json")
    service.close()

    assert answer.status_code == 200
    assert answer.json()["working_days"] > 240
    assert document.json()["info"]["title"].startswith("ssj")


def test_a_bad_store_setting_stops_the_start_naming_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve"], env={"SSJ_DATABASE_URL": "mysql://root@db/ssj"})
    assert result.exit_code == 2
    assert "SSJ_DATABASE_URL" in result.output
