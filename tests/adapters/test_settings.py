"""A bad database setting stops the start with a message that names the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app

COMMANDS = {
    "a read": ["task", "list"],
    "a write": ["directory", "open", "迁安市校外培训机构名录库", "--owner", "education"],
}
"""The service is built on first use, by a read as by a write: both must stop the same way."""


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_url_that_is_not_postgresql_is_refused_naming_the_setting(command: str) -> None:
    result = CliRunner().invoke(
        app, COMMANDS[command], env={"SSJ_DATABASE_URL": "mysql://root@db/ssj"}
    )

    assert result.exit_code == 2
    assert "SSJ_DATABASE_URL" in result.output
    assert "postgresql://" in result.output


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unreachable_server_is_refused_naming_the_setting(command: str) -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    url = "postgresql://ssj_service@127.0.0.1:1/ssj"
    result = CliRunner().invoke(app, COMMANDS[command], env={"SSJ_DATABASE_URL": url})

    assert result.exit_code == 2
    assert "SSJ_DATABASE_URL" in result.output
    assert "无法连接" in result.output


def test_migrate_without_the_owners_url_says_which_setting_is_missing() -> None:
    result = CliRunner().invoke(app, ["db", "migrate"], env={"SSJ_ADMIN_DATABASE_URL": ""})

    assert result.exit_code == 2
    assert "SSJ_ADMIN_DATABASE_URL" in result.output


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_first_run_makes_the_embedded_stores_directory(command: str, tmp_path: Path) -> None:
    db = tmp_path / "not" / "yet" / "ssj.db"
    result = CliRunner().invoke(
        app, ["--db", str(db), *COMMANDS[command]], env={"SSJ_DATABASE_URL": None}
    )

    assert result.exit_code == 0, result.output
    assert db.is_file()
