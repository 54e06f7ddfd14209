"""deploy/nginx/ssj.conf as nginx reads it (`nginx -t`, where nginx is installed: Debian's
nginx-light), inside the `http { }` of a minimal main configuration, as the nginx image's
conf.d/ puts it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.files import DEPLOY

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
# make test installs it (Makefile DEBIAN_PACKAGES); missing, the tests fail rather than skip.
needs_nginx = pytest.mark.usefixtures("_nginx_installed")


@pytest.fixture
def _nginx_installed() -> None:
    assert NGINX is not None, "nginx 未安装：apt-get install nginx-light（make test 会安装）"


pytestmark = needs_nginx


def check(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    # nginx resolves upstream names when it loads: api-1 and api-2 exist only on compose's
    # network, so here they are this machine.
    (tmp_path / "logs").mkdir(exist_ok=True)
    (tmp_path / "ssj.conf").write_text(
        site.replace("api-1:", "127.0.0.1:").replace("api-2:", "localhost:"), encoding="utf-8"
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/ssj.conf;\n}}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [NGINX or "nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_nginx_accepts_the_proxy_configuration(tmp_path: Path):
    done = check(tmp_path, (DEPLOY / "nginx/ssj.conf").read_text(encoding="utf-8"))
    assert (done.returncode, done.stderr) == (0, "")


def test_nginx_refuses_a_broken_one(tmp_path: Path):
    site = (DEPLOY / "nginx/ssj.conf").read_text(encoding="utf-8")
    done = check(tmp_path, site.replace("proxy_next_upstream error", "proxy_next_upstream eror"))
    assert done.returncode != 0 and "eror" in done.stderr
