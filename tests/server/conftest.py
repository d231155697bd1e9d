"""A real uvicorn serving a fresh store on a loopback port of its own, for the API tests.

`server` and `token_server` run the served app in a thread of the test process
(serverprocess.ServerThread): most API tests need an app answering HTTP, not a process.
`server_process` is the same server in a child process, for the tests that kill it, restart it
on the same port, or read what a process does. Each prints its output when a test fails, and
the fixture waits until the API answers before the test starts.

Each serves a fresh store that is a copy of the session's migrated template (tests/conftest.py):
a test pays for a file copy, not for the migrations.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serverprocess import ServerProcess, ServerThread

from trainboard.store import open_store
from trainboard.store.base import Store


def _home(path: Path, sqlite_template: Path) -> Path:
    """A server home holding a fresh store at the current schema."""
    path.mkdir(parents=True)
    shutil.copyfile(sqlite_template, path / "trainboard.db")
    return path


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[ServerThread]:
    srv = ServerThread(_home(tmp_path / "tbhome", sqlite_template)).start()
    try:
        yield srv
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


@pytest.fixture
def server_process(tmp_path: Path, sqlite_template: Path) -> Iterator[ServerProcess]:
    """A server in a child process: `kill()` is a SIGKILL, `start()` again the same port."""
    srv = ServerProcess(_home(tmp_path / "tbhome", sqlite_template)).start()
    try:
        yield srv
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


@pytest.fixture
def token_server(tmp_path: Path, sqlite_template: Path) -> Iterator[ServerThread]:
    """A server started with the token "s3cret-token"."""
    srv = ServerThread(_home(tmp_path / "tbhome-token", sqlite_template), "s3cret-token").start()
    try:
        yield srv
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


@pytest.fixture
def api(server: ServerThread) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture
def db(server: ServerThread) -> Iterator[Store]:
    """The server's own store, opened beside it (as a training process would write it)."""
    s = open_store(server.store_url)
    try:
        yield s
    finally:
        s.close()
