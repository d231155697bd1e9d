"""Helpers for the browser tests: the real Debian Chromium (Playwright's sync API) against a
real `trainboard ui` server on a free port, with the real SDK logging into the same store.

The UI must be built first (`make test` runs `make ui` before pytest). Every test leaves a
screenshot in test-artifacts/ so a person can look at what the browser saw.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
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

    def api(self, path: str, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.get(f"{self.url}/api/v1{path}", params=params, headers=headers, timeout=10)


def start_server(home: str, log: Path, token: str | None = None) -> Server:
    """`python -m trainboard ui --no-browser --port P` over the store under `home`, waited for."""
    port = free_port()
    env = dict(os.environ)
    env["TRAINBOARD_HOME"] = home
    env["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    for k in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(k, None)
    cmd = [sys.executable, "-m", "trainboard", "ui", "--no-browser", "--port", str(port)]
    if token:
        cmd += ["--token", token]
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    server = Server(f"http://127.0.0.1:{port}", home, token, proc)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(
                f"`{' '.join(cmd)}` exited with {proc.returncode}:\n{log.read_text()}"
            )
        try:
            return server.api("/runs", limit="1").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=30, what=f"the server on port {port}")
    except AssertionError:
        proc.kill()
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
    if failed:
        print(f"--- server log ({log}) ---\n{log.read_text(errors='replace')}")


def shot(pg: Page, name: str) -> None:
    """An extra screenshot in the middle of a test (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
