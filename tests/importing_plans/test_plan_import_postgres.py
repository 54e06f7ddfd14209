"""The sample plan imported on the production store, as the service role: the directory listed
from PostgreSQL's log, the plan registered through the same service."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from adapters.cli.main import app
from tests.conftest import Database
from tests.importing_plans.conftest import DIRECTORY, PLAN, SCHOOLS


def test_the_sample_plan_imports_on_postgresql(database: Database) -> None:
    runner = CliRunner()
    env = {"SSJ_DATABASE_URL": database.service_url}

    def ssj(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    ssj("directory", "open", DIRECTORY, "--owner", "education", "--at", "2024-02-01")
    ssj("directory", "import-targets", str(SCHOOLS), "--directory", DIRECTORY, "--at", "2024-02-10")
    out = ssj("plan", "import", str(PLAN), "--directory", DIRECTORY, "--at", "2024-02-20")

    assert len(re.findall(r"任务 [0-9a-f-]{36}", out)) == 3
    assert f"{DIRECTORY}\t教育局\t14 个对象（在营 14）" in ssj("directory", "list")
    assert "符合条件 5 个" in ssj("directory", "list", DIRECTORY, "--tag", "持校车")
    assert ssj("task", "list", "--dept", "education").count("已计划") == 3
