"""The embedded store's file holds password hashes and the secrets of draws not yet made: a new
one is readable by its owner alone."""

from __future__ import annotations

import stat
from pathlib import Path

from adapters.bootstrap import bootstrap, load_settings
from services.actors import Actor


def test_a_new_sqlite_store_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    db = tmp_path / "data" / "ssj.db"
    service = bootstrap(load_settings(db=db))
    try:
        assert service.queries.tasks(Actor.office()).items == ()
    finally:
        service.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
