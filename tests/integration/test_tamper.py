"""Tamper evidence on a real server: someone with superuser rights (the triggers switched off)
edits, removes, moves or adds stored events, or rewrites the links and the checkpoints too. The
auditor names each damage by its position, and only a checkpoint published outside the database
catches a forger who rewrote everything the database holds. `ssj audit verify` ends with exit
status 1 and the findings, never in a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner, Result

from adapters.bootstrap import bootstrap, load_settings
from adapters.cli.main import app
from adapters.postgres.chain import GENESIS, checkpoint, link, verify_chain
from adapters.postgres.urls import PgUrl
from services.actors import Actor
from services.integrity import Damage
from tests.conftest import Database
from tests.services.conftest import JointInspection, at


@pytest.fixture
def logged(database: Database) -> Iterator[Database]:
    """A joint inspection run up to its matched groups: 36 events in the log."""
    service = bootstrap(load_settings(database_url=database.service_url))
    JointInspection(service).matched()
    yield database
    service.close()


def superuser(database: Database) -> psycopg.Connection[tuple[object, ...]]:
    connection = psycopg.connect(PgUrl.parse(database.admin_url, "url").conninfo(), autocommit=True)
    # What a superuser can do and the service's role cannot: switch the triggers off.
    connection.execute("SET session_replication_role = replica")
    return connection


def scalar(database: Database, query: str) -> int:
    with superuser(database) as connection:
        row = connection.execute(query).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(str(row[0]))


def last_position(database: Database) -> int:
    return scalar(database, "SELECT max(notification_id) FROM ssj_events")


def position_of(database: Database, event: str, nth: int = 0) -> int:
    """Where the nth event of a type stands, as the auditor would look it up."""
    with superuser(database) as connection:
        rows = connection.execute(
            "SELECT notification_id FROM ssj_events WHERE topic LIKE %s ORDER BY notification_id",
            (f"%.{event}",),
        ).fetchall()
    return int(str(rows[nth][0]))


def rewrite_chain(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    """What a careful forger does: recompute every link so that the chain holds by itself."""
    rows = connection.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM ssj_events ORDER BY notification_id"
    ).fetchall()
    connection.execute("DELETE FROM ssj_chain")
    previous = GENESIS
    for position, aggregate, version, topic, state in rows:
        previous = link(previous, position, aggregate.bytes, version, topic, bytes(state))  # type: ignore[union-attr,arg-type]
        connection.execute("INSERT INTO ssj_chain VALUES (%s, %s)", (position, previous))


def audit(database: Database, *arguments: str) -> Result:
    result = CliRunner().invoke(
        app, ["audit", *arguments], env={"SSJ_DATABASE_URL": database.service_url}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "datetime.datetime(" not in result.output
    return result


# ---------------------------------------------------------------------------- one damage each
def test_an_untouched_log_verifies_link_by_link(logged: Database) -> None:
    report = verify_chain(logged.service_url)

    assert report.ok, report.describe()
    assert report.events == report.links == last_position(logged) == 36


def test_an_event_edited_by_a_superuser_is_named_at_its_position_and_nowhere_else(
    logged: Database,
) -> None:
    with superuser(logged) as connection:
        connection.execute(
            # One byte more of white space: the JSON still reads, the event still decodes.
            "UPDATE ssj_events SET state = state || '\\x20'::bytea WHERE notification_id = 12"
        )

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.CHANGED, 12)
    assert finding.text.startswith("位置 12：") and "改动" in finding.text


def test_an_event_deleted_from_the_middle_is_named_by_its_position(logged: Database) -> None:
    confirmed = position_of(logged, "DepartmentConfirmed")
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id = %s", (confirmed,))

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.DELETED, confirmed)
    assert f"位置 {confirmed}：事件已被删除" in finding.text


def test_the_auditor_names_an_event_deleted_from_the_middle_instead_of_crashing(
    logged: Database,
) -> None:
    """Rebuilding the task stops at the missing version (OriginatorVersionError); the auditor
    reads the raw log, names the task, the version and the position, and re-runs the draws."""
    confirmed = position_of(logged, "DepartmentConfirmed")
    with superuser(logged) as connection:
        task, version = connection.execute(
            "SELECT originator_id, originator_version FROM ssj_events WHERE notification_id = %s",
            (confirmed,),
        ).fetchone() or (None, None)
        connection.execute("DELETE FROM ssj_events WHERE notification_id = %s", (confirmed,))

    result = audit(logged, "verify")

    assert result.exit_code == 1
    assert f"抽查任务 {task} 缺第 {version} 版：位置 {confirmed} 的事件已被删除" in result.output
    assert f"位置 {confirmed}：事件已被删除（审计链中仍有链接）" in result.output
    assert "核验 2 个任务" in result.output and "全部与 ssj-draw-v1 重算结果一致" in result.output


def test_events_moved_to_each_others_positions_are_named_with_where_they_were_written(
    logged: Database,
) -> None:
    first, second = (
        position_of(logged, "InspectorsDrawn"),
        position_of(logged, "InspectorsDrawn", 1),
    )
    with superuser(logged) as connection:
        for old, new in ((first, -1), (second, first), (-1, second)):
            connection.execute(
                "UPDATE ssj_events SET notification_id = %s WHERE notification_id = %s", (new, old)
            )

    report = verify_chain(logged.service_url)
    result = audit(logged, "verify")

    assert [(f.damage, f.position) for f in report.findings] == [
        (Damage.REORDERED, first),
        (Damage.REORDERED, second),
    ]
    assert f"位置 {first}：这条事件写入时在位置 {second}" in report.findings[0].text
    assert f"位置 {second}：这条事件写入时在位置 {first}" in report.findings[1].text
    assert result.exit_code == 1
    assert f"位置 {second}：抽查任务" in result.output and "排在第" in result.output


def test_a_row_a_superuser_inserts_far_ahead_is_named_and_later_saves_still_verify(
    logged: Database,
) -> None:
    with superuser(logged) as connection:
        connection.execute(
            "INSERT INTO ssj_events (originator_id, originator_version, topic, state, notification_id) "
            "SELECT gen_random_uuid(), 1, topic, state, 999999 FROM ssj_events WHERE topic LIKE '%Plan.Registered'"
        )
    service = bootstrap(load_settings(database_url=logged.service_url))
    service.directories.take_leave(Actor.cooperating("police"), "GA001", at=at("2023-11-08"))
    service.close()

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.REORDERED, 999999)
    assert "位置 999999：事件没有审计链链接" in finding.text
    assert report.events == 38  # the later save, at 37, links and verifies as usual
    assert checkpoint(logged.service_url).position == 37


# ---------------------------------------------------------------------------- the last events
def test_the_last_events_deleted_are_named_while_their_links_remain(
    logged: Database,
) -> None:
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id > 33")

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.DELETED, 34)
    assert finding.text == "位置 34–36：事件已被删除（审计链中仍有链接）"


def test_a_chain_gone_altogether_is_named_in_one_run_not_row_by_row(logged: Database) -> None:
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_chain")

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert finding.text.startswith("位置 1–36：事件没有审计链链接")


def test_the_last_events_deleted_with_their_links_are_named_after_a_checkpoint(
    logged: Database,
) -> None:
    published = checkpoint(logged.service_url)
    assert published.position == 36
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id > 33")
        connection.execute("DELETE FROM ssj_chain WHERE position > 33")

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.DELETED, 34)
    assert finding.text.startswith("位置 34–36：事件连同审计链链接已被删除")
    assert "现存日志止于位置 33" in finding.text


def test_the_last_events_deleted_with_their_links_are_named_by_what_the_read_models_saw(
    logged: Database,
) -> None:
    """No checkpoint yet: the read models' recorded position still says how far the log went."""
    env = {"SSJ_DATABASE_URL": logged.service_url}
    assert CliRunner().invoke(app, ["register"], env=env).exit_code == 0
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id > 34")
        connection.execute("DELETE FROM ssj_chain WHERE position > 34")

    result = audit(logged, "verify")

    assert result.exit_code == 1
    assert "位置 35、36：事件连同审计链链接已被删除（读模型已处理到位置 36" in result.output


# ---------------------------------------------------------------------------- rewritten chains
def test_a_deleted_event_under_a_rewritten_chain_is_caught_by_the_checkpoint(
    logged: Database,
) -> None:
    published = checkpoint(logged.service_url)
    with superuser(logged) as connection:
        connection.execute("DELETE FROM ssj_events WHERE notification_id = 5")
        rewrite_chain(connection)

    report = verify_chain(logged.service_url)

    [finding] = report.findings
    assert (finding.damage, finding.position) == (Damage.CHECKPOINT, published.position)
    assert f"库内检查点 {published.position}:{published.head[:16]}…" in finding.text


def test_events_chain_and_checkpoints_rewritten_together_are_caught_by_a_published_checkpoint(
    logged: Database, tmp_path: Path
) -> None:
    saved = tmp_path / "检查点.json"
    published = audit(logged, "checkpoint", "--out", str(saved)).stdout.strip()
    with superuser(logged) as connection:
        connection.execute(
            "UPDATE ssj_events SET state = state || '\\x20'::bytea WHERE notification_id = 12"
        )
        rewrite_chain(connection)
        connection.execute("DELETE FROM ssj_checkpoints")
        connection.execute(
            "INSERT INTO ssj_checkpoints (position, head) "
            "SELECT position, link FROM ssj_chain ORDER BY position DESC LIMIT 1"
        )

    inside = audit(logged, "verify")
    outside = audit(logged, "verify", "--checkpoint", published)
    from_file = audit(logged, "verify", "--checkpoint", str(saved))

    assert inside.exit_code == 0, inside.output  # everything the database holds agrees
    assert outside.exit_code == from_file.exit_code == 1
    position, head = published.split(":")
    assert f"库外检查点 {position}:{head[:16]}…：按现存事件重算的链头为" in outside.output
    assert f"库外检查点（检查点.json） {position}:{head[:16]}…" in from_file.output
    assert f"位置 {position} 及之前有事件被改动" in outside.output


# ---------------------------------------------------------------------------- checkpoints
def test_the_checkpoint_command_prints_position_and_head_alone_and_verify_takes_it_back(
    logged: Database, tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.json"

    mark = audit(logged, "checkpoint", "--out", str(saved))

    assert mark.exit_code == 0, mark.output
    head = verify_chain(logged.service_url).head
    assert mark.stdout == f"36:{head}\n"
    assert "北京时间" in mark.stderr and "ssj audit verify --checkpoint 36:" in mark.stderr
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["format"] == "ssj-checkpoint-v1"
    assert (document["position"], document["head"], document["checkpoint"]) == (
        36,
        head,
        f"36:{head}",
    )
    assert document["recorded_at"].endswith("+08:00")
    for given in (f"36:{head}", f"36:{head.upper()}", str(saved)):
        verified = audit(logged, "verify", "--checkpoint", given)
        assert verified.exit_code == 0, verified.output
        assert "核对检查点 2 个（其中库外公布 1 个）" in verified.output


def test_a_checkpoint_row_a_superuser_forges_far_ahead_is_named_and_never_printed(
    logged: Database,
) -> None:
    with superuser(logged) as connection:
        connection.execute(
            "INSERT INTO ssj_checkpoints (position, head) VALUES (999999999, sha256('forged'))"
        )

    mark = audit(logged, "checkpoint")
    result = audit(logged, "verify")

    assert mark.stdout.startswith("36:")
    assert result.exit_code == 1
    assert "库内检查点 999999999:" in result.output
    assert "事件序列只发放到位置 36，这个检查点不可能出自本库（伪造）" in result.output


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("36:abc", "应为 位置:链头"),
        ("0:" + "0" * 64, "应为 位置:链头"),
        ("检查点", "也不是一个文件"),
    ],
)
def test_a_malformed_published_checkpoint_is_refused_naming_the_option(
    logged: Database, given: str, expected: str
) -> None:
    result = audit(logged, "verify", "--checkpoint", given)

    assert result.exit_code == 2
    assert result.output.startswith("错误：--checkpoint: ") and expected in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "既不是 位置:链头 的一行，也不是 JSON"),
        ('{"position": 36, "head": "00"}', "format 应为 ssj-checkpoint-v1"),
        ('{"format": "ssj-checkpoint-v1", "position": "36", "head": ""}', "position 应为正整数"),
        (
            '{"format": "ssj-checkpoint-v1", "position": 36, "head": "xyz"}',
            "head 应为 64 位十六进制",
        ),
    ],
)
def test_a_malformed_checkpoint_file_is_refused_naming_the_option_and_the_field(
    logged: Database, tmp_path: Path, content: str, expected: str
) -> None:
    saved = tmp_path / "checkpoint.json"
    saved.write_text(content, encoding="utf-8")

    result = audit(logged, "verify", "--checkpoint", str(saved))

    assert result.exit_code == 2
    assert result.output.startswith(f"错误：--checkpoint: 文件 {saved} 不是检查点：")
    assert expected in result.output
