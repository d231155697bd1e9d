"""What the alert tests' local servers received (see conftest.py for the servers)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Hook:
    """A running HTTP server; `status` is what it answers (500: a broken endpoint)."""

    url: str
    posts: list[Post] = field(default_factory=list)
    status: int = 200

    def wait(self, pred: Callable[[list[Post]], bool], timeout: float = 60.0) -> list[Post]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred(list(self.posts)):
                return list(self.posts)
            time.sleep(0.05)
        raise AssertionError(f"no such POST within {timeout} s; got {self.posts}")

    def kinds(self) -> list[str]:
        return [p.json["kind"] for p in self.posts if p.path == "/hook"]


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    def wait(self, n: int = 1, timeout: float = 60.0) -> list[Message]:
        end = time.monotonic() + timeout
        while time.monotonic() < end and len(self.messages) < n:
            time.sleep(0.05)
        assert len(self.messages) >= n, f"{len(self.messages)} messages, wanted {n}"
        return self.messages


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_ui(home: str, log: str) -> tuple[Any, str]:
    """A real `trainboard ui` over the store under `home`, waited for: (process, url)."""
    import os
    import subprocess
    import sys

    import httpx

    port = free_port()
    env = dict(os.environ, TRAINBOARD_HOME=home, TRAINBOARD_SYSTEM_INTERVAL="0")
    for k in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(k, None)
    cmd = [sys.executable, "-m", "trainboard", "ui", "--no-browser", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120  # a loaded machine starts a server slowly
    while time.monotonic() < end:
        assert proc.poll() is None, open(log).read()
        try:
            if httpx.get(f"{url}/api/v1/runs", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"trainboard ui did not start:\n{open(log).read()}")
