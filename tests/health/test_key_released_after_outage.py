"""An Idempotency-Key whose request failed because the store went away is let go once the store
answers again, so the client's retry is applied (or answered as a replay), not refused as in use
for the ten minutes a dead request's key is otherwise held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from services.idempotency import Idempotency, IdempotencyKeyInUseError

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


class StoreAway(Exception):
    pass


class Outage:
    """The service's own idempotency store, whose writes fail while `down`."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)

        def call(*args: Any) -> Any:
            if self.down:
                raise StoreAway(name)
            return method(*args)

        return call


@pytest.fixture
def service() -> Iterator[Service]:
    service = bootstrap(load_settings(), memory=True)
    yield service
    service.close()


def test_a_key_held_when_the_store_went_away_is_let_go_when_it_is_back(service: Service) -> None:
    outage = Outage(service.account_store)
    keys = Idempotency(outage)
    assert keys.begin("key:1", "k-1", "digest", at=NOW) is None  # the request owns the key

    outage.down = True  # … and fails with the store: its key cannot be let go now
    keys.abandon("key:1", "k-1")
    with pytest.raises(StoreAway):
        keys.begin("key:1", "k-1", "digest", at=NOW)  # still away: 503, as the request was

    outage.down = False
    assert keys.begin("key:1", "k-1", "digest", at=NOW) is None  # the retry owns it again


def test_a_key_in_use_by_a_live_request_stays_in_use(service: Service) -> None:
    keys = Idempotency(Outage(service.account_store))
    assert keys.begin("key:1", "k-1", "digest", at=NOW) is None
    with pytest.raises(IdempotencyKeyInUseError):
        keys.begin("key:1", "k-1", "digest", at=NOW)
