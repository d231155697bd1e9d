"""`Migrations`: what a store's schema revision is, and bringing it to head on open.

Why here and not in the engine: every SQL engine opens the same way. A store already at head
opens with one lookup of its revision and without importing Alembic (which costs more than
the rest of an open). Anything else is decided once, with a clear error where a guess would
lose data:

- no revision and no tables: a new store, created at head;
- an older revision: upgraded, in one transaction, under the engine's migration lock;
- a revision this code does not know (made by a newer trainboard): refused, never touched;
- tables but no revision (another application's database), or a SQLite file emptied to
  0 bytes: refused, never silently turned into a new, empty store.

Migrations in migrations/versions are history: a released one is never edited, every schema
change is a new revision (tests/store/test_migrations.py upgrades a store made at each one).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from trainboard.errors import StoreError
from trainboard.store.sql.db import Database

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
"""Alembic's folder, store/migrations/ (where every revision has always been written)."""

HEAD_REVISION = "0018"
"""The newest revision in migrations/versions (a test keeps the two equal)."""


def current_revision(conn: Connection) -> str | None:
    """The database's revision; None for a database without trainboard's version table."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else ",".join(sorted(rows)) or None


def known_revisions() -> list[str]:
    """Every revision in migrations/versions, oldest first (imports Alembic)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def upgrade(conn: Connection, target: str = "head") -> None:
    """Run Alembic's upgrade to `target` on an open connection (inside its transaction)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def _check_upgradable(conn: Connection, where: str) -> str | None:
    """The revision to upgrade from (None: a new store); StoreError when it must be refused."""
    rev = current_revision(conn)
    if rev is None:
        tables = sorted(sa.inspect(conn).get_table_names())
        if tables:
            raise StoreError(
                f"{where} is not a trainboard store: it has tables ({', '.join(tables[:5])}) "
                "but no trainboard schema revision. Point TRAINBOARD_DB at a new file or an "
                "empty database.",
                transient=False,
            )
        return None
    known = known_revisions()
    if rev not in known:
        raise StoreError(
            f"{where} has schema revision {rev!r}, which this trainboard does not know (its "
            f"newest is {known[-1]!r}): it was made by a newer trainboard. Upgrade trainboard "
            "(pip install -U trainboard) to open it.",
            transient=False,
        )
    return rev


class Migrations:
    """The schema of one Database: its revision, and the upgrade to head under the dialect's
    migration lock."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def bring_to_head(self) -> None:
        """Bring the store's schema to head; cheap when it already is (one revision lookup)."""
        if self.db.read(current_revision) == HEAD_REVISION:
            return
        where = f"the store at {self.db.safe_url}"

        def run(conn: Connection) -> None:
            self.db.dialect.lock_migrations(conn)
            if current_revision(conn) == HEAD_REVISION:
                return  # another process migrated while we waited for the lock
            rev = _check_upgradable(conn, where)
            try:
                upgrade(conn)
            except Exception as e:
                if rev is None or isinstance(e, DBAPIError) and self.db.dialect.fault(e) == "busy":
                    raise
                raise StoreError(
                    f"could not upgrade {where} from schema revision {rev!r} to "
                    f"{HEAD_REVISION!r}: {e}",
                    transient=False,
                ) from e

        self.db.write(run)
