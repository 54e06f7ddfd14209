"""The `ssj` command on the production store: migrate as the owner, then work as the service."""

from __future__ import annotations

from typer.testing import CliRunner

from adapters.cli.main import app
from tests.conftest import Database


def test_the_demo_runs_on_postgresql_as_the_service_role(database: Database) -> None:
    runner = CliRunner()
    env = {"SSJ_DATABASE_URL": database.service_url}

    demo = runner.invoke(app, ["demo"], env=env)
    assert demo.exit_code == 0, demo.output
    assert "事件库：PostgreSQL" in demo.output
    assert "✓" in demo.output

    verify = runner.invoke(app, ["audit", "verify"], env=env)
    assert verify.exit_code == 0, verify.output
    assert "审计链" in verify.output and "✓" in verify.output

    mark = runner.invoke(app, ["audit", "checkpoint"], env=env)
    assert mark.exit_code == 0, mark.output
    assert "检查点：位置" in mark.output


def test_migrate_runs_again_without_harm(database: Database) -> None:
    result = CliRunner().invoke(
        app,
        ["db", "migrate"],
        env={"SSJ_ADMIN_DATABASE_URL": database.admin_url, "SSJ_SERVICE_ROLE": "ssj_service"},
    )

    assert result.exit_code == 0, result.output
    assert "仅可追加与读取" in result.output
