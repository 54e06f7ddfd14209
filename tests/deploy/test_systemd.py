"""deploy/systemd/: systemd itself reads the units (`systemd-analyze verify`, where Debian's
systemd is installed), and each unit runs what it should, hardened, restarted when it dies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.files import DEPLOY

SYSTEMD = DEPLOY / "systemd"
UNITS = sorted(p.name for p in SYSTEMD.glob("*.service"))
INSTANCES = {
    "ssj-api@.service": "ssj-api@8000.service",
    "ssj-worker@.service": "ssj-worker@8081.service",
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
}
ANALYZE = shutil.which("systemd-analyze")


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Each section's directives, every value of a repeated one in order (as systemd reads)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def verify(directory: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    """The units as systemd loads them, with the executables they name put where this
    machine has them (verify refuses a unit whose program does not exist)."""
    ssj = Path(sys.executable).with_name("ssj")
    nats = Path(sys.executable).with_name("nats-server")
    for name in UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        text = text.replace("/opt/ssj/bin/ssj", str(ssj)).replace(
            "/usr/local/bin/nats-server", str(nats)
        )
        (directory / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [ANALYZE or "systemd-analyze", "verify", *(f"./{n}" for n in names)],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def _systemd_analyze_installed() -> None:
    # make test installs it (Makefile DEBIAN_PACKAGES); missing, the tests fail rather than skip.
    assert ANALYZE is not None, (
        "systemd-analyze 未安装：apt-get install systemd（make test 会安装）"
    )


needs_systemd = pytest.mark.usefixtures("_systemd_analyze_installed")


@needs_systemd
def test_systemd_reads_every_unit_without_a_complaint(tmp_path: Path):
    done = verify(tmp_path, [INSTANCES.get(n, n) for n in UNITS])
    # A value systemd cannot parse is only a warning ("…, ignoring"): any output is a failure.
    assert (done.returncode, done.stderr + done.stdout) == (0, "")


@needs_systemd
def test_verify_complains_of_a_directive_systemd_cannot_read(tmp_path: Path):
    done = verify(tmp_path, ["ssj-migrate.service"])
    assert done.returncode == 0
    broken = (
        (tmp_path / "ssj-migrate.service")
        .read_text()
        .replace("ProtectHome=yes", "ProtectHome=maybe")
    )
    (tmp_path / "ssj-migrate.service").write_text(broken)
    done = subprocess.run(
        [ANALYZE or "", "verify", "./ssj-migrate.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "ProtectHome" in done.stderr or "protect home" in done.stderr


def test_there_are_the_api_worker_migration_and_nats_units():
    assert UNITS == [
        "ssj-api@.service",
        "ssj-migrate.service",
        "ssj-nats.service",
        "ssj-worker@.service",
    ]


def test_the_api_serves_on_the_instance_port_of_loopback():
    service = unit("ssj-api@.service")["Service"]
    assert service["ExecStart"] == ["/opt/ssj/bin/ssj serve --host 127.0.0.1 --port %i"]


def test_the_worker_serves_its_health_on_the_instance_port():
    service = unit("ssj-worker@.service")["Service"]
    assert service["ExecStart"] == ["/opt/ssj/bin/ssj worker"]
    assert "SSJ_WORKER_PORT=%i" in service["Environment"]


def test_the_migration_is_a_oneshot_that_migrates_then_sets_up_the_bus():
    service = unit("ssj-migrate.service")["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["ExecStart"] == [
        "/opt/ssj/bin/ssj db migrate",
        "/opt/ssj/bin/ssj bus setup --replicas ${BUS_REPLICAS}",
    ]
    assert service["EnvironmentFile"] == ["/etc/ssj/ssj.env", "/etc/ssj/migrate.env"]
    for name in ("ssj-api@.service", "ssj-worker@.service"):
        assert "ssj-migrate.service" in unit(name)["Unit"]["After"][0].split()
        assert "/etc/ssj/migrate.env" not in unit(name)["Service"]["EnvironmentFile"]


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_runs_unprivileged_and_hardened(name: str):
    service = unit(name)["Service"]
    assert service.get("User", ["root"])[0] != "root" or service.get("DynamicUser") == ["yes"]
    for directive, value in HARDENING.items():
        assert service.get(directive) == [value], f"{name}: {directive}"
    if service["Type"] != ["oneshot"]:
        assert service["Restart"] == ["always"]
        assert unit(name)["Install"]["WantedBy"] == ["multi-user.target"]
