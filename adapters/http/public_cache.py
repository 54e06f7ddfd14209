"""What the public reads, kept for a moment: the 公示 pages and the register's answers are the same
for every visitor who carries no credentials, and when results are published many ask the same
page at once. Each answer is kept for `public_cache_seconds` (2 s by default), and dropped as soon
as a command is settled in this process (a publication made here shows at once); what another
process wrote (a worker beside PostgreSQL) shows at most that much later.

Only answers that cannot differ between visitors are kept: GET requests without a session
cookie, an API key or an Authorization header, on the public paths, answered 200 without setting
a cookie. A kept answer is given with its own headers (its request id dropped: the request that
made it is not this one), the security headers still added outside. When an entry's time is up,
one request makes it anew while the others are given the one before, a moment longer. The key is the whole path
with its query string, so a search for another enterprise is its own entry; entries are few and
short-lived (at most `MAX_ENTRIES`, the oldest dropped first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http import commands
from adapters.http.auth import SESSION_COOKIE

PUBLIC_PATHS = ("/public", "/api/v1/register", "/api/v1/draws")
MAX_ENTRIES = 10_000
CREDENTIALS = (b"authorization", b"x-api-key")


@dataclass(frozen=True)
class Kept:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    until: float
    generation: int
    """The commands settled in this process when it was made: a later one makes it stale."""


class PublicCache:
    def __init__(
        self, app: ASGIApp, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.clock = clock
        self.kept: OrderedDict[str, Kept] = OrderedDict()
        self.renewing: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        now = self.clock()
        kept = self.kept.get(key)
        # Past its time, an entry is still given while one request makes it anew: visitors
        # arriving together do not all make the same answer at once.
        if (
            kept is not None
            and kept.generation == commands.changes()
            and (kept.until > now or key in self.renewing)
        ):
            await send(
                {"type": "http.response.start", "status": kept.status, "headers": kept.headers}
            )
            await send({"type": "http.response.body", "body": kept.body})
            return
        self.renewing.add(key)
        try:
            await self._answer_and_keep(key, now, scope, receive, send)
        finally:
            self.renewing.discard(key)

    def _key(self, scope: Scope) -> str | None:
        if self.seconds <= 0 or scope["type"] != "http" or scope.get("method") != "GET":
            return None
        path = str(scope.get("path", ""))
        if not path.startswith(PUBLIC_PATHS):
            return None
        for name, value in scope.get("headers", ()):
            if name in CREDENTIALS or (name == b"cookie" and SESSION_COOKIE.encode() in value):
                return None
        query = scope.get("query_string", b"").decode("latin-1")
        return f"{path}?{query}"

    async def _answer_and_keep(
        self, key: str, now: float, scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        body: list[bytes] = []
        keep = True
        generation = commands.changes()  # read before the answer is made from the store

        async def watched(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                headers = message.get("headers", [])
                if message["status"] != 200 or any(n == b"set-cookie" for n, _ in headers):
                    keep = False
            elif message["type"] == "http.response.body" and keep:
                body.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self._keep(key, now, generation, start, b"".join(body))
            await send(message)

        await self.app(scope, receive, watched)

    def _keep(self, key: str, now: float, generation: int, start: Message, body: bytes) -> None:
        headers = [(n, v) for n, v in start.get("headers", []) if n.lower() != b"x-request-id"]
        self.kept[key] = Kept(start["status"], headers, body, now + self.seconds, generation)
        self.kept.move_to_end(key)
        while len(self.kept) > MAX_ENTRIES:
            self.kept.popitem(last=False)
