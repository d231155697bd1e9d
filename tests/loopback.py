"""Free loopback ports for the servers tests start, safe under pytest-xdist.

`bind(("127.0.0.1", 0))` then close hands out a port that another worker's server, or any
outgoing connection's source port, may take before our server binds it. Each worker here draws
from its own block below the kernel's ephemeral range (32768-60999 on Linux), starting at a
random place so two test sessions on one machine rarely meet, and skips a port something holds.
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


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port in this worker's block that nothing is bound to now."""
    global _next
    for _ in range(BLOCK):
        port = _start + _next % BLOCK
        _next += 1
        if _bindable(port):
            return port
    raise RuntimeError(f"no free loopback port in {_start}-{_start + BLOCK - 1} ({_worker})")
