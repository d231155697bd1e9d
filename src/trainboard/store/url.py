"""`StoreURL.parse`: the one place that knows which store URL schemes exist and what each names.

    sqlite:///path            a SQLite file (relative, or sqlite:////absolute; ~ expanded);
                              sqlite:///:memory: or sqlite:/// for a store in memory
    postgresql://...          PostgreSQL (also postgres:// and postgresql+psycopg://)
    http://... / https://...  a trainboard server's API (the remote store)

Why one place: the factory, the engines, the journals (which live beside a SQLite file), the
read API, init()'s `store=` and `trainboard sync` each asked "which kind of URL is this?" by
comparing prefixes of their own. They ask this module instead; it imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainboard.errors import UsageError

Engine = Literal["sqlite", "postgresql", "remote"]

SQLITE = ("sqlite:///",)
POSTGRES = ("postgresql://", "postgresql+psycopg://", "postgres://")
REMOTE = ("http://", "https://")
_IN_MEMORY = ("", ":memory:")


@dataclass(frozen=True)
class StoreURL:
    """A store URL, parsed: which engine, and for SQLite which file."""

    text: str
    engine: Engine

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        """The URL's engine; UsageError naming the schemes for anything else."""
        if isinstance(url, str):
            if url.startswith(SQLITE):
                return cls(url, "sqlite")
            if url.startswith(POSTGRES):
                return cls(url, "postgresql")
            if url.startswith(REMOTE):
                return cls(url, "remote")
        raise UsageError(
            f"store URL must start with sqlite:///, postgresql:// or http(s)://, got {url!r} "
            "(set TRAINBOARD_DB, or TRAINBOARD_URL for a remote server)"
        )

    @staticmethod
    def is_remote(url: str) -> bool:
        """True for a trainboard server's http(s):// URL."""
        return isinstance(url, str) and url.startswith(REMOTE)

    @staticmethod
    def is_sql(url: str) -> bool:
        """True for a SQLite or PostgreSQL URL (what init(store=...) may name)."""
        return isinstance(url, str) and url.startswith(SQLITE + POSTGRES)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file on disk, ~ expanded; None in memory or for another engine."""
        if self.engine != "sqlite":
            return None
        path = self.text[len(SQLITE[0]) :]
        return None if path in _IN_MEMORY else Path(path).expanduser()

    @property
    def in_memory(self) -> bool:
        return self.engine == "sqlite" and self.text[len(SQLITE[0]) :] in _IN_MEMORY

    def driver_url(self) -> str:
        """The URL SQLAlchemy opens: psycopg 3 for PostgreSQL, the expanded file for SQLite."""
        if self.engine == "postgresql":
            for prefix in POSTGRES:
                if self.text.startswith(prefix):
                    return "postgresql+psycopg://" + self.text[len(prefix) :]
        if self.engine == "sqlite":
            path = self.sqlite_path
            return self.text if path is None else f"sqlite:///{path}"
        raise UsageError(f"{self.text!r} is not a SQL store URL")
