"""Structured logs of the HTTP front and the worker: one JSON object per line on standard error.

What is logged is what an operator needs to see an attack or a fault: each request (method,
route, status, time: adapters/http/health.py), sign-ins (success, failure, lock), sign-outs, API
key use (the key's id only), refusals, and faults. Every line written while a request is being
answered carries its `request_id`, the X-Request-ID of its answer, so one grep finds all a
request did. Never a password, a token, a cookie or an API key's secret: `event` takes named
fields only, and the callers pass user names, key ids, paths and codes.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

LOGGER = "ssj.http"
log = logging.getLogger(LOGGER)

_FIELDS = "ssj_fields"

REQUEST_ID: ContextVar[str | None] = ContextVar("ssj_request_id", default=None)
"""The id of the request being answered in this context (set by health.Observed); the threads
a sync route runs in are given a copy of the context, so they see it too."""


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields (plain JSON values)."""
    log.log(level, name, extra={_FIELDS: fields})


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time (UTC), level, logger, event, the request's id, the event's
    fields, and the exception's trace (which stays in the server's log, never in an answer)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        line.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            line["trace"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


LOGGERS = (LOGGER, "adapters", "services", "uvicorn", "uvicorn.error", "uvicorn.access")
"""The front's, the worker's parts' (under their modules' names: adapters.nats.relay, …), the
services' warnings (a task's deadline that could not be judged), uvicorn's."""


def configure(level: int = logging.INFO, names: tuple[str, ...] = LOGGERS) -> None:
    """`ssj serve` and `ssj worker`: their events, and uvicorn's, as JSON lines on standard
    error."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
