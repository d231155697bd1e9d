"""Real local servers that alerts go to: an HTTP server that keeps every POST (a webhook, a
Slack or ntfy endpoint) and aiosmtpd's SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from alert_support import Hook, Mailbox, Post

from trainboard.alerts import deliver


@pytest.fixture
def webhook() -> Iterator[Hook]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    hook = Hook(f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.posts.append(Post(self.path, dict(self.headers), body, time.time()))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    box = Mailbox("127.0.0.1", port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> deliver.Deliverer:
    """This process's deliverer with short waits between tries (the schedule, not the
    delivery, is what changes)."""
    fast = deliver.Deliverer(delays=(0.1, 0.2))
    monkeypatch.setattr(deliver, "_deliverer", fast)
    return fast


@pytest.fixture
def fast_control(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's sentinel checks 5 times a second (the default is once a second)."""
    monkeypatch.setenv("TRAINBOARD_CONTROL_INTERVAL", "0.2")
