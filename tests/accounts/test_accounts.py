"""Sign-in, lockout and API keys, as staff and a department's systems meet them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidValueError
from services.accounts import (
    LOCK_MINUTES,
    MAX_FAILURES,
    AccountDisabledError,
    AccountKind,
    AccountLockedError,
    Accounts,
    InvalidKeyError,
    SignInFailedError,
    UserExistsError,
)
from services.actors import Actor, Role
from services.errors import NotFoundError
from tests.accounts.conftest import NOW, PASSWORD


def add_fire_staff(accounts: Accounts, username: str = "zhang.san") -> None:
    accounts.add_user(
        username, PASSWORD, AccountKind.DEPARTMENT, "fire", display_name="张三", at=NOW
    )


def failed_delay(accounts: Accounts, username: str, password: str = "wrong password!") -> float:
    with pytest.raises(SignInFailedError) as failed:
        accounts.sign_in(username, password, at=NOW)
    return failed.value.delay


# ---------------------------------------------------------------------- users
def test_a_department_user_signs_in_as_lead_or_cooperating_as_the_task_makes_it(
    accounts: Accounts,
) -> None:
    add_fire_staff(accounts)
    principal = accounts.sign_in("zhang.san", PASSWORD, at=NOW)
    assert principal.name == "zhang.san"
    assert principal.kind == "user"
    assert principal.roles == {Role.LEAD, Role.COOPERATING}
    assert principal.display_name == "张三"
    assert principal.actor(Role.COOPERATING) == Actor.cooperating("fire")
    assert principal.actor(Role.LEAD) == Actor.lead("fire")
    assert principal.actor(None) == Actor.lead("fire")
    assert principal.actor(Role.OFFICE) == Actor.lead("fire")  # never more than its own roles


def test_office_auditor_and_inspector_act_as_themselves_whatever_the_task(
    accounts: Accounts,
) -> None:
    accounts.add_user("office", PASSWORD, "office", at=NOW)
    accounts.add_user("audit", PASSWORD, "auditor", at=NOW)
    accounts.add_user("li.si", PASSWORD, "inspector", "fire", "F-007", at=NOW)
    assert accounts.sign_in("office", PASSWORD, at=NOW).actor(Role.LEAD) == Actor.office()
    assert accounts.sign_in("audit", PASSWORD, at=NOW).actor() == Actor.auditor()
    inspector = accounts.sign_in("li.si", PASSWORD, at=NOW)
    assert inspector.actor(Role.LEAD) == Actor.of_inspector("fire", "F-007")


@pytest.mark.parametrize(
    ("username", "password", "kind", "department", "inspector", "field"),
    [
        ("ab", PASSWORD, "office", None, None, "username"),
        ("Zhang", PASSWORD, "office", None, None, "username"),
        ("x" * 33, PASSWORD, "office", None, None, "username"),
        ("zhang san", PASSWORD, "office", None, None, "username"),
        ("zhang", "short pw", "office", None, None, "password"),
        ("zhang", PASSWORD, "admin", None, None, "kind"),
        ("zhang", PASSWORD, "department", None, None, "department"),
        ("zhang", PASSWORD, "department", "Fire Dept", None, "department"),
        ("zhang", PASSWORD, "inspector", "fire", None, "inspector"),
        ("zhang", PASSWORD, "office", "fire", None, "department"),
        ("zhang", PASSWORD, "department", "fire", "F-1", "inspector"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    accounts: Accounts,
    username: str,
    password: str,
    kind: str,
    department: str | None,
    inspector: str | None,
    field: str,
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        accounts.add_user(username, password, kind, department, inspector, at=NOW)
    assert refused.value.field == field
    assert accounts.users() == []


def test_a_short_password_is_refused_in_chinese_without_echoing_it(accounts: Accounts) -> None:
    with pytest.raises(InvalidValueError) as refused:
        accounts.add_user("zhang", "secret-9", "office", at=NOW)
    assert "至少 10 个字符" in str(refused.value)
    assert "secret-9" not in str(refused.value)


def test_a_user_name_is_taken_once(accounts: Accounts) -> None:
    add_fire_staff(accounts)
    with pytest.raises(UserExistsError) as refused:
        accounts.add_user("zhang.san", PASSWORD, "office", at=NOW)
    assert (refused.value.field, refused.value.code) == ("username", "user_exists")


def test_the_list_of_users_holds_no_password_or_hash(accounts: Accounts) -> None:
    add_fire_staff(accounts)
    (user,) = accounts.users()
    assert (user.username, user.kind, user.department, user.disabled_at) == (
        "zhang.san",
        AccountKind.DEPARTMENT,
        "fire",
        None,
    )
    assert PASSWORD not in repr(user)
    assert "argon2" not in repr(user)


# ---------------------------------------------------------------------- failures
def test_each_failure_doubles_the_wait_then_the_fifth_locks(accounts: Accounts) -> None:
    add_fire_staff(accounts)
    delays = [failed_delay(accounts, "zhang.san") for _ in range(MAX_FAILURES - 1)]
    assert delays == [0.25, 0.5, 1.0, 2.0]
    with pytest.raises(AccountLockedError) as locked:
        accounts.sign_in("zhang.san", "wrong password!", at=NOW)
    assert locked.value.until == NOW + timedelta(minutes=LOCK_MINUTES)
    assert (locked.value.field, locked.value.code) == ("username", "account_locked")


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(
    accounts: Accounts,
) -> None:
    add_fire_staff(accounts)
    for _ in range(MAX_FAILURES - 1):
        failed_delay(accounts, "zhang.san")
    with pytest.raises(AccountLockedError):
        accounts.sign_in("zhang.san", "wrong password!", at=NOW)
    with pytest.raises(AccountLockedError):
        accounts.sign_in("zhang.san", PASSWORD, at=NOW + timedelta(minutes=LOCK_MINUTES - 1))
    later = NOW + timedelta(minutes=LOCK_MINUTES)
    assert accounts.sign_in("zhang.san", PASSWORD, at=later).name == "zhang.san"


def test_a_success_starts_the_count_again(accounts: Accounts) -> None:
    add_fire_staff(accounts)
    for _ in range(MAX_FAILURES - 1):
        failed_delay(accounts, "zhang.san")
    accounts.sign_in("zhang.san", PASSWORD, at=NOW)
    assert failed_delay(accounts, "zhang.san") == 0.25


def test_an_unknown_user_gets_the_same_answer_and_lock_as_a_wrong_password(
    accounts: Accounts,
) -> None:
    add_fire_staff(accounts)
    wrong = [failed_delay(accounts, "zhang.san") for _ in range(MAX_FAILURES - 1)]
    unknown = [failed_delay(accounts, "nobody") for _ in range(MAX_FAILURES - 1)]
    assert unknown == wrong
    add_fire_staff(accounts, "wang.wu")
    with pytest.raises(SignInFailedError) as wrong_password:
        accounts.sign_in("wang.wu", "wrong", at=NOW)
    with pytest.raises(SignInFailedError) as unknown_user:
        accounts.sign_in("ghost", "wrong", at=NOW)
    assert str(wrong_password.value) == str(unknown_user.value) == "password: 用户名或密码错误"
    with pytest.raises(AccountLockedError):
        accounts.sign_in("nobody", "wrong", at=NOW)


def test_an_unknown_user_costs_one_password_verification_like_a_known_one(
    accounts: Accounts,
) -> None:
    verified: list[str] = []
    hasher = accounts.hasher

    class Counting:
        def hash(self, password: str) -> str:
            return hasher.hash(password)

        def verify(self, password: str, password_hash: str) -> bool:
            verified.append(password_hash)
            return hasher.verify(password, password_hash)

    counted = Accounts(accounts.store, Counting())
    add_fire_staff(counted)
    for name in ("zhang.san", "nobody", "NOT A NAME"):
        failed_delay(counted, name)
    assert len(verified) == 3
    assert all(h.startswith("$argon2id$") for h in verified)


def test_a_disabled_user_can_no_longer_sign_in_and_is_signed_out(accounts: Accounts) -> None:
    add_fire_staff(accounts)
    assert accounts.principal_of_user("zhang.san") is not None
    accounts.disable_user("zhang.san", at=NOW)
    with pytest.raises(AccountDisabledError):
        accounts.sign_in("zhang.san", PASSWORD, at=NOW)
    assert accounts.principal_of_user("zhang.san") is None
    assert accounts.users()[0].disabled_at == NOW
    failed_delay(accounts, "zhang.san")  # a wrong password tells nothing of the account


def test_disabling_an_unknown_user_is_refused(accounts: Accounts) -> None:
    with pytest.raises(NotFoundError):
        accounts.disable_user("nobody", at=NOW)
    assert accounts.principal_of_user("nobody") is None


# ---------------------------------------------------------------------- API keys
def test_a_key_speaks_for_one_department_in_one_role(accounts: Accounts) -> None:
    info, token = accounts.create_key("fire", Role.COOPERATING, "消防 OA", at=NOW)
    assert token.startswith(f"ssj_{info.key_id}_")
    principal = accounts.authenticate_key(token, at=NOW)
    assert principal.name == f"key:{info.key_id}"
    assert principal.kind == "key"
    assert principal.roles == {Role.COOPERATING}
    assert principal.actor(Role.LEAD) == Actor.cooperating("fire")
    assert principal.display_name == "消防 OA"


def test_the_key_list_never_holds_the_token_or_its_secret(accounts: Accounts) -> None:
    info, token = accounts.create_key("fire", "lead", at=NOW)
    secret = token.split("_", 2)[2]
    (listed,) = accounts.keys()
    assert listed == info
    assert secret not in repr(listed)
    assert secret not in repr(accounts.store.api_keys())  # only its SHA-256 is kept


@pytest.mark.parametrize("role", ["inspector", "office", "auditor", "public"])
def test_a_key_is_for_lead_or_cooperating_only(accounts: Accounts, role: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        accounts.create_key("fire", role, at=NOW)
    assert refused.value.field == "role"
    assert "lead" in str(refused.value) and "cooperating" in str(refused.value)


def test_a_revoked_key_is_refused_at_once(accounts: Accounts) -> None:
    info, token = accounts.create_key("fire", "lead", at=NOW)
    accounts.revoke_key(info.key_id, at=NOW)
    with pytest.raises(InvalidKeyError):
        accounts.authenticate_key(token, at=NOW)
    assert accounts.keys()[0].revoked_at == NOW
    with pytest.raises(NotFoundError):
        accounts.revoke_key("00000000", at=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another secret
        lambda t: "ssj_00000000_" + t.split("_", 2)[2],  # another key id
        lambda t: t.replace("ssj_", "sk_"),
        lambda t: "",
        lambda t: "ssj_",
    ],
)
def test_a_bad_token_is_refused(accounts: Accounts, mangle: object) -> None:
    _, token = accounts.create_key("fire", "lead", at=NOW)
    assert callable(mangle)
    with pytest.raises(InvalidKeyError) as refused:
        accounts.authenticate_key(mangle(token), at=NOW)
    assert (refused.value.field, refused.value.code) == ("api_key", "invalid_key")


def test_a_keys_last_use_is_written_at_most_once_a_minute(accounts: Accounts) -> None:
    _, token = accounts.create_key("fire", "lead", at=NOW)
    accounts.authenticate_key(token, at=NOW)
    accounts.authenticate_key(token, at=NOW + timedelta(seconds=59))
    assert accounts.keys()[0].last_used_at == NOW
    accounts.authenticate_key(token, at=NOW + timedelta(seconds=60))
    assert accounts.keys()[0].last_used_at == NOW + timedelta(seconds=60)


def test_a_name_no_one_could_have_is_answered_alike_and_kept_short(accounts: Accounts) -> None:
    assert failed_delay(accounts, "x" * 10_000) == 0.25
    assert accounts.store.failures("x" * 64) is not None  # never the attacker's 10 000 characters
