"""The auditor on a damaged log, on the embedded SQLite store (someone with the file) and on
PostgreSQL (a superuser, the triggers switched off): the raw log names each deleted, changed,
reordered or unreadable event by aggregate, version and position; the draws of every task that
can still be read are re-run; nothing ends in a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any
from uuid import UUID

import psycopg
import pytest
from typer.testing import CliRunner

from adapters.bootstrap import bootstrap, load_settings
from adapters.cli.main import app
from adapters.postgres.urls import PgUrl
from services.audit import Auditor, Unverifiable
from services.integrity import Damage
from services.log import read_log
from tests.services.conftest import AUDITOR, JointInspection, Store

both_stores = pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
sqlite_only = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


class Tamper:
    """What someone with the SQLite file, or a PostgreSQL superuser, can do to the rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        if store.kind == "sqlite":
            self.table, self.position = "stored_events", "rowid"
        else:
            self.table, self.position = "ssj_events", "notification_id"

    def execute(self, statement: str, *arguments: Any) -> list[tuple[Any, ...]]:
        if self.store.kind == "sqlite":
            with closing(sqlite3.connect(str(self.store.path))) as db, db:
                return db.execute(statement.replace("%s", "?"), arguments).fetchall()
        url = PgUrl.parse(self.store.database_url or "", "url")
        admin = f"host={url.host} port={url.port} dbname={url.dbname} user=postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("SET session_replication_role = replica")
            cursor = connection.execute(statement, arguments)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def position_of(self, aggregate: UUID, event: str, nth: int = 0) -> int:
        """Where the aggregate's nth event of a type stands."""
        key = aggregate.hex if self.store.kind == "sqlite" else aggregate
        rows = self.execute(
            f"SELECT {self.position} FROM {self.table} WHERE originator_id = %s AND topic LIKE %s "
            f"ORDER BY {self.position}",
            key,
            f"%.{event}",
        )
        return int(rows[nth][0])

    def version_at(self, position: int) -> int:
        [(version,)] = self.execute(
            f"SELECT originator_version FROM {self.table} WHERE {self.position} = %s", position
        )
        return int(version)

    def delete(self, *positions: int) -> None:
        for position in positions:
            self.execute(f"DELETE FROM {self.table} WHERE {self.position} = %s", position)

    def set(self, position: int, column: str, value: Any) -> None:
        self.execute(
            f"UPDATE {self.table} SET {column} = %s WHERE {self.position} = %s", value, position
        )

    def swap(self, one: int, other: int) -> None:
        for old, new in ((one, -1), (other, one), (-1, other)):
            self.set(old, self.position, new)


def auditor_on(store: Store) -> Auditor:
    """An auditor of its own on the store, as `ssj audit verify` opens one."""
    service = bootstrap(load_settings(db=store.path, database_url=store.database_url))
    store.opened.append(service)  # closed with the store
    return service.auditor


@pytest.fixture
def closed(store: Store, joint: JointInspection) -> Iterator[tuple[JointInspection, Tamper]]:
    joint.closed()
    yield joint, Tamper(store)


# ---------------------------------------------------------------------------- the raw log
@both_stores
def test_an_untouched_log_reads_clean_row_by_row(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    report = auditor_on(store).check_log(AUDITOR)

    assert report.ok, report.describe()
    assert report.events == sum(1 for _ in store.opened[0].auditor.export(AUDITOR))
    assert report.aggregates == 8  # 1 + 4 directories, 1 plan, 2 tasks
    assert "每条均可解读" in report.describe()


@both_stores
def test_a_deleted_event_is_named_by_aggregate_version_and_position(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    position = tamper.position_of(joint.task_id, "ResultsPublished")
    version = tamper.version_at(position)
    tamper.delete(position)

    auditor = auditor_on(store)
    report = auditor.check_log(AUDITOR)
    draws = auditor.verify(AUDITOR)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.DELETED, position)
    assert str(finding) == (
        f"抽查任务 {joint.task_id} 缺第 {version} 版：位置 {position} 的事件已被删除"
    )
    assert draws.ok and draws.tasks == 2  # the draws do not rest on it


@both_stores
def test_events_deleted_in_a_row_are_named_together(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    first = tamper.position_of(joint.task_id, "ResultsPublished")
    version = tamper.version_at(first)
    tamper.delete(first, first + 1)

    [finding] = auditor_on(store).check_log(AUDITOR).findings

    assert str(finding) == (
        f"抽查任务 {joint.task_id} 缺第 {version}–{version + 1} 版："
        f"位置 {first}、{first + 1} 的事件已被删除"
    )


@both_stores
def test_a_row_that_does_not_decode_is_named_and_every_other_task_is_still_verified(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    position = tamper.position_of(joint.other_task_id, "TargetsDrawn")
    tamper.set(position, "state", b"{not json")

    auditor = auditor_on(store)
    report = auditor.check_log(AUDITOR)
    draws = auditor.verify(AUDITOR)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.CHANGED, position)
    assert str(finding).startswith(f"位置 {position}：抽查任务 {joint.other_task_id} 第 3 版")
    assert "无法解读" in str(finding)
    [unverifiable] = draws.differences
    assert isinstance(unverifiable, Unverifiable)
    assert unverifiable.task_id == joint.other_task_id
    assert "第 3 版事件 TargetsDrawn 无法核验" in str(unverifiable)
    assert (draws.tasks, draws.draws, draws.inspector_draws, draws.matchings) == (2, 1, 3, 1)
    # The export goes on too: the row is taken away as what it is, the others as they are.
    exported = list(auditor.export(AUDITOR))
    [unreadable] = [line for line in exported if "unreadable" in line]
    assert (unreadable["position"], unreadable["type"], unreadable["version"]) == (
        position,
        "TargetsDrawn",
        3,
    )
    assert all("fields" in line for line in exported if line is not unreadable)


@both_stores
def test_a_row_the_raw_log_names_as_not_decoding_is_counted_not_named_again_by_the_draws(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    tamper.set(tamper.position_of(joint.other_task_id, "TargetsDrawn"), "state", b"{not json")
    tamper.set(tamper.position_of(joint.task_id, "Planned"), "state", b"[]")

    auditor = auditor_on(store)
    log = auditor.check_log(AUDITOR)
    draws = auditor.verify(AUDITOR, log)

    assert sorted(log.planned) == sorted([joint.task_id, joint.other_task_id])
    assert len(log.findings) == 2
    assert draws.differences == [] and draws.undecodable == 2 and not draws.ok
    assert (draws.tasks, draws.draws) == (2, 0)


@both_stores
def test_a_changed_type_is_named_by_its_position(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    position = tamper.position_of(joint.task_id, "InspectorsDrawn")
    tamper.set(position, "topic", "domain.task:Task.Vanished")

    auditor = auditor_on(store)
    [finding] = auditor.check_log(AUDITOR).findings
    draws = auditor.verify(AUDITOR)

    assert str(finding).endswith("事件类型 domain.task:Task.Vanished 不存在（类型已被改动）")
    assert f"位置 {position}：" in str(finding)
    assert not draws.ok and all(d.task_id == joint.task_id for d in draws.differences)
    assert "所依据的事件" not in str(draws.differences[0])


@both_stores
def test_two_events_of_a_task_swapped_are_named_as_reordered_not_deleted(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    first = tamper.position_of(joint.task_id, "ResultsPublished")
    tamper.swap(first, first + 1)

    [finding] = auditor_on(store).check_log(AUDITOR).findings

    assert (finding.damage, finding.position) == (Damage.REORDERED, first + 1)
    version = tamper.version_at(first + 1)
    assert f"第 {version} 版排在第 {version + 1} 版（位置 {first}）之后" in str(finding)


@both_stores
def test_a_draw_whose_inputs_cannot_be_read_is_named_not_recomputed_into_differences(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    tamper.set(tamper.position_of(joint.task_id, "InspectorsDrawn"), "state", b"\x00")

    draws = auditor_on(store).verify(AUDITOR)

    # The other departments' draws rest on the target draw only, and still verify.
    assert [type(d) for d in draws.differences] == [Unverifiable, Unverifiable]
    assert "第 9 版事件 InspectorsDrawn 无法核验" in str(draws.differences[0])
    assert "事件 GroupsMatched #12 无法核验" in str(draws.differences[1])
    assert "所依据的事件（第 9 版 InspectorsDrawn）无法解读，未能重算" in str(draws.differences[1])
    assert draws.inspector_draws == 2


@both_stores
def test_a_task_whose_plan_cannot_be_read_is_named_and_the_other_is_verified(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    tamper.set(tamper.position_of(joint.other_task_id, "Planned"), "state", b"[]")

    draws = auditor_on(store).verify(AUDITOR)

    [unverifiable] = draws.differences
    assert unverifiable.task_id == joint.other_task_id
    assert "计划事件（第 1 版）无法载入" in str(unverifiable)
    assert (draws.tasks, draws.draws, draws.matchings) == (2, 1, 1)


@both_stores
def test_a_directory_cut_short_under_a_draw_is_a_finding_of_each_task_drawn_from_it(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    """The directory's last event gone leaves no gap in its versions: the raw log cannot see it,
    the draws that rest on it can."""
    joint, tamper = closed
    tamper.delete(tamper.position_of(joint.directory_id, "TargetsRegistered"))

    draws = auditor_on(store).verify(AUDITOR)

    assert {d.task_id for d in draws.differences} == {joint.task_id, joint.other_task_id}
    for difference in draws.differences:
        assert isinstance(difference, Unverifiable)
        assert str(difference).endswith(
            f"事件 TargetsDrawn #3 无法核验：抽查对象名录库 {joint.directory_id} 只能重建到第 1 版，"
            "抽取依据的是第 2 版：其后的事件已被删除或无法读取"
        )
    assert draws.inspector_draws == 3 and draws.matchings == 1


@sqlite_only
def test_a_row_the_recorder_cannot_return_is_named_and_read_past(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    events = sum(1 for _ in store.opened[0].auditor.export(AUDITOR))
    position = tamper.position_of(joint.task_id, "ResultsPublished")
    tamper.set(position, "originator_id", "not-a-uuid")

    auditor = auditor_on(store)
    report = auditor.check_log(AUDITOR)

    assert [(f.damage, f.position) for f in report.findings] == [
        (Damage.CHANGED, position),
        (Damage.DELETED, position),
    ]
    assert f"位置 {position}：这一行读不出来" in str(report.findings[0])
    assert f"读不出来的位置 {position} 可能就是它" in str(report.findings[1])
    assert report.events == events
    assert auditor.verify(AUDITOR).tasks == 2


@sqlite_only
def test_a_reader_that_acts_on_events_stops_at_a_row_it_cannot_read_naming_its_position(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    position = tamper.position_of(joint.task_id, "ResultsPublished")
    tamper.set(position, "originator_id", "not-a-uuid")
    tasks = store.opened[0].tasks

    with pytest.raises(ValueError, match=f"位置 {position} 的事件无法读出"):
        for logged in read_log(tasks):
            assert logged.position < position


# ---------------------------------------------------------------------------- the command
@sqlite_only
def test_the_auditor_command_on_sqlite_lists_every_finding_and_exits_1(
    closed: tuple[JointInspection, Tamper], store: Store
) -> None:
    joint, tamper = closed
    deleted = tamper.position_of(joint.task_id, "DepartmentConfirmed")
    unreadable = tamper.position_of(joint.other_task_id, "TargetsDrawn")
    tamper.delete(deleted)
    tamper.set(unreadable, "state", b"{")

    result = CliRunner().invoke(app, ["--db", str(store.path), "audit", "verify"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"缺第 6 版：位置 {deleted} 的事件已被删除" in result.output
    assert f"位置 {unreadable}：抽查任务 {joint.other_task_id}" in result.output
    # Named once, by the raw log; the draws' re-run counts it among what it could not verify.
    assert result.output.count(f"{joint.other_task_id}") == 1
    assert "1 个事件无法解读、未能核验（位置见事件日志）" in result.output
    assert "datetime.datetime(" not in result.output and "Traceback" not in result.output
    refused = CliRunner().invoke(
        app, ["--db", str(store.path), "audit", "verify", "--checkpoint", "1:" + "0" * 64]
    )
    assert refused.exit_code == 2
    assert "--checkpoint: 检查点只用于 PostgreSQL 事件库" in refused.output
