"""A real trainboard server on a loopback port, for the tests that talk to one over HTTP
(tests/server, and the remote engine of the store contract in tests/store), in one of two forms:

- `ServerThread`: the served app (`build_server`, the one front door of `trainboard ui`) on a
  uvicorn in a thread of the test process. A test pays for an app, not for a fresh interpreter
  importing FastAPI (seconds of CPU each, tens of seconds on a loaded machine). Its settings are
  explicit: its store URL and its token are passed in, never read from the test's environment.
- `ServerProcess`: the same server in a child process, for the tests that kill it (an outage,
  a SIGKILL in the middle of a request), restart it on the same port, or give it settings
  through its environment (host lists, limits, heartbeat timeouts).

Both are handed a socket already bound here (`loopback.bound_socket`), so the server that
answers on the port is always this one, never another test session's that took the port while
ours was starting. Both write their output to a file that is printed when a test fails, and
`start()` waits until the API answers.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from loopback import bound_socket

if TYPE_CHECKING:
    import uvicorn

# The child serves the socket it inherits (its number is argv[3]); settings come from its
# environment, as `trainboard ui`'s do.
SERVE = (
    "import socket, sys; from trainboard.server.app import build_server; "
    "sock = socket.socket(fileno=int(sys.argv[3])); "
    "build_server('127.0.0.1', int(sys.argv[1]), token=sys.argv[2] or None).run(sockets=[sock])"
)

_LOGGERS = ("uvicorn", "uvicorn.error", "trainboard")


class _Served:
    """What both forms share: a home, a port held from the start, readiness and a client."""

    token: str | None

    def __init__(self, home: Path, port: int | None = None, token: str | None = None) -> None:
        self.home = home
        self.token = token
        self._sock: socket.socket | None = bound_socket(port)
        self.port: int = self._sock.getsockname()[1]
        self.log = home / f"server-{self.port}.log"
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.home / 'trainboard.db'}"

    def _alive(self) -> None:
        """Raise if the server has stopped (it will never answer)."""
        raise NotImplementedError

    def wait_ready(self, timeout: float = 120.0) -> None:  # a loaded machine starts slowly
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while time.monotonic() < deadline:
            self._alive()
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", headers=headers).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]


class ServerThread(_Served):
    """One `build_server()` on a uvicorn in a thread of this process, over the SQLite store
    under `home` (or `store_url`), with `token` as its own token and no other: the test's
    TRAINBOARD_TOKEN is never read. Started once and stopped once; a test that needs to kill
    its server, or restart it, takes a `ServerProcess`."""

    def __init__(self, home: Path, token: str | None = None, store_url: str | None = None) -> None:
        super().__init__(home, None, token)
        self._store_url = store_url
        self.served: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self._handler: logging.Handler | None = None

    @property
    def store_url(self) -> str:
        return self._store_url or super().store_url

    def start(self) -> ServerThread:
        from trainboard.server.app import build_server

        assert self._sock is not None, "a ServerThread starts once: use a ServerProcess"
        sock, self._sock = self._sock, None
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            # token "" (not None): no admin token unless given, whatever the environment says
            self.served = build_server(
                "127.0.0.1", self.port, store_url=self.store_url, token=self.token or ""
            )
        except BaseException:
            sock.close()
            raise
        self._handler = logging.FileHandler(self.log)
        for name in _LOGGERS:
            logging.getLogger(name).addHandler(self._handler)
        self.thread = threading.Thread(
            target=self.served.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{self.port}",
            daemon=True,
        )  # fmt: skip
        self.thread.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()  # never leave a server behind
            raise
        return self

    def _alive(self) -> None:
        assert self.thread is not None
        if not self.thread.is_alive():
            raise AssertionError(f"the server on port {self.port} stopped:\n{self.output()}")

    def wait_ready(self, timeout: float = 120.0) -> None:
        assert self.served is not None
        deadline = time.monotonic() + timeout
        while not self.served.started and time.monotonic() < deadline:
            self._alive()
            time.sleep(0.02)
        super().wait_ready(max(1.0, deadline - time.monotonic()))

    def stop(self) -> None:
        if self.served is not None and self.thread is not None:
            self.served.should_exit = True
            self.thread.join(timeout=60)
            assert not self.thread.is_alive(), f"the server at {self.url} did not stop"
        if self._handler is not None:
            for name in _LOGGERS:
                logging.getLogger(name).removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        if self._sock is not None:  # never started
            self._sock.close()
            self._sock = None


class ServerProcess(_Served):
    """One server in a child process; start/kill/start again on the same port. Its settings
    are this process's environment when it starts (`env()`), with its own TRAINBOARD_HOME."""

    def __init__(self, home: Path, port: int | None = None, token: str | None = None) -> None:
        super().__init__(home, port, token)
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TRAINBOARD_HOME=str(self.home), TRAINBOARD_SYSTEM_INTERVAL="0")
        for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
            env.pop(name, None)
        return env

    def start(self) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        sock, self._sock = self._sock or bound_socket(self.port), None  # again after a kill
        out = self.log.open("ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVE, str(self.port), self.token or "", str(sock.fileno())],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
                pass_fds=(sock.fileno(),),
            )
        finally:
            out.close()
            sock.close()  # the child holds it now; when it dies the port is free
        try:
            self.wait_ready()
        except BaseException:
            self.kill()  # never leave a server behind
            raise
        return self

    def _alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.output()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._release()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._release()

    def _release(self) -> None:
        if self._sock is not None:  # never started
            self._sock.close()
            self._sock = None
