"""Helpers for the browser tests: the real Debian Chromium (Playwright's sync API) against a
real `trainboard ui` server on a free port, with the real SDK logging into the same store.

The UI must be built first (`make test` runs `make ui` before pytest). Every test leaves a
screenshot in test-artifacts/ so a person can look at what the browser saw.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from loopback import free_port
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
STATIC_INDEX = ROOT / "src" / "trainboard" / "server" / "static" / "index.html"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def wait_until(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `cond` until it is truthy; fail naming `what` (tests poll, never sleep a fixed time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Server:
    url: str
    home: str
    token: str | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)
    uvicorn: uvicorn.Server | None = field(default=None, repr=False)
    log_handler: logging.Handler | None = field(default=None, repr=False)

    def api(self, path: str, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.get(f"{self.url}/api/v1{path}", params=params, headers=headers, timeout=10)


_LOGGERS = ("uvicorn", "uvicorn.error", "trainboard")


def start_server(home: str, log: Path, token: str | None = None) -> Server:
    """The dashboard `trainboard ui --port P` serves (the same `build_server`: app, Host and
    Origin checks, token gate, connection cap), over the store under `home`, on a real
    uvicorn on loopback, waited for.

    It runs in a thread of the test process: a browser test pays for an app, not for a fresh
    interpreter importing FastAPI (seconds of CPU each). The `trainboard ui` process itself is
    started by test_browser_team_server.py and tests/cli. `log` gets uvicorn's warnings."""
    from trainboard.server.app import build_server

    port = free_port()
    store_url = f"sqlite:///{Path(home) / 'trainboard.db'}"
    Path(home).mkdir(parents=True, exist_ok=True)
    served = build_server("127.0.0.1", port, store_url=store_url, token=token)
    handler = logging.FileHandler(log)
    for name in _LOGGERS:
        logging.getLogger(name).addHandler(handler)
    thread = threading.Thread(target=served.run, name=f"uvicorn-{port}", daemon=True)
    server = Server(f"http://127.0.0.1:{port}", home, token, None, thread, served, handler)
    thread.start()

    def ready() -> bool:
        if not thread.is_alive():
            raise AssertionError(f"the server on port {port} stopped:\n{log.read_text()}")
        try:
            return served.started and server.api("/runs", limit="1").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=120, what=f"the server on port {port}")
    except AssertionError:
        stop_server(server, log, failed=False)
        raise
    return server


def stop_server(server: Server, log: Path, failed: bool) -> None:
    proc = server.proc
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if server.uvicorn is not None and server.thread is not None:
        server.uvicorn.should_exit = True
        server.thread.join(timeout=60)
        assert not server.thread.is_alive(), f"the server at {server.url} did not stop"
    if server.log_handler is not None:
        for name in _LOGGERS:
            logging.getLogger(name).removeHandler(server.log_handler)
        server.log_handler.close()
    if failed and log.exists():
        print(f"--- server log ({log}) ---\n{log.read_text(errors='replace')}")


def shot(pg: Page, name: str) -> None:
    """An extra screenshot in the middle of a test (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
