"""The bus tests' NATS server and composition root on PostgreSQL, for the worker's probes."""

from tests.bus.conftest import nats_url, own_nats, service

__all__ = ["nats_url", "own_nats", "service"]
