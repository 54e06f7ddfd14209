"""Who may sign in to the HTTP front, and with what: staff accounts (user name + password) and a
department's API keys. Each request then acts as the actor its principal gives (services/actors.py),
and the one permission policy (services/permissions.py) decides what that actor may do.

Why it is built this way (DESIGN.md, Security):

- a password is stored only as its hash (argon2, adapters/accounts/hashing.py), and an unknown
  user name costs the same hashing as a wrong password and gives the same answer, so that trying
  names tells nothing about which exist;
- failures are counted per user name (known or not, for the same reason): each failure slows the
  next answer down (`SignInFailedError.delay`, which the HTTP layer waits), and five in a row lock
  the name for fifteen minutes, even for the right password; a success starts the count again;
- an API key is shown once, `ssj_<key_id>_<secret>`, and only the SHA-256 of its secret is kept: a
  key is random enough that a slow hash adds nothing, and every API request checks one. It speaks
  for one department in one role (lead or cooperating) and can be revoked at once.

Errors (each with `field` and `code`, for the HTTP layer's one mapping):

    ServiceError
    ├── SignInFailedError     wrong user name or password (delay: seconds to wait before answering)
    ├── AccountLockedError    too many failures in a row (until: when it opens again)
    ├── AccountDisabledError  the account was disabled (`ssj user disable`)
    ├── InvalidKeyError       the API key is malformed, unknown or revoked
    ├── UserExistsError       (an AlreadyExistsError) the user name is taken
    └── NotFoundError         no such user or key (services/errors.py)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.errors import InvalidValueError, shown
from domain.values import department_code, moment
from services.actors import Actor, Role
from services.errors import AlreadyExistsError, NotFoundError, ServiceError

MAX_FAILURES = 5
"""Failures in a row that lock a user name."""
LOCK_MINUTES = 15
FIRST_DELAY = 0.25
"""Seconds the first failure waits; each further failure doubles it, up to `MAX_DELAY`."""
MAX_DELAY = 4.0
MIN_PASSWORD = 10
KEY_TOUCH_INTERVAL = timedelta(minutes=1)
"""A key's last use is written at most this often, so the hot path does not write every request."""
KEY_ROLES = frozenset({Role.LEAD, Role.COOPERATING})
"""The roles an API key may carry: a department's own system acting as lead or cooperating."""

_USERNAME = re.compile(r"[a-z0-9_.-]{3,32}")
_TOKEN = re.compile(r"ssj_([0-9a-f]{8})_([A-Za-z0-9_-]{20,128})")
_DUMMY_PASSWORD = "ssj-dummy-password-for-unknown-users"


class AccountKind(StrEnum):
    DEPARTMENT = "department"
    INSPECTOR = "inspector"
    OFFICE = "office"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    AccountKind.DEPARTMENT: "部门工作人员",
    AccountKind.INSPECTOR: "执法检查人员",
    AccountKind.OFFICE: "双随机办",
    AccountKind.AUDITOR: "审计",
}


# ---------------------------------------------------------------------- errors
class SignInFailedError(ServiceError):
    """The same answer for an unknown user name and a wrong password."""

    field = "password"
    code = "sign_in_failed"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        super().__init__("password: 用户名或密码错误")


class AccountLockedError(ServiceError):
    field = "username"
    code = "account_locked"

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"username: 连续 {MAX_FAILURES} 次登录失败，账号已暂时锁定，请于 {shown(until)} 后再试"
        )


class AccountDisabledError(ServiceError):
    field = "username"
    code = "account_disabled"

    def __init__(self) -> None:
        super().__init__("username: 该账号已停用，请联系系统管理员")


class InvalidKeyError(ServiceError):
    field = "api_key"
    code = "invalid_key"

    def __init__(self) -> None:
        super().__init__("api_key: API 密钥无效或已吊销")


class UserExistsError(AlreadyExistsError):
    field = "username"
    code = "user_exists"

    def __init__(self, username: str) -> None:
        super().__init__("username", f"用户名 {username}")


# ---------------------------------------------------------------------- what callers see
@dataclass(frozen=True)
class Principal:
    """Who a request comes from, once authenticated."""

    name: str
    """The user name, or `key:<key_id>` for an API key."""
    kind: str
    """`user` or `key`."""
    roles: frozenset[Role]
    department: str | None
    inspector: str | None
    display_name: str

    def actor(self, role_in_task: Role | None = None) -> Actor:
        """The actor this principal acts as. A department's staff act as the task makes them
        (lead of the tasks it leads, cooperating for the others), as the CLI's `--dept` does; any
        other role asked for gives its own role, which the policy then refuses where it must."""
        if Role.INSPECTOR in self.roles:
            return Actor(Role.INSPECTOR, self.department, self.inspector)
        if self.department is None:
            (role,) = self.roles
            return Actor(role)
        if role_in_task in self.roles:
            return Actor(role_in_task, self.department)
        role = Role.LEAD if Role.LEAD in self.roles else next(iter(self.roles))
        return Actor(role, self.department)


@dataclass(frozen=True)
class UserInfo:
    username: str
    kind: AccountKind
    department: str | None
    inspector: str | None
    display_name: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    department: str
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


# ---------------------------------------------------------------------- ports
@dataclass(frozen=True)
class UserRow:
    username: str
    kind: str
    department: str | None
    inspector: str | None
    display_name: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class FailureRow:
    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    secret_sha256: str
    department: str
    role: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class AccountStore(Protocol):
    """Where accounts, failures and keys are kept: plain rows in and out, each change one atomic
    statement (many threads and processes sign in at once)."""

    def insert_user(self, row: UserRow) -> bool:
        """False when the user name is taken."""
        ...

    def user(self, username: str) -> UserRow | None: ...

    def users(self) -> list[UserRow]: ...

    def disable_user(self, username: str, at: datetime) -> bool:
        """False when there is no such user."""
        ...

    def failures(self, username: str) -> FailureRow | None: ...

    def add_failure(self, username: str) -> int:
        """Count one more failure for the name (known or not); the count after it."""
        ...

    def lock(self, username: str, until: datetime) -> None:
        """Lock the name until then, the count starting again from nothing."""
        ...

    def clear_failures(self, username: str) -> None: ...

    def insert_key(self, row: KeyRow) -> bool:
        """False when the key id is taken."""
        ...

    def key(self, key_id: str) -> KeyRow | None: ...

    def api_keys(self) -> list[KeyRow]: ...

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        """False when there is no such key; a key revoked before keeps its first moment."""
        ...

    def touch_key(self, key_id: str, at: datetime) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password: str, password_hash: str) -> bool: ...


# ---------------------------------------------------------------------- the service
def failure_delay(failures: int) -> float:
    """Seconds to wait before answering the `failures`-th failure in a row."""
    return min(FIRST_DELAY * 2.0 ** max(failures - 1, 0), MAX_DELAY)


def key_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts:
    def __init__(self, store: AccountStore, hasher: PasswordHasher) -> None:
        self.store = store
        self.hasher = hasher
        self._dummy_hash: str | None = None

    # ------------------------------------------------------------------ users
    def add_user(
        self,
        username: str,
        password: str,
        kind: AccountKind | str,
        department: str | None = None,
        inspector: str | None = None,
        display_name: str = "",
        *,
        at: datetime,
    ) -> UserInfo:
        username = _username(username)
        kind = _kind(kind)
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            # Never echo the password, not even a wrong one.
            raise InvalidValueError("password", f"至少 {MIN_PASSWORD} 个字符的密码")
        department, inspector = _account_scope(kind, department, inspector)
        row = UserRow(
            username=username,
            kind=kind.value,
            department=department,
            inspector=inspector,
            display_name=(display_name or "").strip() or username,
            password_hash=self.hasher.hash(password),
            created_at=moment(at),
        )
        if not self.store.insert_user(row):
            raise UserExistsError(username)
        return _user_info(row)

    def users(self) -> list[UserInfo]:
        return [_user_info(row) for row in self.store.users()]

    def disable_user(self, username: str, *, at: datetime) -> None:
        if not self.store.disable_user(username, moment(at)):
            raise NotFoundError("username", username)

    def sign_in(self, username: str, password: str, *, at: datetime) -> Principal:
        at = moment(at)
        # Counted under the name as typed (bounded: no user name is longer), known or not.
        name = username.strip().lower()[:64] if isinstance(username, str) else ""
        counted = self.store.failures(name)
        if counted is not None and counted.locked_until is not None and at < counted.locked_until:
            raise AccountLockedError(counted.locked_until)
        row = self.store.user(name) if _USERNAME.fullmatch(name) else None
        # An unknown name costs one verification too, against a hash of nothing anyone knows.
        right = self.hasher.verify(
            password if isinstance(password, str) else "",
            row.password_hash if row is not None else self._dummy(),
        )
        if row is None or not right:
            failures = self.store.add_failure(name)
            if failures >= MAX_FAILURES:
                until = at + timedelta(minutes=LOCK_MINUTES)
                self.store.lock(name, until)
                raise AccountLockedError(until)
            raise SignInFailedError(failure_delay(failures))
        if counted is not None:
            self.store.clear_failures(name)
        if row.disabled_at is not None:
            raise AccountDisabledError()
        return _user_principal(row)

    def principal_of_user(self, username: str) -> Principal | None:
        """The principal a session names, read again on each request: a user disabled or gone
        since signing in is signed out at once."""
        row = self.store.user(username)
        if row is None or row.disabled_at is not None:
            return None
        return _user_principal(row)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD + secrets.token_hex(8))
        return self._dummy_hash

    # ------------------------------------------------------------------ API keys
    def create_key(
        self, department: str, role: Role | str, label: str = "", *, at: datetime
    ) -> tuple[KeyInfo, str]:
        """The key, and its token: shown this once, never stored."""
        department = department_code(department)
        role = _key_role(role)
        at = moment(at)
        while True:
            key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
            row = KeyRow(
                key_id=key_id,
                secret_sha256=key_secret_digest(secret),
                department=department,
                role=role.value,
                label=(label or "").strip(),
                created_at=at,
            )
            if self.store.insert_key(row):  # 2^32 ids: a clash is rare, and simply drawn again
                return _key_info(row), f"ssj_{key_id}_{secret}"

    def keys(self) -> list[KeyInfo]:
        return [_key_info(row) for row in self.store.api_keys()]

    def revoke_key(self, key_id: str, *, at: datetime) -> None:
        if not self.store.revoke_key(key_id, moment(at)):
            raise NotFoundError("key_id", key_id)

    def authenticate_key(self, token: str, *, at: datetime) -> Principal:
        at = moment(at)
        matched = _TOKEN.fullmatch(token.strip()) if isinstance(token, str) else None
        if matched is None:
            raise InvalidKeyError()
        key_id, secret = matched.groups()
        row = self.store.key(key_id)
        digest = key_secret_digest(secret)
        if row is None or not hmac.compare_digest(digest, row.secret_sha256):
            raise InvalidKeyError()
        if row.revoked_at is not None:
            raise InvalidKeyError()
        if row.last_used_at is None or at - row.last_used_at >= KEY_TOUCH_INTERVAL:
            self.store.touch_key(key_id, at)
        return _key_principal(row)


# ---------------------------------------------------------------------- checks and conversions
def _username(value: str) -> str:
    if not isinstance(value, str) or not _USERNAME.fullmatch(value):
        raise InvalidValueError(
            "username", "3–32 个字符的用户名，仅含小写字母、数字和 _ . -", value
        )
    return value


def _kind(value: AccountKind | str) -> AccountKind:
    try:
        return AccountKind(value)
    except ValueError:
        choices = "、".join(f"{k.value}（{k.label}）" for k in AccountKind)
        raise InvalidValueError("kind", f"以下账号类型之一：{choices}", value) from None


def _account_scope(
    kind: AccountKind, department: str | None, inspector: str | None
) -> tuple[str | None, str | None]:
    if kind in (AccountKind.DEPARTMENT, AccountKind.INSPECTOR):
        if not department:
            raise InvalidValueError("department", f"{kind.label}账号所属部门的代码", department)
        department = department_code(department)
    elif department:
        raise InvalidValueError("department", f"不填（{kind.label}账号不代表某一部门）", department)
    else:
        department = None
    if kind is AccountKind.INSPECTOR:
        if not inspector or not inspector.strip():
            raise InvalidValueError("inspector", "执法检查人员编号（名录库中的编号）", inspector)
        inspector = inspector.strip()
    elif inspector:
        raise InvalidValueError("inspector", "不填（仅执法检查人员账号）", inspector)
    else:
        inspector = None
    return department, inspector


def _key_role(value: Role | str) -> Role:
    role = value if isinstance(value, Role) else Role.parse(value)
    if role not in KEY_ROLES:
        raise InvalidValueError(
            "role",
            "lead（发起部门）或 cooperating（配合部门）：API 密钥只代表部门自己的系统，"
            "执法检查人员、双随机办、审计请使用个人账号登录",
            str(value),
        )
    return role


def _user_info(row: UserRow) -> UserInfo:
    return UserInfo(
        username=row.username,
        kind=AccountKind(row.kind),
        department=row.department,
        inspector=row.inspector,
        display_name=row.display_name,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


_KIND_ROLES = {
    AccountKind.DEPARTMENT: frozenset({Role.LEAD, Role.COOPERATING}),
    AccountKind.INSPECTOR: frozenset({Role.INSPECTOR}),
    AccountKind.OFFICE: frozenset({Role.OFFICE}),
    AccountKind.AUDITOR: frozenset({Role.AUDITOR}),
}


def _user_principal(row: UserRow) -> Principal:
    return Principal(
        name=row.username,
        kind="user",
        roles=_KIND_ROLES[AccountKind(row.kind)],
        department=row.department,
        inspector=row.inspector,
        display_name=row.display_name,
    )


def _key_info(row: KeyRow) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        department=row.department,
        role=Role(row.role),
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def _key_principal(row: KeyRow) -> Principal:
    return Principal(
        name=f"key:{row.key_id}",
        kind="key",
        roles=frozenset({Role(row.role)}),
        department=row.department,
        inspector=None,
        display_name=row.label or f"API 密钥 {row.key_id}",
    )
