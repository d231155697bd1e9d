"""Shared fixtures: one `store_url`/`store` over both engines (a fresh SQLite file, a fresh
PostgreSQL database on the server named by TRAINBOARD_TEST_PG)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

from trainboard.store import open_store
from trainboard.store.base import Store

# CI replays the same examples every run (a landing never hangs on a newly drawn one);
# locally hypothesis keeps exploring and saves what it finds in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# No test may touch the person's own store or server: every test starts from a throwaway home
# (tests that need a specific store set it themselves), subprocesses included.
os.environ["TRAINBOARD_HOME"] = tempfile.mkdtemp(prefix="trainboard-tests-")
os.environ.pop("TRAINBOARD_DB", None)
os.environ.pop("TRAINBOARD_URL", None)
os.environ.pop("TRAINBOARD_TOKEN", None)

PG_URL = os.environ.get("TRAINBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as c:
        c.execute(sql)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"tb_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{os.path.join(tmp_path, 'trainboard.db')}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def tb_home(tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the SDK, CLI and server at a fresh SQLite store (environment, as a user would)."""
    home = os.path.join(tmp_path, "tbhome")
    monkeypatch.setenv("TRAINBOARD_HOME", home)
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_URL", raising=False)
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0")
    return home
