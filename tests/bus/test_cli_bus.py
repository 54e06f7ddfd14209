"""`ssj bus …` and `ssj dept …` against a real server, through typer's CliRunner.

A command runs `asyncio.run` itself, so each invocation runs in a thread of its own while the
stand-in service answers on the test's event loop."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from click.testing import Result
from nats.aio.client import Client
from typer.testing import CliRunner

from adapters.cli.bus import escalation_line, notice_lines
from adapters.cli.main import app
from adapters.nats.connect import connect
from adapters.nats.messages import (
    ESCALATIONS,
    CheckItemDocument,
    DeptNotice,
    Escalation,
    RecordSheetDocument,
    notice_subject,
)
from adapters.nats.streams import DEPT, STREAMS, dept_consumer
from tests.bus.harness import NatsServer
from tests.bus.stand_in import answering, done, refused

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "ssj.conf"
TASK = "0b7f6a8e-1c1d-4a57-9d3e-2f4b5c6d7e8f"
TARGET = "52130283MJ00001469"


def ssj(url: str | None, *args: str, user: str | None = None) -> Result:
    env = {"SSJ_NATS_URL": url, "SSJ_NATS_USER": user, "SSJ_NATS_PASSWORD": None}
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


async def ssj_async(url: str | None, *args: str) -> Result:
    return await asyncio.to_thread(ssj, url, *args)


def test_bus_config_prints_the_checked_in_configuration() -> None:
    result = ssj(None, "bus", "config")

    assert result.exit_code == 0
    assert result.output == CONFIG.read_text(encoding="utf-8")


def test_bus_config_refuses_a_department_code_that_would_break_the_file() -> None:
    result = ssj(None, "bus", "config", "--dept", "fire brigade")

    assert result.exit_code == 2 and "--dept" in result.output


async def test_bus_setup_creates_the_streams_and_the_named_departments_consumers(
    own_nats: NatsServer,
) -> None:
    result = await ssj_async(own_nats.url, "bus", "setup", "--dept", "fire", "--dept", "health")

    assert result.exit_code == 0, result.output
    assert "consumer SSJ_DEPT/dept-health" in result.output
    nc = await connect(own_nats.url)
    try:
        js = nc.jetstream()
        for plan in STREAMS:
            assert (await js.stream_info(plan.name)).config.subjects == list(plan.subjects)
        consumers = {c.name for c in await js.consumers_info(DEPT)}
        assert consumers == {dept_consumer("fire"), dept_consumer("health")}
    finally:
        await nc.close()


async def test_dept_confirm_prints_the_refusal_and_exits_1(bus: Client, nats_url: str) -> None:
    async with answering(bus, refused("确认期限已过（2023-11-03）")):
        result = await ssj_async(nats_url, "dept", "confirm", "--dept", "消防救援大队", TASK)

    assert result.exit_code == 1
    assert "被拒绝：确认任务：确认期限已过（2023-11-03）" in result.output


async def test_dept_draw_inspectors_prints_the_groups_drawn(bus: Client, nats_url: str) -> None:
    groups = [["XF001", "XF002"], ["XF003", "XF004"]]
    async with answering(bus, done(answer=groups)):
        result = await ssj_async(nats_url, "dept", "draw-inspectors", "--dept", "fire", TASK)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "已办理：抽取执法检查人员",
        "第 1 组：XF001、XF002",
        "第 2 组：XF003、XF004",
    ]


async def test_dept_result_sends_the_findings_as_typed(bus: Client, nats_url: str) -> None:
    async with answering(bus, done()) as service:
        result = await ssj_async(
            nats_url,
            "dept",
            "result",
            "--dept",
            "fire",
            TASK,
            TARGET,
            "--category",
            "发现问题已责令改正",
            "--finding",
            "XF-1=灭火器过期",
            "--finding",
            "XF-2 = 疏散通道畅通",
            "--at",
            "2023-11-09T15:00",
        )

    assert result.exit_code == 0, result.output
    [message] = service.received
    sent = json.loads(message.data)
    assert message.subject == "ssj.cmd.fire.record_result"
    assert sent["findings"] == {"XF-1": "灭火器过期", "XF-2": "疏散通道畅通"}
    assert sent["at"] == "2023-11-09T15:00:00+08:00"


async def test_dept_listen_once_prints_what_is_waiting_and_stops(
    bus: Client, nats_url: str
) -> None:
    at = datetime(2023, 11, 1, 1, 30, tzinfo=UTC)
    dispatched = DeptNotice(
        id="ssj:7:fire",
        position=7,
        task_id=UUID(TASK),
        department="fire",
        kind="dispatched",
        deadline=date(2023, 11, 3),
        targets=[TARGET],
        at=at,
    )
    sheets = dispatched.model_copy(
        update={
            "id": "ssj:9:fire",
            "position": 9,
            "kind": "sheets",
            "deadline": None,
            "targets": [],
            "sheets": [
                RecordSheetDocument(
                    target=TARGET,
                    name="迁安市启航培训学校",
                    group=0,
                    inspectors=["XF001"],
                    items=[
                        CheckItemDocument(
                            code="XF-1", name="履行法定消防安全职责情况", method="实地核查"
                        )
                    ],
                )
            ],
        }
    )
    for notice in (dispatched, sheets):
        await bus.jetstream().publish(notice_subject("fire", notice.task_id), notice.to_bytes())

    result = await ssj_async(
        nats_url, "dept", "listen", "--dept", "fire", "--once", "--wait", "0.3"
    )

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"2023-11-01 09:30  任务 {TASK}  派发任务，请于 2023-11-03 前确认",
        f"  检查对象 1 个：{TARGET}",
        f"2023-11-01 09:30  任务 {TASK}  一企一表",
        f"  第 1 组  {TARGET} 迁安市启航培训学校  检查人员：XF001  事项：XF-1 履行法定消防安全职责情况",
        "共 2 条",
    ]


def test_dept_commands_name_the_missing_server_setting() -> None:
    result = ssj(None, "dept", "confirm", "--dept", "fire", TASK)

    assert result.exit_code == 2 and "SSJ_NATS_URL" in result.output


def test_a_department_user_cannot_act_for_another_department() -> None:
    result = ssj("nats://127.0.0.1:1", "dept", "confirm", "--dept", "fire", TASK, user="police")

    assert result.exit_code == 2 and "SSJ_NATS_USER" in result.output


def test_a_task_must_be_named_by_its_full_id_before_anything_is_sent() -> None:
    result = ssj("nats://127.0.0.1:1", "dept", "confirm", "--dept", "fire", "1a2b")

    assert result.exit_code == 2 and "完整 UUID" in result.output


def test_the_worker_command_is_there() -> None:
    result = ssj(None, "worker", "--help")

    assert result.exit_code == 0 and "Ctrl-C" in result.output


async def test_office_escalations_once_prints_each_passed_deadline_and_acks_it(
    bus: Client, nats_url: str
) -> None:
    late = Escalation(
        id="ssj:41:office",
        position=41,
        task_id=UUID(TASK),
        department="fire",
        kind="confirmation_overdue",
        deadline=date(2023, 11, 3),
        at=datetime(2023, 11, 6, 0, 30, tzinfo=UTC),
    )
    await bus.jetstream().publish(ESCALATIONS, late.to_bytes())

    first = await ssj_async(nats_url, "office", "escalations", "--once", "--wait", "0.3")
    again = await ssj_async(nats_url, "office", "escalations", "--once", "--wait", "0.3")

    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"2023-11-06 08:30  任务 {TASK}  消防救援大队确认逾期（期限 2023-11-03）",
        "共 1 条",
    ]
    assert again.output.splitlines() == ["共 0 条"]


def test_a_held_dispatch_names_the_calendar_it_waits_for_on_both_screens() -> None:
    common = {"position": 12, "task_id": UUID(TASK), "department": "fire", "year": 2024}
    at = datetime(2023, 12, 29, 1, 0, tzinfo=UTC)
    notice = DeptNotice(id="ssj:12:fire", kind="dispatch_held", at=at, **common)
    escalation = Escalation(id="ssj:12:office", kind="dispatch_held", at=at, **common)

    assert notice_lines(notice) == [
        f"2023-12-29 09:00  任务 {TASK}  派发暂缓，已上报双随机办（待补充 2024 年工作日历）"
    ]
    assert escalation_line(escalation) == (
        f"2023-12-29 09:00  任务 {TASK}  消防救援大队派发暂缓（待补充 2024 年工作日历）"
    )


def test_a_held_results_deadline_tells_the_office_which_target_waits() -> None:
    held = Escalation(
        id="ssj:30:office",
        position=30,
        task_id=UUID(TASK),
        department="fire",
        kind="results_deadline_held",
        target=TARGET,
        year=2024,
        at=datetime(2023, 12, 29, 7, 0, tzinfo=UTC),
    )

    assert escalation_line(held) == (
        f"2023-12-29 15:00  任务 {TASK}  消防救援大队结果录入期限暂缓（待补充 2024 年工作日历）"
        f"  检查对象 {TARGET}"
    )
