"""The key that signs the session cookies: `SSJ_SESSION_SECRET`, else one generated once.

A generated key is kept in a file only the service's user may read (mode 0600) beside the SQLite
store (or in the data directory when the store is PostgreSQL), so a restart keeps everyone signed
in. Several processes serving one PostgreSQL store must share the key: set SSJ_SESSION_SECRET.
An in-memory service (tests) gets a fresh key that dies with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from adapters.settings import Settings

FILE_NAME = "session-secret"


def session_secret(settings: Settings, memory: bool) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if memory:
        return secrets.token_urlsafe(48)
    return kept_secret(settings.db.with_name(f"{settings.db.name}.{FILE_NAME}"))


def kept_secret(path: Path) -> str:
    """The key in `path`, made there first if there is none (two processes starting at once
    both end up with the one that was written first)."""
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: a reader never sees a half-written key, and of two
    # processes starting at once the second link fails and both read the first one's key.
    aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path}: 会话密钥文件内容无效（应为至少 32 个字符），请删除后重启")
    return key
