"""`%trainboard`: the dashboard inside the notebook, as `%tensorboard` does it.

    %load_ext trainboard.notebook
    %trainboard                       # start (once per kernel) and embed at 127.0.0.1:<port>
    %trainboard --port 8766 --height 900 --store sqlite:///runs.db

The server is the one `trainboard ui` serves, built by the same factory
(server.app.build_server: Host and Origin checks, body limit, header deadline, connection cap),
run by uvicorn in a daemon thread of the kernel, bound to loopback only (so it needs no
token; a DNS-rebinding page is refused by the Host check). One server per (store, port) is kept
for the kernel's life; running the magic again embeds the running one. The output is an
iframe (static HTML: a reopened notebook shows the frame, which loads while a server runs).
"""

from __future__ import annotations

import html
import shlex
import socket
import threading
import time
from typing import Any

from trainboard.errors import UsageError

__all__ = ["load_ipython_extension", "start_dashboard", "trainboard_magic"]

HOST = "127.0.0.1"
_START_TIMEOUT_S = 30.0
_servers: dict[tuple[str | None, int], tuple[str, Any, threading.Thread]] = {}
_lock = threading.Lock()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_dashboard(port: int = 0, store: str | None = None) -> str:
    """Serve the dashboard on 127.0.0.1 from a daemon thread (port 0: a free one) and return
    its URL once it answers; a server already started for the same store and port is reused."""
    from trainboard.sdk.selection import select_store
    from trainboard.server.app import build_server

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UsageError(f"%trainboard: --port must be an int from 0 to 65535, got {port!r}")
    with _lock:
        for (st, p), (url, _server, thread) in _servers.items():
            if st == store and (port in (0, p)) and thread.is_alive():
                return str(url)
        url_store, _ = select_store(store, "%trainboard")
        chosen = port or _free_port()
        server = build_server(HOST, chosen, url_store)
        # uvicorn installs no signal handlers off the main thread: the kernel keeps its own
        thread = threading.Thread(target=server.run, name="trainboard-dashboard", daemon=True)
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise UsageError(f"%trainboard: the dashboard did not start on {HOST}:{chosen}")
            time.sleep(0.05)
        url = f"http://{HOST}:{chosen}/"
        _servers[(store, chosen)] = (url, server, thread)
        return url


def iframe_html(url: str, height: int) -> str:
    src = html.escape(url, quote=True)
    return (
        f'<div class="trainboard-dashboard"><a href="{src}" target="_blank">{src}</a>'
        f'<iframe src="{src}" width="100%" height="{height}" frameborder="0" '
        'style="border:1px solid #d0d7de;border-radius:6px"></iframe></div>'
    )


def _parse(line: str) -> tuple[int, int, str | None]:
    port, height, store = 0, 800, None
    args = shlex.split(line)
    i = 0
    while i < len(args):
        flag = args[i]
        if flag not in ("--port", "--height", "--store") or i + 1 >= len(args):
            raise UsageError(
                f"%trainboard: unknown argument {flag!r}; use --port N, --height PX, --store URL"
            )
        value = args[i + 1]
        if flag == "--store":
            store = value
        else:
            try:
                number = int(value)
            except ValueError:
                raise UsageError(f"%trainboard: {flag} must be an int, got {value!r}") from None
            if flag == "--port":
                port = number
            else:
                height = number
        i += 2
    return port, height, store


def trainboard_magic(line: str = "") -> Any:
    """%trainboard [--port N] [--height PX] [--store URL]: start the dashboard and embed it."""
    from IPython.display import HTML

    port, height, store = _parse(line)
    url = start_dashboard(port, store)
    return HTML(iframe_html(url, height))  # type: ignore[no-untyped-call]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext trainboard.notebook` registers the `%trainboard` line magic."""
    ipython.register_magic_function(trainboard_magic, magic_kind="line", magic_name="trainboard")
