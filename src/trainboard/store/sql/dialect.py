"""What differs between the SQL engines, as one value each engine hands to its `Database`.

Why a value and not subclass hooks: the resources (runs, points, attached values, leaders,
tokens, migrations) ask the dialect through the `Database` they are given, so they can be
read and tested without an engine class, and an engine is one `Dialect` plus how it opens a
connection (sqlite.py, postgres.py).

It also owns the one rule per engine of what a failed statement means (`fault`):

- "busy": a lock or a serialization failure; the same transaction succeeds if run again in
  a moment, so `Database` retries it with backoff;
- "unavailable": the database is down, full or unreachable; nothing is wrong with the data,
  so a writer keeps it and tries again later (`StoreError.transient`);
- "refused": the database will never take this (a constraint, a value it cannot hold); a
  writer sets it aside instead of retrying for ever.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)

Fault = Literal["busy", "unavailable", "refused"]

REFUSED = (IntegrityError, DataError, ProgrammingError, NotSupportedError)
"""DBAPI errors about the statement or its data, on every engine: retrying cannot help."""


class Dialect:
    """The generic SQL engine; sqlite.SQLITE and postgres.POSTGRES say where theirs differ."""

    name = "sql"
    blob_cursor_args: ClassVar[dict[str, Any]] = {}
    """DBAPI cursor arguments for reading chunk blobs (PostgreSQL: binary results, half the
    bytes of hex text and no parsing)."""

    def before_write(self, conn: Connection) -> None:
        """Called before a write transaction begins (SQLite asks for BEGIN IMMEDIATE)."""

    def lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations (PostgreSQL takes an advisory lock)."""

    def lock_digests(self, conn: Connection, digests: list[str], *, exclusive: bool) -> None:
        """Until the transaction ends, hold a lock per media digest: shared by writers that
        add uses of the bytes, exclusive for a delete that decides they are unused (see
        store/sql/media.py). SQLite needs none: its write transactions are serial."""

    def busy(self, exc: DBAPIError) -> bool:
        """True when `exc` is a lock or serialization failure worth retrying at once."""
        return False

    def fault(self, exc: DBAPIError) -> Fault:
        """What `exc` means (the module docstring): busy, unavailable or refused."""
        if self.busy(exc):
            return "busy"
        if isinstance(exc, REFUSED):
            return "refused"
        return "unavailable"  # unknown: keep the data and retry rather than set it aside

    def now(self, conn: Connection) -> float:
        """The store's clock, in seconds since the epoch: what heartbeats are stamped with
        and judged by. SQLite's file is on this machine, so its clock is this machine's."""
        return time.time()

    def lower(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """Unicode lower-casing in SQL, the same as Python's str.lower() (for `search`)."""
        return sa.func.lower(column)

    def bytewise(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """`column` compared byte by byte (SQLite's default; PostgreSQL sorts by locale)."""
        return column
