"""`Database`: one SQLAlchemy engine and its `Dialect`, with the one retry loop of reads and
writes.

Why its own object: every resource (runs.py, points.py, attached.py, leaders.py, tokens.py,
migrate.py) runs its SQL through `read` and `write` and asks `dialect` where engines differ;
none of them sees the store that composes them, so each can be read and tested with only a
Database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from trainboard.errors import StoreError
from trainboard.store.sql import forksafe
from trainboard.store.sql.dialect import Dialect

T = TypeVar("T")

RETRY_SECONDS = 120.0
"""How long a transaction keeps retrying busy errors (locks) before giving up with StoreError."""


class Database:
    """An engine, its dialect, and transactions that retry what the dialect calls busy."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self.engine = engine
        self.dialect = dialect
        forksafe.track(engine)

    @property
    def safe_url(self) -> str:
        """The engine's URL with its password hidden, for error messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one write transaction, retrying busy errors with backoff."""
        return self._retry(fn, write=True)

    def read(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction (a consistent snapshot), retrying busy errors."""
        return self._retry(fn, write=False)

    def _retry(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """The one retry loop: busy errors back off and retry for RETRY_SECONDS; any other
        DBAPI error is a StoreError at once, transient unless the dialect says refused."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.005
        while True:
            try:
                with self.engine.connect() as conn:
                    if write:
                        self.dialect.before_write(conn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as e:
                fault = self.dialect.fault(e)
                if fault != "busy" or time.monotonic() > deadline:
                    what = "write" if write else "read"
                    raise StoreError(
                        f"store {what} failed ({self.safe_url}): {e.orig}",
                        transient=fault != "refused",
                    ) from e
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)

    def close(self) -> None:
        self.engine.dispose()
