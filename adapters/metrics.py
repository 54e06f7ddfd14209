"""Every Prometheus metric of the service, defined once, on the process's default registry.

`ssj serve` and `ssj worker` each expose what their process counted on `GET /metrics`
(adapters/http/health.py). Defined here at import, once per process: prometheus-client refuses a
second registration of a name, and tests build many apps in one process.

| metric                      | kind      | labels                 | what                                      |
| --------------------------- | --------- | ---------------------- | ----------------------------------------- |
| ssj_http_requests_total     | counter   | method, route, status  | answers given, by route template          |
| ssj_http_request_seconds    | histogram | method, route          | time to answer, by route template         |
| ssj_command_seconds         | histogram | command, front         | time to apply a command (front http, bus) |
| ssj_store_unavailable_total | counter   |                        | requests answered 503 store_unavailable   |
| ssj_relay_leader            | gauge     |                        | 1 while this worker's relay holds the lock|
| ssj_relay_lag_events        | gauge     |                        | log head minus the relay's position       |
| ssj_relay_lag_seconds       | gauge     |                        | age of the oldest unrelayed event (below) |
| ssj_relay_published_total   | counter   |                        | events relayed (acked by the server)      |
| ssj_intake_queue            | gauge     |                        | commands waiting in the intake consumer   |
| ssj_deadline_checks_total   | counter   |                        | deadline watch rounds run                 |
| ssj_overdue_total           | counter   | kind                   | deadlines found passed (confirmation, …)  |

The route is the template (`/api/v1/tasks/{task_id}/draw`), never the path a client sent: one
series per route, however many tasks there are; an address no route knows counts as `unmatched`.

Relay lag in seconds: the log's events carry the time their command says (`at`, which may be
days in the past), not when they were stored, so that time says nothing about the relay. The
worker samples the log's head and the relay's position every second (adapters/nats/worker.py)
and notes when it first saw each head; the lag is how long ago it first saw the oldest event
still unrelayed (0 when the relay is caught up), to within one sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from adapters.bootstrap import Service
    from services.processes import Overdue

LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: the inbox's 100 ms target and the relay's 1 s fall on bucket edges."""

HTTP_REQUESTS = Counter(
    "ssj_http_requests_total", "HTTP answers, by route template", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "ssj_http_request_seconds",
    "HTTP answer time, by route template",
    ["method", "route"],
    buckets=LATENCY,
)
COMMAND_SECONDS = Histogram(
    "ssj_command_seconds", "Time to apply a command", ["command", "front"], buckets=LATENCY
)
STORE_UNAVAILABLE = Counter(
    "ssj_store_unavailable_total", "Requests answered 503 store_unavailable"
)
RELAY_LEADER = Gauge("ssj_relay_leader", "1 while this process's relay holds the relay lock")
RELAY_LAG_EVENTS = Gauge("ssj_relay_lag_events", "Events stored and not yet relayed")
RELAY_LAG_SECONDS = Gauge(
    "ssj_relay_lag_seconds", "Seconds since the oldest unrelayed event was first seen stored"
)
RELAY_PUBLISHED = Counter("ssj_relay_published_total", "Events relayed (acked by JetStream)")
INTAKE_QUEUE = Gauge(
    "ssj_intake_queue", "Commands waiting in the intake consumer (pending and unacked)"
)
DEADLINE_CHECKS = Counter("ssj_deadline_checks_total", "Deadline watch rounds run")
OVERDUE = Counter("ssj_overdue_total", "Deadlines found passed", ["kind"])

UNMATCHED = "unmatched"
"""The route of a request no route took: an address nobody serves, or a public page answered
from the public cache (adapters/http/public_cache.py) before any route is looked up."""


def exposition() -> tuple[bytes, str]:
    """The registry as Prometheus text, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def count_deadlines(service: Service, found: Sequence[Overdue]) -> None:
    """One round of the deadline watch, and what it appended, by kind (ConfirmationOverdue:
    `confirmation`, ResultOverdue: `result`). The watch says only how many events each task got:
    they are the task's last ones, read back (a passed deadline is rare, so is the read)."""
    DEADLINE_CHECKS.inc()
    for overdue in found:
        try:
            events = service.tasks.repository.event_store.get(
                overdue.task_id, desc=True, limit=overdue.appended
            )
            kinds = [_kind(type(event).__name__) for event in events]
        except Exception:  # the store went away since: counted, its kind unknown
            kinds = ["unknown"] * overdue.appended
        for kind in kinds:
            OVERDUE.labels(kind).inc()


def _kind(event: str) -> str:
    return event.removesuffix("Overdue").lower() or event.lower()
