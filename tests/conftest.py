"""Shared fixtures: one `store_url`/`store` over both engines (a fresh SQLite file, a fresh
PostgreSQL database on the server named by TRAINBOARD_TEST_PG).

SQLite stores are copies of a file migrated once per session (per worker), as PostgreSQL
databases are (below); `sqlite_empty_url` is the no-file-yet URL the migration tests start from.

The suite runs in parallel (pytest-xdist, `make test`): every database name is drawn fresh, every
file lives under the test's own tmp_path, and servers take ports from `loopback.free_port()`.
PostgreSQL databases are copies of a template migrated once per session (per worker), so a test
pays for a `CREATE DATABASE ... TEMPLATE`, not for the migrations; `pg_empty_url` is the empty
database the migration tests start from.

Markers are added here from what a test uses: `postgres` for any test on the PostgreSQL server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

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
# pytest-xdist's workers get COLUMNS=80 and LINES=24 set; output is a pipe there as it is without
# xdist, so the CLI must size its tables the same way in both.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

PG_URL = os.environ.get("TRAINBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as c:
        c.execute(sql)


def _database(template: str | None = None) -> Iterator[str]:
    """A new database (a copy of `template` when given), dropped after the test."""
    name = f"tb_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A database migrated to head once per session; `pg_url` copies it."""
    for url in _database():
        open_store(url).close()  # migrates; closing leaves no connection (a template needs none)
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the current schema for one test, dropped afterwards."""
    yield from _database(template=pg_template)


@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no tables): for the tests of migrating one."""
    yield from _database()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to head once per session (per worker); `sqlite_url` copies it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "trainboard.db"
    open_store(f"sqlite:///{path}").close()  # the last connection's close folds the WAL in
    assert not Path(f"{path}-wal").exists(), "the template must be one file to copy"
    return path


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str], sqlite_template: Path) -> str:
    """A fresh SQLite store at the current schema: a copy of the migrated template (a test
    pays for a file copy, not for the migrations and their fsyncs)."""
    path = os.path.join(tmp_path, "trainboard.db")
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_empty_url(tmp_path: os.PathLike[str]) -> str:
    """A SQLite URL where no file exists yet: for the tests of creating and migrating one."""
    return f"sqlite:///{os.path.join(tmp_path, 'trainboard.db')}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(params=["sqlite", "postgres"])
def empty_store_url(request: pytest.FixtureRequest) -> str:
    """A store URL on either engine where nothing was ever created (the migrations start here)."""
    name = "sqlite_empty_url" if request.param == "sqlite" else "pg_empty_url"
    return str(request.getfixturevalue(name))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`postgres` on every test that uses the PostgreSQL server, directly or through a param."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_pg = {"pg_url", "pg_empty_url", "pg_template"} & names or any(
            params.get(f) == "postgres" for f in ("store_url", "empty_store_url")
        )
        if on_pg:
            item.add_marker(pytest.mark.postgres)


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
