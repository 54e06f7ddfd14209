"""`ssj bus setup` on the three-node cluster, as deploy/compose.yaml's setup runs it: streams made
with one replica grow to three when it runs again with --replicas 3 (the streams updated in
place, their consumers following), and the duplicate window follows --duplicate-window or
SSJ_NATS_DUPLICATE_WINDOW."""

from __future__ import annotations

import os
import subprocess

from adapters.nats.streams import CMD, DEPT, EVENTS, INTAKE, STREAMS, dept_consumer
from tests.bus.harness import NatsCluster
from tests.bus.test_worker_process import SSJ
from tests.cluster.conftest import SERVICE_LOGIN, connect_service, stream_leader


def setup(cluster: NatsCluster, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SSJ_NATS_URL": ",".join(cluster.urls),
        "SSJ_NATS_USER": SERVICE_LOGIN["user"],
        "SSJ_NATS_PASSWORD": SERVICE_LOGIN["password"],
        **env,
    }
    return subprocess.run(
        [SSJ, "bus", "setup", *options], env=environment, capture_output=True, text=True, timeout=60
    )


async def replicas(cluster: NatsCluster) -> dict[str, tuple[int, int, float]]:
    """Each stream's configured replicas, the peers beside its leader, its duplicate window."""
    bus = await connect_service(cluster.urls)
    try:
        found = {}
        for plan in STREAMS:
            await stream_leader(bus, plan.name)
            info = await bus.jetstream().stream_info(plan.name)
            peers = len(info.cluster.replicas or []) if info.cluster else 0
            found[plan.name] = (
                info.config.num_replicas or 0,
                peers,
                info.config.duplicate_window or 0.0,
            )
        return found
    finally:
        await bus.close()


async def consumer_peers(cluster: NatsCluster, stream: str, consumer: str) -> int:
    bus = await connect_service(cluster.urls)
    try:
        info = await bus.jetstream().consumer_info(stream, consumer)
        return len(info.cluster.replicas or []) if info.cluster else 0
    finally:
        await bus.close()


async def test_setup_grows_the_streams_to_three_replicas_in_place(cluster: NatsCluster) -> None:
    first = setup(cluster)
    assert first.returncode == 0, first.stderr
    assert set((await replicas(cluster)).values()) == {(1, 0, 120.0)}

    grown = setup(cluster, "--replicas", "3", "--duplicate-window", "5")
    assert grown.returncode == 0, grown.stderr
    assert "replicas 3, duplicate window 5 s" in grown.stdout
    assert set((await replicas(cluster)).values()) == {(3, 2, 5.0)}
    assert await consumer_peers(cluster, DEPT, dept_consumer("fire")) == 2
    assert await consumer_peers(cluster, CMD, INTAKE) == 2

    by_env = setup(cluster, SSJ_NATS_REPLICAS="3", SSJ_NATS_DUPLICATE_WINDOW="2")
    assert by_env.returncode == 0, by_env.stderr
    assert (await replicas(cluster))[EVENTS] == (3, 2, 2.0)


def test_setup_refuses_a_replica_count_naming_the_option(cluster: NatsCluster) -> None:
    refused = setup(cluster, "--replicas", "0")

    assert refused.returncode == 2 and "--replicas" in refused.stderr
