"""The Store contract in SQLAlchemy Core, shared by the SQLite and PostgreSQL engines.

Engines differ only in how a connection is opened, how a write transaction begins (SQLite:
BEGIN IMMEDIATE) and which database errors are transient (retried with backoff); those are
the hooks of `SQLStore`. Everything else is written once, in this package:

- sql.py: SQLStore itself, its engine hooks and the one retry loop of reads and writes;
- runreads.py: one run, a filtered page of runs, a count (with summaries);
- runwrites.py: create, update, archive and delete runs;
- points.py: write_points, read_series and metric_keys;
- attached.py: texts, histograms, artifacts, run values and events;
- append.py: the write plan of write_points and the chunk reads;
- leaders.py: group leaders from aggregate queries;
- rows.py: records <-> rows (limits checked, JSON columns, packed summaries);
- migrate.py: schema revisions, checked and upgraded on open;
- forksafe.py: connection pools forgotten in a forked child.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from trainboard.errors import StoreError
from trainboard.store.base import Store
from trainboard.store.queries import GroupLeaders, RunQuery, SeriesQuery, XAxis
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    Series,
    Status,
    TextRecord,
)
from trainboard.store.sql import attached, forksafe, leaders, migrate, points, runreads, runwrites

T = TypeVar("T")

RETRY_SECONDS = 120.0
"""How long a write keeps retrying transient lock errors before giving up with StoreError."""


class SQLStore(Store):
    """A Store over one SQLAlchemy engine. Subclasses open the engine and set the hooks."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        forksafe.track(engine)
        try:
            migrate.bring_to_head(self)
        except (DBAPIError, StoreError) as e:
            engine.dispose()
            cause = e if isinstance(e, DBAPIError) else e.__cause__
            if not isinstance(cause, DBAPIError):
                raise
            hint = ""
            if "not a database" in str(cause.orig):
                hint = " (the file is damaged, or is not a trainboard store)"
            raise StoreError(
                f"could not open the store at {self._safe_url()}: {cause.orig}{hint}"
            ) from e

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # transactions ---------------------------------------------------------------------
    def _write(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one write transaction, retrying transient lock errors with backoff."""
        return self._retry(fn, write=True)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction (a consistent snapshot), retrying transient errors."""
        return self._retry(fn, write=False)

    def _retry(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """The one retry loop of reads and writes: transient errors (locks, serialization
        failures) back off and retry for RETRY_SECONDS; anything else is a StoreError at
        once (an IntegrityError of a write stays itself, for create_run to name)."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.005
        while True:
            try:
                with self.engine.connect() as conn:
                    if write:
                        self._before_write(conn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as e:
                if not self._is_transient(e) or time.monotonic() > deadline:
                    if write and isinstance(e, IntegrityError):
                        raise
                    what = "write" if write else "read"
                    raise StoreError(f"store {what} failed ({self._safe_url()}): {e.orig}") from e
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)

    # engine hooks ---------------------------------------------------------------------
    _blob_cursor_args: ClassVar[dict[str, Any]] = {}
    """DBAPI cursor arguments for reading chunk blobs (PostgreSQL: binary results, half the
    bytes of hex text and no parsing)."""

    def _before_write(self, conn: Connection) -> None:
        """Called before a write transaction begins (SQLite asks for BEGIN IMMEDIATE)."""

    def _lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations (PostgreSQL takes an advisory lock)."""

    def _is_transient(self, exc: DBAPIError) -> bool:
        return False

    def _lower(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """Unicode lower-casing in SQL, the same as Python's str.lower() (for `search`)."""
        return sa.func.lower(column)

    def _bytewise(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """`column` compared byte by byte (SQLite's default; PostgreSQL sorts by locale)."""
        return column.collate("C") if self.engine.dialect.name == "postgresql" else column

    # runs (runreads.py, runwrites.py, leaders.py) -------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        return runwrites.create_run(self, run)

    def get_run(self, run_id: str) -> RunRecord:
        return runreads.get_run(self, run_id)

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        return runreads.list_runs(self, query)

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from a few aggregate queries (store/sql/leaders.py)."""
        return leaders.group_leaders(self, query, models)

    def count_runs(self, query: RunQuery | None = None) -> int:
        return runreads.count_runs(self, query)

    def update_run(self, run_id: str, **fields: Any) -> None:
        runwrites.update_run(self, run_id, fields)

    def update_run_if(self, run_id: str, expect_status: Status, **fields: Any) -> bool:
        return runwrites.update_run_if(self, run_id, expect_status, fields)

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        return runwrites.set_archived(self, run_ids, archived)

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        return runwrites.delete_runs(self, run_ids)

    # metrics (points.py) --------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        points.write_points(self, run_id, batches)

    def read_series(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int | None = None,
        x: XAxis = "step",
        since: int | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Series:
        q = SeriesQuery(max_points, x, since, start, end)
        return points.read_series(self, run_id, key, q)

    def metric_keys(self, run_id: str) -> list[str]:
        return points.metric_keys(self, run_id)

    # texts, histograms, artifacts, run values and events (attached.py) ----------------
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        attached.write_texts(self, run_id, rows)

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        return attached.read_texts(self, run_id, key, since)

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        attached.write_histograms(self, run_id, rows)

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        return attached.read_histograms(self, run_id, key)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        return attached.add_artifact(self, run_id, artifact)

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        return attached.list_artifacts(self, run_id)

    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        attached.write_run_values(self, run_id, namespace, values)

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        return attached.read_run_values(self, run_id, namespace)

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        attached.add_events(self, run_id, rows)

    def read_events(self, run_id: str) -> list[EventRecord]:
        return attached.read_events(self, run_id)

    # lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()


__all__ = ["SQLStore"]
