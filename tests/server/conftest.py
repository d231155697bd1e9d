"""A real uvicorn serving a fresh store on a free 127.0.0.1 port, for the API tests.

The server runs in a child process (as `trainboard ui` would), its output goes to a file that is
printed when a test fails, and the fixture waits until the API answers before the test starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serverprocess import ServerProcess

from trainboard.store import open_store
from trainboard.store.base import Store


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "tbhome").start()
    try:
        yield srv
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server started with the token "s3cret-token"."""
    srv = ServerProcess(tmp_path / "tbhome-token", token="s3cret-token").start()
    try:
        yield srv
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture
def db(server: ServerProcess) -> Iterator[Store]:
    """The server's own store, opened beside it (as a training process would write it)."""
    s = open_store(server.store_url)
    try:
        yield s
    finally:
        s.close()
