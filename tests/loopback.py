"""Free loopback ports for the servers tests start, safe under pytest-xdist.

`bind(("127.0.0.1", 0))` then close hands out a port that another worker's server, or any
outgoing connection's source port, may take before our server binds it. Each worker here draws
from its own block below the kernel's ephemeral range (32768-60999 on Linux), starting at a
random place so two test sessions on one machine rarely meet, and skips a port something holds.

Rarely is not never: another session's worker with the same number walks the same block, and a
server that binds its port only once its interpreter has started (seconds on a loaded machine)
can find it taken, while a readiness probe gets its answer from the other session's server.
`bound_socket()` closes that gap: the port is bound here, at once, and the server is handed the
socket (uvicorn's `run(sockets=[...])`, or an inherited descriptor in a child process). It is not
listening yet: until the server listens on it, a client is refused as by a server not started.
"""

from __future__ import annotations

import os
import random
import socket

BASE = 20000  # below the ephemeral range: no outgoing connection is given one of these
BLOCK = 500  # ports per worker (gw0 .. gw23 fit below 32768)

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_index = int(_worker[2:]) if _worker[2:].isdigit() else 0
_start = BASE + (_index % 24) * BLOCK
_next = random.randrange(BLOCK)


def _bind(port: int) -> socket.socket | None:
    """The port bound, or None where anything holds it (a connection in TIME_WAIT included).
    SO_REUSEADDR is set only once bound: the port is ours alone, yet the connections the
    server accepts on it carry the flag, as on the socket uvicorn makes itself, so a killed
    server's lingering connections do not keep its restart off the port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s


def _walk() -> socket.socket:
    global _next
    for _ in range(BLOCK):
        port = _start + _next % BLOCK
        _next += 1
        s = _bind(port)
        if s is not None:
            return s
    raise RuntimeError(f"no free loopback port in {_start}-{_start + BLOCK - 1} ({_worker})")


def free_port() -> int:
    """A port in this worker's block that nothing is bound to now (for a server that binds it
    itself, such as `trainboard ui --port P`: it may still lose the port to another session)."""
    with _walk() as s:
        return int(s.getsockname()[1])


def bound_socket(port: int | None = None) -> socket.socket:
    """A socket bound to 127.0.0.1, not listening (the server it is handed to listens), on
    `port` or on a free port of this worker's block: that server is the only one that can
    answer there. An explicit port (a restart) is taken with SO_REUSEADDR, since the killed
    server's connections may linger in TIME_WAIT."""
    if port is None:
        s = _walk()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            s.close()
            raise RuntimeError(f"port {port} was taken while its server was down: {e}") from e
    return s
