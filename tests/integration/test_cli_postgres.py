"""The `ssj` command on the production store: migrate as the owner, then work as the service."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.postgres.read_model_schema import READ_MODEL_TABLES
from adapters.postgres.schema import SCHEMA_VERSION
from adapters.postgres.urls import PgUrl
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
    position, head = mark.stdout.strip().split(":")
    assert int(position) > 0 and len(head) == 64
    assert f"检查点：位置 {position}，链头 {head}" in mark.stderr

    # The views come from the PostgreSQL read models, caught up over asyncpg.
    register = runner.invoke(app, ["register"], env=env)
    assert register.exit_code == 0, register.output
    assert register.output.count("公示日期 2023-11-") == 10
    ledger = runner.invoke(app, ["ledger"], env=env)
    assert "已移送" in ledger.output and "已办结" in ledger.output
    inbox = runner.invoke(app, ["inbox", "--dept", "fire"], env=env)
    assert inbox.exit_code == 0 and inbox.output == ""  # the demo's task is closed: nothing owed
    listed = runner.invoke(app, ["task", "list", "--dept", "fire"], env=env)
    assert "已结案" in listed.output
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


# ---------------------------------------------------------------------------- one owner of the schema
READS = (
    ["inbox", "--dept", "fire"],
    ["register"],
    ["ledger"],
    ["statistics"],
    ["db", "rebuild-read-models"],
    ["audit", "verify"],
    ["audit", "checkpoint"],
)


def test_a_database_made_by_ssj_db_migrate_alone_serves_every_command(
    empty_database: Database,
) -> None:
    runner = CliRunner()
    owner = {"SSJ_ADMIN_DATABASE_URL": empty_database.admin_url, "SSJ_SERVICE_ROLE": "ssj_service"}
    service = {"SSJ_DATABASE_URL": empty_database.service_url}

    migrated = runner.invoke(app, ["db", "migrate"], env=owner)
    assert migrated.exit_code == 0, migrated.output
    assert f"已迁移至第 {SCHEMA_VERSION} 版" in migrated.output
    demo = runner.invoke(app, ["demo"], env=service)
    assert demo.exit_code == 0, demo.output

    for command in READS:
        result = runner.invoke(app, command, env=service)
        assert result.exit_code == 0, (command, result.output)
        assert "does not exist" not in result.output
    again = runner.invoke(app, ["db", "migrate"], env=owner)
    assert again.exit_code == 0, again.output
    assert runner.invoke(app, ["audit", "verify"], env=service).exit_code == 0


def _as_version_1_left_it(database: Database) -> None:
    """What the first version's migrate made: no read models, no `ssj_checkpoint()` and no
    check of positions, and the service's role allowed to INSERT any column of the events and
    any row of the checkpoints."""
    with psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo(), autocommit=True) as c:
        for table in READ_MODEL_TABLES:
            c.execute(f"DROP TABLE {table}")  # type: ignore[arg-type]
        c.execute("DROP TRIGGER ssj_events_sequence_only ON ssj_events")
        c.execute("DROP TRIGGER ssj_checkpoints_match_chain ON ssj_checkpoints")
        c.execute("DROP FUNCTION ssj_checkpoint(), ssj_sequence_only()")
        c.execute("DROP FUNCTION ssj_checkpoint_matches_chain()")
        c.execute("GRANT INSERT ON ssj_events, ssj_checkpoints TO ssj_service")
        c.execute("DELETE FROM ssj_schema")
        c.execute("INSERT INTO ssj_schema (version) VALUES (1)")


def test_migrate_brings_a_database_of_the_first_version_up_to_this_one(
    database: Database,
) -> None:
    runner = CliRunner()
    service = {"SSJ_DATABASE_URL": database.service_url}
    _as_version_1_left_it(database)
    assert runner.invoke(app, ["register"], env=service).exit_code != 0  # no read models yet

    migrated = runner.invoke(
        app,
        ["db", "migrate"],
        env={"SSJ_ADMIN_DATABASE_URL": database.admin_url, "SSJ_SERVICE_ROLE": "ssj_service"},
    )

    assert migrated.exit_code == 0, migrated.output
    assert runner.invoke(app, ["demo"], env=service).exit_code == 0
    assert runner.invoke(app, ["register"], env=service).exit_code == 0
    with psycopg.connect(PgUrl.parse(database.service_url, "url").conninfo(), autocommit=True) as c:
        assert c.execute("SELECT version FROM ssj_schema ORDER BY 1").fetchall() == [(1,), (2,)]
        for refused in (
            "INSERT INTO ssj_checkpoints (position, head) VALUES (999999999, sha256('x'))",
            "INSERT INTO ssj_events (originator_id, originator_version, topic, state, "
            "notification_id) VALUES (gen_random_uuid(), 1, 'x', '{}', 999999)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(refused)  # type: ignore[arg-type]


def test_every_cli_command_works_on_a_database_made_by_ssj_db_migrate_alone(
    empty_database: Database, tmp_path: Path
) -> None:
    """As a user would: the owner runs `ssj db migrate` once, then the staff run every command
    of a joint inspection as the service's role, then the office, the auditor and the public read."""
    from tests.adapters.test_cli import ok, run_flow, ssj

    migrated = CliRunner().invoke(
        app,
        ["db", "migrate"],
        env={"SSJ_ADMIN_DATABASE_URL": empty_database.admin_url, "SSJ_SERVICE_ROLE": "ssj_service"},
    )
    assert migrated.exit_code == 0, migrated.output
    env = {"SSJ_DATABASE_URL": empty_database.service_url}

    flow = run_flow(tmp_path, env)

    assert "已结案" in flow.outputs["close"]
    assert "消防救援大队：发现问题已责令改正" in flow.outputs["register"]
    assert "已移送 迁安市应急管理局" in flow.outputs["ledger"] or "已移送" in flow.outputs["ledger"]
    task = flow.task[:8]
    refused = ssj(None, "task", "decline", task, "--dept", "police", "--reason", "无", env=env)
    assert refused.exit_code == 2 and "任务已结案" in refused.stderr
    reads = {
        "task list": ["task", "list", "--limit", "50"],
        "task list --dept": ["task", "list", "--dept", "fire"],
        "task show": ["task", "show", task, "--dept", "police"],
        "inbox": ["inbox", "--dept", "education"],
        "register": ["register", "--limit", "1"],
        "ledger": ["ledger", "--dept", "fire"],
        "statistics": ["statistics", "--year", "2023"],
        "deadlines": ["deadlines"],
        "calendar show": ["calendar", "show", "2023"],
        "audit history": ["audit", "history", task, "--as-of", "3"],
        "audit export": ["audit", "export"],
        "audit verify": ["audit", "verify"],
        "audit checkpoint": ["audit", "checkpoint"],
        "db rebuild-read-models": ["db", "rebuild-read-models"],
    }
    answered = {name: ok(ssj(None, *command, env=env)) for name, command in reads.items()}
    assert flow.task in answered["task list"] and flow.task in answered["task list --dept"]
    assert "配合部门确认：公安局" in answered["task show"]
    assert "全部与 ssj-draw-v1 重算结果一致" in answered["audit verify"]
    assert answered["register"].count("公示日期") == 1 and "--after" in answered["register"]
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    loaded = ok(ssj(None, "calendar", "import", str(fixtures / "calendar-2027-test.json"), env=env))
    assert "已导入 2027 年节假日安排" in loaded
    assert "测试数据" in ok(ssj(None, "calendar", "show", "2027", env=env))
