"""The `ssj` command as department staff use it, on the embedded SQLite store.

Every command here runs through typer's CliRunner against a file in tmp_path; the sample files
users start from (adapters/demo_data/) are the ones the whole flow uses.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shlex
import shutil
import sqlite3
import tomllib
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from adapters.bootstrap import bootstrap, load_settings
from adapters.cli.main import app
from adapters.importing import read_inspectors
from domain.directories import TargetDirectory

DEMO_DATA = Path(__file__).resolve().parents[2] / "adapters" / "demo_data"
DIRECTORY = "迁安市校外培训机构名录库"
SECRET = "0f1e2d3c4b5a6978" * 4
BEACON = "见证人报数 482913"
INSPECTOR_HEADER = [
    "人员编号",
    "姓名",
    "部门",
    "执法证号",
    "证件有效期",
    "手机",
    "专长",
    "专家",
    "状态",
    "回避对象",
]
TARGET_HEADER = ["统一社会信用代码", "名称", "类别", "区域", "风险等级", "标签", "状态"]


def ssj(db: Path | None, *args: str, env: dict[str, str] | None = None) -> Result:
    """One `ssj` invocation, on the SQLite file `db` or on the store `env` names; an exception
    other than the command's exit is a failure here."""
    prefix = ["--db", str(db)] if db is not None else []
    result = CliRunner().invoke(app, [*prefix, *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def department_inspectors(path: Path, department: str, prefix: str) -> Path:
    """Five who may be drawn, one on leave, one whose certificate lapsed before November."""
    rows = [
        [
            f"{prefix}00{n}",
            f"{prefix}检查员{n}",
            department,
            f"13028300{n}",
            "2026-12-31",
            f"1390000{n:04d}",
            "",
            "否",
            "在岗",
            "",
        ]
        for n in range(1, 6)
    ]
    rows.append(
        [
            f"{prefix}006",
            "赵请假",
            department,
            "130283006",
            "2026-12-31",
            "13900000006",
            "",
            "否",
            "请假",
            "",
        ]
    )
    rows.append(
        [
            f"{prefix}007",
            "钱过期",
            department,
            "130283007",
            "2023-10-31",
            "13900000007",
            "",
            "否",
            "在岗",
            "",
        ]
    )
    return write_csv(path, INSPECTOR_HEADER, rows)


SAMPLE_SCHOOLS = "52330106MJ0000001P、52330106MJ0000002T"
"""The two active 校外培训机构 of targets-sample.csv: the sample plan draws both."""


# ---------------------------------------------------------------------------- demo
def test_the_demo_tells_the_whole_story_and_passes_its_verification(tmp_path: Path) -> None:
    result = ssj(None, "demo", "--db", str(tmp_path / "demo.db"))

    out = ok(result)
    for step in (
        "随机抽取检查对象",
        "派发配合部门",
        "确认逾期",
        "随机抽取执法检查人员",
        "回避",
        "拒绝签字",
        "结果录入逾期",
        "更正检查结果",
        "公示",
        "移送",
        "结案",
    ):
        assert step in out, step
    assert "全部与 ssj-draw-v1 重算结果一致 ✓" in out
    assert (tmp_path / "demo.db").exists()


def test_each_invocation_works_on_the_file_its_db_option_names(tmp_path: Path) -> None:
    for db in (tmp_path / "a.db", tmp_path / "b.db"):
        result = ssj(db, "directory", "open", DIRECTORY, "--owner", "education")
        assert result.exit_code == 0, result.output  # not "已存在" from the other file
    assert ok(ssj(tmp_path / "c.db", "task", "list")) == ""


# ---------------------------------------------------------------------------- import report
@pytest.fixture
def bad_targets(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "targets-bad.csv",
        TARGET_HEADER,
        [
            [
                "52330106MJ0000001P",
                "启明星教育培训学校",
                "校外培训机构",
                "东城街道",
                "低风险",
                "",
                "在营",
            ],
            [
                "52330106MJ0000001X",
                "校验码错误培训学校",
                "校外培训机构",
                "东城街道",
                "A",
                "",
                "在营",
            ],
            [
                "52330106MJ0000002T",
                "小树苗艺术培训中心",
                "校外培训机构",
                "西湖街道",
                "极高风险",
                "",
                "在营",
            ],
            ["52330106MJ00000041", "", "校外培训机构", "南山镇", "B", "", "在营"],
        ],
    )


def test_an_import_with_bad_rows_names_each_row_and_field_and_imports_nothing(
    tmp_path: Path, bad_targets: Path
) -> None:
    db = tmp_path / "ssj.db"
    ok(ssj(db, "directory", "open", DIRECTORY, "--owner", "education", "--at", "2023-10-20"))

    result = ssj(db, "directory", "import-targets", str(bad_targets), "--directory", DIRECTORY)

    assert result.exit_code == 2
    report = result.stderr
    assert "第 3 行 credit_code" in report
    assert "第 4 行 risk_grade" in report
    assert "第 5 行 name" in report
    assert "第 2 行" not in report
    assert "未导入任何行" in report
    service = bootstrap(load_settings(db=db))
    try:
        assert service.directories.target_directory(TargetDirectory.id_for(DIRECTORY)).targets == {}
    finally:
        service.close()
    plan = ok(ssj(db, "plan", "create", str(DEMO_DATA / "plan-sample.toml")))
    task = re.search(r"任务 ([0-9a-f-]{36})", plan)
    assert task is not None
    empty = ssj(db, "task", "commit", task.group(1), "--dept", "education", "--secret", SECRET)
    assert empty.exit_code == 2
    assert "scope" in empty.stderr  # no target to draw from: the bad file left nothing behind


def test_an_import_with_good_rows_takes_only_the_good_ones_when_asked(
    tmp_path: Path, bad_targets: Path
) -> None:
    db = tmp_path / "ssj.db"
    ok(ssj(db, "directory", "open", DIRECTORY, "--owner", "education", "--at", "2023-10-20"))

    result = ssj(
        db, "directory", "import-targets", str(bad_targets), "--directory", DIRECTORY, "--good-rows"
    )

    assert result.exit_code == 0
    assert "已导入 1 行" in result.stdout
    assert "第 3 行 credit_code" in result.stderr  # the report is still shown
    service = bootstrap(load_settings(db=db))
    try:
        targets = service.directories.target_directory(TargetDirectory.id_for(DIRECTORY)).targets
        assert list(targets) == ["52330106MJ0000001P"]
    finally:
        service.close()


# ---------------------------------------------------------------------------- a whole flow
@dataclass
class Flow:
    """What a CLI-driven joint inspection printed, and the file it left."""

    db: Path
    task: str
    outputs: dict[str, str] = field(default_factory=dict)
    drawn: list[str] = field(default_factory=list)
    matches: dict[str, int] = field(default_factory=dict)


def run_flow(tmp: Path, env: dict[str, str] | None = None) -> Flow:
    """The 迁安 sample plan, driven the way staff would type it, one command at a time: on an
    SQLite file in `tmp`, or on the PostgreSQL store `env` names (SSJ_DATABASE_URL)."""
    db = None if env else tmp / "ssj.db"

    def say(line: str) -> str:
        return ok(ssj(db, *shlex.split(line), env=env))

    data = shlex.quote(str(DEMO_DATA))
    police = shlex.quote(str(department_inspectors(tmp / "police.csv", "police", "GA")))
    fire = shlex.quote(str(department_inspectors(tmp / "fire.csv", "fire", "XF")))
    say(f"directory open {DIRECTORY} --owner education --at 2023-10-20T09:00")
    say(
        f"directory import-targets {data}/targets-sample.csv --directory {DIRECTORY} "
        "--at 2023-10-20T10:00"
    )
    say(
        f"directory import-inspectors {data}/inspectors-sample.csv --dept education "
        "--at 2023-10-20T11:00"
    )
    say(f"directory import-inspectors {police} --dept 公安局 --at 2023-10-20T11:00")
    say(f"directory import-inspectors {fire} --dept fire --at 2023-10-20T11:00")
    created = say(f"plan create {data}/plan-sample.toml --at 2023-10-30T09:00")
    found = re.search(r"任务 ([0-9a-f-]{36})", created)
    assert found is not None
    flow = Flow(db or tmp / "unused.db", found.group(1))
    flow.outputs["plan"] = created
    task = flow.task[:8]  # staff copy a unique prefix from `ssj task list`

    flow.outputs["commit"] = say(
        f"task commit {task} --dept education --secret {SECRET} --beacon-source 见证人现场报数 "
        "--at 2023-10-31T16:00"
    )
    flow.outputs["draw"] = say(
        f"task draw {task} --dept education --beacon '{BEACON}' --at 2023-11-01T09:30"
    )
    drawn = re.search(r"抽中：(.*)", flow.outputs["draw"])
    assert drawn is not None
    flow.drawn = drawn.group(1).split("、")
    flow.outputs["inbox"] = say("inbox --dept police")
    say(f"task confirm {task} --dept police --at 2023-11-02T10:00")
    flow.outputs["deadlines"] = say("deadlines --at 2023-11-06T08:30")  # fire let Friday pass
    say(f"task confirm {task} --dept 消防救援大队 --at 2023-11-06T10:00")
    say("directory leave GA005 --dept police --at 2023-11-06T08:00")  # four police left: 2 × 2
    say("directory leave GA005 --dept police --back --at 2023-11-06T08:10")
    say("directory leave GA005 --dept police --at 2023-11-06T08:20")
    say(
        "directory conflict XF001 52330106MJ0000003X --dept fire --reason 其配偶为该园举办者 "
        "--at 2023-11-06T08:30"
    )
    for department in ("education", "police", "fire"):
        say(f"task draw-inspectors {task} --dept {department} --at 2023-11-06T14:00")
    flow.outputs["match"] = say(f"task match {task} --dept education --at 2023-11-07T09:00")
    flow.matches = {
        m.group(1): int(m.group(2)) - 1
        for m in re.finditer(r"(\S+) → 第 (\d+) 组", flow.outputs["match"])
    }
    for department in ("education", "police", "fire"):
        say(
            f"task file-grouping {task} --dept {department} --vehicle 1=冀B·00001 "
            "--at 2023-11-07T15:00"
        )

    first, second = flow.drawn
    for target in flow.drawn:
        say(f"task notice {task} {target} --dept education --recipient 法定代表人 --at 2023-11-08")
    reason = "--on-site-reason 从业人员资质须当面核验证件原件"  # JY-3 is checked online
    say(f"task visit {task} {first} --dept education {reason} --at 2023-11-09T09:30")
    say(
        f"task visit {task} {second} --dept education --refused {reason} "
        "--note 拒绝在一企一表上签字，已如实记录 --at 2023-11-09T14:30"
    )
    findings = {
        "education": "--finding JY-1=符合要求 --finding JY-2=符合要求",
        "police": "--finding GA-1=符合要求",
        "fire": "--finding XF-1=符合要求",
    }
    for target in flow.drawn:
        for department, found_items in findings.items():
            outcome = f"--category 未发现问题 {found_items}"
            if (department, target) == ("fire", second):
                outcome = "--category 发现问题已责令改正 --finding XF-1=疏散通道堆放杂物"
            say(f"task result {task} {target} --dept {department} {outcome} --at 2023-11-09T17:00")
    flow.outputs["correct"] = say(
        f"task result {task} {first} --dept education --category 未发现问题 "
        "--finding JY-1=证照齐全 --correct 复核后补充检查情况 --at 2023-11-10T09:00"
    )
    flow.outputs["publish"] = say(f"task publish {task} --dept education --at 2023-11-20T10:00")
    flow.outputs["follow-up"] = say(
        f"task follow-up {task} open --dept fire --target {second} --problem 疏散通道堆放杂物 "
        "--due 2023-12-20 --at 2023-11-20T15:00"
    )
    say(
        f"task follow-up {task} transfer --dept fire --number 1 --to 迁安市应急管理局 "
        "--reason 抄告主管部门 --measure 抄告 --at 2023-11-21"
    )
    say(
        f"task follow-up {task} open --dept fire --target {second} --problem 灭火器过期 "
        "--due 2023-12-20 --at 2023-11-21T10:00"
    )
    say(
        f"task follow-up {task} close --dept fire --number 2 --outcome 已清理，复查合格 "
        "--measure 行政处罚 --at 2023-12-05"
    )
    flow.outputs["close"] = say(f"task close {task} --dept education --at 2023-12-20T17:00")
    flow.outputs["register"] = say("register")
    flow.outputs["ledger"] = say("ledger")
    flow.outputs["show"] = say(f"task show {task}")
    flow.outputs["as of the draw"] = say(f"audit history {task} --as-of 3")
    return flow


def test_the_sample_inspectors_alone_staff_the_sample_plan() -> None:
    """What plan-sample.toml's header tells users to type must be enough to run the plan."""
    plan = tomllib.loads((DEMO_DATA / "plan-sample.toml").read_text(encoding="utf-8"))
    [task] = plan["tasks"]
    report = read_inspectors(DEMO_DATA / "inspectors-sample.csv", department=task["lead"])
    drawable = [i for i in report.good if i.eligible_on(date.fromisoformat(task["window"][0]))]
    assert len(drawable) >= task["per_group"] * task["groups"]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return run_flow(tmp_path_factory.mktemp("cli-flow"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_joint_inspection_runs_from_plan_to_closing_by_cli_commands(flow: Flow) -> None:
    assert "已登记计划「2023年度跨部门“双随机”联合抽查工作计划」" in flow.outputs["plan"]
    assert f"承诺值 {sha256(SECRET)}" in flow.outputs["commit"]
    assert "总体 2 个对象" in flow.outputs["commit"]  # the sample's active 校外培训机构
    assert f"种子 {sha256(SECRET + '|' + BEACON)}" in flow.outputs["draw"]
    assert sorted(flow.drawn) == ["52330106MJ0000001P", "52330106MJ0000002T"]
    assert "确认派发任务（2023-11-03 前）" in flow.outputs["inbox"]
    assert "追加逾期事件 1 条" in flow.outputs["deadlines"]
    assert "消防救援大队 未在期限内确认派发任务（期限 2023-11-03" in flow.outputs["deadlines"]
    assert "配合部门确认：消防救援大队（逾期确认）" in flow.outputs["show"]
    # JY006 must recuse from both targets, so both go to the group he is not in.
    assert sorted(flow.matches) == sorted(flow.drawn)
    assert len(set(flow.matches.values())) == 1
    assert "已结案" in flow.outputs["close"]
    assert "已结案" in flow.outputs["show"]
    as_of_draw = flow.outputs["as of the draw"]
    assert "随机抽取检查对象" in as_of_draw and "结案" not in as_of_draw
    assert "抽中 2 个对象；已匹配 0" in as_of_draw


def test_the_register_shows_each_departments_result_and_no_inspector(flow: Flow) -> None:
    register = flow.outputs["register"]
    for target in flow.drawn:
        assert target in register
    assert "消防救援大队：发现问题已责令改正" in register
    assert "公安局：未发现问题" in register
    inspectors = [f"JY00{n}" for n in range(1, 7)] + [
        f"{prefix}00{n}" for prefix in ("GA", "XF") for n in range(1, 8)
    ]
    assert not [i for i in inspectors if i in register]
    assert "1390000" not in register and "1380000" not in register  # their phones
    assert "已办结" in flow.outputs["ledger"]


def test_the_ledger_names_each_follow_ups_measures_as_the_cli_gave_them(flow: Flow) -> None:
    transferred, closed = flow.outputs["ledger"].strip().splitlines()[-2:]
    assert "抄告 迁安市应急管理局" in transferred and "处置措施：责令改正、抄告" in transferred
    assert "已办结" in closed and "处置措施：责令改正、行政处罚" in closed


def test_audit_verify_passes_after_a_cli_run(flow: Flow) -> None:
    result = ssj(flow.db, "audit", "verify")

    assert result.exit_code == 0
    assert "1 次对象抽取、3 次人员抽取、1 次匹配" in result.stdout
    assert "✓" in result.stdout


def test_audit_export_gives_one_json_object_per_event_per_line(flow: Flow) -> None:
    out = ok(ssj(flow.db, "audit", "export"))

    events = [json.loads(line) for line in out.splitlines()]
    task_events = Counter(e["type"] for e in events if e["aggregate"] == "Task")
    assert task_events == {
        "Planned": 1,
        "SeedCommitted": 1,
        "TargetsDrawn": 1,
        "TaskDispatched": 2,
        "DepartmentConfirmed": 2,
        "ConfirmationOverdue": 1,
        "InspectorsDrawn": 3,
        "GroupsMatched": 1,
        "GroupingFiled": 3,
        "NoticeServed": 2,
        "InspectionVisited": 2,
        "ResultRecorded": 6,
        "ResultCorrected": 1,
        "ResultsPublished": 1,
        "FollowUpOpened": 2,
        "FollowUpTransferred": 1,
        "FollowUpClosed": 1,
        "Closed": 1,
    }
    for event in events:
        assert {"position", "aggregate", "type", "version", "recorded_at", "fields"} <= set(event)
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    drawn = [e for e in events if e["type"] == "TargetsDrawn"]
    assert [sorted(t for ids in e["fields"]["drawn"].values() for t in ids) for e in drawn] == [
        sorted(flow.drawn)
    ]
    assert drawn[0]["fields"]["secret"] == SECRET
    [matched] = [e for e in events if e["type"] == "GroupsMatched"]
    # The 回避对象 column of the sample: JY006 recuses from both drawn schools.
    assert matched["fields"]["conflicts"] == {"JY006": sorted(flow.drawn)}


def test_audit_export_to_a_file_writes_the_same_lines(flow: Flow, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"

    result = ok(ssj(flow.db, "audit", "export", "--out", str(out)))

    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"已导出 {len(lines)} 条事件" in result
    assert lines == ok(ssj(flow.db, "audit", "export")).splitlines()


def test_audit_verify_exits_1_after_the_sqlite_file_is_tampered_with(
    flow: Flow, tmp_path: Path
) -> None:
    db = tmp_path / "tampered.db"
    shutil.copy(flow.db, db)
    with closing(sqlite3.connect(db)) as connection, connection:
        rowid, state = connection.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Task.TargetsDrawn'"
        ).fetchone()
        fields = json.loads(state)
        fields["drawn"]["A"] = ["52330106MJ00000041"]  # a school someone would rather inspect
        forged = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))

    result = ssj(db, "audit", "verify")

    assert result.exit_code == 1
    assert "✗" in result.stdout
    assert flow.task in result.stdout
    assert "TargetsDrawn" in result.stdout
    assert "52330106MJ00000041" in result.stdout


def test_a_refused_command_says_why_and_exits_2(flow: Flow, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(flow.db, db)
    before = ok(ssj(db, "audit", "export"))

    result = ssj(db, "task", "confirm", flow.task, "--dept", "education")

    assert result.exit_code == 2
    assert result.stderr.startswith("错误：")
    assert ok(ssj(db, "audit", "export")) == before


def test_a_task_step_without_its_department_is_refused_and_records_nothing(
    flow: Flow, tmp_path: Path
) -> None:
    """Every step is taken by a department: without `--dept` nobody would be answerable for it."""
    db = tmp_path / "copy.db"
    shutil.copy(flow.db, db)
    before = ok(ssj(db, "audit", "export"))

    result = ssj(db, "task", "publish", flow.task, "--at", "2023-11-21T10:00")

    assert result.exit_code == 2
    assert "--dept" in result.stderr
    assert ok(ssj(db, "audit", "export")) == before


def test_the_register_comes_a_page_at_a_time(flow: Flow) -> None:
    first = ok(ssj(flow.db, "register", "--limit", "1"))
    more = re.search(r"--after (\S+)）", first)
    assert more is not None, first
    rest = ok(ssj(flow.db, "register", "--limit", "1", "--after", more.group(1)))

    shown = [[t for t in flow.drawn if t in page] for page in (first, rest)]
    assert sorted(shown[0] + shown[1]) == sorted(flow.drawn)
    assert len(shown[0]) == len(shown[1]) == 1
    assert "--after" not in rest  # the last page


def test_an_inspector_reads_the_task_of_his_department_and_names_himself(flow: Flow) -> None:
    page = ok(ssj(flow.db, "task", "show", flow.task, "--dept", "fire", "--inspector", "XF002"))
    assert "已结案" in page
    listed = ok(
        ssj(
            flow.db, "task", "list", "--dept", "fire", "--role", "inspector", "--inspector", "XF002"
        )
    )
    assert flow.task in listed

    anonymous = ssj(flow.db, "task", "show", flow.task, "--dept", "fire", "--role", "inspector")
    assert anonymous.exit_code == 2
    assert "inspector" in anonymous.stderr and "执法检查人员编号" in anonymous.stderr
    outsider = ssj(flow.db, "task", "show", flow.task, "--dept", "market", "--inspector", "SC001")
    assert outsider.exit_code == 2 and "错误：" in outsider.stderr
