"""The team engine: PostgreSQL through psycopg 3, the same tables and code as SQLite.

A `postgresql://` URL is opened with the psycopg 3 driver (`postgresql+psycopg://`). First
opens from several processes are serialised by an advisory lock held for the migration
transaction; serialization failures and deadlocks are busy, retried by the Database.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from trainboard.errors import UsageError
from trainboard.store.sql.db import Database
from trainboard.store.sql.dialect import Dialect
from trainboard.store.sql.store import SQLStore
from trainboard.store.url import StoreURL

MIGRATION_LOCK = 0x74_62_6D_67  # "tbmg": one advisory lock id for schema migrations
MEDIA_LOCKS = 0x74_62_6D_64  # "tbmd": the first key of the two-key advisory locks per digest
_BUSY_CODES = frozenset({"40001", "40P01", "55P03"})


def driver_url(url: str) -> str:
    """postgresql:// and postgres:// -> postgresql+psycopg:// (psycopg 3)."""
    parsed = StoreURL.parse(url) if StoreURL.is_sql(url) else None
    if parsed is None or parsed.engine != "postgresql":
        raise UsageError(f"PostgreSQL store URL must start with postgresql://, got {url!r}")
    return parsed.driver_url()


class PostgresDialect(Dialect):
    """PostgreSQL: binary blobs, an advisory migration lock, serialization failures,
    deadlocks and lock timeouts are busy, and names compared byte by byte with COLLATE "C"."""

    name = "postgresql"
    blob_cursor_args: ClassVar[dict[str, Any]] = {"binary": True}

    def lock_migrations(self, conn: Connection) -> None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))

    def lock_digests(self, conn: Connection, digests: list[str], *, exclusive: bool) -> None:
        """Transaction advisory locks keyed by (MEDIA_LOCKS, the digest's first 32 bits),
        taken in sorted order so two transactions never wait on each other in a cycle (two
        digests sharing a key only wait longer). A lock can be held on bytes that have no
        row yet, which a row lock cannot."""
        keys = sorted({int(d[:8], 16) - (1 << 31) for d in digests})
        if not keys:
            return
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.execute(
            sa.text(f"SELECT {fn}(:ns, k) FROM unnest(CAST(:keys AS integer[])) AS k"),
            {"ns": MEDIA_LOCKS, "keys": keys},
        )

    def now(self, conn: Connection) -> float:
        """The database server's clock, shared by every host that writes to it."""
        return float(
            conn.execute(sa.text("SELECT extract(epoch from clock_timestamp())")).scalar_one()
        )

    def busy(self, exc: DBAPIError) -> bool:
        return getattr(exc.orig, "sqlstate", None) in _BUSY_CODES

    def bytewise(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        return column.collate("C")


POSTGRES = PostgresDialect()


class PostgresStore(SQLStore):
    """Media bytes go in the database, or in the bucket TRAINBOARD_MEDIA_URL names
    (s3blobs.py), checked here so a bucket that cannot be used fails the open naming it."""

    def __init__(self, url: str) -> None:
        from trainboard import settings

        bucket = None
        if settings.media_url():
            from trainboard.store.sql.s3blobs import S3Blobs

            bucket = S3Blobs(settings.media_url())
            bucket.check()
        engine = sa.create_engine(driver_url(url), pool_pre_ping=True)
        super().__init__(url, Database(engine, POSTGRES), media_files=bucket)
