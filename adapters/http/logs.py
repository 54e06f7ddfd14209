"""Structured logs of the HTTP front: one JSON object per line on logger `ssj.http`.

What is logged is what an operator needs to see an attack or a fault: sign-ins (success, failure,
lock), sign-outs, API key use (the key's id only), refusals, and faults with their request id.
Never a password, a token, a cookie or an API key's secret: `event` takes named fields only, and
the callers pass user names, key ids, paths and codes.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

LOGGER = "ssj.http"
log = logging.getLogger(LOGGER)

_FIELDS = "ssj_fields"


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields (plain JSON values)."""
    log.log(level, name, extra={_FIELDS: fields})


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time (UTC), level, logger, event, the event's fields, and the
    exception's type and message (the trace stays in the server's log, never in an answer)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            line["trace"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """`ssj serve`: the front's events, and uvicorn's, as JSON lines on standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in (LOGGER, "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
