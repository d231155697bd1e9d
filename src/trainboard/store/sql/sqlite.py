"""The embedded engine: one SQLite file in WAL mode that many processes write at once.

Why these settings: WAL lets readers (the UI) run beside a writer; synchronous=NORMAL is
durable across process crashes (only an OS crash can lose the last commits) and far faster
than FULL; every write transaction starts with BEGIN IMMEDIATE so two writers queue on the
busy timeout instead of deadlocking on a lock upgrade; "database is locked" errors that still
slip through are busy (`SQLiteDialect.busy`), retried with backoff by the Database.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from trainboard.errors import StoreError, UsageError
from trainboard.store.sql.blobs import FileBlobs
from trainboard.store.sql.db import Database
from trainboard.store.sql.dialect import Dialect
from trainboard.store.sql.store import SQLStore
from trainboard.store.url import StoreURL

BUSY_TIMEOUT_MS = 30_000
_BEGIN = "tb_begin"


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # switching a fresh file to WAL needs an exclusive lock that first opens from several
    # processes contend for; SQLite can answer "locked" without waiting, so retry here
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    # SQLite's lower() folds ASCII only; search must match "Über" as PostgreSQL does
    dbapi_conn.create_function("tb_lower", 1, _lower, deterministic=True)


def _lower(s: str | None) -> str | None:
    return s.lower() if isinstance(s, str) else s


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.info.pop(_BEGIN, "BEGIN"))


EMPTIED_AFTER_S = 5.0
"""A 0-byte store file older than this is an emptied store, not one being created."""


def _refuse_emptied(path: Path) -> None:
    """Refuse a store file that exists but holds nothing: SQLite would treat it as a new
    database, and the runs that were in it would silently become an empty list. A file that
    another process has only just created (its first open writes the header within
    milliseconds) is let through."""
    try:
        st = path.stat()
    except OSError:  # missing (a new store), or unreachable (reported when it is created)
        return
    if st.st_size == 0 and time.time() - st.st_mtime > EMPTIED_AFTER_S:
        raise StoreError(
            f"the store file {path} is empty (0 bytes): it was emptied or truncated, so its "
            "runs are gone. Restore it from a backup, or delete it to start a new store.",
            transient=False,
        )


class SQLiteDialect(Dialect):
    """SQLite: BEGIN IMMEDIATE for writes, "locked"/"busy" is busy, Unicode lower()."""

    name = "sqlite"

    def before_write(self, conn: Connection) -> None:
        conn.info[_BEGIN] = "BEGIN IMMEDIATE"

    def busy(self, exc: DBAPIError) -> bool:
        msg = str(exc.orig).lower()
        return "locked" in msg or "busy" in msg

    def lower(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        return sa.func.tb_lower(column, type_=sa.String())


SQLITE = SQLiteDialect()


def open_engine(url: str) -> tuple[Engine, Path | None]:
    """The engine of a sqlite:/// URL and its file (None in memory); refuses an emptied file
    and creates the file's folder."""
    parsed = StoreURL.parse(url) if StoreURL.is_sql(url) else None
    if parsed is None or parsed.engine != "sqlite":
        raise UsageError(f"SQLite store URL must start with sqlite:///, got {url!r}")
    path = parsed.sqlite_path  # TRAINBOARD_DB=sqlite:///~/runs.db: expanded
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if path is None:
        kwargs["poolclass"] = StaticPool
    else:
        _refuse_emptied(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"could not open the store at {url}: cannot create its folder "
                f"{path.parent} ({e.strerror})"
            ) from e
    engine = sa.create_engine(parsed.driver_url(), **kwargs)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine, path


class SQLiteStore(SQLStore):
    """SQLite engine; `url` is sqlite:///relative/path, sqlite:////absolute/path or
    sqlite:///:memory:."""

    def __init__(self, url: str) -> None:
        engine, self.path = open_engine(url)
        files = None
        if self.path is not None:  # media bytes in files beside the store file
            files = FileBlobs(self.path.with_name(self.path.name + ".media"))
        super().__init__(url, Database(engine, SQLITE), files)
