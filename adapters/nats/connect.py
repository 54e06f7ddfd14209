"""Connecting to the bus: fail within seconds, naming the setting to fix, when the server cannot
be reached or refuses the user; once connected, ride out server restarts for as long as the
process runs.

    BusError                  the bus cannot be used; the message says what to check
    ├── BusUnreachableError   no server answers at SSJ_NATS_URL
    └── BusLoginError         the server refused SSJ_NATS_USER / SSJ_NATS_PASSWORD
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from nats import errors
from nats.aio.client import DEFAULT_INBOX_PREFIX, Client

from adapters.nats import server_config
from adapters.settings import Settings

log = logging.getLogger(__name__)

ErrorCallback = Callable[[Exception], Awaitable[None]]

CONNECT_TIMEOUT = 2
CONNECT_ATTEMPTS = 2
"""Per server, at start-up: a server that is down now is reported, not waited for."""


class BusError(Exception):
    """The bus cannot be used as asked; the message names the setting or step to check."""


class BusUnreachableError(BusError):
    pass


class BusLoginError(BusError):
    pass


def shown(url: str) -> str:
    """A server address fit for a message: without the password it may carry."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


async def _log_error(error: Exception) -> None:
    # Permission violations arrive here, not as exceptions of the call that caused them.
    log.warning("NATS: %s", error)


async def connect(
    url: str,
    user: str | None = None,
    password: str | None = None,
    inbox_prefix: str | None = None,
    name: str = "ssj",
    error_cb: ErrorCallback | None = None,
) -> Client:
    """`url` may list several servers of a cluster, separated by commas."""
    servers = [u.strip() for u in url.split(",") if u.strip()]
    if not servers:
        raise BusUnreachableError(
            "SSJ_NATS_URL: 未设置 NATS 服务器地址（如 nats://127.0.0.1:4222）"
        )
    failures: list[Exception] = []
    connected = False
    report = error_cb or _log_error

    async def on_error(error: Exception) -> None:
        if connected:
            await report(error)
        elif _refused_login(error):
            raise _LoginRefused  # the same password would only be refused again
        else:
            failures.append(error)  # summed up in the exception raised if no attempt succeeds

    nc = Client()
    try:
        await nc.connect(
            servers=servers,
            user=user,
            password=password,
            name=name,
            inbox_prefix=inbox_prefix or DEFAULT_INBOX_PREFIX,
            connect_timeout=CONNECT_TIMEOUT,
            max_reconnect_attempts=CONNECT_ATTEMPTS - 1,
            reconnect_time_wait=1,
            error_cb=on_error,
        )
    except _LoginRefused:
        await nc.close()
        who = user or urlsplit(servers[0]).username or "（未设置）"
        raise BusLoginError(
            f"NATS 服务器 {shown(url)} 拒绝登录：用户 {who}，"
            "请检查 SSJ_NATS_USER 与 SSJ_NATS_PASSWORD"
        ) from None
    except (errors.Error, OSError, TimeoutError) as error:
        await nc.close()
        why = failures[-1] if failures else error
        raise BusUnreachableError(
            f"无法连接 NATS 服务器 {shown(url)}（SSJ_NATS_URL）：{str(why) or type(why).__name__}"
        ) from None
    # From here on a lost server is waited for: a worker must outlive a restart of NATS.
    nc.options["max_reconnect_attempts"] = -1
    connected = True
    return nc


class _LoginRefused(Exception):
    pass


def _refused_login(error: Exception) -> bool:
    # The server's "-ERR 'Authorization Violation'" reaches the callback as a plain nats Error.
    return (
        isinstance(error, errors.AuthorizationError)
        or "authorization violation" in str(error).lower()
    )


def user_inbox(user: str | None) -> str | None:
    """Department users may receive only under their own inbox prefix (deploy/nats/ssj.conf)."""
    return None if user in (None, server_config.SERVICE_USER) else server_config.inbox_prefix(user)


async def connect_with(
    settings: Settings,
    name: str,
    department: str | None = None,
    *,
    error_cb: ErrorCallback | None = None,
) -> Client:
    """Connect as SSJ_NATS_USER; with `department`, refuse early to act for another one."""
    if not settings.nats_url:
        raise BusUnreachableError(
            "SSJ_NATS_URL: 未设置 NATS 服务器地址（如 nats://127.0.0.1:4222）"
        )
    user = settings.nats_user
    if department is not None and user not in (None, server_config.SERVICE_USER, department):
        raise BusLoginError(
            f"SSJ_NATS_USER: 用户 {user} 不能代 {department} 收发"
            f"（部门的 NATS 用户名即部门代码，应为 {department}）"
        )
    return await connect(
        settings.nats_url,
        user=user,
        password=settings.nats_password,
        inbox_prefix=user_inbox(user),
        name=name,
        error_cb=error_cb,
    )
