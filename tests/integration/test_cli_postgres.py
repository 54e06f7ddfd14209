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

    # The views come from the PostgreSQL read models, caught up over asyncpg.
    register = runner.invoke(app, ["register"], env=env)
    assert register.exit_code == 0, register.output
    assert register.output.count("公示日期 2023-11-") == 10
    ledger = runner.invoke(app, ["ledger"], env=env)
    assert "已移送" in ledger.output and "已办结" in ledger.output
    inbox = runner.invoke(app, ["inbox", "--dept", "fire"], env=env)
    assert "[配合部门]" in inbox.output and "已结案" in inbox.output
    statistics = runner.invoke(app, ["statistics", "--year", "2023"], env=env)
    assert statistics.exit_code == 0, statistics.output
    assert "消防救援大队" in statistics.output and "2023-11" in statistics.output
    rebuilt = runner.invoke(app, ["db", "rebuild-read-models"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(app, ["register"], env=env).output == register.output


def test_migrate_runs_again_without_harm(database: Database) -> None:
    result = CliRunner().invoke(
        app,
        ["db", "migrate"],
        env={"SSJ_ADMIN_DATABASE_URL": database.admin_url, "SSJ_SERVICE_ROLE": "ssj_service"},
    )

    assert result.exit_code == 0, result.output
    assert "仅可追加与读取" in result.output
