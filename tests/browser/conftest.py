"""Browser tests: Debian's chromium driven by Playwright, pages served by uvicorn on 127.0.0.1.

    def test_something(page: Page, serve: Serve, screenshot: Screenshot) -> None:
        base = serve(app)                       # any ASGI app, on a free port, stopped after
        page.goto(base + "/")
        screenshot(page, "start")               # PNG under the session's screenshots/ folder

Playwright's own browser download cannot work here, so it drives /usr/bin/chromium (the Debian
package `make test` installs) with the flags that keep it from calling out (TECH-NOTES.md).

One Playwright and one chromium serve every test of this package, and are stopped when pytest
leaves it: for as long as Playwright's sync API is running, the main thread's asyncio loop is
marked as running between its calls, so an async test (pytest-asyncio) or `asyncio.run` after it
in the same session would fail. Package scope is the session of the browser tests.

pytest turns every warning into an error (pyproject.toml), and none is filtered here: uvicorn
is started without WebSocket support (`ws="none"`: the websockets package's legacy modules warn on
import), and then neither it, Starlette nor Playwright warns (checked with the service's own
app). A filter added later should name the one warning and its module.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 10.0

Serve = Callable[[Any], str]
"""serve(app) -> the base URL (`http://127.0.0.1:<port>`) it answers on."""
Screenshot = Callable[[Any, str], Path]
"""screenshot(page, name) -> the PNG written."""

_SCREENSHOTS = pytest.StashKey[Path]()


# ---------------------------------------------------------------------------- the browser
@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium "
            "(`make system-packages`, or apt-get install chromium, as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    launched = launch(playwright)
    yield launched
    launched.close()


def launch(playwright: Any, *extra_args: str) -> Any:
    """Chromium headless, as every browser test runs it; `extra_args` for a test's own one."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True
    )


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies, no storage) and a page in it, at a phone's width."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    opened = context.new_page()
    yield opened
    context.close()


# ---------------------------------------------------------------------------- serving an app
@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread, on a port the system picks; the base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port
    between choosing it and listening on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # As `ssj serve` runs the app (lifespan, no Server header), without WebSocket support: nothing
    # here speaks it (and see the module's docstring on warnings).
    config = uvicorn.Config(
        app, log_level="warning", ws="none", server_header=False, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="uvicorn", daemon=True
    )
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(server, thread, base)
        yield base
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        listener.close()


def _wait_until_answering(server: uvicorn.Server, thread: threading.Thread, base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn stopped before answering on {base}")
        if server.started:
            try:
                httpx.get(base + "/", timeout=1.0)  # any answer, even a 404, means it is up
                return
            except httpx.TransportError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"uvicorn did not answer on {base} within {STARTUP_SECONDS} s")


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(app) for the test; every app it served is stopped when the test ends."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serving(app))


# ---------------------------------------------------------------------------- screenshots
@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder this session's screenshots go to: named once in the terminal summary."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    request.config.stash[_SCREENSHOTS] = folder
    return folder


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, screenshots: Path) -> Screenshot:
    """screenshot(page, name): the whole page as `<test>-<name>.png`, the path it was saved to."""
    test = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)

    def take(page: Any, name: str) -> Path:
        path = screenshots / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    folder = config.stash.get(_SCREENSHOTS, None)
    if folder is not None and any(folder.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {folder}")
