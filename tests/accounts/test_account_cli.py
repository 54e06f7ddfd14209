"""`ssj user …` and `ssj key …` as whoever runs the service uses them, on a SQLite file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from adapters.bootstrap import bootstrap, load_settings
from adapters.cli.main import app
from tests.accounts.conftest import NOW, PASSWORD


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ssj.db"


def ssj(db: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["--db", str(db), *args], input=stdin)


def signed_in_name(db: Path, username: str, password: str) -> str:
    service = bootstrap(load_settings(db=db))
    try:
        return service.accounts.sign_in(username, password, at=service.clock.now()).name
    finally:
        service.close()


def test_a_user_added_with_a_password_from_stdin_can_sign_in(db: Path) -> None:
    added = ssj(
        db,
        *("user", "add", "zhang.san", "--kind", "department", "--dept", "消防救援大队"),
        *("--name", "张三", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "已新建用户 zhang.san（消防救援大队 部门工作人员）" in added.output
    assert PASSWORD not in added.output
    assert signed_in_name(db, "zhang.san", PASSWORD) == "zhang.san"


def test_a_password_typed_twice_at_the_hidden_prompt(db: Path) -> None:
    added = ssj(db, "user", "add", "office", "--kind", "office", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output  # hidden
    assert signed_in_name(db, "office", PASSWORD) == "office"


def test_two_different_passwords_at_the_prompt_add_no_one(db: Path) -> None:
    added = ssj(db, "user", "add", "office", "--kind", "office", stdin=f"{PASSWORD}\nother one!!\n")
    assert added.exit_code == 2
    assert "两次输入的密码不一致" in added.output
    assert "尚无用户账号" in ssj(db, "user", "list").output


def test_the_password_is_never_an_argument(db: Path) -> None:
    refused = ssj(db, "user", "add", "office", "--kind", "office", "--password", PASSWORD)
    assert refused.exit_code != 0
    assert "尚无用户账号" in ssj(db, "user", "list").output


def test_a_bad_account_is_refused_in_one_line_naming_the_field(db: Path) -> None:
    refused = ssj(
        db,
        *("user", "add", "li.si", "--kind", "inspector", "--dept", "fire", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert refused.exit_code == 2
    assert refused.output.startswith("错误：inspector: 应为执法检查人员编号")
    assert len(refused.output.strip().splitlines()) == 1
    short = ssj(db, "user", "add", "li.si", "--kind", "office", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "password: 应为至少 10 个字符的密码" in short.output


def test_the_user_list_shows_who_and_state_but_no_hash(db: Path) -> None:
    ssj(
        db,
        *("user", "add", "li.si", "--kind", "inspector", "--dept", "fire", "--inspector", "F-007"),
        *("--name", "李四", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    listed = ssj(db, "user", "list")
    assert listed.exit_code == 0
    assert "li.si\t李四\t消防救援大队 执法检查人员 F-007" in listed.output
    assert "启用" in listed.output
    assert "argon2" not in listed.output and PASSWORD not in listed.output


def test_a_disabled_user_is_listed_as_such_and_cannot_sign_in(db: Path) -> None:
    ssj(db, "user", "add", "office", "--kind", "office", "--password-stdin", stdin=PASSWORD + "\n")
    disabled = ssj(db, "user", "disable", "office")
    assert disabled.exit_code == 0 and "已停用用户 office" in disabled.output
    assert "已停用（" in ssj(db, "user", "list").output
    service = bootstrap(load_settings(db=db))
    try:
        assert service.accounts.principal_of_user("office") is None
    finally:
        service.close()
    unknown = ssj(db, "user", "disable", "nobody")
    assert unknown.exit_code == 2 and "nobody" in unknown.output


def test_a_key_is_shown_once_and_then_only_listed_without_its_secret(db: Path) -> None:
    created = ssj(db, "key", "create", "--dept", "fire", "--role", "lead", "--label", "消防 OA")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    matched = re.fullmatch(r"ssj_([0-9a-f]{8})_\S+", token)
    assert matched is not None
    assert "不会再次显示" in created.stderr
    key_id = matched.group(1)
    service = bootstrap(load_settings(db=db))
    try:
        principal = service.accounts.authenticate_key(token, at=NOW)
    finally:
        service.close()
    assert principal.name == f"key:{key_id}" and principal.department == "fire"
    listed = ssj(db, "key", "list")
    assert f"{key_id}\t消防救援大队，发起部门\t消防 OA" in listed.output
    assert "有效" in listed.output
    assert token.split("_", 2)[2] not in listed.output


def test_a_revoked_key_is_refused_and_listed_as_revoked(db: Path) -> None:
    token = ssj(db, "key", "create", "--dept", "police", "--role", "cooperating").stdout.strip()
    key_id = token.split("_")[1]
    revoked = ssj(db, "key", "revoke", key_id)
    assert revoked.exit_code == 0 and f"已吊销 API 密钥 {key_id}" in revoked.output
    assert "已吊销（" in ssj(db, "key", "list").output
    service = bootstrap(load_settings(db=db))
    try:
        from services.accounts import InvalidKeyError

        with pytest.raises(InvalidKeyError):
            service.accounts.authenticate_key(token, at=NOW)
    finally:
        service.close()
    assert ssj(db, "key", "revoke", "00000000").exit_code == 2


def test_a_key_for_an_inspector_office_or_auditor_is_refused(db: Path) -> None:
    refused = ssj(db, "key", "create", "--dept", "fire", "--role", "inspector")
    assert refused.exit_code == 2
    assert "role: 应为lead（发起部门）或 cooperating（配合部门）" in refused.output
    assert "尚无 API 密钥" in ssj(db, "key", "list").output
