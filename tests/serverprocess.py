"""A real trainboard server in a child process on a free loopback port, for the tests that talk
to one over HTTP (tests/server, and the remote engine of the store contract in tests/store).

The server runs as `trainboard ui` would, its output goes to a file that is printed when a test
fails, and `start()` waits until the API answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from loopback import free_port

SERVE = (
    "import sys; from trainboard.server.app import serve; "
    "serve(host=sys.argv[1], port=int(sys.argv[2]), token=sys.argv[3] or None)"
)


class ServerProcess:
    """One `serve()` in a child process; start/kill/start again on the same port."""

    def __init__(self, home: Path, port: int | None = None, token: str | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.token = token
        self.log = home / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.home / 'trainboard.db'}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TRAINBOARD_HOME=str(self.home), TRAINBOARD_SYSTEM_INTERVAL="0")
        for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
            env.pop(name, None)
        return env

    def start(self, host: str = "127.0.0.1") -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, host, str(self.port), self.token or ""],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.env(),
        )
        out.close()
        try:
            self.wait_ready()
        except BaseException:
            self.kill()  # never leave a server behind
            raise
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:  # a loaded machine starts slowly
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", headers=headers).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.output()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]
