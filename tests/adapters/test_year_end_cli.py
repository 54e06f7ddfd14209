"""The year-end scenario from the command line, as staff would live it, with the machine's clock
set to 31 December 2026 by `faketime` (Debian): a draw that day in a task with two cooperating
departments waits for 2027's calendar and says so; every other command keeps working; after
`ssj calendar import` of a 2027 file (a test file, marked as such in its `source`), both
dispatches go out with the deadlines that file implies. Each `ssj` is a process of its own."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adapters.test_cli import INSPECTOR_HEADER

ROOT = Path(__file__).resolve().parents[2]
SSJ = Path(sys.executable).with_name("ssj")
TEST_2027 = ROOT / "tests" / "fixtures" / "calendar-2027-test.json"
TARGETS = ROOT / "adapters" / "demo_data" / "targets-sample.csv"
NOW = "2026-12-31 08:00:00"
"""UTC, as faketime reads it: 16:00 in Beijing, after the 10:00 draw."""
SECRET = "7c" * 32
DIRECTORY = "迁安市校外培训机构名录库"

PLAN = """
department = "education"
year = 2026
title = "2026年岁末跨部门联合抽查计划"

[[tasks]]
name = "2026年岁末校外培训机构联合抽查"
lead = "education"
cooperating = ["police", "fire"]
directory = "迁安市校外培训机构名录库"
scope = { category = "校外培训机构" }
ratios = { A = "0.5", B = "0.5", C = "0.5", D = "0.5" }
window = ["2026-12-01", "2026-12-31"]
per_group = 1
groups = 1

[[tasks.items.education]]
code = "JY-1"
name = "从业人员资质"

[[tasks.items.police]]
code = "GA-1"
name = "单位内部治安保卫情况"

[[tasks.items.fire]]
code = "XF-1"
name = "履行法定消防安全职责情况"
"""


class Clerk:
    """Runs `ssj` as a separate process under faketime, on one SQLite file."""

    def __init__(self, db: Path) -> None:
        if shutil.which("faketime") is None:
            pytest.fail("faketime (Debian package faketime) is missing: `make test` installs it")
        self.db = db
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith("SSJ_") and k != "FAKETIME"
        }

    def __call__(self, *args: str, status: int = 0, now: str = NOW) -> str:
        done = subprocess.run(
            ["faketime", now, str(SSJ), "--db", str(self.db), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        assert done.returncode == status, (args, done.stdout, done.stderr)
        return done.stdout + done.stderr


def inspectors(path: Path, department: str, prefix: str) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(INSPECTOR_HEADER)
        for n in range(1, 4):
            writer.writerow(
                [
                    f"{prefix}00{n}",
                    f"{prefix}检查员{n}",
                    department,
                    f"1302830{n}",
                    "2027-12-31",
                    f"1390000{n:04d}",
                    "",
                    "否",
                    "在岗",
                    "",
                ]
            )
    return path


def test_a_draw_on_new_years_eve_waits_for_2027_and_goes_out_once_it_is_loaded(
    tmp_path: Path,
) -> None:
    ssj = Clerk(tmp_path / "ssj.db")
    ssj("directory", "open", DIRECTORY, "--owner", "education")
    ssj("directory", "import-targets", str(TARGETS), "--directory", DIRECTORY)
    for department, prefix in (("education", "JY"), ("police", "GA"), ("fire", "XF")):
        csv_file = inspectors(tmp_path / f"{department}.csv", department, prefix)
        ssj("directory", "import-inspectors", str(csv_file), "--dept", department)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    created = ssj("plan", "create", str(plan), "--at", "2026-12-28T09:00")
    [task] = re.findall(r"任务 ([0-9a-f-]{36})", created)
    ssj(
        "task",
        "commit",
        task,
        "--dept",
        "education",
        "--secret",
        SECRET,
        "--at",
        "2026-12-30T16:00",
    )

    ssj(
        "task",
        "draw",
        task,
        "--dept",
        "education",
        "--beacon",
        "见证人报数 31",
        "--at",
        "2026-12-31T10:00",
    )

    # What waits, and why: on the task's page, in the departments' inboxes, to the office.
    page = ssj("task", "show", task)
    assert "等待：派发公安局（待补充 2027 年工作日历）" in page
    assert "等待：派发消防救援大队（待补充 2027 年工作日历）" in page
    assert "等待派发（待补充 2027 年工作日历）" in ssj("inbox", "--dept", "police")
    told = ssj("deadlines")
    assert told.count("派发暂缓，待补充 2027 年工作日历") == 2
    # Every other command keeps working.
    assert task in ssj("task", "list", "--limit", "50")
    ssj("register")
    ssj("ledger")
    ssj("statistics")
    exported = ssj("audit", "export").splitlines()
    assert sum('"type": "DispatchHeld"' in line for line in exported) == 2
    assert "全部与 ssj-draw-v1 重算结果一致" in ssj("audit", "verify")
    # A department's clock cannot run ahead of the service's, and the task stays open to all.
    refused = ssj("task", "confirm", task, "--dept", "police", "--at", "2099-01-01", status=2)
    assert "at: 应为不晚于服务器当前时间的时刻" in refused

    loaded = ssj("calendar", "import", str(TEST_2027))

    assert "已导入 2027 年节假日安排" in loaded
    assert "等待 2027 年日历的期限已全部计算" in loaded
    assert "确认派发任务（2027-01-06 前）" in ssj("inbox", "--dept", "police")
    assert "确认派发任务（2027-01-06 前）" in ssj("inbox", "--dept", "fire")
    page = ssj("task", "show", task)
    assert "等待：" not in page
    assert page.count("确认期限 2027-01-06") == 2
    shown = ssj("calendar", "show", "2027")
    assert "测试数据（虚构，非国务院办公厅通知）" in shown
    assert "调休上班的周末：2027-01-09、2027-02-06" in shown
    ssj("calendar", "import", str(TEST_2027), status=2)  # a year is loaded once
    # Without --at, a command happens now, by the (faked) clock: an hour later, here.
    ssj("task", "confirm", task, "--dept", "police", now="2026-12-31 09:00:00")
    assert "配合部门确认：公安局" in ssj("task", "show", task, now="2026-12-31 09:00:01")
    assert "全部与 ssj-draw-v1 重算结果一致" in ssj("audit", "verify")
