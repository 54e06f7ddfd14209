"""A relay that publishes a batch and dies before it moves its position, and stays away longer
than the streams' duplicate window: the next relay publishes the batch again and the server
stores every message a second time; a department listening with `ssj dept listen --state FILE`,
restarted in between, still sees each notice once. One listening without a state file shows
the repeats: that is what the file is for."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from adapters.bootstrap import Service
from adapters.nats.client import REORDER_WINDOW, HandledIds
from adapters.nats.relay import Relay
from adapters.nats.streams import DEFAULT_DEPARTMENTS, DEPT, EVENTS, setup_bus
from tests.bus.harness import NatsServer
from tests.bus.relaying import log_length
from tests.cluster.conftest import expected_ids, many_events
from tests.conftest import Database

WINDOW = 1.0
"""Seconds: the streams' duplicate window in this test."""


class DiesBeforeAdvancing(Relay):
    """Publishes and has every message acked, then dies where the position would move."""

    async def advance(self, position: int) -> None:
        raise RuntimeError("killed before advancing its position")


def listen(url: str, department: str, state: Path | None) -> list[str]:
    """`ssj dept listen --once` in a process of its own: the notices' lines it shows."""
    command = [str(Path(sys.executable).parent / "ssj"), "dept", "listen", "--dept", department]
    command += ["--once", "--wait", "1"]
    if state is not None:
        command += ["--state", str(state)]
    env = {**os.environ, "SSJ_NATS_URL": url}
    env.pop("SSJ_NATS_USER", None)
    env.pop("SSJ_NATS_PASSWORD", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"共 \d+ 条", lines[-1]), lines
    return [line for line in lines if "任务 " in line]


async def test_a_relay_away_longer_than_the_window_is_not_seen_twice(
    database: Database, service: Service, own_nats: NatsServer, tmp_path: Path
) -> None:
    many_events(service, plans=2, dispatched=6)
    stored = log_length(database.service_url)
    bus = await nats.connect(own_nats.url)
    js = bus.jetstream()
    await setup_bus(js, DEFAULT_DEPARTMENTS, duplicate_window=WINDOW)
    assert (await js.stream_info(DEPT)).config.duplicate_window == WINDOW

    dying = DiesBeforeAdvancing(database.service_url, js, service.tasks.mapper, batch=10_000)
    async with dying:
        expected = await expected_ids(dying)
        with pytest.raises(RuntimeError, match="before advancing"):
            await dying.relay_once()
        assert await dying.position() == 0  # every message acked, the position not moved
    notices = len(expected["dept.police"])
    assert notices == len(expected["dept.fire"]) == 6
    assert (await js.stream_info(DEPT)).state.messages == 2 * notices

    state = tmp_path / "police.handled"
    first_police = await asyncio.to_thread(listen, own_nats.url, "police", state)
    first_fire = await asyncio.to_thread(listen, own_nats.url, "fire", None)
    assert len(first_police) == len(first_fire) == notices

    await asyncio.sleep(WINDOW * 1.5)  # the relay stays away longer than the window
    async with Relay(database.service_url, js, service.tasks.mapper, batch=10_000) as again:
        assert await again.relay_available() == stored
        assert await again.position() == stored
    # The server no longer knew the ids: it stored every message again.
    assert (await js.stream_info(EVENTS)).state.messages == 2 * stored
    assert (await js.stream_info(DEPT)).state.messages == 4 * notices

    police_after = await asyncio.to_thread(listen, own_nats.url, "police", state)
    fire_after = await asyncio.to_thread(listen, own_nats.url, "fire", None)
    await bus.close()

    assert police_after == []  # restarted, it still knew what it had handled
    assert sorted(fire_after) == sorted(first_fire)  # without the file: every repeat shown
    kept = HandledIds(state)
    assert set(kept) == expected["dept.police"]
    assert kept.top == max(int(i.split(":")[1]) for i in expected["dept.police"])


def test_the_handled_ids_survive_a_restart_and_allow_for_late_messages(tmp_path: Path) -> None:
    path = tmp_path / "fire.handled"
    handled = HandledIds(path)
    for key in ("ssj:500:fire", "ssj:300:fire", "receipt:abc:1"):
        assert key not in handled
        handled.add(key)

    again = HandledIds(path)
    assert {"ssj:500:fire", "ssj:300:fire", "receipt:abc:1"} <= set(again)
    # A message stored late, behind one that comes after it in the log, is not taken for a
    # repeat: only a position handled, or one far below the highest, is.
    assert "ssj:400:fire" not in again
    again.add(f"ssj:{500 + REORDER_WINDOW + 1}:fire")
    last = HandledIds(path)
    assert last.through == 501
    assert "ssj:400:fire" in last and "ssj:502:fire" not in last
    assert set(last) == {f"ssj:{500 + REORDER_WINDOW + 1}:fire", "receipt:abc:1"}


def test_an_unreadable_state_file_stops_the_listener(tmp_path: Path) -> None:
    path = tmp_path / "broken.handled"
    path.write_text("{}", encoding="utf-8")
    command = [str(Path(sys.executable).parent / "ssj"), "dept", "listen", "--dept", "fire"]
    done = subprocess.run(
        [*command, "--once", "--state", str(path)],
        env={**os.environ, "SSJ_NATS_URL": "nats://127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--state" in done.stderr and str(path) in done.stderr
